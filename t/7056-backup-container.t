#!/bin/sh
# The whole path with a real running container: data written through the
# container into its dir volume, backed up while it runs, the container
# and the volume removed, the volume restored from S3 and attached to a
# new container, which reads the same bytes. volume.restore hooks run on
# the new volume.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
need_docker
plan 13

s3_start bk-7056
ST_S3_ENDPOINT=$S3_ENDPOINT
ST_VOLUMES=$trash/vols
export ST_S3_ENDPOINT ST_VOLUMES
chmod 755 "$ST_HOOKS"

v=$(st-volume-create --size 64M data-7056) || { echo 'Bail out! st-volume-create'; exit 1; }
st-create --image "$test_image" --name vc --mem 32M --volume data-7056:/data -- sleep 100000 >/dev/null &&
    st-schedule vc | st-start >/dev/null || { echo 'Bail out! unable to start the container'; exit 1; }
st-exec vc -- sh -c 'mkdir /data/d && echo one >/data/a && echo two >/data/d/b && head -c 3000000 /dev/urandom >/data/d/r'
# the bytes as the container reads them
csum() { st-exec "$1" -- sh -c 'cd /data && find . -type f | sort | while read -r f; do echo "$f $(wc -c <"$f") $(md5sum <"$f")"; done'; }
want=$(csum vc)
ok 'the container wrote its data' test -n "$want"

b=$(st-volume-backup --to s3://bk-7056/c data-7056)
is "$?|$(docker_api GET "/containers/st-$(st-inspect vc | jq -r .id)/json" | jq -r .State.Status)" '0|running' \
    'backed up while the container runs, and it still runs'
is "$(st-inspect "$b" | jq -r '[.volume, .stream] | join(" ")')" "$v tar" 'the backup of its volume'
ok 'the container stopped and removed' sh -c 'st-stop vc >/dev/null && st-rm vc >/dev/null'
ok 'the volume removed' st-volume-rm data-7056
ok 'its storage is gone' test ! -e "$trash/vols/dir/$v"

mkdir -p "$ST_HOOKS/volume.restore.pre.d" "$ST_HOOKS/volume.restore.post.d"
printf '#!/bin/sh\ncat >"$ST_STATE.restore.pre"\n' >"$ST_HOOKS/volume.restore.pre.d/10-log"
printf '#!/bin/sh\necho "$ST_EVENT $ST_ID" >"$ST_STATE.restore.post"\n' >"$ST_HOOKS/volume.restore.post.d/10-log"
chmod 755 "$ST_HOOKS"/volume.restore.*.d "$ST_HOOKS"/volume.restore.*.d/10-log
r=$(st-backup-restore --to data-7056 "$b")
is "$?" 0 'restored from S3 into a new volume of the same name'
is "$(jq -r '[.id, .backup] | join(" ")' "$ST_STATE.restore.pre")" "$r $b" 'volume.restore.pre got the new volume and the backup'
is "$(cat "$ST_STATE.restore.post")" "volume.restore.post $r" 'volume.restore.post ran on it'
st-create --image "$test_image" --name vc2 --mem 32M --volume data-7056:/data -- sleep 100000 >/dev/null &&
    st-schedule vc2 | st-start >/dev/null
is "$(docker_api GET "/containers/st-$(st-inspect vc2 | jq -r .id)/json" | jq -r .State.Status)" running 'a new container runs with it'
is "$(csum vc2)" "$want" 'and reads the same bytes the first one wrote'

# a veto of the restore removes the new volume
printf '#!/bin/sh\necho "no restores now" >&2\nexit 1\n' >"$ST_HOOKS/volume.restore.pre.d/20-veto"
chmod 755 "$ST_HOOKS/volume.restore.pre.d/20-veto"
before=$(st-volume-ls -q | sort)
fails_with 100 'no restores now' st-backup-restore --to other-7056 "$b"
is "$(st-volume-ls -q | sort)" "$before" 'the vetoed restore left no volume'
