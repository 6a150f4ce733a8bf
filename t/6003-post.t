#!/bin/sh
# Post hooks on real containers: one that calls st-attr on its own object
# works (hooks never run inside a write transaction); a failing one
# leaves an event hook.failed and a warning while the transition stands;
# every lifecycle event runs its hooks once per transition, and none for a
# record that does not move.
. "$(dirname "$0")/lib.sh"
need_docker
plan 20

umask 022
chmod 755 "$ST_HOOKS"
post=$ST_HOOKS/instance.start.post.d
mkdir "$post"
cat >"$post/10-attr" <<'EOF'
#!/bin/sh
st-attr "$2" started_by=hook >/dev/null
EOF
cat >"$post/20-fail" <<'EOF'
#!/bin/sh
echo "notify service down" >&2
exit 3
EOF
cat >"$post/30-after" <<EOF
#!/bin/sh
echo "\$ST_OBJECT_STATE" >"$trash/after.\$2"
EOF
chmod 755 "$post/10-attr" "$post/20-fail" "$post/30-after"

id=$(st-create --image "$test_image" --cpu 0.1 --mem 16M --name p-1 -- sleep 3600)
st-schedule p-1 >/dev/null
ok 'st-start with post hooks, one calling st-attr on the object, one failing' timeout 60 st-start p-1
is "$(cat out)" "$id" 'it succeeds and prints the ID'
is "$(st-attr p-1 started_by)" hook 'the hook'"'"'s st-attr went through: no deadlock'
grep -q "st-start: warning: hook 'instance.start.post.d/20-fail' failed on '$id': exit 3: notify service down" err
is $? 0 'the failure is warned'
is "$(st-inspect p-1 | jq -r .state)" running 'the transition stands'
is "$(docker_api GET "/containers/st-$id/json" | jq -r .State.Status)" running 'Docker runs it'
st-events -j | jq -c 'select(.event == "hook.failed")' >ev
is "$(wc -l <ev | tr -d ' ')" 1 'one event hook.failed'
is "$(jq -r '"\(.object) \(.detail.event) \(.detail.hook) \(.detail.status)"' ev)" \
    "$id instance.start.post instance.start.post.d/20-fail exit 3" 'with the event, the hook and its status'
is "$(jq -r .detail.stderr ev)" 'notify service down' 'and its stderr'
is "$(cat "after.$id")" running 'the hooks after the failing one ran, and saw the state after'
ok 'st-hook-run by hand reports the failure' sh -c "st-hook-run instance.start.post p-1; test \$? -eq 100"
is "$(st-events -j | jq -c 'select(.event == "hook.failed")' | wc -l | tr -d ' ')" 1 'but records no event'
rm "$post/20-fail"
rm "after.$id"
ok 'starting it again' st-start p-1
ok 'runs no post hook: nothing moved' test ! -e "after.$id"

# every event of the lifecycle, once each, in order
rm -r "$post"
st-rm -f p-1 >/dev/null
for e in instance.create instance.schedule instance.start instance.stop instance.restart instance.remove; do
	for w in pre post; do
		mkdir "$ST_HOOKS/$e.$w.d"
		printf '#!/bin/sh\nread -r j\necho "$1 $ST_OBJECT_STATE $(echo "$j" | jq -r .name)" >>"%s/log"\n' "$trash" \
		    >"$ST_HOOKS/$e.$w.d/50-log"
		chmod 755 "$ST_HOOKS/$e.$w.d/50-log"
	done
done
ok 'a whole life in one pipeline' sh -c 'st-create --image "$1" --cpu 0.1 --mem 16M --name p-2 -- sleep 3600 |
    st-schedule | st-start | st-restart --timeout 0 | st-stop --timeout 0 | st-rm' _ "$test_image"
is "$(cat log)" "instance.create.pre  p-2
instance.create.post requested p-2
instance.schedule.pre requested p-2
instance.schedule.post scheduled p-2
instance.start.pre scheduled p-2
instance.start.post running p-2
instance.restart.pre running p-2
instance.restart.post running p-2
instance.stop.pre running p-2
instance.stop.post stopped p-2
instance.remove.pre stopped p-2
instance.remove.post removed p-2" 'each pre and post hook ran once, in order, with the state before and after'
: >log
ok 'a veto in st-create records nothing' sh -c 'printf "#!/bin/sh\necho no >&2\nexit 1\n" >"$1/instance.create.pre.d/60-no"; chmod 755 "$1/instance.create.pre.d/60-no"' _ "$ST_HOOKS"
fails_with 100 "unable to create instance 'p-3': vetoed by hook 'instance.create.pre.d/60-no': no" \
    st-create --image "$test_image" --name p-3 -n 1
is "$(st-ps -a -q | wc -l | tr -d ' ')" 0 'no instance recorded'
is "$(docker_ps_cluster "$cluster" | wc -l | tr -d ' ')" 0 'nothing of this cluster left in Docker'
