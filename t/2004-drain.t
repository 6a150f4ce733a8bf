#!/bin/sh
# st-host-drain and st-host-undrain: compare-and-set between active and
# drained, idempotent, events, and no placement on a drained host.
. "$(dirname "$0")/lib.sh"
plan 24

st-init >/dev/null 2>&1
printf 'h1\nh2\n' | st-host-add --no-probe --cpu 4 --mem 8G >ids
h1=$(head -1 ids)
hstate() { st-host-ls -o name,state | tr '\t' ' ' | tr '\n' ' '; }

ok 'drain h1 by name' st-host-drain h1
is "$(cat out)" "$h1" 'prints its ID'
is "$(hstate)" 'h1 drained h2 active ' 'st-host-ls shows it drained'
is "$(st-events | grep -c "$h1	host.drain")" 1 'event host.drain'
before=$(state_sum)
ok 'drain it again' st-host-drain "$h1"
is "$(cat out)" "$h1" 'succeeds, prints its ID'
is "$(cat err)" "st-host-drain: host '$h1' is already drained" 'and says so'
is "$(state_sum)" "$before" 'nothing changed, no event'

st-create --image busybox -n 4 >inst
ok 'schedule 4 with h1 drained' st-schedule <inst
is "$(cut -f2 out | sort -u)" h2 'all on h2'
st-create --image busybox >one
ok 'undrain h1 from stdin' st-host-undrain <ids
is "$(cat out)" "$(cat ids)" 'prints the IDs, the one already active too'
is "$(cat err)" "st-host-undrain: host '$(tail -1 ids)' is already active" 'says the active one already is'
is "$(hstate)" 'h1 active h2 active ' 'h1 active again'
is "$(st-events | grep -c "$h1	host.undrain")" 1 'event host.undrain'
ok 'schedule once h1 is back' st-schedule <one
is "$(cut -f2 out)" h1 'h1 takes placements again'

# an unreachable host is neither drained nor undrained
sqlite3 "$ST_STATE" "UPDATE hosts SET state = 'unreachable' WHERE name = 'h2'"
before=$(state_sum)
fails_with 100 'unreachable' st-host-drain h2
fails_with 100 'unreachable' st-host-undrain h2
fails_with 100 'no-such' st-host-drain no-such
ok 'a bad option is a usage error' sh -c 'st-host-drain --bogus h1 2>/dev/null; test $? -eq 2'
is "$(state_sum)" "$before" 'refusals change nothing'
ok 'a bad record among good ones' sh -c 'st-host-drain no-such h1; test $? -eq 100'
is "$(hstate)" 'h1 drained h2 unreachable ' 'the good one was drained'
