#!/bin/sh
# dir volumes with a real running container: a bind mount as the Docker
# API shows it, data written through the container, a snapshot, changes,
# a restore (refused while the container runs) whose bytes equal the
# snapshot's, --to a new volume, snapshot hooks and consistency levels,
# placement on the volumes' host, and bad input that changes nothing.
. "$(dirname "$0")/lib.sh"
need_docker
plan 54

ST_VOLUMES=$trash/vols
export ST_VOLUMES
chmod 755 "$ST_HOOKS"
# the checksum of a directory's files, names and bytes
vsum() { (cd "$1" && find . -type f | sort | xargs -r sha256sum | sha256sum | cut -c1-16); }

v=$(st-volume-create --size 64M data)
ok 'st-volume-create printed a volume ID' expr "$v" : 'v-[0-9a-f]\{12\}$'
is "$(st-volume-ls -o name,backend,size,state,host)" "data	dir	64M	ready	$host" 'st-volume-ls shows it ready on the only host'
src=$trash/vols/dir/$v
ok 'its directory is in the pool ST_VOLUMES names' test -d "$src"

i=$(st-create --image "$test_image" --name vc --mem 32M --volume data:/data -- sleep 100000)
is "$(st-inspect vc | jq -c '[.volumes[] | [.volume, .backend, .source, .format, .path]]')" \
    "[[\"$v\",\"dir\",\"$src\",null,\"/data\"]]" 'st-create --volume: the instance JSON lists it'
is "$(st-volume-ls -o instance,path data)" "$i	/data" 'st-volume-ls shows where it is attached'
ok 'scheduled and started' sh -c 'st-schedule vc | st-start >/dev/null'
is "$(docker_api GET "/containers/st-$i/json" | jq -r '.HostConfig.Mounts[0] | [.Type, .Source, .Target] | @tsv')" \
    "bind	$src	/data" 'the Docker API shows the bind mount'

st-exec vc -- sh -c 'echo one >/data/a && mkdir /data/d && echo two >/data/d/b && echo three >/data/c'
is "$(cat "$src/a" "$src/d/b")" "one
two" 'written through the container, the bytes are in the volume'
sum1=$(vsum "$src")
t0=$(date +%s)
s=$(st-volume-snapshot --name snap1 data)
t1=$(($(date +%s) + 1))
is "$(docker_api GET "/events?since=$t0&until=$t1&filters=$(printf '{"container":["st-%s"],"event":["pause","unpause"]}' "$i" | jq -sRr @uri)" |
    jq -r .status | tr '\n' ' ')" 'pause unpause ' 'the container was paused for the copy, as Docker'"'"'s events tell'
is "$(docker_api GET "/containers/st-$i/json" | jq -r .State.Status)" running 'and it runs again'
ok 'st-volume-snapshot printed a snapshot ID' expr "$s" : 's-[0-9a-f]\{12\}$'
is "$(st-snapshot-ls -o name,volume,backend,consistency data)" "snap1	$v	dir	crash" \
    'st-snapshot-ls: crash-consistent, the container running'
is "$(vsum "$(st-inspect snap1 | jq -r .source)")" "$sum1" 'the snapshot holds the bytes of the moment'

sum=$(state_sum)
fails_with 100 'crash' st-volume-snapshot --require fs-frozen data
fails_with 100 'crash' st-volume-snapshot --require app data
is "$(state_sum)" "$sum" '--require a level it cannot have: nothing recorded'

st-exec vc -- sh -c 'echo changed >/data/a && rm /data/d/b && echo new >/data/e'
sum2=$(vsum "$src")
fails_with 100 'running' st-volume-restore --snapshot snap1 data
is "$(vsum "$src")" "$sum2" 'restore refused while the container runs: data unchanged'
is "$(state_sum)" "$sum" 'restore refused: state unchanged'
fails_with 100 'running' st-volume-detach data
fails_with 100 'attached' st-volume-rm data

ok 'stopped' st-stop vc
ok 'restored in place' st-volume-restore --snapshot snap1 data
is "$(vsum "$src")" "$sum1" 'the restored bytes equal the snapshot'"'"'s'
ok 'started again' st-start vc
is "$(st-exec vc -- cat /data/a /data/d/b)" "one
two" 'the container reads the restored data'
ok 'a second snapshot while stopped' sh -c 'st-stop vc >/dev/null && st-volume-snapshot --name snap2 --require fs-frozen data'
is "$(st-inspect snap2 | jq -r .consistency)" fs-frozen 'nothing running writes to it: fs-frozen'

