#!/bin/sh
# VMs end to end through libvirtd and QEMU: a real tiny guest (the Debian
# cloud kernel, a busybox initramfs, t/vmimage.sh) boots from its own
# qcow2 overlay, reads its cloud-init seed and prints a marker on the
# serial console; it is stopped gracefully (ACPI) and removed, leaving no
# domain and no disk, as libvirt itself tells.
. "$(dirname "$0")/lib.sh"

lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
cluster=$(st-init 2>/dev/null) || { echo "Bail out! st-init failed"; exit 1; }
# every domain of this cluster and its disks go, whatever happens
vm_rm_cluster() {
	for d in $(virsh_ list --all --name | grep '^st-i-'); do
		virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$1</stampede:cluster>" || continue
		virsh_ destroy "$d"; virsh_ undefine --nvram "$d" || virsh_ undefine "$d"
		virsh_ vol-delete --pool stampede "$d.qcow2"; virsh_ vol-delete --pool stampede "$d-seed.iso"
	done
}
at_exit "vm_rm_cluster $cluster"
# wait_log ID TEXT: the console log holds TEXT within 180 s (TCG, busy CI)
wait_log() {
	_w=0
	until st-logs "$1" 2>/dev/null | grep -q "$2"; do
		_w=$((_w + 1)); [ $_w -gt 360 ] && return 1; sleep 0.5
	done
}
plan 26

host=$(st-host-add --libvirt "$lv" lv) || { echo "Bail out! st-host-add --libvirt failed"; exit 1; }
is "$(st-host-ls -o kinds,libvirt)" "vm	$lv" 'the host takes VMs, by its libvirt URI'
ok 'st-image-add registers the template' st-image-add tiny --qcow2 "$vmdir/disk.qcow2" \
    --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" --cmdline 'console=ttyS0 quiet'
is "$(st-image-ls -o name,size,instances)" "tiny	64M	0" 'st-image-ls: its name, virtual size (from the qcow2 header), no user'

ok 'create, schedule and start a VM in one pipeline' sh -c \
    "st-create --kind vm --image tiny --name guest-1 --cpu 2 --mem 192M --disk 96M | st-schedule | st-start >'$trash/started'"
id=$(cat "$trash/started")
dom=st-$id
is "$(virsh_ domstate "$dom")" running 'libvirt shows the domain st-ID running'
virsh_ dumpxml "$dom" >"$trash/dom.xml"
ok 'its metadata names this cluster and the instance' sh -c \
    "grep -q '<stampede:cluster>$cluster</stampede:cluster>' '$trash/dom.xml' && grep -q '<stampede:id>$id</stampede:id>' '$trash/dom.xml'"
want_type=qemu; [ -e /dev/kvm ] && want_type=kvm
ok "domain type $want_type (kvm only where /dev/kvm is)" grep -q "<domain type='$want_type'" "$trash/dom.xml"
ok 'limits are real: 2 vCPUs and 192 MiB' sh -c \
    "grep -q \"<vcpu placement='static'>2</vcpu>\" '$trash/dom.xml' && grep -q \"<memory unit='KiB'>196608</memory>\" '$trash/dom.xml'"
virsh_ vol-dumpxml --pool stampede "$dom.qcow2" >"$trash/vol.xml" 2>&1
ok 'its disk is a qcow2 overlay on the template, in the pool' grep -q "<path>$vmdir/disk.qcow2</path>" "$trash/vol.xml"
ok 'the overlay has the --disk size' grep -q "<capacity unit='bytes'>100663296</capacity>" "$trash/vol.xml"

ok 'the guest boots and prints its marker on the serial console' wait_log "$id" 'STAMPEDE-GUEST-UP'
is "$(st-logs "$id" | tr -d '\r' | sed -n 's/^STAMPEDE-GUEST-UP //p' | head -1)" guest-1 \
    'the guest read its hostname from the cloud-init seed'
st-console --log "$id" >"$trash/console" 2>&1
ok 'st-console --log prints what the guest wrote' grep -q STAMPEDE-GUEST-UP "$trash/console"
# the console is live: a command typed into it is answered
n=0
until (sleep 1; echo 'echo answer-$((6*7))') | st-console "$id" 2>/dev/null | tr -d '\r' | grep -q '^answer-42'; do
	n=$((n + 1)); [ $n -gt 10 ] && break; sleep 1
done
ok 'st-console attaches: the guest shell answers a command' test $n -le 10
fails_with 100 'no exec' st-exec "$id" -- true

ok 'st-stop: ACPI shutdown' st-stop --timeout 120 "$id"
is "$(virsh_ domstate "$dom")" 'shut off' 'libvirt shows it shut off'
ok 'the guest powered itself off (graceful, not destroyed)' sh -c "st-logs '$id' | grep -q STAMPEDE-GUEST-POWEROFF"
is "$(st-ps -a -o state)" stopped 'st-ps: stopped'
ok 'st-start again' st-start "$id"
ok 'it boots again' sh -c "n=0; until [ \$(st-logs '$id' | grep -c STAMPEDE-GUEST-UP) -ge 2 ]; do n=\$((n+1)); [ \$n -gt 360 ] && exit 1; sleep 0.5; done"
fails_with 100 'in use' st-image-rm tiny

ok 'st-rm -f removes the running VM' st-rm -f "$id"
is "$(virsh_ list --all --name | grep -c "^$dom\$")" 0 'libvirt has no domain st-ID left'
is "$(virsh_ vol-list --pool stampede | grep -c "$dom")" 0 'the pool has no disk of it left (overlay, seed)'
is "$(st-ps -a -q | wc -l | tr -d ' ')" 0 'nothing left in the state'
