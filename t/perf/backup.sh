#!/bin/sh
# t/perf/backup.sh: backups to S3 (an s3rver on loopback), figures side by
# side in one run (not a pass/fail test):
# 1. a dir volume of SIZE MiB (1024) of random bytes: its first backup,
#    next to a plain upload of the same bytes by boto3 (upload_file:
#    multipart, threads); then a second, unchanged backup; then, apart,
#    its two parts: a snapshot, and a backup of an existing snapshot.
# 2. a 256 MiB volume: a backup, 1% of it changed in place, a second
#    backup: the bytes each one uploaded.
# Needs s3rver (share/install-deps) and python3-boto3.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
S3RVER=/opt/stampede-test/node_modules/.bin/s3rver
[ -x "$S3RVER" ] || { echo "# backup.sh: s3rver is not installed (sh share/install-deps)"; exit 0; }
SIZE=${SIZE:-1024}
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db
ST_CONF=$dir/stampede.conf
ST_HOOKS=$dir/hooks
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
export ST_STATE ST_CONF ST_HOOKS AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
E=http://127.0.0.1:$port
ST_S3_ENDPOINT=$E
export ST_S3_ENDPOINT
mkdir -p "$dir/s3" "$dir/pool"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$dir/s3" -a 127.0.0.1 -p "$port" --silent \
    --configure-bucket perf-a --configure-bucket perf-b >/dev/null 2>&1 &
spid=$!
cleanup() {
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
i=0
until curl -s -o /dev/null "$E/"; do
	sleep 0.1
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "# backup.sh: s3rver did not start"; exit 1; }
done
st-init >/dev/null 2>&1
host=$(st-host-add --no-probe --cpu 1 --mem 1G local)
st-pool-add --backend dir --path "$dir/pool" "$host" >/dev/null

ms() { perl -MTime::HiRes=time -e 'printf "%.0f\n", time * 1000'; }
src() { st-inspect "$1" | jq -r .source; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", (b / 1048576) / (t / 1000) }'; }

# 1. throughput
v=$(st-volume-create --size "$((SIZE + 64))M" big)
head -c "$((SIZE * 1048576))" /dev/urandom >"$(src "$v")/data"
sync
t0=$(ms)
python3 -c "
import boto3, botocore
s3 = boto3.client('s3', endpoint_url='$E', region_name='us-east-1', aws_access_key_id='S3RVER',
    aws_secret_access_key='S3RVER', config=botocore.config.Config(s3={'addressing_style': 'path'}))
s3.upload_file('$(src "$v")/data', 'perf-b', 'plain/data')
"
t1=$(ms)
b1=$(st-volume-backup --to s3://perf-a/big "$v")
t2=$(ms)
b2=$(st-volume-backup --to s3://perf-a/big "$v")
t3=$(ms)
# the second backup's two parts: the snapshot, the backup of a snapshot
s=$(st-volume-snapshot "$v")
t4=$(ms)
st-volume-backup --to s3://perf-a/big "$s" >/dev/null
t5=$(ms)
plain=$((t1 - t0)) first=$((t2 - t1)) second=$((t3 - t2)) snap=$((t4 - t3)) again=$((t5 - t4))
echo "# backup of a ${SIZE} MiB dir volume to s3rver on loopback (default 4 MiB chunks)"
printf 'boto3 upload_file of the bytes  %6d ms  %7s MiB/s\n' "$plain" "$(mbps $((SIZE * 1048576)) $plain)"
printf 'first backup (snapshot+upload)  %6d ms  %7s MiB/s  %s of boto3'"'"'s speed\n' "$first" \
    "$(mbps $((SIZE * 1048576)) $first)" "$(awk -v a=$plain -v b=$first 'BEGIN { printf "%.2f", a / b }')"
printf 'second backup, unchanged        %6d ms  %7s MiB/s  %s times faster than the first\n' "$second" \
    "$(mbps $((SIZE * 1048576)) $second)" "$(awk -v a=$first -v b=$second 'BEGIN { printf "%.1f", a / b }')"
printf 'apart: st-volume-snapshot      %6d ms  (dir: a full copy)\n' "$snap"
printf 'apart: a backup of a snapshot %6d ms  %7s MiB/s  %s times faster than the first\n' "$again" \
    "$(mbps $((SIZE * 1048576)) $again)" "$(awk -v a=$first -v b=$again 'BEGIN { printf "%.1f", a / b }')"
printf 'uploaded: first %s bytes, second %s bytes\n' "$(st-inspect "$b1" | jq .uploaded)" "$(st-inspect "$b2" | jq .uploaded)"
st-volume-rm "$v" >/dev/null

# 2. incremental: 1% of a 256 MiB volume changed
v=$(st-volume-create --size 300M inc)
head -c 268435456 /dev/urandom >"$(src "$v")/data"
b1=$(st-volume-backup --to s3://perf-a/inc "$v")
dd if=/dev/urandom of="$(src "$v")/data" bs=4096 count=655 seek=30000 conv=notrunc status=none
b2=$(st-volume-backup --to s3://perf-a/inc "$v")
u1=$(st-inspect "$b1" | jq .uploaded)
u2=$(st-inspect "$b2" | jq .uploaded)
echo "# a 256 MiB dir volume, 1% (2.6 MiB) changed in place between two backups"
printf 'first backup uploaded   %10d bytes\n' "$u1"
printf 'second backup uploaded  %10d bytes  (%s%% of the first; target under 5%%)\n' "$u2" \
    "$(awk -v a="$u2" -v b="$u1" 'BEGIN { printf "%.2f", 100 * a / b }')"
st-volume-rm "$v" >/dev/null
