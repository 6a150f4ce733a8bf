#!/bin/sh
# The chunk store against a real S3 server (s3rver on loopback), checked
# with an independent client (boto3): chunks named by SHA-256 with the
# right sizes and bytes, the manifest last and in the documented format,
# deduplication, multipart for a chunk above the part size, restore to a
# file byte-identical, st-backup-ls --from, and clear errors for a
# missing bucket, wrong credentials, bad URLs and a loose credentials file.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
plan 44

s3_start bk-7050 other-7050
E=$S3_ENDPOINT
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }

# 10 MiB of random bytes, then the same with a 1 MiB head changed
head -c 10485760 /dev/urandom >f1
{ head -c 1048576 /dev/urandom; tail -c +1048577 f1; } >f2
sha() { sha256sum "$1" | cut -c1-64; }

b1=$(st-volume-backup -v --to s3://bk-7050/t1 --endpoint "$E" --file f1 2>err1)
is "$?|$(printf %s "$b1" | grep -c '^b-[0-9a-f]\{12\}$')" '0|1' 'a backup of a file prints its ID'
grep -q '3 chunks, 10M; uploaded 3 chunks' err1
ok 'the first backup uploads all 3 chunks of 4 MiB (-v says so)' grep -q '3 chunks, 10M; uploaded 3 chunks, 10M' err1

# what landed, seen by boto3
s3py "
ks = dict(keys('bk-7050', 't1/'))
m = json.loads(s3.get_object(Bucket='bk-7050', Key='t1/backups/$b1.json')['Body'].read())
print(m['format'], m['id'], m['stream'], m['chunk_size'], m['size'], len(m['chunks']))
data = open('f1', 'rb').read()
good = 0
off = 0
for c in m['chunks']:
    k = 't1/chunks/%s/%s' % (c['sha256'][:2], c['sha256'])
    body = s3.get_object(Bucket='bk-7050', Key=k)['Body'].read()
    if ks.get(k) == c['size'] and hashlib.sha256(body).hexdigest() == c['sha256'] and body == data[off:off + c['size']]:
        good += 1
    off += c['size']
print(good, m['sha256'] == hashlib.sha256(data).hexdigest(), sorted(set(k.split('/')[1] for k in ks)))
" >boto 2>&1
is "$(sed -n 1p boto)" "stampede-backup-1 $b1 raw 4194304 10485760 3" 'boto3: the manifest is there, in format stampede-backup-1'
is "$(sed -n 2p boto)" "3 True ['backups', 'chunks']" 'boto3: each chunk is stored under its SHA-256 with its size and bytes; the manifest holds the whole SHA-256'

# concatenating the chunks listed in the manifest gives the stream (the
# recipe in stampede-backup(5), with standard tools)
s3py "
m = json.loads(s3.get_object(Bucket='bk-7050', Key='t1/backups/$b1.json')['Body'].read())
with open('cat.out', 'wb') as f:
    for c in m['chunks']:
        f.write(s3.get_object(Bucket='bk-7050', Key='t1/chunks/%s/%s' % (c['sha256'][:2], c['sha256']))['Body'].read())
"
is "$(sha cat.out)" "$(sha f1)" 'the chunks concatenated in order give the stream'

b2=$(st-volume-backup -v --to s3://bk-7050/t1 --endpoint "$E" --file f1 2>err2)
ok 'the same bytes again upload nothing: every chunk is already there' grep -q 'uploaded 0 chunks, 0 (0 by multipart); 3 already there' err2
b3=$(st-volume-backup -v --to s3://bk-7050/t1 --endpoint "$E" --file f2 2>err3)
ok 'one changed MiB uploads one chunk' grep -q 'uploaded 1 chunks, 4M (0 by multipart); 2 already there' err3
is "$(st-backup-ls -o id,uploaded | sort)" "$(printf '%s\t10485760\n%s\t0\n%s\t4194304\n' "$b1" "$b2" "$b3" | sort)" \
    'st-backup-ls shows what each backup uploaded'
is "$(s3py "print(len(keys('bk-7050', 't1/chunks/')), len(keys('bk-7050', 't1/backups/')))")" '4 3' \
    'boto3: 4 distinct chunks and 3 manifests in the bucket'

# progress on a terminal (script(1) gives it one), none otherwise
script -qec "st-volume-backup --to s3://bk-7050/tty --endpoint '$E' --file f1" /dev/null </dev/null | tr '\r' '\n' >tty.out
ok 'on a terminal: progress, chunks done of the total, bytes uploaded and skipped' \
    grep -q 'st-volume-backup: chunks 3/3, 10.0 MiB uploaded, 0.0 MiB already there' tty.out
is "$(grep -c 'chunks [12]/3' tty.out)" 2 'one progress line per chunk'

# multipart: a 12 MiB chunk over the 5 MiB part size goes in 3 parts
head -c 12582912 /dev/urandom >big
bm=$(ST_S3_PART_SIZE=5M st-volume-backup -v --chunk-size 16M --to s3://bk-7050/mp --endpoint "$E" --file big 2>errm)
ok 'a chunk above the part size is uploaded by multipart' grep -q 'uploaded 1 chunks, 12M (1 by multipart)' errm
is "$(grep -c 'Stored part [0-9]* of' "$trash/s3rver.log")" 3 's3rver stored 3 parts'
is "$(s3py "print([(k, s) for k, s in keys('bk-7050', 'mp/chunks/')][0][1])")|$(s3py "
import glob
print(hashlib.sha256(s3.get_object(Bucket='bk-7050', Key=keys('bk-7050', 'mp/chunks/')[0][0])['Body'].read()).hexdigest())")" \
    "12582912|$(sha big)" 'boto3: the multipart object has the size and SHA-256 of the chunk'

# restore to a file, byte-identical, every chunk re-hashed
ok "st-backup-restore --to-file" st-backup-restore --to-file r1 "$b3"
is "$(sha r1)" "$(sha f2)" 'the restored file is byte-identical'
ok 'st-backup-restore --to-file of the multipart backup' st-backup-restore --to-file r2 "$bm"
is "$(sha r2)" "$(sha big)" 'and byte-identical too'
ok 'st-backup-verify --deep of all four' st-backup-verify --deep "$b1" "$b2" "$b3" "$bm"
is "$(cat "$trash/out")" "$(printf '%s\n' "$b1" "$b2" "$b3" "$bm")" 'st-backup-verify prints the IDs it verified'

# disaster recovery: a fresh state file finds the backups in the bucket
ST_STATE=$trash/state/other.db
export ST_STATE
st-init >/dev/null 2>&1
is "$(st-backup-ls -q)" '' 'a new state file knows no backup'
is "$(st-backup-ls -o id,source,size --from s3://bk-7050/t1 --endpoint "$E" | sort)" \
    "$(printf '%s\tbucket\t10M\n%s\tbucket\t10M\n%s\tbucket\t10M\n' "$b1" "$b2" "$b3" | sort)" \
    'st-backup-ls --from lists the manifests in the bucket'
ok 'st-backup-verify --from with an ID prefix' st-backup-verify --deep --from s3://bk-7050/t1 --endpoint "$E" "$(echo "$b3" | cut -c1-8)"
ok 'st-backup-restore --from, to a file' st-backup-restore --from s3://bk-7050/t1 --endpoint "$E" --to-file r3 "$b1"
is "$(sha r3)" "$(sha f1)" 'restored from the bucket alone: byte-identical'
ST_STATE=$trash/state/state.db

# errors: clear, with the bucket and the reason, and nothing recorded
sum=$(state_sum)
fails_with 100 "bucket 'no-such-7050': NoSuchBucket" st-volume-backup --to s3://no-such-7050/x --endpoint "$E" --file f1
AWS_ACCESS_KEY_ID=WRONGKEY fails_with 100 "bucket 'bk-7050': InvalidAccessKeyId" \
    st-volume-backup --to s3://bk-7050/x --endpoint "$E" --file f1
fails_with 111 "bucket 'bk-7050' at http://127.0.0.1:1: Couldn't connect" \
    env ST_S3_RETRIES=1 st-volume-backup --to s3://bk-7050/x --endpoint http://127.0.0.1:1 --file f1
fails_with 2 'bad bucket name' st-volume-backup --to s3://B_ad/x --endpoint "$E" --file f1
fails_with 2 'bad prefix' st-volume-backup --to 's3://bk-7050/../x' --endpoint "$E" --file f1
fails_with 2 'not of the form s3://' st-volume-backup --to /tmp/x --file f1
fails_with 2 'give --to' st-volume-backup --file f1
fails_with 2 'bad --chunk-size' st-volume-backup --chunk-size 0 --to s3://bk-7050/x --endpoint "$E" --file f1
fails_with 2 'bad --chunk-size' st-volume-backup --chunk-size 5T --to s3://bk-7050/x --endpoint "$E" --file f1
fails_with 2 'bad endpoint' st-volume-backup --to s3://bk-7050/x --endpoint 'ftp://x' --file f1
# credentials from a file: refused unless 0600, never needed in argv
printf 'access_key_id = S3RVER\nsecret_access_key = S3RVER\n' >s3.conf
chmod 644 s3.conf
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
ST_S3_CONF=$trash/s3.conf
export ST_S3_CONF
fails_with 100 'must be mode 0600' st-volume-backup --to s3://bk-7050/c --endpoint "$E" --file f1
is "$(state_sum)" "$sum" 'the failures changed nothing in the state file'
chmod 600 s3.conf
bc=$(st-volume-backup --to s3://bk-7050/c --endpoint "$E" --file f1)
is "$?" 0 'credentials from a 0600 file'
rm s3.conf
fails_with 100 'no credentials: set AWS_ACCESS_KEY_ID' st-backup-verify "$bc"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset ST_S3_CONF
is "$(sqlite3 "$ST_STATE" .dump | grep -c S3RVER)|$(grep -c S3RVER "$ST_STATE")" '0|0' 'no credential in the state file'
# the endpoint and region from stampede.conf
printf 's3_endpoint = %s\ns3_region = eu-west-3\n' "$E" >"$ST_CONF"
bconf=$(st-volume-backup --to s3://bk-7050/conf --file f1)
is "$?|$(st-inspect "$bconf" | jq -r '[.endpoint, .region] | join(" ")')" "0|$E eu-west-3" \
    'endpoint and region from the settings file, recorded with the backup'
rm "$ST_CONF"
ok 'verify finds the endpoint recorded with the backup' st-backup-verify "$bconf"
fails_with 100 "no such backup" st-backup-verify b-000000000000
fails_with 2 'not a backup ID or the name of one' st-backup-verify --from s3://bk-7050/t1 --endpoint "$E" 'a b'
