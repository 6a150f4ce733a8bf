#!/bin/sh
# vmimage.sh: builds the tiny test guest offline, once, into a cache dir:
# the Debian cloud kernel, a busybox initramfs, an empty qcow2 disk.
# usage: sh t/vmimage.sh [DIR]   prints DIR/vN (default DIR /var/cache/stampede-test/vm)
#
# The guest's /init prints "STAMPEDE-GUEST-UP <hostname>" on ttyS0, the
# hostname read from the cloud-init NoCloud seed (meta-data on a disk
# labelled cidata), runs a shell on the console, and powers off when the
# ACPI power button is pressed (virDomainShutdown), so a graceful stop
# really is one.
set -eu

# the version in the path: a change of this script builds it again,
# beside the files of the one before (a VM of it may still run on them)
v=5
base=${1:-${ST_VMIMAGE_DIR:-/var/cache/stampede-test/vm}}
dir=$base/v$v
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/ok" ]; then
	echo "$dir"
	exit 0
fi
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1)
if [ -z "$kernel" ]; then
	echo "vmimage.sh: fatal: unable to find /boot/vmlinuz-*-cloud-amd64: install linux-image-cloud-amd64 (share/install-deps)" >&2
	exit 100
fi
kver=${kernel#/boot/vmlinuz-}
mods=/lib/modules/$kver/kernel
root=$dir/root.tmp
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/mnt" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox"
for a in sh mount umount insmod cat echo sleep dd poweroff ls grep sed hostname mkdir setsid ip head tr; do
	ln -s busybox "$root/bin/$a"
done
# the power button (ACPI), its events (evdev), the seed disk (virtio,
# iso9660), in the order insmod needs them
for m in acpi/button input/evdev virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev \
    virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk cdrom/cdrom net/net_failover net/virtio_net; do
	cp "$mods/drivers/$m.ko" "$root/lib/modules/"
done
cp "$mods/fs/isofs/isofs.ko" "$mods/net/core/failover.ko" "$root/lib/modules/"
cat >"$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in button evdev virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk cdrom isofs \
    failover net_failover virtio_net; do
	insmod /lib/modules/$m.ko 2>/dev/null
done
name=guest
sleep 0.2
for d in /dev/vd?; do
	[ -b "$d" ] || continue
	if mount -t iso9660 -o ro "$d" /mnt 2>/dev/null; then
		if [ -f /mnt/meta-data ]; then
			h=$(sed -n 's/^local-hostname: *//p' /mnt/meta-data)
			[ -n "$h" ] && name=$h
		fi
		# the first address of network-config (v2), on eth0
		if [ -f /mnt/network-config ]; then
			addr=$(sed -n 's/^ *addresses: \["\([0-9./]*\)"\]/\1/p' /mnt/network-config | head -1)
		fi
		umount /mnt
	fi
done
hostname "$name"
if [ -n "${addr:-}" ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add "$addr" dev eth0
	echo "STAMPEDE-GUEST-NET $addr" >/dev/ttyS0
fi
echo "STAMPEDE-GUEST-DISKS $(ls /sys/block | tr '\n' ' ')" >/dev/ttyS0
echo "STAMPEDE-GUEST-UP $name" >/dev/ttyS0
# a shell on the console, for st-console
(while :; do setsid sh -c 'exec sh -i <>/dev/ttyS0 >&0 2>&1'; sleep 1; done) &
# the power button: any event from it powers off
pb=
for e in /sys/class/input/event*; do
	[ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && pb=/dev/input/${e##*/}
done
if [ -n "$pb" ]; then
	dd if="$pb" of=/dev/null bs=24 count=1 2>/dev/null
	echo "STAMPEDE-GUEST-POWEROFF" >/dev/ttyS0
	poweroff -f
fi
echo "STAMPEDE-GUEST-NO-POWER-BUTTON" >/dev/ttyS0
while :; do sleep 3600; done
EOF
chmod 755 "$root/init"
# cpio(1), or busybox's own where it is not installed
cpio=cpio; command -v cpio >/dev/null || cpio="busybox cpio"
(cd "$root" && find . | $cpio -o -H newc 2>/dev/null) | gzip -1 >"$dir/initrd.tmp"
mv "$dir/initrd.tmp" "$dir/initrd.img"
cp "$kernel" "$dir/vmlinuz"
qemu-img create -q -f qcow2 "$dir/disk.qcow2" 64M
rm -rf "$root"
chmod 644 "$dir/vmlinuz" "$dir/initrd.img" "$dir/disk.qcow2"
touch "$dir/ok"
echo "$dir"
