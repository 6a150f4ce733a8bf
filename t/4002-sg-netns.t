#!/bin/sh
# Security groups as nftables semantics, in network namespaces this test
# makes: a router namespace "fw" (the host: st-sg-apply runs in it) and
# client and server namespaces routed through it. Allowed ports answer,
# denied ones time out, replies to an instance's own connections come
# back, a --group rule admits members and nobody else, membership and
# rule changes apply at once, a removed rule ends its connections, and
# the generated table re-parses to exactly the intended rules.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null && command -v ip >/dev/null || skip_all "nft and ip are needed (share/install-deps)"
[ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
st-init >/dev/null || exit 1
plan 27

ST_NFT_TABLE=st4002
export ST_NFT_TABLE
p=st4002-$$
fw=$p-fw srv=$p-srv c1=$p-c1 c2=$p-c2
at_exit "for n in $fw $srv $c1 $c2; do ip netns pids \$n | xargs -r kill; ip netns del \$n; done"
for n in $fw $srv $c1 $c2; do ip netns add "$n" || { echo "Bail out! ip netns add $n"; exit 1; }; done
# fw routes 10.249.1.0/24 (c1), 10.249.3.0/24 (c2), 10.249.2.0/24 (srv)
link() {	# link NS IF-IN-FW NET
	ip -n "$fw" link add "$2" type veth peer name e0 netns "$1" &&
	ip -n "$fw" addr add "10.249.$3.1/24" dev "$2" && ip -n "$fw" link set "$2" up &&
	ip -n "$1" addr add "10.249.$3.2/24" dev e0 && ip -n "$1" link set e0 up &&
	ip -n "$1" link set lo up && ip -n "$1" route add default via "10.249.$3.1"
}
link "$c1" v1 1 && link "$srv" v2 2 && link "$c2" v3 3 &&
ip netns exec "$fw" sysctl -qw net.ipv4.ip_forward=1 || { echo "Bail out! unable to make the namespaces"; exit 1; }
mkdir -p www && echo page >www/index.html
ip netns exec "$srv" busybox httpd -p 80 -h www
ip netns exec "$srv" busybox httpd -p 81 -h www
ip netns exec "$c1" busybox httpd -p 8080 -h www
ip netns exec "$c2" busybox httpd -p 8080 -h www
fwx() { ip netns exec "$fw" "$@"; }
# get NS IP PORT: the page, or nothing within 2 s
get() { ip netns exec "$1" curl -s -m 2 "http://$2:$3/" 2>/dev/null; }

# the state: a host (the fw namespace), three networks, instances on them
st-host-add --no-probe --cpu 8 --mem 8G fw >/dev/null
st-net-create n1 --subnet 10.249.1.0/24 >/dev/null
st-net-create n2 --subnet 10.249.2.0/24 >/dev/null
st-net-create n3 --subnet 10.249.3.0/24 >/dev/null
st-sg-create web clients >/dev/null
mk() { st-create --image st-test/x:1 --cpu 0.01 --mem 8M --name "$1" --net "$2" "$3" "$4" >/dev/null; }
mk srv n2:10.249.2.2 --sg web && mk cli1 n1:10.249.1.2 && mk cli2 n3:10.249.3.2 || exit 1
st-ps -q | st-schedule >/dev/null

is "$(get "$c1" 10.249.2.2 81)" page 'before any apply: no filtering'
ok 'st-sg-apply in the fw namespace' fwx st-sg-apply fw
is "$(get "$c1" 10.249.2.2 80)" '' 'a group without rules: port 80 denied'
ok 'rule: tcp 80 from anywhere' fwx st-sg-rule-add --ingress --proto tcp --port 80 --cidr 0.0.0.0/0 web
is "$(get "$c1" 10.249.2.2 80)" page 'an allowed port answers'
t0=$(date +%s)
is "$(get "$c1" 10.249.2.2 81)" '' 'a denied port does not'
is "$(( $(date +%s) - t0 >= 2 ))" 1 'the denied port timed out (dropped, not refused)'
is "$(ip netns exec "$srv" curl -s -m 2 http://10.249.1.2:8080/)" page 'replies to the instance'"'"'s own connections come back'

# egress: allowed unless the group has egress rules
ok 'egress rule: tcp 8080 to n1 only' fwx st-sg-rule-add --egress --proto tcp --port 8080 --cidr 10.249.1.0/24 web
is "$(ip netns exec "$srv" curl -s -m 2 http://10.249.1.2:8080/)" page 'egress allowed by the rule'
is "$(ip netns exec "$srv" curl -s -m 2 http://10.249.3.2:8080/)" '' 'egress elsewhere denied'
is "$(get "$c1" 10.249.2.2 80)" page 'ingress replies still pass with egress rules'

# a --group rule: members only; membership follows without a manual step
ok 'rule: tcp 81 from group clients' fwx st-sg-rule-add --ingress --proto tcp --port 81 --group clients web
is "$(get "$c1" 10.249.2.2 81)" '' 'not a member yet: denied'
ok 'st-sg-attach cli1 clients' fwx st-sg-attach cli1 clients
is "$(get "$c1" 10.249.2.2 81)" page 'a member is admitted'
is "$(get "$c2" 10.249.2.2 81)" '' 'a non-member is not'
is "$(get "$c2" 10.249.2.2 80)" page 'while the rule for everyone still admits it on 80'

# the table re-parses to exactly the rules intended
g_web=$(st-sg-ls --json | jq -r 'select(.name=="web").id' | cut -c3-)
g_cli=$(st-sg-ls --json | jq -r 'select(.name=="clients").id' | cut -c3-)
i_srv=$(st-inspect srv | jq -r .id | cut -c3-)
i_cli1=$(st-inspect cli1 | jq -r .id | cut -c3-)
cat >expected <<EOF
table inet st4002 {
	set g_$g_cli {
		type ipv4_addr
		elements = { 10.249.1.2 }
	}

	map ingress {
		type ipv4_addr : verdict
		elements = { 10.249.1.2 : jump i_$i_cli1, 10.249.2.2 : jump i_$i_srv }
	}

	map egress {
		type ipv4_addr : verdict
		elements = { 10.249.2.2 : jump o_$i_srv }
	}

	chain gi_$g_cli {
	}

	chain gi_$g_web {
		tcp dport 80 accept
		ip saddr @g_$g_cli tcp dport 81 accept
	}

	chain i_$i_cli1 {
		ct state invalid drop
		jump gi_$g_cli
		drop
	}

	chain i_$i_srv {
		ct state invalid drop
		jump gi_$g_web
		drop
	}

	chain o_$i_srv {
		ct state invalid drop
		ip daddr 10.249.1.0/24 tcp dport 8080 return
		drop
	}

	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		ct state established,related accept
		ip saddr vmap @egress
		ip daddr vmap @ingress
	}
}
EOF
# nft sorts chains its own way: compare as sorted blocks
norm() { awk '/^\t(set|map|chain) /{b=$0; next} /^\t}/{print b " | " body; body=""; next} /^\t\t/{gsub(/^\t+/, ""); body=body $0 "; "}' "$1" | sort; }
fwx nft list table inet st4002 >listed
is "$(norm listed)" "$(norm expected)" 'nft lists exactly the intended table'
host=$(st-host-ls -q)
ok 'the generated text passes nft -c' fwx nft -c -f "$trash/state/nft/$host.nft"

