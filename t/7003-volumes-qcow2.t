#!/bin/sh
# qcow2 volumes through libvirt's storage API: made in a dir pool, filled
# with a raw stream, snapshotted, changed, restored; then the disk of a
# running VM (the tiny guest of t/vmimage.sh): data written through the
# running QEMU, a live snapshot (a libvirt backup job), changed, restored
# once the VM is stopped, byte for byte as qemu-img reads it back.
. "$(dirname "$0")/lib.sh"

lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
command -v qemu-img >/dev/null || skip_all "qemu-img missing (share/install-deps)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
cluster=$(st-init 2>/dev/null) || { echo "Bail out! st-init failed"; exit 1; }
vm_rm_cluster() {
	for d in $(virsh_ list --all --name | grep '^st-i-'); do
		virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$1</stampede:cluster>" || continue
		virsh_ destroy "$d"; virsh_ undefine "$d"
		virsh_ vol-delete --pool stampede "$d.qcow2"; virsh_ vol-delete --pool stampede "$d-seed.iso"
	done
}
at_exit "vm_rm_cluster $cluster"
# no libvirt pool of ours outlives a command
our_pools() {
	for p in $(virsh_ pool-list --all --name); do
		virsh_ pool-dumpxml "$p" 2>/dev/null | grep -q "<path>$trash/" && echo "$p"
	done
}
wait_log() {
	_w=0
	until st-logs "$1" 2>/dev/null | grep -q "$2"; do
		_w=$((_w + 1)); [ $_w -gt 360 ] && return 1; sleep 0.5
	done
}
# the export and import streams through their C API (make check builds it)
vs=$ST_TOP/t/unit/volstream
[ -x "$vs" ] || make -s -C "$ST_TOP" t/unit/volstream >/dev/null || { echo "Bail out! unable to build t/unit/volstream"; exit 1; }
rawsum() { qemu-img convert -U -f qcow2 -O raw "$1" "$trash/check.raw" && sha256sum <"$trash/check.raw" | cut -c1-16; }
plan 43

ST_VOLUMES=$trash/vols
export ST_VOLUMES
host=$(st-host-add --libvirt "$lv" lv) || { echo "Bail out! st-host-add --libvirt failed"; exit 1; }

# --- a volume no VM uses ---
v=$(st-volume-create --backend qcow2 --size 8M q1)
src=$trash/vols/qcow2/$v.qcow2
qemu-img info --output=json "$src" >"$trash/info" 2>&1
is "$(jq -r '[.format, ."virtual-size"] | @tsv' "$trash/info")" "qcow2	8388608" 'qemu-img: a qcow2 file of the size asked'
is "$(st-volume-ls -o backend,size,format,source q1)" "qcow2	8M	qcow2	$src" 'st-volume-ls: backend, size, format, its file'
is "$(our_pools)" "" 'no libvirt pool left behind'
head -c 8M /dev/urandom >"$trash/r1"
ok 'a raw stream imported' sh -c "'$vs' import q1 raw <'$trash/r1' 2>/dev/null"
is "$(rawsum "$src")" "$(sha256sum <"$trash/r1" | cut -c1-16)" 'qemu-img reads back the bytes imported'
s=$(st-volume-snapshot --name qs1 q1)
is "$(st-inspect qs1 | jq -r '[.consistency, .format] | @tsv')" "fs-frozen	qcow2" 'snapshot of an unused volume: fs-frozen'
qemu-io -f qcow2 -c 'write -P 0x55 0 2M' "$src" >/dev/null
ok 'changed' sh -c "test '$(rawsum "$src")' != '$(sha256sum <"$trash/r1" | cut -c1-16)'"
ok 'restored in place' st-volume-restore --snapshot qs1 q1
is "$(rawsum "$src")" "$(sha256sum <"$trash/r1" | cut -c1-16)" 'the restored bytes equal the snapshot'"'"'s'
"$vs" export qs1 >"$trash/e1" 2>"$trash/fmt"
"$vs" export qs1 >"$trash/e2" 2>/dev/null
is "$(cat "$trash/fmt")" raw 'export: a raw stream'
ok 'export: the disk'"'"'s bytes, the same twice' sh -c "cmp -s '$trash/e1' '$trash/r1' && cmp -s '$trash/e2' '$trash/r1'"
c=$(st-volume-restore --snapshot qs1 --to q1copy)
is "$(rawsum "$trash/vols/qcow2/$c.qcow2")" "$(sha256sum <"$trash/r1" | cut -c1-16)" 'restore --to: a new volume with the snapshot'"'"'s bytes'

# commands at once in one pool: each through libvirt, none in another'"'"'s way
for k in 1 2 3 4; do st-volume-create --backend qcow2 --size 1M "par$k" >/dev/null & done; wait
for k in 1 2 3 4; do st-volume-snapshot "par$k" >/dev/null & done; wait
is "$(st-volume-ls -o name,state,snapshots par1 par2 par3 par4 | sort | tr '\n' ' ')" \
    "par1	ready	1 par2	ready	1 par3	ready	1 par4	ready	1 " 'four creations and snapshots at once, in one pool'
