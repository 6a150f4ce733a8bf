#!/bin/sh
# Hitless reloads: while ab sends requests through a load balancer, 20
# reloads of HAProxy (listeners of other load balancers created and
# removed) drop none of them: zero failed requests.
. "$(dirname "$0")/lib.sh"
need_docker
plan 7

hapdir="$trash/state/haproxy/$host"
at_exit 'kill -USR1 $(cat "$hapdir/haproxy.pid")'
at_exit 'st-lb-ls -q | st-lb-rm'
at_exit 'kill $abpid'
reloads() {
	printf 'show proc\n' | socat -t 5 - "UNIX-CONNECT:$hapdir/master.sock" | awk '$2 == "master" { print $3 }'
}

port=$((25200 + $$ % 7000))
for i in 1 2 3; do
	st-create --image "$test_image" --name "rl-$i" --cpu 0.2 --mem 16M --label app=rl --env "N=$i" \
	    -- sh -c 'echo "page $N" >/www/index.html; exec httpd -f -p 80 -h /www' || exit 1
done | st-schedule | st-start >/dev/null
ok 'a load balancer over three containers' \
    st-lb-create rl --port "$port" --target-port 80 --check /index.html --check-interval 300 --select app=rl
n=0; until [ "$(st-lb-stats -o status rl | grep -c '^UP')" = 3 ] || [ $n -gt 100 ]; do n=$((n + 1)); sleep 0.1; done
is "$(st-lb-stats -o status rl | grep -c '^UP')" 3 'three targets up'

r0=$(reloads)
# a bounded client: 40 s at most, stopped by its own limit
ab -t 40 -n 20000 -c 4 "http://127.0.0.1:$port/" >ab.out 2>&1 &
abpid=$!
sleep 1
t0=$(date +%s)
i=0
ok_all=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	st-lb-create "tmp-$i" --port "$((port + i))" --target-port 80 >/dev/null 2>>reload.err &&
	    st-lb-rm "tmp-$i" >/dev/null 2>>reload.err || ok_all=1
done
t1=$(date +%s)
is "$ok_all" 0 'ten load balancers created and removed meanwhile'
[ -s reload.err ] && sed 's/^/# /' reload.err
is "$(( $(reloads) - r0 ))" 20 'HAProxy reloaded 20 times'
ok 'ab was still sending requests when the reloads were done' kill -0 $abpid
wait $abpid
abpid=
done_n=$(awk '/^Complete requests/ {print $3}' ab.out)
failed=$(awk '/^Failed requests/ {print $3}' ab.out)
non2xx=$(awk '/^Non-2xx/ {print $3}' ab.out)
rate=$(awk '/^Requests per second/ {print $4}' ab.out)
echo "# $done_n requests during 20 reloads in $((t1 - t0)) s: $failed failed, ${non2xx:-0} non-2xx, $rate requests/s"
is "${failed:-x} ${non2xx:-0}" '0 0' 'zero failed requests'
ok 'ab completed requests' test "${done_n:-0}" -gt 100
