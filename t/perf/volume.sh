#!/bin/sh
# t/perf/volume.sh: volumes in figures (not a pass/fail test): for a
# volume holding SIZE MiB (default 256) of random data in 64 files, the
# time of a snapshot, a restore in place and an export stream, for the dir
# backend (on the pool's filesystem), btrfs (a loop-mounted btrfs) and
# qcow2 (libvirt); then a btrfs snapshot of a volume 4 times larger, to
# show it is O(1). The plain copy (cp -a) and read (cat) of the same bytes
# are printed beside them. Needs root (loop mount) and libvirtd.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
SIZE=${SIZE:-256}
umask 022
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db ST_HOOKS=$dir/hooks ST_CONF=$dir/none ST_VOLUMES=$dir/vols
export ST_STATE ST_HOOKS ST_CONF ST_VOLUMES
mnt=$dir/mnt
cleanup() {
	st-volume-ls -q 2>/dev/null | st-volume-rm >/dev/null 2>&1 || true
	umount "$mnt" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
vs=$top/t/unit/volstream
[ -x "$vs" ] || make -s -C "$top" t/unit/volstream >/dev/null
st-init >/dev/null 2>&1
st-host-add --no-probe --cpu 1 --mem 1G local >/dev/null
mkdir -p "$mnt"
truncate -s $((SIZE * 6 + 512))M "$dir/btrfs.img"
mkfs.btrfs -q "$dir/btrfs.img" >/dev/null 2>&1
mount -o loop "$dir/btrfs.img" "$mnt"
mkdir "$mnt/pool"
st-pool-add --backend btrfs --path "$mnt/pool" local >/dev/null

ms() { perl -MTime::HiRes=time -e 'printf "%.1f\n", time * 1000'; }
# timed CMD...: milliseconds CMD took
timed() { _t0=$(ms); "$@" >/dev/null; _t1=$(ms); awk "BEGIN { print $_t1 - $_t0 }"; }
fill() {
	i=0
	while [ $i -lt 64 ]; do
		head -c $((SIZE * 1024 * 1024 / 64)) /dev/urandom >"$1/f$i"
		i=$((i + 1))
	done
}

printf '# volume.sh: a volume of %d MiB in 64 files; milliseconds\n' "$SIZE"
printf '%-8s %10s %10s %10s %12s\n' backend snapshot restore export 'export MiB/s'
for b in dir btrfs qcow2; do
	st-volume-create --backend $b --size $((SIZE + 64))M "p-$b" >/dev/null
	src=$(st-volume-ls -o source "p-$b")
	if [ $b = qcow2 ]; then
		head -c $((SIZE + 64))M /dev/urandom >"$dir/raw"
		"$vs" import "p-$b" raw <"$dir/raw" 2>/dev/null
		rm -f "$dir/raw"
	else
		fill "$src"
	fi
	sync
	snap=$(timed st-volume-snapshot --name "s-$b" "p-$b")
	rest=$(timed st-volume-restore --snapshot "s-$b" "p-$b")
	exp=$(timed sh -c "'$vs' export 's-$b' 2>/dev/null | cat >/dev/null")
	printf '%-8s %10.1f %10.1f %10.1f %12.0f\n' $b "$snap" "$rest" "$exp" "$(awk "BEGIN { print ($SIZE + $( [ $b = qcow2 ] && echo 64 || echo 0)) * 1000 / $exp }")"
	st-snapshot-rm "s-$b" >/dev/null
	[ $b = dir ] && keep=$src
done
cp_ms=$(timed cp -a "$keep" "$dir/plaincopy")
rm -rf "$dir/plaincopy"
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
cat_ms=$(timed sh -c "cat '$keep'/* >/dev/null")
printf '%-8s %10.1f %10s %10.1f   (cp -a, cat of the same files)\n' plain "$cp_ms" - "$cat_ms"

# O(1): a btrfs snapshot of 4 times the data costs the same
st-volume-create --backend btrfs --size $((SIZE * 4 + 64))M big >/dev/null
big=$(st-volume-ls -o source big)
for k in 1 2 3 4; do mkdir "$big/$k" && fill "$big/$k"; done
sync
t1=$(timed st-volume-snapshot p-btrfs)
t4=$(timed st-volume-snapshot big)
printf '# btrfs snapshot of %d MiB: %.1f ms; of %d MiB: %.1f ms (ratio %.2f)\n' "$SIZE" "$t1" $((SIZE * 4)) "$t4" "$(awk "BEGIN { print $t4 / $t1 }")"
