#!/bin/sh
# A VM on a Stampede network with a qcow2 volume: a virtio NIC on the
# network's bridge, its address given through the cloud-init
# network-config and answering pings from the host; the volume a virtio
# disk of the guest; all of it gone with the VM.
. "$(dirname "$0")/lib.sh"

lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
cluster=$(st-init 2>/dev/null) || { echo "Bail out! st-init failed"; exit 1; }
vm_rm_cluster() {
	for d in $(virsh_ list --all --name | grep '^st-i-'); do
		virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$1</stampede:cluster>" || continue
		virsh_ destroy "$d"; virsh_ undefine --nvram "$d" || virsh_ undefine "$d"
		virsh_ vol-delete --pool stampede "$d.qcow2"; virsh_ vol-delete --pool stampede "$d-seed.iso"
	done
}
at_exit "vm_rm_cluster $cluster"
st-host-add --libvirt "$lv" lv >/dev/null &&
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline 'console=ttyS0 quiet' >/dev/null || { echo "Bail out! setup failed"; exit 1; }
wait_log() {
	_w=0
	until st-logs "$1" 2>/dev/null | grep -q "$2"; do
		_w=$((_w + 1)); [ $_w -gt 360 ] && return 1; sleep 0.5
	done
}
plan 12

sub=10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0/24
net=$(st-net-create --subnet "$sub" "vmnet-$$") || { echo "Bail out! st-net-create failed"; exit 1; }
at_exit "st-net-rm $net; ip link del stb-$(echo "$net" | cut -c3-13)"
vol=$(st-volume-create --size 64M --backend qcow2 --host lv "vmdata-$$") || { echo "Bail out! st-volume-create failed"; exit 1; }
at_exit "st-volume-rm $vol"

ok 'a VM on a network with a volume: created, scheduled, started' sh -c \
    "st-create --kind vm --image tiny --mem 128M --net '$net' --volume '$vol:/data' --name netvm | st-schedule | st-start >'$trash/id'"
id=$(cat "$trash/id")
bridge=$(st-inspect "$id" | jq -r '.nets[0].bridge')
ip=$(st-inspect "$id" | jq -r '.nets[0].ip')
virsh_ dumpxml "st-$id" >"$trash/dom.xml"
ok "a virtio NIC on the network's bridge $bridge" sh -c \
    "grep -q \"<source bridge='$bridge'/>\" '$trash/dom.xml' && grep -q \"<model type='virtio'/>\" '$trash/dom.xml'"
ok 'the volume is disk vdb' sh -c "grep -A3 \"$(st-inspect "$id" | jq -r '.volumes[0].source')\" '$trash/dom.xml' | grep -q \"<target dev='vdb' bus='virtio'/>\""
ok 'the guest boots' wait_log "$id" STAMPEDE-GUEST-UP
is "$(st-logs "$id" | tr -d '\r' | sed -n 's/^STAMPEDE-GUEST-NET //p')" "$ip/24" \
    'the guest took its address from the seed (network-config v2)'
is "$(st-logs "$id" | tr -d '\r' | sed -n 's/^STAMPEDE-GUEST-DISKS //p')" 'vda vdb vdc ' \
    'the guest sees three disks: its own, the volume, the seed'
n=0; until ping -c 1 -W 1 "$ip" >/dev/null 2>&1; do n=$((n + 1)); [ $n -gt 30 ] && break; sleep 1; done
ok "the host reaches the guest at $ip" test $n -le 30
fails_with 100 'volume' st-volume-rm "$vol"
ok 'st-stop' st-stop --timeout 60 "$id"
ok 'st-rm' st-rm "$id"
is "$(virsh_ list --all --name | grep -c "st-$id")" 0 'no domain left'
ok 'the volume is free again: st-volume-rm' st-volume-rm "$vol"
