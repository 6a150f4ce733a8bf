#!/bin/sh
# st-doctor: silent, exit 0, on a healthy cluster; each kind of damage,
# seeded one at a time, is found (exit 1, one line naming it), and what
# it reads stays as it was: st-doctor changes nothing.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/crash.sh"
need_docker
plan 26

port=$((30000 + $$ % 20000))
mk() { st-create --image "$test_image" --cpu 0.01 --mem 8M "$@" -- sleep 600 | st-schedule | cut -f1; }
a=$(mk --port "$port:80") b=$(mk) c=$(mk)
st-start -q "$a" "$b" "$c" >/dev/null
st-stop -q --timeout 0 "$c" >/dev/null
sq() { sqlite3 "$ST_STATE" "$@"; }

# finds KIND OBJECT DESC: st-doctor exits 1 and prints OBJECT<TAB>KIND
finds() {
	st-doctor >"$trash/doc" 2>"$trash/doc.err"
	_rc=$?
	sed 's/^/# /' "$trash/doc"
	is "$_rc:$(cut -f1,2 "$trash/doc" | grep -xF "$2	$1")" "1:$2	$1" "st-doctor finds $3"
}
healthy() {
	st-doctor >"$trash/doc" 2>&1
	is "$?:$(cat "$trash/doc")" "0:" "$1"
}

healthy 'a healthy cluster: silent, exit 0'
sum=$(state_sum)

sq "UPDATE hosts SET cpu_used = cpu_used + 500 WHERE id = '$host'"
finds capacity "$host" 'a capacity sum edited'
sq "UPDATE hosts SET cpu_used = cpu_used - 500 WHERE id = '$host'"
healthy '... and nothing once it is put back'

sum=$(state_sum)
docker_api DELETE "/containers/st-$b?force=1"
finds drift "$b" 'a container removed behind its back'
is "$(state_sum)" "$sum" 'st-doctor changed nothing in the state file'
ok 'st-reconcile marks it' st-reconcile --grace 0
is "$(cut -f1,2 "$trash/out")" "$b	vanished" '... as vanished'
is "$(st-inspect "$b" | jq -r '.state')" error '... in state error'
ok 'st-start makes it again' st-start "$b"
healthy '... and all is well again'

docker_api POST "/containers/st-$c/start" >/dev/null
finds drift "$c" 'a stopped instance whose container was started behind its back'
docker_api POST "/containers/st-$a/stop?t=0" >/dev/null
finds drift "$a" 'a running instance whose container was stopped behind its back'
ok 'st-reconcile' st-reconcile --grace 0
healthy '... puts both right'

# a container of this cluster's label, not an instance's; one of an
# instance's shape the state does not know
docker_api POST "/containers/create?name=intruder-$$" -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$test_image\",\"Cmd\":[\"sleep\",\"600\"],\"Labels\":{\"io.stampede.cluster\":\"$cluster\"}}" >/dev/null
at_exit "docker_api DELETE /containers/intruder-$$?force=1"
finds foreign "intruder-$$" "a foreign container carrying this cluster's label"
ghost=i-0123456789ab
docker_api POST "/containers/create?name=st-$ghost" -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$test_image\",\"Cmd\":[\"sleep\",\"600\"],\"Labels\":{\"io.stampede.cluster\":\"$cluster\",\"io.stampede.id\":\"$ghost\"}}" >/dev/null
at_exit "docker_api DELETE /containers/st-$ghost?force=1"
finds orphan "$ghost" 'a container of an instance the state does not know'
st-reconcile --grace 3600 >"$trash/out" 2>&1
is "$?:$(cat "$trash/out")" 0: 'st-reconcile --grace 3600: the orphan is too young to go'
ok 'st-reconcile --grace 0' st-reconcile --grace 0
is "$(cut -f1,2 "$trash/out")" "$ghost	removed-orphan" '... removes the orphan'
is "$(docker_api GET "/containers/intruder-$$/json" | jq -r .State.Status)" created \
    '... and never touches the container without an instance ID'
docker_api DELETE "/containers/intruder-$$?force=1"
healthy 'both gone: all is well again'

gh=$(st-host-add --no-probe --docker "unix://$trash/nothing.sock" --cpu 1 --mem 1G ghost)
finds unreachable "$gh" 'an unreachable host'
st-host-rm ghost >/dev/null

ST_FAULT=stop.after-intent st-stop --timeout 0 "$b" >/dev/null 2>&1
finds stale-intent "$b" 'a stale intent: a stop whose command died'
ok 'st-reconcile resolves it' st-reconcile --grace 0

# a second instance on the same host and host port, written behind the
# scheduler's back
d=$(st-create --image "$test_image" --cpu 0.01 --mem 8M --port "$port:80" -- sleep 600)
sq "UPDATE instances SET state = 'scheduled', host = '$host' WHERE id = '$d';
    UPDATE hosts SET cpu_used = cpu_used + 10, mem_used = mem_used + 8388608, ninst = ninst + 1 WHERE id = '$host'"
finds duplicate-port "$host" 'two instances publishing the same port on one host'
finds ports "$d" "a port not held on the instance's host"
