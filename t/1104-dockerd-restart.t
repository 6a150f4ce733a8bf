#!/bin/sh
# dockerd killed and restarted while instances run: st-reconcile starts
# again every instance whose desired state is running, and those stopped
# by st-stop stay stopped, even one whose restart policy made Docker bring
# it back. The dockerd killed is a second one, this test's own, in network,
# PID and mount namespaces of its own: the shared one goes on serving the
# others. It is PID 1 there, so killing it kills its containerd, shims and
# containers with it, as a crash of its host would (outside a namespace,
# the containerd of a killed dockerd lingers unreaped on this machine and
# the next dockerd waits for it), and leaves no mount behind.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/crash.sh"
need_docker
[ "$(id -u)" -eq 0 ] || skip_all 'a second dockerd needs root'
for c in dockerd ip nsenter unshare; do
	command -v $c >/dev/null || skip_all "$c is not installed"
done
plan 20

d2=$trash/d2
ns=st1104-$$
sock2=$d2/docker.sock
api2() {
	_m=$1 _p=$2; shift 2
	curl -s --unix-socket "$sock2" -X "$_m" "$@" "http://docker/v1.41$_p"
}
# the pid file says 1, which is always running outside: a dead daemon's goes
dockerd2() {
	rm -f "$d2/pid"
	nsenter --net="/run/netns/$ns" unshare --pid --fork --mount --mount-proc --propagation private \
	    dockerd --data-root "$d2/data" --exec-root "$d2/exec" --pidfile "$d2/pid" -H "unix://$sock2" \
	    --bridge=none --iptables=false --ip6tables=false >>"$d2/log" 2>&1 </dev/null &
	d2unshare=$!
	_w=0
	until curl -sf --unix-socket "$sock2" http://docker/_ping >/dev/null 2>&1; do
		_w=$((_w + 1)); [ $_w -le 480 ] || { echo "# dockerd2 did not answer:" >&2; tail -5 "$d2/log" | sed "s/^/# /" >&2; return 1; }
		sleep 0.25
	done
}
# the dockerd: PID 1 of the namespace unshare made
dockerd2_pid() { cat "/proc/$d2unshare/task/$d2unshare/children" 2>/dev/null | cut -d' ' -f1; }
# its containerd and shims die with PID 1 of the namespace, but not at
# once: a new daemon started too soon waits on their locks
dockerd2_gone() {
	_w=0
	while pgrep -f -- "$d2/" >/dev/null && [ $_w -lt 240 ]; do _w=$((_w + 1)); sleep 0.25; done
}
# a restart that does not answer is tried once more (this test is about
# Stampede after a restart, not about dockerd's own start)
dockerd2_restart() {
	dockerd2_gone
	dockerd2 && return 0
	kill -9 "$(dockerd2_pid)" 2>/dev/null
	wait "$d2unshare" 2>/dev/null
	dockerd2_gone
	dockerd2
}
# everything the second dockerd made goes, whatever happened: its
# containers, then the daemon, and with it its namespaces and mounts
stop_dockerd2() {
	for _c in $(api2 GET '/containers/json?all=1' | jq -r '.[].Id'); do
		api2 DELETE "/containers/$_c?force=1" >/dev/null
	done
	_p=$(dockerd2_pid)
	if [ -n "$_p" ] && kill "$_p" 2>/dev/null; then
		_w=0; while kill -0 "$d2unshare" 2>/dev/null && [ $_w -lt 80 ]; do _w=$((_w + 1)); sleep 0.25; done
		kill -9 "$_p" 2>/dev/null
	fi
	wait "$d2unshare" 2>/dev/null
	ip netns del "$ns"
	rm -rf "$d2"
}
mkdir -p "$d2"
ip netns add "$ns" || { echo "Bail out! unable to add network namespace $ns"; exit 1; }
at_exit stop_dockerd2
nsenter --net="/run/netns/$ns" ip link set lo up
dockerd2 || { echo "Bail out! the second dockerd did not answer; $(tail -3 "$d2/log")"; exit 1; }

h2=$(st-host-add --docker "unix://$sock2" --label dd=2 h2) || exit 1
test_image_tar >"$trash/bb.tar" && st-image-import --name "$test_image" --host h2 "$trash/bb.tar" >/dev/null ||
    { echo "Bail out! unable to import the test image on h2"; exit 1; }
mk() { st-create --image "$test_image" --cpu 0.01 --mem 8M --restart "$1" -- sleep 600 | st-schedule --constraint dd=2 | cut -f1; }
run1=$(mk no) run2=$(mk no) run3=$(mk unless-stopped) stop1=$(mk no) stop2=$(mk always)
ok 'five instances started on h2' st-start $run1 $run2 $run3 $stop1 $stop2
ok 'two stopped by st-stop' st-stop --timeout 0 $stop1 $stop2
started() { api2 GET "/containers/st-$1/json" | jq -r .State.StartedAt; }
before=$(started $run1)

kill -9 "$(dockerd2_pid)"
wait "$d2unshare" 2>/dev/null
fails_with 111 "unable to reconcile host 'h2'" st-reconcile --grace 0
is "$(cat "$trash/out")" '' 'while h2 is down, st-reconcile does the other hosts, which need nothing'
st-doctor >"$trash/doc"
is "$?:$(cut -f1,2 "$trash/doc")" "1:$h2	unreachable" 'st-doctor: h2 unreachable'

ok 'dockerd restarted' dockerd2_restart
state() { api2 GET "/containers/st-$1/json" | jq -r .State.Status; }
is "$(state $run1) $(state $run2) $(state $stop1)" 'exited exited exited' 'after the restart, the containers have exited'
is "$(state $stop2)" running 'the stopped one of restart policy "always": Docker brought it back'
st-doctor >"$trash/doc"
is "$?:$(cut -f1,2 "$trash/doc" | sort | tr '\n' ' ')" \
    "1:$(printf '%s\tdrift\n' $run1 $run2 $stop2 | sort | tr '\n' ' ')" \
    'st-doctor: running instances whose containers exited, a stopped one whose container runs'

ok 'st-reconcile' st-reconcile --grace 0
sed 's/^/# /' "$trash/out"
is "$(cut -f1,2 "$trash/out" | sort)" "$( (printf '%s\tstarted\n' $run1 $run2; printf '%s\tstopped\n' $stop2) | sort)" \
    'it started the two running ones, stopped the one st-stop stopped'
is "$(state $run1) $(state $run2) $(state $run3)" 'running running running' 'every instance whose desired state is running runs'
is "$(state $stop1) $(state $stop2)" 'exited exited' 'the two stopped by st-stop are stopped'
is "$(st-ps -a -o id,state | sort)" "$( (printf '%s\trunning\n' $run1 $run2 $run3; printf '%s\tstopped\n' $stop1 $stop2) | sort)" \
    'the state file says the same'
ok 'started again, not merely still there' test "$(started $run1)" != "$before"
is "$(agree)" '' 'the state file and the Docker API agree'
is "$(st-reconcile --grace 0 2>&1)" '' 'a second st-reconcile prints nothing'
ok 'st-doctor finds nothing wrong' st-doctor
is "$(st-events | grep -c 'instance.reconcile	')" 3 'three instance.reconcile events'

ok 'everything removed' sh -c 'st-ps -a -q | st-rm -f'
