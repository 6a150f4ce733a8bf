#!/bin/sh
# Damage in the bucket, made with boto3: a chunk deleted, one byte of a
# chunk flipped. st-backup-verify (--deep for the flip) fails naming the
# chunk; st-backup-restore and st-backup-drill refuse and leave no
# volume (nor file) behind; a new backup of the same data repairs it.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
plan 24

s3_start bk-7052
E=$S3_ENDPOINT
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
host=$(st-host-add --no-probe --cpu 1 --mem 1G local-7052) || { echo 'Bail out! st-host-add'; exit 1; }
mkdir -p "$trash/pool"
st-pool-add --backend dir --path "$trash/pool" "$host" >/dev/null || { echo 'Bail out! st-pool-add'; exit 1; }
vol=$(st-volume-create --size 16M data-7052) || { echo 'Bail out! st-volume-create'; exit 1; }
d=$(st-inspect "$vol" | jq -r .source)
head -c 3000000 /dev/urandom >"$d/data"
b=$(st-volume-backup --chunk-size 1M --to s3://bk-7052/p --endpoint "$E" "$vol") || { echo 'Bail out! backup'; exit 1; }
ok 'a fresh backup verifies, deep' st-backup-verify --deep "$b"

# the key of chunk N (1-based), from the manifest, by boto3
chunk() {
	s3py "
m = json.loads(s3.get_object(Bucket='bk-7052', Key='p/backups/$b.json')['Body'].read())
c = m['chunks'][$1 - 1]['sha256']
print('p/chunks/%s/%s' % (c[:2], c))"
}
is "$(s3py "m = json.loads(s3.get_object(Bucket='bk-7052', Key='p/backups/$b.json')['Body'].read()); print(len(m['chunks']))")" 3 \
    'the backup has 3 chunks'
k2=$(chunk 2)
k3=$(chunk 3)
vols=$(st-volume-ls -q | sort)
pool=$(ls "$trash/pool" | sort)

# 1. a chunk deleted
s3py "s3.delete_object(Bucket='bk-7052', Key='$k2')"
fails_with 100 "chunk 2 of 3, '$k2': missing" st-backup-verify "$b"
fails_with 100 "chunk 2 of 3, '$k2': missing" st-backup-verify --deep "$b"
is "$(cat "$trash/out")" '' 'a failed verify prints no ID'
fails_with 100 "chunk 2 of 3, '$k2': missing" st-backup-restore --to new-7052 "$b"
cp "$trash/err" restore.err
ok 'the restore says it removed the new volume' grep -q 'the new volume .* is removed' restore.err
is "$(st-volume-ls -q | sort)|$(ls "$trash/pool" | sort)" "$vols|$pool" 'no volume and no storage left behind'
fails_with 100 "chunk 2 of 3, '$k2': missing" st-backup-restore --to-file out.raw "$b"
is "$(ls | grep -c 'out\.raw')" 0 'no file left behind either'
fails_with 100 "chunk 2 of 3, '$k2': missing" st-backup-drill "$b"
is "$(st-volume-ls -q | sort)" "$vols" 'the drill left no scratch volume'

# a new backup of the same data puts the missing chunk back
b2=$(st-volume-backup -v --chunk-size 1M --to s3://bk-7052/p --endpoint "$E" "$vol" 2>b2.err)
ok 'a new backup uploads the one missing chunk' grep -q 'uploaded 1 chunks, 1M' b2.err
vols=$(st-volume-ls -q | sort)
pool=$(ls "$trash/pool" | sort)
ok 'and the old backup verifies again, deep' st-backup-verify --deep "$b"

# 2. one byte flipped in chunk 3: the size is right, the hash is not
s3py "
body = bytearray(s3.get_object(Bucket='bk-7052', Key='$k3')['Body'].read())
body[1000] ^= 0x01
s3.put_object(Bucket='bk-7052', Key='$k3', Body=bytes(body))"
is "$(s3py "print(s3.head_object(Bucket='bk-7052', Key='$k3')['ContentLength'])")" \
    "$(s3py "m = json.loads(s3.get_object(Bucket='bk-7052', Key='p/backups/$b.json')['Body'].read()); print(m['chunks'][2]['size'])")" \
    'boto3: the damaged chunk still has its size'
ok 'a listing alone cannot see a flipped byte (plain verify passes)' st-backup-verify "$b"
fails_with 100 "chunk 3 of 3, '$k3': damaged: its SHA-256 is" st-backup-verify --deep "$b"
fails_with 100 "chunk 3 of 3, '$k3': damaged" st-backup-verify --deep "$b2"
fails_with 100 "chunk 3 of 3, '$k3': damaged" st-backup-restore --to new-7052 "$b"
is "$(st-volume-ls -q | sort)|$(ls "$trash/pool" | sort)" "$vols|$pool" 'a corrupt volume is never left behind'
fails_with 100 "chunk 3 of 3, '$k3': damaged" st-backup-drill "$b"
fails_with 100 "'$k3': damaged" st-backup-restore --to-file out.raw "$b"
is "$(ls | grep -c 'out\.raw')" 0 'no corrupt file either'

# 3. a damaged manifest
s3py "s3.put_object(Bucket='bk-7052', Key='p/backups/$b.json', Body=b'{\"format\": \"stampede-backup-1\"}')"
fails_with 100 "manifest 'p/backups/$b.json': manifest lacks" st-backup-verify "$b"
