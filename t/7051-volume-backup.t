#!/bin/sh
# Volumes to S3 and back: a dir volume is backed up (snapshotted first),
# removed, and restored from S3 into a new volume, byte-identical; an
# incremental backup after changing 1% of the volume uploads under 5% of
# the first; hooks volume.backup.pre (veto) and .post; st-backup-drill;
# bad names for the new volume.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
plan 36

s3_start bk-7051
E=$S3_ENDPOINT
ST_S3_ENDPOINT=$E	# the endpoint from the environment, this time
export ST_S3_ENDPOINT
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
host=$(st-host-add --no-probe --cpu 1 --mem 1G local-7051) || { echo 'Bail out! st-host-add'; exit 1; }
mkdir -p "$trash/pool"
st-pool-add --backend dir --path "$trash/pool" "$host" >/dev/null || { echo 'Bail out! st-pool-add'; exit 1; }

src() { st-inspect "$1" | jq -r .source; }
# a digest of a tree: names, modes, link targets and bytes
tree_sum() {
	(cd "$1" && find . -printf '%p %m %y %l %s\n' | sort && find . -type f | sort | xargs -r sha256sum) | sha256sum | cut -c1-64
}

vol=$(st-volume-create --size 64M data-7051) || { echo 'Bail out! st-volume-create'; exit 1; }
d=$(src "$vol")
mkdir -p "$d/db/sub" && head -c 33554432 /dev/urandom >"$d/db/big" && echo hello >"$d/db/sub/small" &&
    ln -s sub/small "$d/db/link" && chmod 640 "$d/db/sub/small" && : >"$d/empty" ||
    { echo 'Bail out! unable to fill the volume'; exit 1; }
want=$(tree_sum "$d")

