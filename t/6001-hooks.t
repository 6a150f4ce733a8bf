#!/bin/sh
# Pre hooks on real containers: a veto stops exactly its record and
# changes nothing for it while the rest of the pipeline goes on; unsafe
# hooks and directories are refused; a hanging hook and its children are
# killed at the timeout; a hook sees only fds 0, 1 and 2; st-hook-run.
. "$(dirname "$0")/lib.sh"
need_docker
plan 34

umask 022
chmod 755 "$ST_HOOKS"
pre=$ST_HOOKS/instance.start.pre.d
mkdir "$pre"
# a quota hook: the attribute quota=over vetoes, with a reason on stderr
cat >"$pre/10-quota" <<'EOF'
#!/bin/sh
q=$(jq -r '.attrs.quota // empty')
if [ "$q" = over ]; then
	echo "over quota for team $ST_ID" >&2
	echo "second line of the reason" >&2
	exit 1
fi
EOF
chmod 755 "$pre/10-quota"
# a hook that records what it was given
cat >"$pre/20-record" <<EOF
#!/bin/sh
{ echo "argv \$1 \$2"; env | grep '^ST_' | sort; pwd; } >"$trash/seen.\$ST_ID"
cat >"$trash/stdin.\$ST_ID"
ls -l /proc/self/fd >"$trash/fds.\$ST_ID"
EOF
chmod 755 "$pre/20-record"
echo 'exit 1' >"$pre/30-inert.sample"
chmod 755 "$pre/30-inert.sample"

st-create --image "$test_image" --cpu 0.1 --mem 16M --name q-1 -- sleep 3600 >ids
st-create --image "$test_image" --cpu 0.1 --mem 16M --name q-2 --attr quota=over -- sleep 3600 >>ids
st-create --image "$test_image" --cpu 0.1 --mem 16M --name q-3 -- sleep 3600 >>ids
id1=$(sed -n 1p ids) id2=$(sed -n 2p ids) id3=$(sed -n 3p ids)
st-schedule <ids >/dev/null
st-inspect "$id2" >before.json
events_before=$(st-events | grep -c "$id2")

fails_with 100 "st-start: fatal: unable to start '$id2': vetoed by hook 'instance.start.pre.d/10-quota': over quota for team $id2" \
    sh -c "st-schedule <ids | st-start"
is "$(sort out)" "$(printf '%s\n%s\n' "$id1" "$id3" | sort)" 'the pipeline printed the two others'
grep -q '^second line of the reason$' err
is $? 0 'the rest of the reason reaches stderr too'
is "$(st-ps -o name,state -a | sort | tr '\t' ' ' | tr '\n' ' ')" 'q-1 running q-2 scheduled q-3 running ' 'the others run, the vetoed one is as it was'
is "$(docker_ps_cluster "$cluster" | tr '\n' ' ')" "$(printf '%s\n' "st-$id1" "st-$id3" | sort | tr '\n' ' ')" 'Docker holds the two others only'
st-inspect "$id2" >after.json
is "$(cat after.json)" "$(cat before.json)" 'the vetoed instance is unchanged, to its updated time'
is "$(st-events | grep -c "$id2")" "$events_before" 'and no event was recorded for it'
is "$(sed -n 1p "seen.$id1")" "argv instance.start.pre $id1" 'argv is EVENT ID'
grep -qx "ST_EVENT=instance.start.pre" "seen.$id1" && grep -qx "ST_ID=$id1" "seen.$id1" &&
    grep -qx "ST_OBJECT=instance" "seen.$id1" && grep -qx "ST_OBJECT_STATE=scheduled" "seen.$id1" &&
    grep -qx "ST_HOST=$host" "seen.$id1" && grep -qx "ST_STATE=$ST_STATE" "seen.$id1" &&
    grep -qx "ST_HOOKS_VERSION=1" "seen.$id1"
