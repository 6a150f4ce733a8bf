#!/bin/sh
# Two state files share one dockerd: listing or removing in one never
# shows or touches the other's containers; a container made by hand,
# without Stampede's labels, is never touched.
. "$(dirname "$0")/lib.sh"
need_docker
plan 9

other=$trash/other/state.db
mkdir -p "$trash/other" && chmod 700 "$trash/other"
ocluster=$(st-init --state "$other" 2>/dev/null)
at_exit "docker_rm_cluster $ocluster"
st-host-add --state "$other" --docker "unix://$docker_sock" local >/dev/null
a=$(st-create --image "$test_image" --cpu 0.1 --mem 16M -- sleep 600 | st-schedule | st-start)
b=$(st-create --state "$other" --image "$test_image" --cpu 0.1 --mem 16M -- sleep 600 |
    st-schedule --state "$other" | st-start --state "$other")
is "$(docker_ps_cluster "$cluster")" "st-$a" 'this cluster: its one container'
is "$(docker_ps_cluster "$ocluster")" "st-$b" 'the other cluster: its one container'
is "$(st-ps -q)" "$a" 'st-ps lists only this state file'\''s instance'
fails_with 100 "unable to find" st-rm -f "$b"

# a container by hand, named as an instance of ours would be, no labels
c=$(st-create --image "$test_image" --cpu 0.1 --mem 16M -- sleep 600 | st-schedule | cut -f1)
docker_api POST "/containers/create?name=st-$c" -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$test_image\",\"Cmd\":[\"sleep\",\"600\"]}" >/dev/null
at_exit "docker_api DELETE /containers/st-$c?force=1"
fails_with 100 'no Stampede labels' st-start "$c"
is "$(docker_api GET "/containers/st-$c/json" | jq -r '.Config.Labels | length')" 0 'the hand-made container is untouched'

ok 'removing everything of this state file' sh -c 'st-ps -a -q | st-rm -f'
is "$(docker_ps_cluster "$ocluster")" "st-$b" 'the other cluster'\''s container is still there'
is "$(docker_api GET "/containers/st-$c/json" | jq -r .Name)" "/st-$c" 'the hand-made container is still there'
