#!/bin/sh
# Networks and their addresses in the state file (no Docker needed):
# creation and its bad input, allocation (the lowest free, a requested
# one, reserved ones skipped), a full subnet, all-or-nothing st-create,
# addresses returned by st-rm, st-net-rm refused in use, and 200
# instances created and removed by parallel pipelines never sharing one.
. "$(dirname "$0")/lib.sh"
st-init >/dev/null || exit 1
plan 52

st-host-add --no-probe --cpu 1000 --mem 1T h1 >/dev/null
ok 'st-net-create' st-net-create front --subnet 10.251.0.0/29
net=$(cat "$trash/out")
is "$(st-net-ls -o name,subnet,gateway,addresses)" "front	10.251.0.0/29	10.251.0.1	0" 'st-net-ls: subnet, default gateway, no address used'
is "$(st-net-ls -o bridge)" "stb-$(echo "$net" | cut -c3-13)" 'the bridge name: stb- and 11 hex of the ID (15 chars)'
is "$(st-inspect front | jq -r '"\(.id) \(.prefix) \(.size)"')" "$net 29 5" 'st-inspect shows the network'

# bad input: usage errors (2) with the reason, nothing recorded
sum=$(state_sum)
fails_with 2 "bad --subnet '10.251.1.0/33'" st-net-create x --subnet 10.251.1.0/33
fails_with 2 "host bits set" st-net-create x --subnet 10.251.1.1/24
fails_with 2 "not a CIDR" st-net-create x --subnet 10.251.1/24
fails_with 2 "not a CIDR" st-net-create x --subnet '10.251.1.0/24;drop'
fails_with 2 "not a CIDR" st-net-create x --subnet 300.1.1.0/24
fails_with 2 "prefix length is 8 to 30" st-net-create x --subnet 10.251.1.0/31
fails_with 2 "not a host address of the subnet" st-net-create x --subnet 10.251.1.0/24 --gateway 10.251.2.1
fails_with 2 "not a host address of the subnet" st-net-create x --subnet 10.251.1.0/24 --gateway 10.251.1.255
fails_with 2 "--subnet is required" st-net-create x
fails_with 2 "unable to create network 'x y'" st-net-create 'x y' --subnet 10.251.1.0/24
fails_with 100 "overlaps network 'front'" st-net-create x --subnet 10.251.0.0/16
fails_with 100 "name already taken" st-net-create front --subnet 10.252.0.0/24
fails_with 2 "bad --net" st-create --image a/b:1 --net 'front:10.251.0.300'
fails_with 100 "unable to find network 'nope'" st-create --image a/b:1 --net nope
fails_with 2 "is on network '$net' once" st-create --image a/b:1 --net front --net "$net"
is "$(state_sum)" "$sum" 'the state is unchanged by all of these'

# allocation: the lowest free address; gateway and the ends skipped
st-create --image a/b:1 --cpu 0.01 --mem 8M --net front -n 2 >ids || exit 1
is "$(st-ps -o ip | tr '\n' ' ')" '10.251.0.2 10.251.0.3 ' 'addresses from the lowest free, past the gateway'
is "$(st-inspect "$(sed -n 1p ids)" | jq -c '.nets[0] | [.name, .ip, .prefix, .gateway, .bridge[0:4]]')" \
    '["front","10.251.0.2",29,"10.251.0.1","stb-"]' 'st-inspect: nets with ip, prefix, gateway, bridge'
