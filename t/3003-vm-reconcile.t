#!/bin/sh
# st-reconcile covers VMs: a domain gone behind Stampede's back, a domain
# stopped behind its back, an interrupted start (the command killed at
# its fault points), an unknown st- domain of this cluster; a domain of
# another cluster is never touched.
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
other=00000000-0000-4000-8000-$(printf '%012x' $$)
at_exit "vm_rm_cluster $other"
st-host-add --libvirt "$lv" lv >/dev/null &&
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline 'console=ttyS0 quiet' >/dev/null || { echo "Bail out! setup failed"; exit 1; }
state_of() { st-ps -a -o id,state | awk -v i="$1" '$1 == i { print $2 }'; }
vm() { st-create --kind vm --image tiny --mem 96M "$@" | st-schedule | cut -f1; }
plan 22

# a domain gone
a=$(vm) && st-start "$a" >/dev/null
virsh_ destroy "st-$a" >/dev/null; virsh_ undefine "st-$a" >/dev/null
ok 'st-reconcile after the domain was undefined behind our back' sh -c "st-reconcile >'$trash/rec'"
ok 'it reports it vanished' grep -q "^$a	vanished	" "$trash/rec"
is "$(state_of "$a")" error 'the instance is in error'
ok 'st-rm removes it, and its disks' st-rm "$a"
is "$(virsh_ vol-list --pool stampede | grep -c "st-$a")" 0 'no disk of it left'

# a domain stopped behind our back: desired running, started again
b=$(vm) && st-start "$b" >/dev/null
virsh_ destroy "st-$b" >/dev/null
ok 'st-reconcile after the domain was destroyed behind our back' sh -c "st-reconcile >'$trash/rec'"
ok 'it starts it again' grep -q "^$b	started	" "$trash/rec"
is "$(virsh_ domstate "st-$b")" running 'libvirt shows it running again'
st-rm -f "$b" >/dev/null

# interrupted starts: killed after the define, and after the start
c=$(vm)
ST_FAULT=start.after-create st-start "$c" >/dev/null 2>&1
is "$(state_of "$c")" starting 'killed after the define: left starting'
ok 'st-reconcile resolves it' sh -c "st-reconcile >'$trash/rec'"
ok 'rolled back: the domain is defined but was never started' grep -q "^$c	rolled-back	starting -> scheduled" "$trash/rec"
ok 'st-start then starts it' st-start "$c"
is "$(virsh_ domstate "st-$c")" running 'running'
d=$(vm)
ST_FAULT=start.after-driver st-start "$d" >/dev/null 2>&1
ok 'killed after the start: st-reconcile rolls it forward' sh -c "st-reconcile >'$trash/rec' && grep -q '^$d	rolled-forward	starting -> running' '$trash/rec'"
is "$(state_of "$d")" running 'running'

# an unknown st- domain of this cluster, and one of another cluster
virsh_ dumpxml --inactive "st-$c" >"$trash/c.xml"
mk() {	# NEWID CLUSTER: a copy of c's domain, as if made by them
	sed -e "s/$c/$1/g" -e "s/$cluster/$2/" -e '/<uuid>/d' -e '/<mac address/d' \
	    -e "s|/var/lib/stampede/vm/st-$1|$trash/none|" "$trash/c.xml" >"$trash/$1.xml"
	virsh_ define "$trash/$1.xml" >/dev/null
}
orphan=i-0000$(printf '%08x' $$) foreign=i-1111$(printf '%08x' $$)
mk "$orphan" "$cluster" && mk "$foreign" "$other"
ok 'within --grace an orphan is left alone' sh -c "st-reconcile >'$trash/rec' && ! grep -q '$orphan' '$trash/rec'"
ok 'st-reconcile --grace 0 removes the orphan domain' sh -c "st-reconcile --grace 0 >'$trash/rec' && grep -q '^$orphan	removed-orphan	' '$trash/rec' || { cat '$trash/rec' >&2; exit 1; }"
is "$(virsh_ list --all --name | grep -c "st-$orphan")" 0 'libvirt has it no more'
is "$(virsh_ list --all --name | grep -c "st-$foreign")" 1 "another cluster's domain is untouched"
ok 'st-doctor finds nothing wrong' st-doctor
ok 'st-rm -f' sh -c "st-ps -q | st-rm -f"
is "$(vm_rm_cluster "$cluster"; virsh_ vol-list --pool stampede | grep -c -e "st-$c" -e "st-$d")" 0 'no disk left'