for k in 1 2 3 4; do st-volume-rm "par$k" >/dev/null & done; wait
is "$(st-volume-ls -q | wc -l) $(our_pools)" "2 " 'removed at once; no libvirt pool left behind'

mkdir "$trash/pool2"
st-pool-add --backend qcow2 --path "$trash/pool2" lv >/dev/null
c2=$(st-volume-restore --snapshot qs1 --to q2other)
is "$(rawsum "$trash/pool2/$c2.qcow2")" "$(sha256sum <"$trash/r1" | cut -c1-16)" 'restore --to a new volume in another pool (the host'"'"'s pool changed)'
st-volume-rm q2other >/dev/null

sum=$(state_sum)
head -c 1M /dev/zero >"$trash/short"
fails_with 100 'bytes' sh -c "'$vs' import q1copy raw <'$trash/short'"
fails_with 100 'takes a raw stream' sh -c "'$vs' import q1copy tar <'$trash/short'"
st-create --image busybox --name ctr >/dev/null
sum=$(state_sum)
fails_with 100 'qcow2 volume is a VM disk' st-volume-attach q1copy ctr --path /data
fails_with 100 'qcow2 volume is a VM disk' st-create --image busybox --name ctr2 --volume q1copy:/data
is "$(state_sum)" "$sum" 'qcow2 volumes refused for containers: state unchanged'
st-rm ctr >/dev/null

# --- the disk of a running VM ---
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline 'console=ttyS0 quiet' >/dev/null
i=$(st-create --kind vm --image tiny --name g1 --mem 128M --volume q1:/data)
ok 'a VM with the volume started' sh -c 'st-schedule g1 | st-start >/dev/null'
virsh_ dumpxml "st-$i" >"$trash/dom.xml"
ok 'libvirt shows the volume as a disk of the domain' grep -q "<source file='$src'" "$trash/dom.xml"
alias=$(grep -A8 "<source file='$src'" "$trash/dom.xml" | sed -n "s/.*<alias name='\([^']*\)'.*/\1/p" | head -1)
# writes through the running QEMU's block layer, as the guest's own would
vmwrite() { virsh_ qemu-monitor-command "st-$i" --hmp "qemu-io -d /machine/peripheral/$alias/virtio-backend \"write -P $1 $2 $3\""; }
vmwrite 0x61 0 1M
{ head -c 1M /dev/zero | tr '\0' a; tail -c +1048577 "$trash/r1"; } >"$trash/want"
sum=$(state_sum)
fails_with 100 'guest agent' st-volume-snapshot --require fs-frozen q1
is "$(state_sum)" "$sum" 'no guest agent: --require fs-frozen records nothing'
ls "$trash/vols/qcow2" >"$trash/files"
s=$(st-volume-snapshot --name live q1)
ok 'a live snapshot of the running VM'"'"'s disk' test -n "$s"
is "$(st-inspect live | jq -r .consistency)" crash 'crash-consistent (no guest agent answered)'
is "$(virsh_ domstate "st-$i")" running 'the VM kept running'
"$vs" export live >"$trash/live.raw" 2>/dev/null
ok 'the snapshot holds what the VM had written' cmp -s "$trash/live.raw" "$trash/want"
vmwrite 0x62 0 3M
fails_with 100 'running' st-volume-restore --snapshot live q1
wait_log "$i" STAMPEDE-GUEST-UP
ok 'the VM stopped' st-stop g1
ok 'its disk restored from the live snapshot' sh -c "test '$(rawsum "$src")' != '$(sha256sum <"$trash/want" | cut -c1-16)' && st-volume-restore --snapshot live q1"
is "$(rawsum "$src")" "$(sha256sum <"$trash/want" | cut -c1-16)" 'the restored bytes equal the snapshot'"'"'s'
ok 'the VM starts again on the restored disk' st-start g1

# attach to a VM defined before: its definition gets the disk
q2=$(st-volume-create --backend qcow2 --size 4M q2)
q2src=$(st-volume-ls -o source q2)
fails_with 100 'running' st-volume-attach q2 g1 --path /extra
ok 'the VM stopped again' st-stop g1
ok 'a volume attached to the stopped VM' st-volume-attach q2 g1 --path /extra
ok 'libvirt'"'"'s definition of the domain has the disk' sh -c "virsh -q -c '$lv' dumpxml --inactive 'st-$i' | grep -q \"<source file='$q2src'\""
ok 'it starts with it' sh -c "st-start g1 >/dev/null && virsh -q -c '$lv' dumpxml 'st-$i' | grep -q \"<source file='$q2src'\""
ok 'stopped, the volume detached' sh -c 'st-stop g1 >/dev/null && st-volume-detach q2'
ok 'the definition no longer has it' sh -c "! virsh -q -c '$lv' dumpxml --inactive 'st-$i' | grep -q '$q2'"

ok 'removed: VM, snapshots, volumes' sh -c 'st-rm -f g1 >/dev/null || { st-stop g1; st-rm g1; } >/dev/null; st-volume-rm q1 q1copy q2 >/dev/null'
is "$(ls -A "$trash/vols/qcow2"; ls -A "$trash/pool2")" "" 'no file left in the pools'
is "$(our_pools)" "" 'no libvirt pool left behind'
st-image-rm tiny >/dev/null
