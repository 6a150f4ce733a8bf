#!/bin/sh
# Networks and security groups with real containers on a real bridge:
# the Docker network made with Stampede's bridge name and subnet, static
# addresses, and the table (in the root namespace, under this test's own
# name) admitting what the groups allow and nothing else, following
# membership, start/stop, and st-reconcile after the table is deleted.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip_all "nft is needed (share/install-deps)"
need_docker
plan 31

# this test's own table: the machine's `inet stampede` stays untouched
ST_NFT_TABLE=st4003_$$
export ST_NFT_TABLE
at_exit "nft delete table inet $ST_NFT_TABLE"
net=$(st-net-create t4003 --subnet 10.248.$(( $$ % 200 )).0/24) || exit 1
sub=10.248.$(( $$ % 200 ))
at_exit "docker_api DELETE /networks/st-$net"
st-sg-create srv cli >/dev/null || exit 1
st-sg-rule-add --ingress --proto tcp --port 80 --group cli srv >/dev/null || exit 1

mk() {	# mk NAME [--sg SG]: httpd on 80 and 81, then sleep
	st-create --image "$test_image" --cpu 0.05 --mem 16M --name "$@" --net t4003 -- \
	    sh -c 'echo "page of $HOSTNAME" >/www/index.html; httpd -p 80 -h /www; httpd -p 81 -h /www; exec sleep 3600' >/dev/null
}
mk s1 --sg srv && mk c1 --sg cli && mk c2 || exit 1
ok 'scheduled and started' sh -c 'st-ps -q | st-schedule | st-start'
s1=$(st-inspect s1 | jq -r .ip) c1=$(st-inspect c1 | jq -r .ip)
is "$s1 $c1" "$sub.2 $sub.3" 'addresses allocated in order'
ids1=$(st-inspect s1 | jq -r .id)
is "$(docker_api GET "/containers/st-$ids1/json" | jq -r ".NetworkSettings.Networks[\"st-$net\"].IPAddress")" "$s1" 'Docker gave the container its static address'
br=$(st-net-ls -o bridge)
is "$(docker_api GET "/networks/st-$net" | jq -r '[.Options["com.docker.network.bridge.name"], .IPAM.Config[0].Subnet, .IPAM.Config[0].Gateway, .Labels["io.stampede.cluster"]] | join(" ")')" \
    "$br $sub.0/24 $sub.1 $cluster" 'the Docker network: our bridge name, subnet, gateway, cluster label'
ok "the bridge $br exists" ip link show "$br"

# get FROM IP PORT: the page, or nothing within 2 s
get() { st-exec "$1" -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $2 $3 2>/dev/null | tail -n 1"; }
until [ -n "$(get s1 127.0.0.1 80)" ] || [ "${n:=0}" -gt 50 ]; do n=$((n + 1)); sleep 0.1; done
is "$(get c1 "$s1" 80 | cut -c1-8)" 'page of ' 'a member of cli reaches s1:80'
is "$(get c1 "$s1" 81)" '' 'port 81 is not allowed: no answer'
is "$(get c2 "$s1" 80)" '' 'c2, not a member, gets no answer on 80'
is "$(get s1 "$c1" 80)" '' 'c1 admits nothing (cli has no rules), yet its own connections above got their replies'
ok 'nft shows s1 and c1 in the ingress map' sh -c "nft list map inet $ST_NFT_TABLE ingress | grep -q '$s1 : jump' && nft list map inet $ST_NFT_TABLE ingress | grep -q '$c1 : jump'"
ok 'the cli set holds c1' sh -c "nft list table inet $ST_NFT_TABLE | grep -A3 'set g_' | grep -q '$c1'"

ok 'st-sg-attach c2 cli' st-sg-attach c2 cli
is "$(get c2 "$s1" 80 | cut -c1-8)" 'page of ' 'membership changed: c2 now reaches s1:80, no manual step'
ok 'st-sg-detach c2 cli' st-sg-detach c2 cli
is "$(get c2 "$s1" 80)" '' 'detached: denied again'

# start and stop re-apply on the host
ok 'st-stop s1' st-stop --timeout 1 s1
ok 'st-start s1' st-start s1
until [ -n "$(get s1 127.0.0.1 80)" ] || [ "${m:=0}" -gt 50 ]; do m=$((m + 1)); sleep 0.1; done
is "$(get c1 "$s1" 80 | cut -c1-8)" 'page of ' 'after stop and start: still admitted'
is "$(get c2 "$s1" 80)" '' 'after stop and start: still denied'

# a flushed or deleted table: st-reconcile loads it again
nft delete table inet "$ST_NFT_TABLE"
is "$(get c2 "$s1" 80 | cut -c1-8)" 'page of ' 'with the table gone, nothing is filtered'
st-reconcile >rec 2>/dev/null
ok 'st-reconcile says it applied the table again' grep -q 'sg-apply' rec
is "$(get c2 "$s1" 80)" '' 'and c2 is denied again'
st-reconcile >rec2 2>/dev/null
is "$(grep -c sg-apply rec2)" 0 'a second st-reconcile finds nothing to do'

# a flow c1 holds open to s1:80, then c1 removed: its tracked flows go
# with it, or the address given again would inherit what they allowed
st-exec c1 -- sh -c "sleep 30 | nc $s1 80" >/dev/null 2>&1 &
flow=$!
until [ "$(conntrack -L -s "$c1" -p tcp --dport 80 2>/dev/null | grep -c ESTABLISHED)" -gt 0 ] || [ "${f:=0}" -gt 100 ]; do
	f=$((f + 1)); sleep 0.1
done
is "$(conntrack -L -s "$c1" -p tcp --dport 80 2>/dev/null | grep -c ESTABLISHED)" 1 'c1 holds a tracked flow to s1:80'
ok 'st-rm -f c1' st-rm -f c1
kill "$flow" 2>/dev/null; wait "$flow" 2>/dev/null
is "$(conntrack -L -s "$c1" 2>/dev/null | grep -c .)" 0 'after its removal no flow from its address is tracked (Docker deletes them too; st-rm does it for VMs as well)'
ok 'c1 left the ingress map and the cli set with its removal' sh -c "! nft list table inet $ST_NFT_TABLE | grep -q '$c1'"
ok 'st-rm -f all' sh -c 'st-ps -q | st-rm -f'
ok 'st-net-rm' st-net-rm t4003
is "$(docker_api GET "/networks/st-$net" -o /dev/null -w '%{http_code}')" 404 'the Docker network is gone'
ok "and with it the bridge" sh -c "! ip link show $br 2>/dev/null"
