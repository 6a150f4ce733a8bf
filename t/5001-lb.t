#!/bin/sh
# Load balancers end to end: three busybox httpd containers serving
# distinct pages behind a real HAProxy; requests go round robin; a
# container killed behind Stampede's back is taken out by the health
# check and no request fails after; a new instance with the selected
# label joins; stopped, removed and st-lb-del'ed targets leave; target
# changes go through the Runtime API; lb.apply.post hooks run.
. "$(dirname "$0")/lib.sh"
need_docker
plan 42

hapdir() { echo "$trash/state/haproxy/$host"; }
# the HAProxy of this test's state file only, even when st-lb-rm fails
at_exit 'kill -USR1 $(cat "$(hapdir)/haproxy.pid")'
at_exit 'st-lb-ls -q | st-lb-rm'
master() { printf 'show proc\n' | socat -t 5 - "UNIX-CONNECT:$(hapdir)/master.sock" 2>/dev/null; }
has_master() { master | grep -q '^[0-9]* *master'; }
# page N: the pages served through the load balancer, one per request
page() { curl -s -m 5 "http://127.0.0.1:$port/"; }
# wait_stat NAME STATUS: until st-lb-stats shows the target so (10 s)
wait_stat() {
	_i=0
	until [ "$(st-lb-stats -o name,status lb-web 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }')" = "$2" ]; do
		_i=$((_i + 1)); [ $_i -gt 100 ] && return 1; sleep 0.1
	done
}
web() {	# web N [label...]: a container serving "page N"
	_w=$1; shift
	st-create --image "$test_image" --name "web-$_w" --cpu 0.2 --mem 32M "$@" --env "N=$_w" \
	    -- sh -c 'echo "page $N" >/www/index.html; exec httpd -f -p 80 -h /www'
}

port=$((11000 + $$ % 7000))
for i in 1 2 3; do web $i --label app=web || exit 1; done >ids
ok 'three containers started' sh -c "st-schedule <ids | st-start >started"
is "$(wc -l <started | tr -d ' ')" 3 'st-start printed three IDs'

# addresses: what Docker gave them on its bridge, recorded after the start
id1=$(sed -n 1p ids)
dip=$(docker_api GET "/containers/st-$id1/json" | jq -r .NetworkSettings.IPAddress)
is "$(sqlite3 "$ST_STATE" "SELECT ip FROM addresses WHERE instance = '$id1' AND net IS NULL")" "$dip" \
    "the address Docker reports ($dip) is recorded"

mkdir -m 755 "$ST_HOOKS/lb.apply.post.d"
chmod 755 "$ST_HOOKS"
printf '#!/bin/sh\nread -r j\necho "$ST_ID $(echo "$j" | jq -r .name) $(echo "$j" | jq -r .targets)" >>"%s/applied"\n' "$trash" \
    >"$ST_HOOKS/lb.apply.post.d/50-log"
chmod 755 "$ST_HOOKS/lb.apply.post.d/50-log"

ok 'st-lb-create with --select app=web' \
    st-lb-create lb-web --port "$port" --target-port 80 --check /index.html --check-interval 300 --select app=web
lb=$(cat out)
is "$(echo "$lb" | cut -c1-2)" l- 'it prints the new ID'
ok 'HAProxy master-worker runs for this state file' has_master
ok 'its configuration passes haproxy -c' haproxy -c -q -f "$(hapdir)/haproxy.cfg"
is "$(grep -c "^	server s[0-9]* 172\." "$(hapdir)/haproxy.cfg")" 3 'three enabled servers in it'
is "$(tail -1 applied)" "$lb lb-web 3" 'lb.apply.post ran with the load balancer on stdin'
is "$(st-lb-ls -o name,port,mode,algo,targets,select)" "lb-web	$port	http	roundrobin	3	app=web" 'st-lb-ls'

wait_stat web-3 UP
for i in 1 2 3 4 5 6 7 8 9; do page; done >pages
is "$(sort pages | uniq -c | awk '{print $1}' | tr '\n' ' ')" '3 3 3 ' 'nine requests: each backend served three'
is "$(sed -n 1,3p pages | sort -u | wc -l | tr -d ' ')$(sed -n 4,6p pages | sort -u | wc -l | tr -d ' ')" 33 \
    'in round robin: every three in a row are three backends'
is "$(st-lb-stats -o name,status lb-web | sort | tr '\t\n' ' ')" 'web-1 UP web-2 UP web-3 UP ' 'st-lb-stats: three targets up'
is "$(st-lb-stats -j lb-web | jq -s 'map(.sessions_total) | add')" 9 'st-lb-stats: HAProxy counted the nine sessions'

# a container killed behind Stampede's back
id3=$(sed -n 3p ids)
docker_api POST "/containers/st-$id3/kill" >/dev/null
ok 'the health check marks the killed backend down' wait_stat web-3 DOWN
ab -q -n 300 -c 4 "http://127.0.0.1:$port/" >ab.out 2>&1
is "$(awk '/^Complete requests/ {c=$3} /^Failed requests/ {f=$3} /^Non-2xx/ {n=$3} END {print c+0, f+0, n+0}' ab.out)" '300 0 0' \
    '300 requests after it is marked down: none fails'