fails_with 100 "10.251.0.3 of network 'front' is in use" st-create --image a/b:1 --net front:10.251.0.3
fails_with 100 "is reserved (the gateway)" st-create --image a/b:1 --net front:10.251.0.1
fails_with 100 "is reserved (the broadcast address)" st-create --image a/b:1 --net front:10.251.0.7
fails_with 100 "is reserved (the network address)" st-create --image a/b:1 --net front:10.251.0.0
fails_with 100 "is not in network 'front' (10.251.0.0/29)" st-create --image a/b:1 --net front:10.251.1.2
fails_with 2 "one address cannot go to 2 instances" st-create --image a/b:1 -n 2 --net front:10.251.0.5
ok 'a requested address' st-create --image a/b:1 --cpu 0.01 --mem 8M --name fixed --net front:10.251.0.6
is "$(st-inspect fixed | jq -r .ip)" 10.251.0.6 'it is the one asked for'
# 5 usable in a /29: 2 3 6 taken, 4 5 left; 3 more in one call fail whole
sum=$(state_sum)
fails_with 100 "network 'front' is full" st-create --image a/b:1 --cpu 0.01 --mem 8M --net front -n 3
is "$(state_sum)" "$sum" 'all or nothing: none of the 3 was recorded'
ok 'the last 2 fit' st-create --image a/b:1 --cpu 0.01 --mem 8M --net front -n 2
fails_with 100 "network 'front' is full: no free address left" st-create --image a/b:1 --net front
is "$(st-net-ls -o addresses)" 5 'st-net-ls: 5 addresses in use'

# two networks: addresses in order, the first is ip
st-net-create back --subnet 10.251.8.0/24 --gateway 10.251.8.254 >/dev/null
fails_with 100 "network 'front' is full" st-create --image a/b:1 --name two --net back --net front
ok 'st-rm gives an address back' st-rm fixed
ok 'two networks' st-create --image a/b:1 --cpu 0.01 --mem 8M --name two --net back --net front
is "$(st-inspect two | jq -c '[.ip, [.nets[].ip]]')" '["10.251.8.1",["10.251.8.1","10.251.0.6"]]' 'ip is the first; nets in order; 10.251.8.1 is not the gateway here'
is "$(st-ps --json | jq -r 'select(.name=="two") | .ip')" 10.251.8.1 'st-ps --json shows ip'
fails_with 100 "in use: 5 instance addresses on it" st-net-rm front
# an address a driver reported (net NULL, the load balancers' rows) is
# tolerated and never allocated from
id2=$(st-inspect two | jq -r .id)
sqlite3 "$ST_STATE" "INSERT INTO addresses (instance, idx, net, ip) VALUES ('$id2', 5, NULL, '10.251.8.2')"
ok 'a driver-reported address alongside' st-create --image a/b:1 --cpu 0.01 --mem 8M --name three --net back
is "$(st-inspect three | jq -r .ip)" 10.251.8.2 'Stampede allocation ignores driver-reported rows'
is "$(st-inspect two | jq -c '[.ip, (.nets | length)]')" '["10.251.8.1",2]' 'nets lists only Stampede networks'

st-ps -a -q | st-rm >/dev/null
is "$(st-net-ls -o addresses | tr '\n' ' ')" '0 0 ' 'every address returned once the instances are gone'
ok 'st-net-rm when unused' st-net-rm front back
is "$(st-net-ls | wc -l | tr -d ' ')" 0 'no network left'

# 200 instances by 4 parallel pipelines of create and remove: an address
# is never held by two instances at once
st-net-create big --subnet 10.251.16.0/24 >/dev/null
for p in 1 2 3 4; do
	(
		i=0
		while [ $i -lt 50 ]; do
			st-create --image a/b:1 --cpu 0.01 --mem 8M --net big --label p=$p || exit 1
			i=$((i + 1))
			# every third one removed again at once: addresses recycle
			[ $((i % 3)) -eq 0 ] && st-ps -q --label p=$p | tail -n 1 | st-rm >/dev/null
		done
	) >"par-$p" 2>"par-$p.err" &
done
wait
is "$(cat par-1 par-2 par-3 par-4 | wc -l | tr -d ' ')" 200 '200 instances created by 4 parallel pipelines'
is "$(cat par-*.err)" '' 'no pipeline failed'
live=$(st-ps -a -o ip | wc -l | tr -d ' ')
is "$(st-ps -a -o ip | sort -u | wc -l | tr -d ' ')" "$live" "the $live left hold $live distinct addresses"
is "$(sqlite3 "$ST_STATE" "SELECT count(*) FROM (SELECT ip FROM addresses GROUP BY net, ip HAVING count(*) > 1)")" 0 'the state holds no address twice'
st-ps -a -q >all
for p in 1 2; do sed -n "${p}~2p" all | st-rm >/dev/null & done
wait
is "$(st-net-ls -o addresses)" 0 'removed by parallel pipelines: every address back'
