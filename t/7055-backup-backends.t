#!/bin/sh
# Backups of btrfs volumes (on a loop-mounted btrfs the test makes) and of
# qcow2 volumes (libvirt's storage API): backed up, removed, restored from
# S3 into a new volume, byte-identical, as btrfs and qemu-img read them.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null || skip_all "btrfs-progs missing (share/install-deps)"
command -v qemu-img >/dev/null || skip_all "qemu-img missing (share/install-deps)"
virsh -q -c qemu:///system version >/dev/null 2>&1 || skip_all "libvirtd is not running (sh share/start-daemons)"
plan 16

s3_start bk-7055
ST_S3_ENDPOINT=$S3_ENDPOINT
ST_VOLUMES=$trash/vols
export ST_S3_ENDPOINT ST_VOLUMES
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
st-host-add --no-probe --cpu 1 --mem 1G local >/dev/null || { echo 'Bail out! st-host-add'; exit 1; }
st-host-add --libvirt qemu:///system lv >/dev/null || { echo 'Bail out! st-host-add --libvirt'; exit 1; }
src() { st-inspect "$1" | jq -r .source; }
tree_sum() {
	(cd "$1" && find . -printf '%p %m %y %l %s\n' | sort && find . -type f | sort | xargs -r sha256sum) | sha256sum | cut -c1-64
}
rawsum() { qemu-img convert -U -f qcow2 -O raw "$1" "$trash/check.raw" && sha256sum <"$trash/check.raw" | cut -c1-64; }

# --- btrfs ---
mnt=$trash/mnt
mkdir -p "$mnt"
truncate -s 256M "$trash/btrfs.img" && mkfs.btrfs -q "$trash/btrfs.img" >/dev/null 2>&1 &&
    mount -o loop "$trash/btrfs.img" "$mnt" || { echo "Bail out! unable to mount a loop btrfs"; exit 1; }
at_exit "umount '$mnt'"
mkdir "$mnt/pool"
st-pool-add --backend btrfs --path "$mnt/pool" local >/dev/null || { echo 'Bail out! st-pool-add btrfs'; exit 1; }
v=$(st-volume-create --backend btrfs --size 64M --host local bv) || { echo 'Bail out! st-volume-create btrfs'; exit 1; }
d=$(src "$v")
mkdir -p "$d/a/b" && head -c 5000000 /dev/urandom >"$d/a/data" && echo x >"$d/a/b/x" && ln -s ../data "$d/a/b/l"
want=$(tree_sum "$d")
b=$(st-volume-backup --to s3://bk-7055/v "$v")
is "$?|$(st-inspect "$b" | jq -r '[.backend, .stream] | join(" ")')" '0|btrfs tar' 'a btrfs volume backed up: a tar stream'
is "$(s3py "m = json.loads(s3.get_object(Bucket='bk-7055', Key='v/backups/$b.json')['Body'].read()); print(m['volume']['backend'], m['volume']['size'])")" \
    'btrfs 67108864' 'boto3: the manifest says btrfs, 64M'
ok 'the volume removed' st-volume-rm "$v"
ok 'no subvolume left' sh -c "! btrfs subvolume list '$mnt' | grep -q '$v'"
r=$(st-backup-restore --to bv2 --host local "$b")
is "$?|$(st-inspect "$r" | jq -r .backend)" '0|btrfs' 'restored into a new btrfs volume'
ok 'a subvolume, as btrfs tells' btrfs subvolume show "$(src "$r")"
is "$(tree_sum "$(src "$r")")" "$want" 'byte-identical (names, modes, links, bytes)'
ok 'st-backup-drill of the btrfs backup' st-backup-drill --host local "$b"

# --- qcow2 ---
# a 32 MiB raw disk, through a backup of the file, into a qcow2 volume
head -c 33554432 /dev/urandom >disk.raw
b0=$(st-volume-backup --to s3://bk-7055/q --file disk.raw)
q=$(st-backup-restore --backend qcow2 --host lv --to q1 "$b0")
is "$?|$(st-inspect "$q" | jq -r '[.backend, .size] | join(" ")')" '0|qcow2 33554432' \
    'a raw backup of a file restored into a new qcow2 volume'
is "$(rawsum "$(src "$q")")" "$(sha256sum <disk.raw | cut -c1-64)" 'qemu-img reads the bytes backed up'
bq=$(st-volume-backup --to s3://bk-7055/q "$q")
is "$?|$(st-inspect "$bq" | jq -r '[.backend, .stream, .size] | join(" ")')" '0|qcow2 raw 33554432' \
    'a qcow2 volume backed up: its raw disk'
is "$(st-inspect "$bq" | jq -r .uploaded)" 0 'the same bytes as the file: every chunk was there'
ok 'the qcow2 volume removed' st-volume-rm "$q"
q2=$(st-backup-restore --host lv --to q2 "$bq")
is "$?|$(st-inspect "$q2" | jq -r .backend)" '0|qcow2' 'restored into a new qcow2 volume, on the libvirt host'
is "$(rawsum "$(src "$q2")")" "$(sha256sum <disk.raw | cut -c1-64)" 'byte-identical, as qemu-img reads it'
fails_with 2 'a raw stream does not go into a dir volume' st-backup-restore --backend dir --to q3 "$bq"