for i in 1 2 3 4 5 6; do page; done >pages
is "$(sort -u pages | tr '\n' ' ')" 'page 1 page 2 ' 'the others serve'

# a new instance with the selected label joins, through the Runtime API
web 4 --label app=web | st-schedule | st-start >/dev/null
ok 'a new instance with the label joins' wait_stat web-4 UP
is "$(st-events -j | jq -r 'select(.event == "lb.apply") | .detail.how' | tail -1)" runtime 'without a reload'
for i in 1 2 3 4 5 6; do page; done >pages
is "$(sort -u pages | tr '\n' ' ')" 'page 1 page 2 page 4 ' 'it serves'

# stopped: it leaves
st-stop --timeout 1 web-1 >/dev/null
is "$(st-lb-stats -o name lb-web | grep -c web-1)" 0 'a stopped instance leaves'
for i in 1 2 3 4 5 6; do page; done >pages
is "$(sort -u pages | tr '\n' ' ')" 'page 2 page 4 ' 'and gets no request'

# st-lb-add from stdin, st-lb-del
web 5 | st-schedule | st-start >/dev/null
ok 'st-lb-add reads instances from stdin' sh -c 'echo web-5 | st-lb-add lb-web'
is "$(cat out)" "$(st-inspect web-5 | jq -r .id)" 'and prints their IDs'
ok 'the added target comes up' wait_stat web-5 UP
for i in 1 2 3 4 5 6; do page; done >pages
is "$(sort -u pages | tr '\n' ' ')" 'page 2 page 4 page 5 ' 'it serves'
ok 'st-lb-del' st-lb-del lb-web web-5
for i in 1 2 3 4 5 6; do page; done >pages
is "$(sort -u pages | tr '\n' ' ')" 'page 2 page 4 ' 'a deleted target gets no request'
printf 'show servers state b-%s\n' "$lb" | socat - "UNIX-CONNECT:$(hapdir)/admin.sock" >servers
# (s3 is web-3's: Docker may have given its address to web-4 since)
is "$(awk '$4 == "s1" || $4 == "s2" || $4 == "s4" { print $4, ($6 == 2 ? "up" : "down"), ($7 % 2 ? "maint" : "ready") }' servers | tr '\n' ' ')" \
    's1 down maint s2 up ready s4 up ready ' 'HAProxy itself: web-5 (s1) in maintenance, web-2 and web-4 up'

# removed: it leaves the state
st-rm -f web-4 >/dev/null
is "$(sqlite3 "$ST_STATE" "SELECT group_concat(slot, ' ') FROM lb_targets WHERE lb = '$lb'")" '2 3' \
    'a removed instance leaves (web-3, killed, is still in the state)'

# tcp mode, leastconn, a target by hand: a new listener is a reload
ok 'a second load balancer: tcp, leastconn' st-lb-create lb-tcp --mode tcp --algo leastconn --port "$((port + 1))" --target-port 80
tcp=$(cat out)
st-lb-add lb-tcp web-2 >/dev/null
n=0; until [ "$(curl -s -m 2 "http://127.0.0.1:$((port + 1))/")" = 'page 2' ] || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
is "$(curl -s -m 2 "http://127.0.0.1:$((port + 1))/")" 'page 2' 'it serves its one target'
is "$(st-events -j | jq -r 'select(.event == "lb.apply" and .object == "'"$tcp"'") | .detail.how' | tr '\n' ' ')" 'reload runtime ' \
    'its listener came with a reload, its target through the Runtime API'

# HAProxy killed (a crash, a reboot): st-reconcile starts it again, and
# so does the next command on the host
kill_haproxy() {
	mpid=$(cat "$(hapdir)/haproxy.pid")
	kill -KILL $(cat /proc/"$mpid"/task/*/children) "$mpid"
	n=0; while kill -0 "$mpid" 2>/dev/null && [ "$(cut -d' ' -f3 /proc/"$mpid"/stat 2>/dev/null)" != Z ] && [ $n -lt 50 ]; do n=$((n + 1)); sleep 0.1; done
}
kill_haproxy
ok 'st-reconcile after HAProxy died' st-reconcile
is "$(grep lb-applied out | sort | tr '\t\n' '  ')" "$(printf '%s lb-applied start\n%s lb-applied start\n' "$lb" "$tcp" | sort | tr '\n' ' ')" \
    'it started HAProxy again with both load balancers'
ok 'HAProxy runs' has_master
kill_haproxy
ok 'st-lb-del after HAProxy died' st-lb-del lb-tcp web-2
ok 'HAProxy runs again' has_master
wait_stat web-3 DOWN	# started again, it checks its servers afresh
is "$(page)" 'page 2' 'and lb-web serves again'
st-lb-rm lb-tcp >/dev/null

ok 'st-lb-rm' st-lb-rm lb-web
ok 'HAProxy stops with its last load balancer' eval '! has_master'
ok 'and the port is free again' sh -c "! curl -s -m 2 http://127.0.0.1:$port/"
