#!/bin/sh
# Owner locks: 8 pipelines race st-start over the same 10 instances; each
# container is created and started exactly once, as the Docker API's
# events tell. A command finding an instance held by a live one says
# who holds it and exits 111.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/crash.sh"
need_docker
plan 12

st-create --image "$test_image" --cpu 0.01 --mem 8M -n 10 -- sleep 600 | st-schedule | cut -f1 >ids
since=$(date +%s)
for p in 1 2 3 4 5 6 7 8; do
	st-start <ids >"$trash/s$p.out" 2>"$trash/s$p.err" &
done
wait
echo "# $(cat "$trash"/s*.err | grep -c busy:) refusals as busy"
is "$(st-ps -a -o state | sort | uniq -c | tr -s ' ')" ' 10 running' 'all 10 running'
is "$(cat "$trash"/s*.out | sort -u)" "$(sort ids)" 'every ID printed by some pipeline'
is "$(cat "$trash"/s*.err | grep fatal: | grep -vc 'busy: being started by pid [0-9]')" 0 \
    'the only failures are "busy: being started by pid N"'
sleep 1	# the events of the last second are in
docker_events "$since" | sort >"$trash/events"
is "$(grep -c '^create ' "$trash/events")" 10 'Docker created 10 containers'
is "$(grep '^create ' "$trash/events" | sort -u | wc -l)" 10 '... each once'
is "$(grep -c '^start ' "$trash/events")" 10 'Docker started 10 containers'
is "$(grep '^start ' "$trash/events" | sort -u | wc -l)" 10 '... each once'
is "$(st-events | grep -c 'instance.start	')" 10 'one instance.start event each'
is "$(agree)" "" 'the state file and the Docker API agree'

# a live owner: st-stop waits for its timeout (sleep as PID 1 ignores
# SIGTERM) while st-start and st-rm -f are refused, busy, with its pid
i=$(head -1 ids)
st-stop --timeout 3 "$i" >/dev/null 2>&1 &
stopper=$!
n=0; until [ "$(st-inspect "$i" | jq -r .state)" = stopping ] || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
fails_with 111 "busy: being stopped by pid $stopper" st-start "$i"
fails_with 111 "busy: being stopped by pid $stopper" st-rm -f "$i"
wait $stopper
is "$(st-inspect "$i" | jq -r .state):$(ls "$(dirname "$ST_STATE")/locks" | wc -l)" stopped:0 \
    'the stop finished, and its lock file is gone'
