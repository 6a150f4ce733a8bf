#!/bin/sh
# Load balancers refuse bad input with a clear error and the right exit
# code, the state unchanged, and HAProxy still running its last good
# configuration: ports out of range or taken (by another load balancer,
# or by any program on the machine), names and paths carrying newlines or
# HAProxy syntax, unknown instances and load balancers, remote hosts.
. "$(dirname "$0")/lib.sh"
need_docker
plan 37

hapdir="$trash/state/haproxy/$host"
at_exit 'kill -USR1 $(cat "$hapdir/haproxy.pid")'
at_exit 'st-lb-ls -q | st-lb-rm'
at_exit 'kill $holder'
cfgsum() { sha256sum <"$hapdir/haproxy.cfg" | cut -c1-16; }
mpid() { cat "$hapdir/haproxy.pid"; }

port=$((18100 + $$ % 7000))
st-create --image "$test_image" --name bk-one --cpu 0.1 --mem 16M --label app=b \
    -- sh -c 'echo good >/www/index.html; exec httpd -f -p 80 -h /www' | st-schedule | st-start >/dev/null ||
	{ echo 'Bail out! no container'; exit 1; }
ok 'a good load balancer' st-lb-create good --port "$port" --target-port 80 --check-interval 300 --select app=b
n=0; until [ "$(curl -s -m 2 "http://127.0.0.1:$port/")" = good ] || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
is "$(curl -s -m 2 "http://127.0.0.1:$port/")" good 'it serves'
sum=$(state_sum) cfg=$(cfgsum) pid=$(mpid)

# a port held by a program that is not ours
other=$((port + 1))
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $other)); s.listen(); time.sleep(600)" &
holder=$!
n=0; until ss -ltn | grep -q ":$other " || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done

fails_with 2 "bad --port '0'" st-lb-create x --port 0
fails_with 2 "bad --port '70000'" st-lb-create x --port 70000
fails_with 2 "bad --port 'http'" st-lb-create x --port http
fails_with 2 "--port is required" st-lb-create x
fails_with 100 'already used by another load balancer' st-lb-create x --port "$port"
fails_with 100 'already in use on this machine' st-lb-create x --port "$other"
fails_with 2 'bad --target-port' st-lb-create x --port "$((port + 2))" --target-port 65536
# (through functions: a newline in a command line would break TAP)
nl_name() { st-lb-create "$(printf 'a\nbind :1')" --port "$((port + 2))"; }
nl_check() { st-lb-create x --port "$((port + 2))" --check "$(printf '/a\nserver evil 1.2.3.4:80')"; }
fails_with 2 "unable to create load balancer 'a\\x0abind :1'" nl_name
fails_with 2 "unable to create load balancer 'x y'" st-lb-create 'x y' --port "$((port + 2))"
fails_with 2 "unable to create load balancer 'x#y'" st-lb-create 'x#y' --port "$((port + 2))"
fails_with 2 "unable to create load balancer 'l-0123456789ab'" st-lb-create l-0123456789ab --port "$((port + 2))"
fails_with 100 'the name is taken' st-lb-create good --port "$((port + 2))"
fails_with 2 "bad --check '/a b'" st-lb-create x --port "$((port + 2))" --check '/a b'
fails_with 2 "bad --check '/a\"b'" st-lb-create x --port "$((port + 2))" --check '/a"b'
fails_with 2 "bad --check '/a\\x0aserver" nl_check
fails_with 2 "bad --check '/a#b'" st-lb-create x --port "$((port + 2))" --check '/a#b'
fails_with 2 "bad --check 'index.html'" st-lb-create x --port "$((port + 2))" --check index.html
fails_with 2 '--check PATH is for --mode http' st-lb-create x --port "$((port + 2))" --mode tcp --check /
fails_with 2 "bad --mode 'udp'" st-lb-create x --port "$((port + 2))" --mode udp
fails_with 2 "bad --algo 'random'" st-lb-create x --port "$((port + 2))" --algo random
fails_with 2 "bad --bind 'localhost'" st-lb-create x --port "$((port + 2))" --bind localhost
fails_with 100 'not an address of this machine' st-lb-create x --port "$((port + 2))" --bind 192.0.2.1
fails_with 2 "bad --select 'app'" st-lb-create x --port "$((port + 2))" --select app
fails_with 2 "bad --select 'a b=c'" st-lb-create x --port "$((port + 2))" --select 'a b=c'
fails_with 100 "unable to find host 'nowhere'" st-lb-create x --port "$((port + 2))" --host nowhere
st-host-add --no-probe --docker tcp://192.0.2.1:2376 --insecure --cpu 1 --mem 1G far >/dev/null
sum=$(state_sum)
fails_with 100 'load balancers run on the local host only' st-lb-create x --port "$((port + 2))" --host far
fails_with 100 "unable to find instance 'nosuch'" st-lb-add good nosuch
fails_with 100 "unable to find load balancer 'nosuch'" st-lb-add nosuch bk-one
fails_with 100 "unable to find instance 'nosuch'" sh -c 'echo nosuch | st-lb-add good'
fails_with 100 "unable to find load balancer 'nosuch'" st-lb-rm nosuch
fails_with 100 "unable to find load balancer 'nosuch'" st-lb-stats nosuch
fails_with 100 "unable to find load balancer 'nosuch'" st-lb-del nosuch bk-one

is "$(state_sum)" "$sum" 'the state is unchanged'
is "$(cfgsum) $(mpid)" "$cfg $pid" 'HAProxy runs its last good configuration, same master'
is "$(curl -s -m 2 "http://127.0.0.1:$port/")" good 'and serves'
