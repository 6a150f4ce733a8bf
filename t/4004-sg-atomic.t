#!/bin/sh
# st-sg-apply replaces a host's table in one nft transaction: while
# rules are changed and the table reloaded in a loop, a stream of
# allowed connections never fails and a stream of denied ones never
# succeeds. In namespaces this test makes (fw routes cli to srv).
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null && command -v ip >/dev/null || skip_all "nft and ip are needed (share/install-deps)"
[ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
st-init >/dev/null || exit 1
plan 7

ST_NFT_TABLE=st4004
export ST_NFT_TABLE
p=st4004-$$
fw=$p-fw srv=$p-srv cli=$p-cli
at_exit "for n in $fw $srv $cli; do ip netns pids \$n | xargs -r kill; ip netns del \$n; done"
for n in $fw $srv $cli; do ip netns add "$n" || { echo "Bail out! ip netns add $n"; exit 1; }; done
link() {	# link NS IF-IN-FW NET
	ip -n "$fw" link add "$2" type veth peer name e0 netns "$1" &&
	ip -n "$fw" addr add "10.247.$3.1/24" dev "$2" && ip -n "$fw" link set "$2" up &&
	ip -n "$1" addr add "10.247.$3.2/24" dev e0 && ip -n "$1" link set e0 up &&
	ip -n "$1" link set lo up && ip -n "$1" route add default via "10.247.$3.1"
}
link "$cli" v1 1 && link "$srv" v2 2 &&
ip netns exec "$fw" sysctl -qw net.ipv4.ip_forward=1 || { echo "Bail out! unable to make the namespaces"; exit 1; }
mkdir -p www && echo page >www/index.html
ip netns exec "$srv" busybox httpd -p 80 -h www
ip netns exec "$srv" busybox httpd -p 81 -h www
fwx() { ip netns exec "$fw" "$@"; }

st-host-add --no-probe --cpu 8 --mem 8G fw >/dev/null
st-net-create n2 --subnet 10.247.2.0/24 >/dev/null
st-sg-create web >/dev/null
st-create --image st-test/x:1 --cpu 0.01 --mem 8M --name srv --net n2:10.247.2.2 --sg web >/dev/null
st-ps -q | st-schedule >/dev/null
fwx st-sg-rule-add --ingress --proto tcp --port 80 --cidr 10.247.1.0/24 web >/dev/null
is "$(ip netns exec "$cli" curl -s -m 2 http://10.247.2.2:80/)" page 'port 80 allowed'
is "$(ip netns exec "$cli" curl -s -m 1 http://10.247.2.2:81/)" '' 'port 81 denied'

# the loop: a rule added and removed, each change a whole new table
(
	i=0
	while [ ! -e stop ] && [ $i -lt 400 ]; do
		fwx st-sg-rule-add --ingress --proto udp --port $((7000 + i % 50)) --cidr 10.247.1.0/24 web >/dev/null &&
		fwx st-sg-rule-rm --ingress --proto udp --port $((7000 + i % 50)) --cidr 10.247.1.0/24 web >/dev/null || echo fail
		i=$((i + 1))
	done
	echo "$i" >loops
) >loop.err 2>&1 &
# the streams: 60 allowed connections, 30 denied ones, in parallel
(
	k=0
	while [ $k -lt 60 ]; do
		ip netns exec "$cli" curl -s -m 2 http://10.247.2.2:80/ >/dev/null || echo "allowed $k failed"
		k=$((k + 1)); sleep 0.05
	done
) >allowed.out &
a=$!
(
	k=0
	while [ $k -lt 30 ]; do
		ip netns exec "$cli" curl -s -m 0.3 http://10.247.2.2:81/ >/dev/null && echo "denied $k got through"
		k=$((k + 1))
	done
) >denied.out &
d=$!
wait $a $d
touch stop
wait
loops=$(cat loops)
ok "the table was replaced many times meanwhile ($((loops * 2)) applies)" test "$loops" -ge 5
is "$(cat allowed.out)" '' 'no allowed connection failed'
is "$(cat denied.out)" '' 'no denied connection got through'
is "$(grep -c fail loop.err)" 0 'every apply succeeded'
is "$(fwx nft list chain inet st4004 forward | grep -c 'vmap')" 2 'the table is whole at the end'
