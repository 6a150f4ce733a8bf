#!/bin/sh
# st-backup-prune: per volume, --keep-last, --keep-daily, --keep-weekly
# over the manifests' dates (made older with boto3); pruned manifests
# and rows go, then exactly the chunks no kept manifest references.
# An unreadable manifest stops it before anything is deleted.
. "$(dirname "$0")/lib.sh"
. "$ST_TOP/t/s3.sh"
plan 17

s3_start bk-7054
E=$S3_ENDPOINT
ST_S3_ENDPOINT=$E
export ST_S3_ENDPOINT
st-init >/dev/null 2>&1 || { echo 'Bail out! st-init failed'; exit 1; }
host=$(st-host-add --no-probe --cpu 1 --mem 1G local-7054) || { echo 'Bail out! st-host-add'; exit 1; }
mkdir -p "$trash/pool"
st-pool-add --backend dir --path "$trash/pool" "$host" >/dev/null || { echo 'Bail out! st-pool-add'; exit 1; }
va=$(st-volume-create --size 16M vola-7054) && vb=$(st-volume-create --size 16M volb-7054) ||
    { echo 'Bail out! st-volume-create'; exit 1; }
da=$(st-inspect "$va" | jq -r .source)
db=$(st-inspect "$vb" | jq -r .source)
head -c 2097152 /dev/urandom >"$da/common"
cp "$da/common" "$db/common"

# backup VOL: each with 1 MiB of its own
bk() {
	head -c 1048576 /dev/urandom >"$1/own"
	st-volume-backup --chunk-size 256K --to s3://bk-7054/p "$2"
}
for i in 1 2 3 4 5 6; do eval "a$i=\$(bk \"\$da\" \"\$va\")"; done
b1=$(bk "$db" "$vb")
b2=$(bk "$db" "$vb")
# the manifests of volume a, back-dated
s3py "
dates = {'$a1': '2026-10-01T10:00:00Z', '$a2': '2026-10-20T10:00:00Z', '$a3': '2026-11-10T10:00:00Z',
    '$a4': '2026-11-21T10:00:00Z', '$a5': '2026-11-22T01:00:00Z', '$a6': '2026-11-22T02:00:00Z'}
# b1: earlier the same day as b2 (both were made within a second or so)
b2 = json.loads(s3.get_object(Bucket='bk-7054', Key='p/backups/$b2.json')['Body'].read())
dates['$b1'] = b2['created'][:10] + 'T00:00:00Z'
for b, d in dates.items():
    k = 'p/backups/%s.json' % b
    m = json.loads(s3.get_object(Bucket='bk-7054', Key=k)['Body'].read())
    m['created'] = d
    s3.put_object(Bucket='bk-7054', Key=k, Body=json.dumps(m).encode())
"
nall=$(s3py "print(len(keys('bk-7054')))")

# bad input first: nothing changes
sum=$(state_sum)
fails_with 2 'give at least one of --keep-last' st-backup-prune
fails_with 2 'bad --keep-last' st-backup-prune --keep-last -1
fails_with 2 'bad --keep-daily' st-backup-prune --keep-daily many
fails_with 2 'go with --from' st-backup-prune --keep-last 1 --endpoint "$E"
ok 'a dry run' st-backup-prune -n -v --keep-last 1 --keep-daily 2 --keep-weekly 3
is "$(sort "$trash/out")" "$(printf '%s\n' "$a1" "$a5" "$b1" | sort)" 'the dry run names what it would remove'
is "$(state_sum)|$(s3py "print(len(keys('bk-7054')))")" "$sum|$nall" 'and removes nothing'

# an unreadable manifest: nothing is deleted
s3py "s3.put_object(Bucket='bk-7054', Key='p/backups/b-00000000abcd.json', Body=b'not json')"
fails_with 100 "b-00000000abcd.json" st-backup-prune --keep-last 1
is "$(state_sum)|$(s3py "print(len(keys('bk-7054')))")" "$sum|$((nall + 1))" 'an unreadable manifest stops the prune before any deletion'
s3py "s3.delete_object(Bucket='bk-7054', Key='p/backups/b-00000000abcd.json')"

# the prune: last 1, one a day for 2 days, one a week for 3 weeks
ok 'st-backup-prune' st-backup-prune -v --keep-last 1 --keep-daily 2 --keep-weekly 3
is "$(sort "$trash/out")" "$(printf '%s\n' "$a1" "$a5" "$b1" | sort)" \
    'removed: a5 (a6 is newer that day), a1 (past 3 weeks), b1 (b2 is newer that day)'
is "$(st-backup-ls -q | sort)" "$(printf '%s\n' "$a2" "$a3" "$a4" "$a6" "$b2" | sort)" 'the state file keeps the kept ones'
s3py "
ms = [json.loads(s3.get_object(Bucket='bk-7054', Key=k)['Body'].read()) for k, _ in keys('bk-7054', 'p/backups/')]
used = set(c['sha256'] for m in ms for c in m['chunks'])
have = set(k.rsplit('/', 1)[1] for k, _ in keys('bk-7054', 'p/chunks/'))
print(' '.join(sorted(m['id'] for m in ms)))
print(used == have, len(have))
" >boto
is "$(sed -n 1p boto)" "$(printf '%s\n' "$a2" "$a3" "$a4" "$a6" "$b2" | sort | tr '\n' ' ' | sed 's/ $//')" \
    'boto3: the kept manifests are in the bucket, the others are gone'
is "$(sed -n 2p boto | cut -d' ' -f1)" True 'boto3: the chunks left are exactly those the kept manifests use'
ok 'every kept backup verifies, deep' st-backup-verify --deep "$a2" "$a3" "$a4" "$a6" "$b2"
ok 'a second prune with the same rules removes nothing' st-backup-prune --keep-last 1 --keep-daily 2 --keep-weekly 3
is "$(cat "$trash/out")" '' 'and prints nothing'
