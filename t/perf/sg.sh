#!/bin/sh
# t/perf/sg.sh: security groups at scale (figures, not a pass/fail test):
# st-sg-apply's time and the nft rule count for 1,000 instances in 100
# groups of 10 rules each on one host (state rows only, no containers;
# the table is loaded in a namespace made here), then the connection
# latency through that firewall next to no firewall (cli -> fw -> srv
# namespaces, srv being one of the 1,000). Needs root, nft, ip, curl.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
[ "$(id -u)" = 0 ] && command -v nft >/dev/null && command -v ip >/dev/null && command -v curl >/dev/null ||
	{ echo "# sg.sh: needs root, nft, ip and curl"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db ST_HOOKS=$dir/hooks ST_CONF=$dir/none ST_NFT_TABLE=stperf
export ST_STATE ST_HOOKS ST_CONF ST_NFT_TABLE
INST=${INST:-1000} GROUPS_N=${GROUPS_N:-100} RULES=${RULES:-10} CONNS=${CONNS:-200}
p=stperf-$$
fw=$p-fw srv=$p-srv cli=$p-cli
cleanup() {
	for n in $fw $srv $cli; do ip netns pids "$n" 2>/dev/null | xargs -r kill; ip netns del "$n" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
for n in $fw $srv $cli; do ip netns add "$n"; done
link() {
	ip -n "$fw" link add "$2" type veth peer name e0 netns "$1"
	ip -n "$fw" addr add "10.$3.1/16" dev "$2"; ip -n "$fw" link set "$2" up
	ip -n "$1" addr add "10.$3.2/16" dev e0; ip -n "$1" link set e0 up; ip -n "$1" link set lo up
	ip -n "$1" route add default via "10.$3.1"
}
link "$cli" v1 245.0 && link "$srv" v2 244.0
ip netns exec "$fw" sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$dir/www" && echo page >"$dir/www/index.html"
ip netns exec "$srv" busybox httpd -p 80 -h "$dir/www"

st-init >/dev/null 2>&1
st-host-add --no-probe --cpu 1024 --mem 1000T fw >/dev/null
st-net-create big --subnet 10.244.0.0/16 >/dev/null
i=0; while [ $i -lt "$GROUPS_N" ]; do echo "g$i"; i=$((i + 1)); done | st-sg-create >/dev/null
# 10 rules a group: 6 by CIDR, 4 naming other groups
t0=$(date +%s.%N)
i=0
while [ $i -lt "$GROUPS_N" ]; do
	r=0
	while [ $r -lt "$RULES" ]; do
		if [ $r -lt 6 ]; then
			st-sg-rule-add --no-apply --ingress --proto tcp --port $((8000 + r)) --cidr "10.$r.0.0/16" "g$i" >/dev/null
		else
			st-sg-rule-add --no-apply --ingress --proto tcp --port $((9000 + r)) --group "g$(( (i + r) % GROUPS_N ))" "g$i" >/dev/null
		fi
		r=$((r + 1))
	done
	i=$((i + 1))
done
# srv (10.244.0.2) first, in g0, which admits tcp 80 from the cli network
st-sg-rule-add --no-apply --ingress --proto tcp --port 80 --cidr 10.245.0.0/16 g0 >/dev/null
st-create --image a/b:1 --cpu 0.001 --mem 8M --net big:10.244.0.2 --sg g0 --name srv >/dev/null
per=$((INST / GROUPS_N))
i=0
while [ $i -lt "$GROUPS_N" ]; do
	n=$per; [ $i -eq 0 ] && n=$((per - 1))
	st-create --image a/b:1 --cpu 0.001 --mem 8M --net big --sg "g$i" -n "$n" >/dev/null
	i=$((i + 1))
done
st-ps -q | st-schedule >/dev/null
t1=$(date +%s.%N)
echo "setup: $(st-ps -q | wc -l) instances, $(st-sg-ls -q | wc -l) groups, $(st-sg-ls -o ingress | awk '{s+=$1} END {print s}') rules ($(echo "$t1 - $t0" | bc) s)"

best=
for k in 1 2 3; do
	a=$(date +%s%N)
	out=$(ip netns exec "$fw" st-sg-apply -c fw)
	b=$(date +%s%N)
	ms=$(( (b - a) / 1000000 ))
	[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
done
echo "st-sg-apply, 1 host, $INST instances: best of 3 ${best} ms; rules loaded (generator's count): $(echo "$out" | cut -f2)"
h=$(st-host-ls -q)
a=$(date +%s%N); ip netns exec "$fw" nft -c -f "$dir/nft/$h.nft"; b=$(date +%s%N)
echo "of which one nft -c -f of the generated text: $(( (b - a) / 1000000 )) ms (st-sg-apply runs nft -c, nft -f and nft list)"
echo "nft list: $(ip netns exec "$fw" nft list table inet stperf | grep -cE '^\s+(ip|tcp|udp|meta|ct|jump|drop)') rule lines, $(ip netns exec "$fw" nft list map inet stperf ingress | grep -o 'jump' | wc -l) ingress map elements"

lat() {	# the mean connect+response time of CONNS requests, in microseconds
	ip netns exec "$cli" sh -c 'i=0; while [ $i -lt "$1" ]; do curl -s -o /dev/null -w "%{time_total}\n" http://10.244.0.2/; i=$((i + 1)); done' x "$CONNS" |
		awk '{ s += $1 } END { printf "%d", s / NR * 1000000 }'
}
with=$(lat)
ip netns exec "$fw" nft delete table inet stperf
without=$(lat)
echo "latency per connection (curl, $CONNS sequential): through the firewall ${with} us, no firewall ${without} us"
