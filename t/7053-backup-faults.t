#!/bin/sh
# Faults: the S3 server killed in the middle of a backup leaves no
# manifest and no row (the manifest is the commit point); the same
# command again completes it, skipping the chunks already uploaded. A
# backup killed just before its manifest likewise. Transient errors are
# retried: a server back within the retries is not noticed.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
plan 16

s3_start bk-7053
E=$S3_ENDPOINT
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
head -c 20971520 /dev/urandom >f
head -c 8388608 f >part1
tail -c +8388609 f >part2
sha() { sha256sum "$1" | cut -c1-64; }
nchunks() { s3py "print(len(keys('bk-7053', 'p/chunks/')))"; }
nmanifests() { s3py "print(len(keys('bk-7053', 'p/backups/')))"; }

# the stream comes from a FIFO: 8 MiB, then a pause until the server is gone
mkfifo fifo
(cat part1; while [ ! -e go ]; do sleep 0.05; done; cat part2) >fifo &
wpid=$!
at_exit "kill $wpid"
ST_S3_RETRIES=2 st-volume-backup --chunk-size 1M --to s3://bk-7053/p --endpoint "$E" --file - <fifo >b.out 2>b.err &
bpid=$!
i=0
while [ "$(nchunks)" -lt 8 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
is "$(nchunks)" 8 'the first 8 chunks are in the bucket'
kill -9 "$s3_pid"
wait "$s3_pid" 2>/dev/null
touch go
wait "$bpid"
is "$?" 111 'the server killed in the middle: the backup fails with 111 (retry may help)'
ok 'it says why, naming the bucket' grep -q "fatal: unable to back up '-': bucket 'bk-7053' at $E: Couldn't connect" b.err
is "$(cat b.out)" '' 'and prints no ID'
wait "$wpid"
s3_restart
is "$(nmanifests)" 0 'boto3: no manifest in the bucket: nothing looks complete that is not'
is "$(st-backup-ls -q)" '' 'and no backup in the state file'

# the same command again
b=$(st-volume-backup -v --chunk-size 1M --to s3://bk-7053/p --endpoint "$E" --file - <f 2>b2.err)
is "$?|$(printf %s "$b" | grep -c '^b-')" '0|1' 'the retry completes the backup'
ok 'it uploads only the 12 chunks that were missing' grep -q '20 chunks, 20M; uploaded 12 chunks, 12M (0 by multipart); 8 already there, 8M' b2.err
is "$(nmanifests)|$(nchunks)" '1|20' 'boto3: one manifest, 20 chunks'
ok 'st-backup-restore --to-file' st-backup-restore --to-file r "$b"
is "$(sha r)" "$(sha f)" 'byte-identical'

# killed (SIGKILL) just before writing the manifest
head -c 3145728 /dev/urandom >g
ST_FAULT=backup.before-manifest st-volume-backup --chunk-size 1M --to s3://bk-7053/p --endpoint "$E" --file g >/dev/null 2>&1
is "$?" 137 'a backup killed before its manifest'
is "$(nmanifests)|$(st-backup-ls -q | grep -c .)" '1|1' 'leaves no manifest and no row'
b3=$(st-volume-backup -v --chunk-size 1M --to s3://bk-7053/p --endpoint "$E" --file g 2>b3.err)
ok 'the retry finds all 3 chunks there' grep -q 'uploaded 0 chunks, 0 (0 by multipart); 3 already there' b3.err

# a server that comes back within the retries is not noticed
kill -9 "$s3_pid"
wait "$s3_pid" 2>/dev/null
(sleep 0.6; s3_restart) &
rpid=$!
b4=$(ST_S3_RETRIES=6 st-volume-backup --to s3://bk-7053/p --endpoint "$E" --file g 2>b4.err)
is "$?" 0 'the server back after 0.6 s: the backup retries and succeeds'
wait "$rpid"
s3_pid=$(pgrep -f "s3rver -d $s3_dir" | head -1)
ok 'and it verifies, deep' st-backup-verify --deep "$b4"
