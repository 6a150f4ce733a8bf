#!/bin/sh
# Crash safety: st-start, st-stop, st-restart and st-rm killed with
# SIGKILL at each of their fault points (ST_FAULT); st-reconcile then
# makes the state file and the Docker API agree, and a second run has
# nothing left to do.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/crash.sh"
need_docker

starts="start.after-intent start.after-create start.after-driver start.before-result"
stops="stop.after-intent stop.after-driver stop.before-result"
restarts="restart.after-intent restart.after-create restart.after-driver restart.before-result"
rms="rm.after-intent rm.after-driver rm.before-result"
recs="reconcile.after-intent reconcile.after-driver reconcile.before-result"
plan $(($(echo $starts $stops $restarts $rms | wc -w) * 5 + 3 + 5 + 2 + $(echo $recs | wc -w) * 4))

# a new instance, placed; running with "run"
new() {
	_i=$(st-create --image "$test_image" --cpu 0.1 --mem 16M -- sleep 600 | st-schedule | cut -f1)
	[ "$1" != run ] || st-start -q "$_i" >/dev/null
	echo "$_i"
}

# crash ID FAULT CMD...: CMD ID killed at FAULT, then st-reconcile
crash() {
	_id=$1 _f=$2; shift 2
	ST_FAULT=$_f "$@" "$_id" >/dev/null 2>"$trash/crash.err"
	is $? 137 "$_f: $1 killed there"
	st-reconcile --grace 0 >"$trash/rec1" 2>"$trash/rec1.err"
	sed "s/^/# /" "$trash/rec1"
	is "$? $(cut -f1 "$trash/rec1" | sort -u | tr '\n' ' ')" "0 $_id " "$_f: st-reconcile resolves the intent it left"
	is "$(agree)" "" "$_f: the state file and the Docker API agree"
	is "$(st-reconcile --grace 0 2>&1)" "" "$_f: a second st-reconcile prints nothing"
	ok "$_f: st-doctor finds nothing wrong" st-doctor
}

# a dead owner's intent is not taken for a live one's, nor run over
i=$(new)
ST_FAULT=start.after-intent st-start "$i" >/dev/null 2>&1
fails_with 111 "st-reconcile resolves it" st-start "$i"
fails_with 111 "st-reconcile resolves it" st-stop "$i"
is "$(st-reconcile --grace 0 -n)" "$i	resolve	starting -> scheduled, its container on host 'local' is absent" \
    'st-reconcile -n says what it would do'
is "$(st-inspect "$i" | jq -r .state)" starting '... and does nothing'
ok 'st-reconcile' st-reconcile --grace 0

for f in $starts; do
	crash "$(new)" "$f" st-start
done
for f in $stops; do
	crash "$(new run)" "$f" st-stop --timeout 0
done
for f in $restarts; do
	i=$(new run)
	[ "$f" != restart.after-create ] || st-stop -q --timeout 0 "$i" >/dev/null
	crash "$i" "$f" st-restart --timeout 0
done
for f in $rms; do
	i=$(new run)
	crash "$i" "$f" st-rm -f
	is "$(st-ps -a -q | grep -c "$i")$(docker_api GET "/containers/st-$i/json" -o /dev/null -w '%{http_code}')" 0404 \
	    "$f: the removal was finished: no instance, no container"
done

# st-reconcile itself killed while it starts again a container stopped
# behind its back: the next run finishes the work
for f in $recs; do
	i=$(new run)
	docker_api POST "/containers/st-$i/stop?t=0" >/dev/null
	ST_FAULT=$f st-reconcile --grace 0 >/dev/null 2>&1
	is $? 137 "$f: st-reconcile killed there"
	st-reconcile --grace 0 >"$trash/rec1" 2>&1
	is "$?:$(cut -f1 "$trash/rec1" | sort -u)" "0:$i" "$f: the next st-reconcile finishes the work"
	sed "s/^/# /" "$trash/rec1"
	is "$(agree)" "" "$f: the state file and the Docker API agree"
	is "$(st-reconcile --grace 0 2>&1)" "" "$f: a second st-reconcile prints nothing"
done

ok 'everything removed' sh -c 'st-ps -a -q | st-rm -f'
is "$(docker_ps_cluster "$cluster")" '' 'no container of this cluster is left'
