#!/bin/sh
# VMs, bad input: a missing or non-qcow2 image file, an image name or a
# path with XML characters, absurd cpu/mem, an unknown image, a bad
# libvirt URI: a clear error naming the record, the right exit code,
# nothing defined in libvirt and the state unchanged.
. "$(dirname "$0")/lib.sh"

lv=qemu:///system
virsh_() { virsh -q -c "$lv" "$@"; }
virsh_ version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
vmdir=$(sh "$ST_TOP/t/vmimage.sh") || { echo "Bail out! t/vmimage.sh failed"; exit 1; }
cluster=$(st-init 2>/dev/null) || { echo "Bail out! st-init failed"; exit 1; }
doms() { for d in $(virsh_ list --all --name | grep '^st-i-'); do
	virsh_ dumpxml "$d" 2>/dev/null | grep -q "<stampede:cluster>$cluster</stampede:cluster>" && echo "$d"; done | wc -l | tr -d ' '; }
plan 33

fails_with 2 'bad --libvirt' st-host-add --libvirt 'qemu:///system;rm -rf /' lv
fails_with 2 'bad --libvirt' st-host-add --libvirt 'not a uri' lv
fails_with 111 'unable to connect to libvirt' st-host-add --libvirt 'qemu+ssh://nobody@host.invalid/system?no_tty=1' lv
is "$(st-host-ls -q | wc -l | tr -d ' ')" 0 'no host added by the failures'
st-host-add --libvirt "$lv" lv >/dev/null || { echo "Bail out! st-host-add failed"; exit 1; }
before=$(state_sum)

printf 'not a qcow2 image at all, just some text here\n' >"$trash/fake.qcow2"
cp "$vmdir/disk.qcow2" "$trash/it's.qcow2"
ln -s "$vmdir/disk.qcow2" "$trash/link.qcow2"
fails_with 100 'no such file' st-image-add img --qcow2 "$trash/missing.qcow2"
fails_with 100 'not a qcow2 file' st-image-add img --qcow2 "$trash/fake.qcow2"
fails_with 100 'not a readable regular file' st-image-add img --qcow2 /dev/null
fails_with 100 'may hold only' st-image-add img --qcow2 "$trash/it's.qcow2"
fails_with 2 'may hold only' st-image-add 'a<b>&c' --qcow2 "$vmdir/disk.qcow2"
fails_with 2 'may hold only' st-image-add "x'/><hostdev" --qcow2 "$vmdir/disk.qcow2"
fails_with 2 'form of an ID' st-image-add m-123456789abc --qcow2 "$vmdir/disk.qcow2"
fails_with 2 'not printable ASCII' st-image-add img --qcow2 "$vmdir/disk.qcow2" --kernel "$vmdir/vmlinuz" \
    --cmdline "$(printf 'console=ttyS0\nx')"
fails_with 2 'go with --kernel' st-image-add img --qcow2 "$vmdir/disk.qcow2" --initrd "$vmdir/initrd.img"
fails_with 100 'not a readable regular file' st-image-add img --qcow2 "$vmdir/disk.qcow2" --kernel /tmp
fails_with 2 'required' st-image-add img
is "$(state_sum)" "$before" 'the state is unchanged by the bad images'

ok 'a symlink to a qcow2 is taken as the file it names' st-image-add tiny --qcow2 "$trash/link.qcow2" \
    --kernel "$vmdir/vmlinuz" --initrd "$vmdir/initrd.img" --cmdline 'console=ttyS0 quiet'
is "$(st-image-ls -o path)" "$vmdir/disk.qcow2" 'its path is the real one'
fails_with 100 'already taken' st-image-add tiny --qcow2 "$vmdir/disk.qcow2"
before=$(state_sum)

fails_with 2 'at most 256 vCPUs' st-create --kind vm --image tiny --cpu 300
fails_with 2 'bad --cpu' st-create --kind vm --image tiny --cpu 100000
fails_with 2 '32M to 16T' st-create --kind vm --image tiny --mem 8M
fails_with 2 '32M to 16T' st-create --kind vm --image tiny --mem 32T
fails_with 2 'bad --disk' st-create --kind vm --image tiny --disk 12Q
fails_with 2 'for --kind vm' st-create --image busybox --disk 1G
fails_with 2 'are for containers' st-create --kind vm --image tiny --port 8080:80
fails_with 2 'are for containers' st-create --kind vm --image tiny -- /bin/sh
fails_with 100 'tiny-nope' st-create --kind vm --image tiny-nope
fails_with 2 'bad --image' st-create --kind vm --image '<x/>'
fails_with 2 'bad --user-data' st-create --kind vm --image tiny --user-data "$trash/missing"
is "$(state_sum)" "$before" 'the state is unchanged by the bad instances'
# within the limits of a VM, beyond those of any host: never placed
id=$(st-create --kind vm --image tiny --cpu 200 --mem 8T)
st-schedule "$id" >/dev/null 2>&1
is "$(st-ps -a -o state)" requested 'an instance no host fits stays requested'
is "$(doms)" 0 'nothing was defined in libvirt'
