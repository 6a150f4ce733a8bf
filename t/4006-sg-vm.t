#!/bin/sh
# Security groups cover VMs as they do containers: a VM and two
# containers on one Stampede network on a host with both Docker and
# libvirt; the VM's bridge is the network's Docker bridge, and its
# group admits ICMP from the members of another group only (the test
# guest answers pings and runs no server), following membership.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip_all "nft is needed (share/install-deps)"
lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
need_docker
vm_rm_cluster() {
	for d in $(virsh_ list --all --name | grep '^st-i-'); do
		virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$1</stampede:cluster>" || continue
		virsh_ destroy "$d"; virsh_ undefine --nvram "$d" || virsh_ undefine "$d"
		virsh_ vol-delete --pool stampede "$d.qcow2"; virsh_ vol-delete --pool stampede "$d-seed.iso"
	done
}
at_exit "vm_rm_cluster $cluster"
plan 10

ST_NFT_TABLE=st4006_$$
export ST_NFT_TABLE
at_exit "nft delete table inet $ST_NFT_TABLE"
# one host with both drivers, instead of need_docker's docker-only one
st-host-rm local >/dev/null &&
st-host-add --docker "unix://$docker_sock" --libvirt "$lv" both >/dev/null &&
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline 'console=ttyS0 quiet' >/dev/null || { echo "Bail out! setup failed"; exit 1; }
sub=10.243.$(( $$ % 200 ))
net=$(st-net-create t4006 --subnet "$sub.0/24") || exit 1
at_exit "docker_api DELETE /networks/st-$net"
st-sg-create vms cli >/dev/null &&
st-sg-rule-add --ingress --proto icmp --group cli vms >/dev/null || exit 1

ok 'a VM in group vms on the network: created, scheduled, started' sh -c \
    "st-create --kind vm --image tiny --mem 128M --name vm1 --net t4006 --sg vms | st-schedule | st-start >'$trash/id'"
id=$(cat "$trash/id")
vmip=$(st-inspect vm1 | jq -r .ip)
br=$(st-net-ls -o bridge)
ok "its NIC is on the network's bridge $br" sh -c "virsh -q -c $lv dumpxml st-$id | grep -q \"<source bridge='$br'/>\""
is "$(docker_api GET "/networks/st-$net" | jq -r '.Options["com.docker.network.bridge.name"]')" "$br" 'a bridge Docker made, as the network'"'"'s Docker network'
for c in c1 c2; do
	st-create --image "$test_image" --cpu 0.05 --mem 16M --name "$c" --net t4006 -- sleep 3600 >/dev/null
done
st-sg-attach c1 cli >/dev/null
ok 'the containers started' sh -c 'st-ps -q --state requested | st-schedule | st-start'
n=0; until st-logs vm1 2>/dev/null | grep -q STAMPEDE-GUEST-UP; do n=$((n + 1)); [ $n -gt 360 ] && break; sleep 0.5; done
ok 'the guest is up' test $n -le 360
# ping FROM: 0 when the VM answers within 20 tries (the guest may still
# be setting its address)
ping_() { st-exec "$1" -- busybox ping -c 1 -W 1 "$vmip" >/dev/null 2>&1; }
n=0; until ping_ c1 || [ $n -gt 20 ]; do n=$((n + 1)); done
ok "c1 (in cli) pings the VM at $vmip" test $n -le 20
ok 'c2 (in no group) does not' sh -c "! st-exec c2 -- busybox ping -c 2 -W 1 $vmip"
ok 'the VM is in the ingress map' sh -c "nft list map inet $ST_NFT_TABLE ingress | grep -q '$vmip : jump'"
st-sg-attach c2 cli >/dev/null
ok 'c2 attached to cli: it pings the VM, no manual step' st-exec c2 -- busybox ping -c 1 -W 2 "$vmip"
ok 'st-rm -f all' sh -c 'st-ps -q | st-rm -f'
