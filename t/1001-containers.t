#!/bin/sh
# Containers end to end on the real dockerd: created, placed, started and
# serving; st-exec and st-logs see them; limits are real; stopped and
# removed with nothing of this cluster left, as the Docker API tells.
. "$(dirname "$0")/lib.sh"
need_docker
plan 22

base=$((20000 + $$ % 20000))
p1=$base p2=$((base + 1)) p3=$((base + 2))
for i in 1 2 3; do
	eval "p=\$p$i"
	st-create --image "$test_image" --name "web-$i" --cpu 0.5 --mem 48M --port "$p:80" \
	    --label app=web --env GREETING=hello-$i \
	    -- sh -c 'echo "started $GREETING"; exec httpd -f -p 80 -h /www' || exit 1
done >"$trash/ids"
ok 'three created, scheduled and started in one pipeline' \
    sh -c "st-ps -q --label app=web | st-schedule | st-start >'$trash/started'"
is "$(wc -l <"$trash/started")" 3 'st-start printed three IDs'
is "$(st-ps -o state --label app=web | sort -u)" running 'st-ps: all running'
is "$(docker_ps_cluster "$cluster" | wc -l)" 3 'the Docker API shows three containers of this cluster'

for i in 1 2 3; do
	eval "p=\$p$i"
	st-exec "web-$i" -- sh -c 'echo "page of $GREETING" >/www/index.html'
	n=0; until curl -sf "http://127.0.0.1:$p/" >"$trash/page" 2>/dev/null || [ $n -gt 20 ]; do n=$((n + 1)); sleep 0.2; done
	is "$(cat "$trash/page")" "page of hello-$i" "web-$i serves on port $p"
done

ok 'st-exec runs a command' st-exec web-1 -- sh -c 'echo out; echo err >&2'
is "$(cat "$trash/out")" out 'st-exec: its stdout is ours'
is "$(cat "$trash/err")" err 'st-exec: its stderr is ours'
st-exec web-1 -- sh -c 'exit 7' >/dev/null 2>&1
is $? 7 'st-exec: its exit status is ours'
ok 'st-logs' st-logs web-2
is "$(cat "$trash/out")" 'started hello-2' 'st-logs shows what the container wrote'

id1=$(sed -n 1p "$trash/ids")
lim=$(docker_api GET "/containers/st-$id1/json" | jq -r '"\(.HostConfig.NanoCpus) \(.HostConfig.Memory)"')
is "$lim" "500000000 50331648" 'limits are real: NanoCpus and Memory as given to st-create'
lab=$(docker_api GET "/containers/st-$id1/json" | jq -r '.Config.Labels["io.stampede.cluster"] + " " + .Config.Labels["io.stampede.id"]')
is "$lab" "$cluster $id1" 'the container carries the cluster and instance labels'

ok 'st-stop' st-stop --timeout 1 web-1
is "$(docker_api GET "/containers/st-$id1/json" | jq -r .State.Status)" exited 'Docker shows it exited'
ok 'st-start again' st-start web-1
is "$(docker_api GET "/containers/st-$id1/json" | jq -r .State.Status)" running 'Docker shows it running again'

ok 'st-rm -f removes the running containers' sh -c "st-ps -q --label app=web | st-rm -f"
is "$(docker_ps_cluster "$cluster" | wc -l | tr -d ' ')" 0 'nothing of this cluster left in Docker'
is "$(st-ps -a -q | wc -l | tr -d ' ')" 0 'nothing left in the state'
