#!/bin/sh
# t/perf/vm.sh: the cost of starting VMs through Stampede next to QEMU
# run by hand, in one run (figures, not a pass/fail test): the time from
# `st-start` to the guest's console marker against the same guest
# (kernel, initrd, overlay disk, seed, memory) started by
# qemu-system-x86_64 directly, median of RUNS; then `st-create -n 10 |
# st-schedule | st-start` of 10 VMs in one pipeline. Needs libvirtd.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "# vm.sh: libvirtd is not running"; exit 0; }
vmdir=$(sh "$top/t/vmimage.sh")
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db
export ST_STATE
RUNS=${RUNS:-5}
MEM=${MEM:-128M}
cleanup() {
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
	[ -z "${qpid:-}" ] || kill "$qpid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
st-init >/dev/null 2>&1
st-host-add --libvirt qemu:///system lv >/dev/null
cmdline='console=ttyS0 quiet'
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline "$cmdline" >/dev/null

ms() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time * 1000'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# until FILE holds the marker (120 s at most)
marker() {
	_i=0
	until grep -q STAMPEDE-GUEST-UP "$1" 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -gt 6000 ] && return 1; sleep 0.02
	done
}
accel=tcg; [ -e /dev/kvm ] && accel=kvm

: >"$dir/st"; : >"$dir/qe"
i=0
while [ $i -lt "$RUNS" ]; do
	id=$(st-create --kind vm --image tiny --mem "$MEM" --name "perf-$i" | st-schedule | cut -f1)
	t0=$(ms)
	st-start -q "$id" >/dev/null
	awk -v a="$(ms)" -v b="$t0" 'BEGIN { print a - b }' >>"$dir/call"
	marker "/var/log/libvirt/qemu/st-$id-console.log"
	awk -v a="$(ms)" -v b="$t0" 'BEGIN { print a - b }' >>"$dir/st"
	st-rm -f "$id" >/dev/null

	# the same guest by hand: an overlay on the template, a seed, the
	# same kernel, initrd, command line and memory
	qemu-img create -q -f qcow2 -b "$vmdir/disk.qcow2" -F qcow2 "$dir/ov.qcow2"
	mkdir -p "$dir/seed" && printf 'instance-id: %s\nlocal-hostname: perf-%s\n' "$id" "$i" >"$dir/seed/meta-data" &&
	    printf '#cloud-config\n' >"$dir/seed/user-data"
	genisoimage -quiet -output "$dir/seed.iso" -volid cidata -joliet -rock "$dir/seed"
	: >"$dir/serial"
	t0=$(ms)
	qemu-system-x86_64 -machine pc,accel=$accel -m "$MEM" -smp 1 -nodefaults -no-user-config -display none \
	    -kernel "$vmdir/vmlinuz" -initrd "$vmdir/initrd.img" -append "$cmdline" \
	    -drive "file=$dir/ov.qcow2,if=virtio,format=qcow2" -drive "file=$dir/seed.iso,if=virtio,format=raw,readonly=on" \
	    -serial "file:$dir/serial" &
	qpid=$!
	marker "$dir/serial"
	awk -v a="$(ms)" -v b="$t0" 'BEGIN { print a - b }' >>"$dir/qe"
	kill "$qpid"; wait "$qpid" 2>/dev/null || true; qpid=
	rm -f "$dir/ov.qcow2" "$dir/seed.iso"
	i=$((i + 1))
done
st=$(median <"$dir/st") qe=$(median <"$dir/qe") call=$(median <"$dir/call")
# libvirt's own start of a defined domain, for the part of st-start it is
id=$(st-create --kind vm --image tiny --mem "$MEM" --name perf-virsh | st-schedule | cut -f1)
st-start -q "$id" >/dev/null && st-stop -q --timeout 0 "$id" >/dev/null
: >"$dir/virsh"
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(ms)
	virsh -q -c qemu:///system start "st-$id" >/dev/null
	awk -v a="$(ms)" -v b="$t0" 'BEGIN { print a - b }' >>"$dir/virsh"
	virsh -q -c qemu:///system destroy "st-$id" >/dev/null
	i=$((i + 1))
done
st-rm -f "$id" >/dev/null
vs=$(median <"$dir/virsh")
printf 'vm.sh: boot to console marker (%s, %s, median of %d)\n' "$accel" "$MEM" "$RUNS"
printf '  st-start through libvirt   %8.0f ms\n' "$st"
printf '  qemu-system-x86_64 by hand %8.0f ms\n' "$qe"
printf '  ratio                      %8.2f (target under 1.3)\n' "$(awk -v a="$st" -v b="$qe" 'BEGIN { print a / b }')"
printf '  of which st-start itself   %8.0f ms (define, disks, seed, start)\n' "$call"
printf '  virsh start alone          %8.0f ms (libvirtd starting QEMU)\n' "$vs"

t0=$(ms)
st-create --kind vm --image tiny --cpu 0.1 --mem "$MEM" -n 10 --name many | st-schedule | st-start -q >"$dir/ids"
t1=$(ms)
for id in $(cat "$dir/ids"); do marker "/var/log/libvirt/qemu/st-$id-console.log"; done
t2=$(ms)
printf 'vm.sh: 10 VMs in one pipeline (st-create -n 10 | st-schedule | st-start)\n'
printf '  the pipeline (all defined and started) %8.0f ms\n' "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')"
printf '  until all 10 console markers           %8.0f ms\n' "$(awk -v a="$t2" -v b="$t0" 'BEGIN { print a - b }')"
t0=$(ms)
st-ps -q | st-rm -f >/dev/null
printf '  st-ps -q | st-rm -f of the 10          %8.0f ms\n' "$(awk -v a="$(ms)" -v b="$t0" 'BEGIN { print a - b }')"