# a removed rule ends the connections it allowed: a stream held open
# from cli1 to srv:PORT stops passing data once the rule goes. The
# control: a rule taken out without st-sg-rule-rm's conntrack step
# (--no-apply, then st-sg-apply) leaves its established stream passing.
# stream PORT: a connection from c1 to srv:PORT fed from fd 7, received
# into got-PORT
stream() {
	ip netns exec "$srv" sh -c 'sleep 30 | busybox nc -l -p "$1" >"$0" &' "$trash/got-$1" "$1"
	sleep 0.3
	rm -f feed; mkfifo feed
	ip netns exec "$c1" bash -c 'exec 8<>"/dev/tcp/10.249.2.2/$0" && exec cat <feed >&8' "$1" &
	exec 7>feed
	echo one >&7
	n=0; until grep -q one "got-$1" 2>/dev/null || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
}
fwx st-sg-rule-add --ingress --proto tcp --port 9000-9001 --cidr 10.249.1.0/24 web >/dev/null
stream 9000
fwx st-sg-rule-rm --no-apply --ingress --proto tcp --port 9000-9001 --cidr 10.249.1.0/24 web >/dev/null
fwx st-sg-apply fw >/dev/null
(echo two >&7) 2>/dev/null
n=0; until grep -q two got-9000 2>/dev/null || [ $n -gt 20 ]; do n=$((n + 1)); sleep 0.1; done
is "$(cat got-9000 | tr '\n' ' ')" 'one two ' 'control: a rule gone without the conntrack step leaves its stream passing'
exec 7>&-
fwx st-sg-rule-add --ingress --proto tcp --port 9000-9001 --cidr 10.249.1.0/24 web >/dev/null
stream 9001
is "$(cat got-9001)" one 'a connection allowed by a rule carries data'
ok 'st-sg-rule-rm of that rule' fwx st-sg-rule-rm --ingress --proto tcp --port 9000-9001 --cidr 10.249.1.0/24 web
(echo two >&7) 2>/dev/null
sleep 2
is "$(cat got-9001)" one 'after st-sg-rule-rm its connection carries nothing more'
exec 7>&-

ok 'st-sg-detach cli1 clients' fwx st-sg-detach cli1 clients
is "$(get "$c1" 10.249.2.2 81)" '' 'detached: no longer admitted'
ok 'the table leaves the root namespace alone' sh -c '! nft list table inet st4002 >/dev/null 2>&1'
