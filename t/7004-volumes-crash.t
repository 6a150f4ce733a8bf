#!/bin/sh
# Volumes and crashes: a create killed after its intent is removable; a
# restore killed before or after its swap leaves the old content or the
# new one, whole, and the next restore takes over from the dead owner; a
# volume held by a live command is busy (111), not corrupted.
. "$(dirname "$0")/lib.sh"
plan 19

ST_VOLUMES=$trash/vols
export ST_VOLUMES
st-init >/dev/null 2>&1 || { echo "Bail out! st-init failed"; exit 1; }
st-host-add --no-probe --cpu 1 --mem 1G h1 >/dev/null

ST_FAULT=volume-create.after-intent st-volume-create --size 1M c1 >/dev/null 2>&1
is $? 137 'st-volume-create killed after its intent'
is "$(st-volume-ls -o name,state c1)" "c1	creating" 'the volume is left creating'
st-doctor >"$trash/doc" 2>&1
ok 'st-doctor reports the dead intent' grep -q "volume-intent	left creating" "$trash/doc"
ok 'st-volume-rm removes it' st-volume-rm c1
is "$(st-volume-ls -q | wc -l) $(ls -A "$trash/vols/dir" 2>/dev/null | wc -l)" "0 0" 'no row, no directory'

v=$(st-volume-create --size 1M r1)
src=$trash/vols/dir/$v
echo A >"$src/f"
st-volume-snapshot --name good r1 >/dev/null
echo B >"$src/f"
ST_FAULT=volume-restore.after-intent st-volume-restore --snapshot good r1 >/dev/null 2>&1
is $? 137 'st-volume-restore killed before its swap'
is "$(st-volume-ls -o state r1) $(cat "$src/f")" 'restoring B' 'left restoring, the old content whole'
ok 'the next restore takes over' st-volume-restore --snapshot good r1
is "$(st-volume-ls -o state r1) $(cat "$src/f")" 'ready A' 'ready, the snapshot'"'"'s content'
is "$(st-events | grep -c volume.restore.abandoned)" 1 'the dead restore is in the event log'

echo C >"$src/f"
ST_FAULT=volume-restore.after-swap st-volume-restore --snapshot good r1 >/dev/null 2>&1
is $? 137 'st-volume-restore killed after its swap'
is "$(cat "$src/f")" A 'the new content is in, whole'
ok 'a snapshot after it settles the volume' st-volume-snapshot r1
is "$(st-volume-ls -o state r1)" ready 'ready again'
ok 'a restore clears the old copy left behind' st-volume-restore --snapshot good r1
is "$(ls -A "$trash/vols/dir" | grep -c restore)" 0 'no leftover copy'

gone=$(st-inspect good | jq -r .source)
rm -rf "$gone"
st-doctor >"$trash/doc" 2>&1
ok 'st-doctor reports a snapshot whose directory is gone' grep -q "snapshot-storage	its directory '$gone' is missing" "$trash/doc"

# a live owner: busy, retry may help
mkdir -p "$trash/state/locks"
( exec 9>"$trash/state/locks/$v" && flock 9 && exec sleep 30 ) &
lockpid=$!
at_exit "kill $lockpid"
n=0; until [ -e "$trash/state/locks/$v" ] || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
sleep 0.3
fails_with 111 'busy' st-volume-restore --snapshot good r1
kill $lockpid 2>/dev/null; wait $lockpid 2>/dev/null
ok 'free again: removed' st-volume-rm r1
