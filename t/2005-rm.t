#!/bin/sh
# st-rm without a driver: instances requested, scheduled or stopped are
# removed, their reservation (cpu, memory, host ports) released, labels
# and attributes deleted, the events kept; other states are refused.
. "$(dirname "$0")/lib.sh"
plan 17

IMG='--image busybox'
st-init >/dev/null 2>&1
st-host-add --no-probe --cpu 4 --mem 8G h1 >/dev/null
st-create $IMG >req
st-create $IMG --cpu 2 --mem 1G --port 8080:80 --label app=web --attr owner=al >sch
st-schedule <sch >/dev/null
r=$(cat req) s=$(cat sch)
use() { st-host-ls -o cpu_used,mem_used,instances | tr '\t' ' '; }
is "$(use)" '2 1G 1' 'the scheduled one holds 2 cpus, 1G'

ok 'st-rm a requested instance' st-rm "$r"
is "$(cat out)" "$r" 'prints its ID'
is "$(st-ps -a -q | grep -c "$r")" 0 'it is gone'
ok 'st-rm a scheduled instance from stdin' st-rm <sch
is "$(cat out)" "$s" 'prints its ID'
is "$(use)" '0 0 0' 'its reservation is released'
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM instance_ports; SELECT count(*) FROM labels WHERE obj = '$s'; SELECT count(*) FROM attrs WHERE obj = '$s'" | tr '\n' ' ')" '0 0 0 ' 'ports, labels and attributes deleted'
is "$(st-events | grep "$s" | cut -f4 | tr '\n' ' ')" 'instance.create instance.schedule instance.remove ' 'the events keep its history'
st-create $IMG --port 8080:80 >p
ok 'the freed host port can be placed again' st-schedule "$(cat p)"

# a stopped instance keeps its reservation until st-rm
st-create $IMG --cpu 1 >stp
st-schedule <stp >/dev/null
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'stopped' WHERE id = '$(cat stp)'"
ok 'st-rm a stopped instance' st-rm "$(cat stp)"
is "$(use)" '1 256M 1' 'its cpu and memory are released'

# running, starting, error...: needs the driver
st-create $IMG >run
st-schedule <run >/dev/null
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'running' WHERE id = '$(cat run)'"
before=$(state_sum)
fails_with 100 'instance is running' st-rm "$(cat run)"
fails_with 100 'no-such' st-rm no-such
fails_with 100 'i-0000deadbeef' st-rm <<-EOT
	i-0000deadbeef
	EOT
ok 'a bad option is a usage error' sh -c 'st-rm --bogus 2>/dev/null; test $? -eq 2'
is "$(state_sum)" "$before" 'refusals change nothing'