n=$(st-volume-restore --snapshot snap1 --to copy)
is "$(vsum "$trash/vols/dir/$n")" "$sum1" 'restore --to: a new volume with the snapshot'"'"'s bytes'
is "$(st-volume-ls -o backend,size,state copy)" "dir	64M	ready" 'it has the backend and size of the original'

# hooks: a pre hook vetoes; one that succeeds makes the snapshot app-consistent
mkdir -m 755 "$ST_HOOKS/volume.snapshot.pre.d" "$ST_HOOKS/volume.restore.pre.d"
printf '#!/bin/sh\necho "database busy" >&2\nexit 1\n' >"$ST_HOOKS/volume.snapshot.pre.d/10-quiesce"
chmod 755 "$ST_HOOKS/volume.snapshot.pre.d/10-quiesce"
sum=$(state_sum)
fails_with 100 'database busy' st-volume-snapshot data
is "$(state_sum)" "$sum" 'a vetoed snapshot records nothing'
printf '#!/bin/sh\ncat >"%s/hook-in"\necho "$ST_EVENT $ST_ID" >>"%s/hook-in"\n' "$trash" "$trash" >"$ST_HOOKS/volume.snapshot.pre.d/10-quiesce"
ok 'with a quiescing pre hook, --require app' st-volume-snapshot --require app --name snap3 data
is "$(st-inspect snap3 | jq -r .consistency)" app 'the snapshot is app-consistent'
is "$(tail -1 "$trash/hook-in")" "volume.snapshot.pre $v" 'the hook got the event and the volume'
printf '#!/bin/sh\necho "not during business hours" >&2\nexit 1\n' >"$ST_HOOKS/volume.restore.pre.d/10-no"
chmod 755 "$ST_HOOKS/volume.restore.pre.d/10-no"
echo scribble >"$src/a"
fails_with 100 'business hours' st-volume-restore --snapshot snap1 data
is "$(cat "$src/a")" scribble 'a vetoed restore leaves the data as it was'
rm -rf "$ST_HOOKS/volume.snapshot.pre.d" "$ST_HOOKS/volume.restore.pre.d"

# placement: an instance goes to its volumes' host; volumes on two hosts: an error
far=$(st-host-add --no-probe --cpu 64 --mem 64G far)
st-volume-create --size 1M --host far farvol >/dev/null
st-create --image "$test_image" --name pinned --volume farvol:/v >/dev/null
is "$(st-schedule pinned | cut -f2)" far 'scheduled on the host of its volume'
st-create --image "$test_image" --name split --volume copy:/a >/dev/null
st-volume-create --size 1M --host far farvol2 >/dev/null
ok 'an unplaced instance takes volumes of any host' st-volume-attach farvol2 split --path /b
fails_with 100 'different hosts' st-schedule split
st-volume-create --size 1M --host local near >/dev/null
fails_with 100 'on host' st-volume-attach near pinned --path /b

# bad input: nothing created
sum=$(state_sum)
miss=
for bad in '../x' 'a/b' 'a b' '<x>' 'X' '' 'v-0123456789ab'; do
	st-volume-create --size 1M --host local "$bad" >/dev/null 2>"$trash/err"
	[ $? -eq 2 ] && grep -q "unable to create volume" "$trash/err" || miss="$miss name:$bad"
done
for bad in 0 -1 100P 1.5.5G abc 1K ''; do
	st-volume-create --host local --size "$bad" vx >/dev/null 2>"$trash/err"
	[ $? -eq 2 ] && grep -q "bad --size" "$trash/err" || miss="$miss size:$bad"
done
is "$miss" "" 'bad names and sizes: refused with exit 2 and a message'
is "$(state_sum)" "$sum" 'bad names and sizes: state unchanged'
fails_with 2 'must be dir, btrfs or qcow2' st-volume-create --size 1M --backend zfs vz
fails_with 2 'bad path' st-volume-attach copy pinned --path ../etc
fails_with 100 'taken' st-volume-create --size 1M --host local data
fails_with 100 'taken' st-volume-snapshot --name snap1 data
is "$(state_sum)" "$sum" 'bad input: state unchanged'
is "$(ls "$trash/vols/dir" | grep -c '^v-')" 5 'bad input: no directory made'

# removal: the snapshots and the storage go with the volume
ok 'instances removed' st-rm vc pinned split
fails_with 100 'volumes are on it' st-host-rm far
ok 'their volumes removed' st-volume-rm data copy farvol farvol2 near
is "$(ls -A "$trash/vols/dir")" "" 'nothing left in the pool'
is "$(st-snapshot-ls -q | wc -l)" 0 'no snapshot rows left'
