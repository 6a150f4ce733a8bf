#!/bin/sh
# One pipeline starts a container and a VM together: each goes to a host
# of its kind and through its own driver (dockerd, libvirtd); st-ps,
# st-reconcile and st-doctor see both; a host may have both endpoints.
. "$(dirname "$0")/lib.sh"
need_docker
lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
vm_rm_cluster() {
	for d in $(virsh_ list --all --name | grep '^st-i-'); do
		virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$1</stampede:cluster>" || continue
		virsh_ destroy "$d"; virsh_ undefine --nvram "$d" || virsh_ undefine "$d"
		virsh_ vol-delete --pool stampede "$d.qcow2"; virsh_ vol-delete --pool stampede "$d-seed.iso"
	done
}
at_exit "vm_rm_cluster $cluster"
plan 16

ok 'a host with libvirt only' st-host-add --libvirt "$lv" lv
ok 'a host with both endpoints' st-host-add --docker "unix://$docker_sock" --libvirt "$lv" both
is "$(st-host-ls -o name,kinds | sort | tr '\t\n' ' ')" 'both container,vm local container lv vm ' 'kinds follow the endpoints'
ok 'st-host-probe probes both endpoints of a host' st-host-probe both
ok 'st-host-rm' st-host-rm both
st-image-add tiny --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" \
    --cmdline 'console=ttyS0 quiet' >/dev/null || { echo "Bail out! st-image-add failed"; exit 1; }

ok 'one pipeline: st-create a container and a VM | st-schedule | st-start' sh -c "
    { st-create --image '$test_image' --name c1 --mem 32M -- sleep 3600 &&
      st-create --kind vm --image tiny --name v1 --mem 128M; } | st-schedule | st-start >'$trash/started'"
is "$(wc -l <"$trash/started" | tr -d ' ')" 2 'both started'
is "$(st-ps -o name,kind,state,host | sort | tr '\t\n' ' ')" 'c1 container running local v1 vm running lv ' \
    'st-ps: each on a host of its kind, running'
cid=$(st-ps -o id,name | awk '$2 == "c1" { print $1 }')
vid=$(st-ps -o id,name | awk '$2 == "v1" { print $1 }')
is "$(docker_api GET "/containers/st-$cid/json" | jq -r .State.Status)" running 'the Docker API shows the container running'
is "$(virsh_ domstate "st-$vid")" running 'libvirt shows the domain running'
ok 'st-reconcile finds nothing to fix on either' sh -c "st-reconcile --grace 0 >'$trash/rec' && ! test -s '$trash/rec'"
ok 'st-doctor finds nothing wrong' st-doctor
ok 'st-logs reads both' sh -c "st-logs c1 >/dev/null && st-logs v1 >/dev/null"
ok 'st-rm -f both in one pipeline' sh -c "st-ps -q | st-rm -f"
is "$(docker_ps_cluster "$cluster" | wc -l | tr -d ' ')" 0 'no container of this cluster left'
is "$(virsh_ list --all --name | grep -c "st-$vid")" 0 'no domain left'