is $? 0 'the environment: ST_EVENT ST_ID ST_OBJECT ST_OBJECT_STATE ST_HOST ST_STATE ST_HOOKS_VERSION'
is "$(tail -1 "seen.$id1")" "$trash/state" 'the working directory is the state directory'
is "$(wc -l <"stdin.$id1" | tr -d ' ')" 1 'stdin is one JSON line'
is "$(jq -r '"\(.id) \(.name) \(.state) \(.host) \(.labels | type) \(.attrs | type)"' "stdin.$id1")" \
    "$id1 q-1 scheduled $host object object" 'stdin: the object with its labels and attributes'
# ls's own directory handle is the one entry past 2: it points at /proc/PID/fd
is "$(grep -v ' -> /proc/[0-9]*/fd$' "fds.$id1" | awk 'NR > 1 { print $9 }' | tr '\n' ' ')" '0 1 2 ' \
    'ls -l /proc/self/fd in a hook: only 0, 1 and 2'
is "$(grep -c ' -> /proc/[0-9]*/fd$' "fds.$id1")" 1 'besides the one ls opened itself'
is "$(grep -c . "fds.$id1")" 5 'five lines in all: the total, 0, 1, 2, and ls'"'"'s own'

# st-hook-run: by hand, with the same input; --dry-run lists and explains
ok 'st-hook-run --dry-run' st-hook-run --dry-run instance.start.pre q-2
is "$(cut -f2-3 out | tr '\t' ' ' | tr '\n' ',')" \
    'instance.start.pre.d/10-quota run,instance.start.pre.d/20-record run,instance.start.pre.d/30-inert.sample skip,' \
    'lists the hooks in order, the .sample as skipped'
fails_with 100 "unable to run 'instance.start.pre' for '$id2': vetoed by hook 'instance.start.pre.d/10-quota': over quota" \
    st-hook-run instance.start.pre q-2
is "$(st-inspect "$id2")" "$(cat before.json)" 'st-hook-run changed nothing either'
ok 'st-hook-run runs the hooks of a record that passes' st-hook-run instance.start.pre q-1
is "$(cat out)" "$id1" 'and prints its ID'
fails_with 2 "bad event" st-hook-run instance.start q-1

# the veto lifted: the record starts
st-attr q-2 quota=ok >/dev/null
ok 'with the attribute changed, it starts' st-start q-2

# unsafe hooks and directories are refused, and say why
stop_all() { st-ps -q | st-stop --timeout 0 >/dev/null 2>&1; }
stop_all
chmod 777 "$pre/20-record"
fails_with 100 "unable to start '$id1': refusing hook 'instance.start.pre.d/20-record': it is writable by group or others" st-start q-1
ok 'st-hook-run --dry-run shows the refusal' sh -c 'st-hook-run -n instance.start.pre q-1; test $? -eq 100'
grep -q "20-record	refused	it is writable by group or others" out
is $? 0 '... with its reason'
chmod 755 "$pre/20-record"
chmod 775 "$pre"
fails_with 100 "refusing hooks directory 'instance.start.pre.d': it is writable by group or others" st-start q-1
chmod 755 "$pre"
chmod 777 "$ST_HOOKS"
fails_with 100 "refusing hooks directory '$ST_HOOKS': it is writable by group or others" st-start q-1
chmod 755 "$ST_HOOKS"
is "$(st-inspect q-1 | jq -r .state)" stopped 'nothing ran for the refused ones'

# a hanging hook and the child it forked are killed at the timeout
tag=$((7000 + $$ % 1000))
cat >"$pre/15-hang" <<EOF
#!/bin/sh
sleep 1$tag &
sleep 2$tag
EOF
chmod 755 "$pre/15-hang"
t0=$(date +%s)
ST_HOOK_TIMEOUT=1 fails_with 111 "unable to start '$id1': hook 'instance.start.pre.d/15-hang' timed out after 1 s" st-start q-1
t1=$(date +%s)
ok 'within a few seconds' test $((t1 - t0)) -le 5
sleep 0.2
is "$(pgrep -fc "sleep [12]$tag")" 0 'no sleep of the hook is left'
is "$(st-inspect q-1 | jq -r .state)" stopped 'the record is as it was'
ST_HOOK_TIMEOUT=0 fails_with 100 "bad ST_HOOK_TIMEOUT '0'" st-start q-1
rm "$pre/15-hang"