b1=$(st-volume-backup -v --chunk-size 256K --to s3://bk-7051/vols "$vol" 2>err1)
is "$?|$(printf %s "$b1" | grep -c '^b-')" '0|1' 'st-volume-backup VOL prints the backup ID'
is "$(st-inspect "$b1" | jq -r '[.volume, .volume_name, .backend, .stream, (.snapshot | startswith("s-"))] | join(" ")')" \
    "$vol data-7051 dir tar true" 'the backup records the volume, its backend, the tar stream and the snapshot it took'
is "$(st-snapshot-ls -q | grep -c .)" 1 'backing up a volume took a snapshot of it'
up1=$(st-backup-ls -o uploaded | tail -1)
s3py "
m = json.loads(s3.get_object(Bucket='bk-7051', Key='vols/backups/$b1.json')['Body'].read())
print(m['volume']['id'], m['volume']['name'], m['volume']['backend'], m['volume']['size'], m['stream'], m['snapshot'] is not None, m['chunk_size'])
" >boto
is "$(cat boto)" "$vol data-7051 dir 67108864 tar True 262144" 'boto3: the manifest names the volume, its backend and size'

# incremental: 1% of the volume changed in place
dd if=/dev/urandom of="$d/db/big" bs=4096 count=82 seek=4000 conv=notrunc status=none
want2=$(tree_sum "$d")
b2=$(st-volume-backup -v --chunk-size 256K --to s3://bk-7051/vols "$vol" 2>err2)
up2=$(st-inspect "$b2" | jq -r .uploaded)
ok "after changing 1% the second backup uploads under 5% of the first ($up2 of $up1 bytes)" test $((up2 * 100)) -lt $((up1 * 5))
ok 'and it uploaded something' test "$up2" -gt 0
is "$(st-inspect "$b2" | jq -r .snapshot)" "$(st-snapshot-ls -q | grep -v "$(st-inspect "$b1" | jq -r .snapshot)")" \
    'the second backup has its own snapshot'

# a snapshot is backed up as it is, whatever the volume became
echo changed >"$d/db/sub/small"
b1s=$(st-volume-backup --to s3://bk-7051/vols "$(st-inspect "$b1" | jq -r .snapshot)")
is "$(st-inspect "$b1s" | jq -r .sha256)" "$(st-inspect "$b1" | jq -r .sha256)" \
    'backing up the first snapshot again gives the same stream (a deterministic tar)'

# with two hosts and no --host, a restore goes where the volume lives
h2=$(st-host-add --no-probe --cpu 1 --mem 1G other-7051)
r0=$(st-backup-restore --to beside-7051 "$b1")
is "$(st-inspect "$r0" | jq -r .host)|$(tree_sum "$(src "$r0")")" "$host|$want" \
    'no --host with several hosts: restored on the backed-up volume'"'"'s host, byte-identical'
st-volume-rm "$r0" >/dev/null && st-host-rm "$h2" >/dev/null

# the volume is gone: restore from S3
ok 'st-volume-rm the volume (and its snapshots)' st-volume-rm "$vol"
is "$(st-volume-ls -q)" '' 'no volume left'
r1=$(st-backup-restore --to restored-7051 "$b1")
is "$?|$(printf %s "$r1" | grep -c '^v-')" '0|1' 'st-backup-restore --to NEWVOL prints the new volume'
is "$(tree_sum "$(src "$r1")")" "$want" 'the restored volume is byte-identical to the first backup (names, modes, links, bytes)'
is "$(readlink "$(src "$r1")/db/link")|$(stat -c %a "$(src "$r1")/db/sub/small")" 'sub/small|640' \
    'a symlink and a mode come back'
r2=$(st-backup-restore --to restored2-7051 "$b2")
is "$(tree_sum "$(src "$r2")")" "$want2" 'the second backup restores the changed volume, byte-identical'
is "$(st-inspect "$r1" | jq -r '[.backend, .size, .state] | join(" ")')" 'dir 67108864 ready' \
    'the new volume has the backend and size of the backed-up one'

# the state file lost: restore straight from the bucket
r3=$(st-backup-restore --from s3://bk-7051/vols --to restored3-7051 "$b2")
is "$(tree_sum "$(src "$r3")")" "$want2" 'st-backup-restore --from restores from the manifest alone'

# the drill: restore into a scratch volume, compare, remove
before=$(st-volume-ls -q | sort)
ok 'st-backup-drill of both backups' st-backup-drill -v "$b1" "$b2"
cp "$trash/err" drill.err
is "$(cat "$trash/out")" "$(printf '%s\n%s' "$b1" "$b2")" 'st-backup-drill prints the backups that passed'
ok 'st-backup-drill -v says the hashes match' grep -q "$b1: restored .* SHA-256 [0-9a-f]* matches" drill.err
is "$(st-volume-ls -q | sort)" "$before" 'the drill left no scratch volume'
is "$(ls "$trash/pool" | grep -c drill)" 0 'nor any storage in the pool'

# hooks: volume.backup.pre may veto; .post gets the backup
mkdir -p "$ST_HOOKS/volume.backup.pre.d" "$ST_HOOKS/volume.backup.post.d"
cat >"$ST_HOOKS/volume.backup.pre.d/10-gate" <<'EOF'
#!/bin/sh
cat >"$ST_STATE.pre.json"
[ -e "$ST_STATE.veto" ] || exit 0
echo "database not quiesced" >&2
exit 1
EOF
cat >"$ST_HOOKS/volume.backup.post.d/10-log" <<'EOF'
#!/bin/sh
cat >"$ST_STATE.post.json"
echo "$ST_EVENT $ST_ID" >>"$ST_STATE.post.log"
EOF
chmod 755 "$ST_HOOKS"/volume.backup.*.d/10-*
touch "$ST_STATE.veto"
sum=$(state_sum)
nobj=$(s3py "print(len(keys('bk-7051')))")
fails_with 100 'database not quiesced' st-volume-backup --to s3://bk-7051/vols "$r1"
is "$(state_sum)|$(s3py "print(len(keys('bk-7051')))")" "$sum|$nobj" 'a veto: no snapshot, no backup, nothing in the bucket'
is "$(jq -r '[.id, .backup.to] | join(" ")' "$ST_STATE.pre.json")" "$r1 s3://bk-7051/vols" \
    'the pre hook got the volume and where it goes'
rm "$ST_STATE.veto"
b4=$(st-volume-backup --to s3://bk-7051/vols "$r1")
is "$(cat "$ST_STATE.post.log")" "volume.backup.post $r1" 'volume.backup.post ran once, for the volume'
is "$(jq -r '.backup.id' "$ST_STATE.post.json")" "$b4" 'the post hook got the backup'
is "$(st-events | grep -c "$b4.*volume.backup")" 1 'the event volume.backup is recorded'

# bad input: the new volume's name, a backup that is not there
sum=$(state_sum)
for n in '../x' 'a/b' 'a b' '<x>' 'X&Y' ''; do
	fails_with 2 "bad --to" st-backup-restore --to "$n" "$b1"
done
fails_with 100 'name already taken' st-backup-restore --to restored-7051 "$b1"
is "$(state_sum)" "$sum" 'nothing was created'
