#!/bin/sh
# Crash safety without fault points: 10 rounds of a create | schedule |
# start pipeline killed with SIGKILL, the whole process group, at a random
# moment; after each, st-reconcile makes the state file and the Docker API
# agree, and a second run has nothing left to do.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/crash.sh"
need_docker
plan 33

pipe='st-create --image "$1" --cpu 0.01 --mem 8M -n 5 -- sleep 600 | st-schedule | st-start'
# how long a whole pipeline takes on this dockerd now (it is shared)
t0=$(date +%s.%N)
sh -c "$pipe" sh "$test_image" >/dev/null
span=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
echo "# a whole pipeline: ${span}s"
# a moment within it, different each round and each run
seed=$$
moment() { awk -v s="$seed" -v r="$1" -v t="$span" 'BEGIN { srand(s * 31 + r); printf "%.2f", rand() * t }'; }

for r in 1 2 3 4 5 6 7 8 9 10; do
	# its own session and process group: one kill takes the pipeline
	setsid sh -c "$pipe" sh "$test_image" >/dev/null 2>"$trash/pipe.err" &
	pid=$!
	at_exit "kill -9 -$pid"
	t=$(moment $r)
	sleep "$t"
	kill -9 "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# round $r: killed after ${t}s: $(st-ps -a -o state | sort | uniq -c | tr -s ' \n' '  ')"
	st-reconcile --grace 0 >"$trash/rec" 2>"$trash/rec.err"
	is "$?$(cat "$trash/rec.err")" 0 "round $r: st-reconcile"
	sed 's/^/# /' "$trash/rec"
	is "$(agree)" "" "round $r: the state file and the Docker API agree"
	is "$(st-reconcile --grace 0 2>&1)" "" "round $r: a second st-reconcile prints nothing"
done
ok 'st-doctor finds nothing wrong' st-doctor
ok 'everything removed' sh -c 'st-ps -a -q | st-rm -f'
is "$(docker_ps_cluster "$cluster")" '' 'no container of this cluster is left'
