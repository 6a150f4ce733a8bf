#!/bin/sh
# btrfs volumes on a loop-mounted btrfs the test makes: a subvolume per
# volume, read-only snapshots, data written through a running container,
# restored in place and --to a new volume, byte for byte; pools refused
# off btrfs; nothing left in the filesystem afterwards, as btrfs tells.
. "$(dirname "$0")/lib.sh"
command -v mkfs.btrfs >/dev/null && command -v btrfs >/dev/null || skip_all "btrfs-progs missing (share/install-deps)"
need_docker
plan 28

ST_VOLUMES=$trash/vols
export ST_VOLUMES
vsum() { (cd "$1" && find . -type f | sort | xargs -r sha256sum | sha256sum | cut -c1-16); }

mnt=$trash/mnt
mkdir -p "$mnt"
truncate -s 256M "$trash/btrfs.img" && mkfs.btrfs -q "$trash/btrfs.img" >/dev/null 2>&1 &&
    mount -o loop "$trash/btrfs.img" "$mnt" || { echo "Bail out! unable to mount a loop btrfs"; exit 1; }
at_exit "umount '$mnt'"
mkdir "$mnt/pool"
btrfs quota enable "$mnt"
# the qgroup limit (max referenced) of a subvolume
qlimit() { btrfs qgroup show -re --raw "$mnt" | awk -v q="0/$(btrfs subvolume show "$1" | awk '/Subvolume ID:/ { print $3 }')" '$1 == q { print $4 }'; }

sum=$(state_sum)
fails_with 100 'not on a btrfs' st-pool-add --backend btrfs --path "$trash" local
fails_with 2 'not an existing directory' st-pool-add --backend btrfs --path relative/dir local
is "$(state_sum)" "$sum" 'bad pools: state unchanged'
ok 'st-pool-add: a btrfs pool' st-pool-add --backend btrfs --path "$mnt/pool" local
is "$(st-pool-ls -o host,backend,path)" "$host	btrfs	$mnt/pool" 'st-pool-ls shows it'

v=$(st-volume-create --backend btrfs --size 64M bv)
src=$mnt/pool/$v
ok 'st-volume-create --backend btrfs: a subvolume, as btrfs tells' btrfs subvolume show "$src"
is "$(qlimit "$src")" 67108864 'its size is a qgroup limit (quotas are enabled)'
ok 'writing past the size fails' sh -c "! head -c 80M /dev/zero >'$src/big' 2>/dev/null"
rm -f "$src/big"
far=$(st-host-add --no-probe --cpu 1 --mem 1G far)
sum=$(state_sum)
fails_with 100 'not on a btrfs' st-volume-create --backend btrfs --size 1M --host far nobtrfs
is "$(state_sum)" "$sum" 'a btrfs volume off btrfs: nothing recorded'

i=$(st-create --image "$test_image" --name bc --mem 32M --volume bv:/data -- sleep 100000)
ok 'started with the volume' sh -c 'st-schedule bc | st-start >/dev/null'
st-exec bc -- sh -c 'echo alpha >/data/a && mkdir /data/d && echo beta >/data/d/b'
is "$(cat "$src/a")" alpha 'written through the container'
sum1=$(vsum "$src")
s=$(st-volume-snapshot --name bsnap bv)
ssrc=$(st-inspect "$s" | jq -r .source)
ok 'the snapshot is a subvolume' btrfs subvolume show "$ssrc"
is "$(btrfs property get -ts "$ssrc" ro)" 'ro=true' 'the snapshot is read-only'
is "$(vsum "$ssrc")" "$sum1" 'the snapshot holds the bytes of the moment'
is "$(st-inspect "$s" | jq -r .consistency)" crash 'crash-consistent: the container runs'

st-exec bc -- sh -c 'echo gamma >/data/a && rm -r /data/d && echo delta >/data/e'
fails_with 100 'running' st-volume-restore --snapshot bsnap bv
ok 'stopped' st-stop bc
ok 'restored in place' st-volume-restore --snapshot bsnap bv
is "$(vsum "$src")" "$sum1" 'the restored bytes equal the snapshot'"'"'s'
is "$(qlimit "$src")" 67108864 'the restored subvolume keeps the limit'
ok 'the volume is a writable subvolume again' sh -c "btrfs subvolume show '$src' >/dev/null && test \"\$(btrfs property get -ts '$src' ro)\" = ro=false"
ok 'started again' st-start bc
is "$(st-exec bc -- cat /data/a /data/d/b)" "alpha
beta" 'the container reads the restored data'

n=$(st-volume-restore --snapshot bsnap --to bcopy)
is "$(vsum "$mnt/pool/$n")" "$sum1" 'restore --to: a new subvolume with the snapshot'"'"'s bytes'

ok 'snapshot removed' st-snapshot-rm bsnap
ok 'instance, then volumes removed' sh -c 'st-rm -f bc >/dev/null && st-volume-rm bv bcopy >/dev/null'
is "$(btrfs subvolume list "$mnt" | wc -l)" 0 'btrfs lists no subvolume left'
