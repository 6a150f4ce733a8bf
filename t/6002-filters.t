#!/bin/sh
# container.create.filter on real containers: an env var taken from an
# --attr is seen inside the running container; two filters chain in
# order; a filter cannot take the container away from its cluster; a bad
# filter fails its record clearly and leaves it as it was.
. "$(dirname "$0")/lib.sh"
need_docker
plan 18

umask 022
chmod 755 "$ST_HOOKS"
f=$ST_HOOKS/container.create.filter.d
mkdir "$f"
# the first filter: OWNER from the attribute owner, read from the object file
cat >"$f/10-owner" <<'EOF'
#!/bin/sh
owner=$(jq -r '.attrs.owner // "nobody"' "$ST_OBJECT_FILE")
jq -c --arg o "$owner" '.Env += ["OWNER=" + $o] | .Labels["team.owner"] = $o'
EOF
# the second sees what the first printed, and tries to drop the cluster label
cat >"$f/20-chain" <<'EOF'
#!/bin/sh
jq -c '.Env += ["SECOND_SAW=" + ((.Env | map(select(startswith("OWNER="))) | .[0]) // "none")]
    | del(.Labels["io.stampede.cluster"])'
EOF
chmod 755 "$f/10-owner" "$f/20-chain"

id=$(st-create --image "$test_image" --cpu 0.1 --mem 16M --name f-1 --attr owner=alice --env A=1 -- sleep 3600)
ok 'created, scheduled and started through two filters' sh -c "echo $id | st-schedule | st-start"
ok 'st-exec env' st-exec f-1 -- env
grep -qx 'OWNER=alice' out
is $? 0 'the env var from the attribute is inside the running container'
grep -qx 'SECOND_SAW=OWNER=alice' out
is $? 0 'the second filter saw the first one'"'"'s output'
grep -qx 'A=1' out
is $? 0 'what st-create gave is still there'
is "$(docker_api GET "/containers/st-$id/json" | jq -r '.Config.Labels["team.owner"]')" alice 'the label a filter added is on the container'
is "$(docker_api GET "/containers/st-$id/json" | jq -r '.Config.Labels["io.stampede.cluster"] + " " + .Config.Labels["io.stampede.id"]')" \
    "$cluster $id" 'a filter cannot take the container out of its cluster'

# st-hook-run shows the document a filter chain makes, and changes nothing
ok 'st-hook-run container.create.filter' st-hook-run container.create.filter f-1
is "$(jq -r '.Env | join(",")' out)" 'A=1,OWNER=alice,SECOND_SAW=OWNER=alice' 'it prints the filtered document'
is "$(jq -r '.Image' out)" "$test_image" 'made from the instance as the driver makes it'

# a filter printing no JSON fails its record clearly; nothing reaches Docker
cat >"$f/30-broken" <<'EOF'
#!/bin/sh
cat >/dev/null
echo 'this is not json'
EOF
chmod 755 "$f/30-broken"
id2=$(st-create --image "$test_image" --cpu 0.1 --mem 16M --name f-2 -- sleep 3600)
st-schedule f-2 >/dev/null
fails_with 100 "unable to start '$id2': filter hook 'container.create.filter.d/30-broken' failed: it printed no valid JSON document" st-start f-2
is "$(st-inspect f-2 | jq -r .state)" scheduled 'back where it was: nothing reached the host'
is "$(docker_api GET "/containers/st-$id2/json" -o /dev/null -w '%{http_code}')" 404 'Docker has no container for it'
printf '#!/bin/sh\ncat >/dev/null\necho "[1, 2]"\n' >"$f/30-broken"
fails_with 100 "it printed JSON that is not an object" st-start f-2
printf '#!/bin/sh\necho "filter says no" >&2\nexit 4\n' >"$f/30-broken"
fails_with 100 "filter hook 'container.create.filter.d/30-broken' failed: exit 4: filter says no" st-start f-2
rm "$f/30-broken"
ok 'fixed, it starts' st-start f-2
is "$(st-inspect f-2 | jq -r .state)" running 'running'
is "$(grep -l "$id2" /tmp/st-hook-* 2>/dev/null)" '' 'no object file is left behind'
