#!/bin/sh
# Unreachable and wrong endpoints give clear errors with 111 or 100 (2 for
# a malformed URL), and leave the state unchanged or marked for retry.
. "$(dirname "$0")/lib.sh"
plan 13

st-init >/dev/null 2>&1
sum=$(state_sum)
fails_with 111 'unable to reach docker' st-host-add --docker unix:///nonexistent/docker.sock ghost
fails_with 2 'needs TLS' st-host-add --docker tcp://127.0.0.1:2375 plain
fails_with 2 'not unix' st-host-add --docker http://127.0.0.1:2375 web
fails_with 2 'not allowed' st-host-add --docker 'unix:///tmp/x;rm -rf /' evil
fails_with 2 'tcp://' st-host-add --docker unix:///var/run/docker.sock --insecure local
is "$(state_sum)" "$sum" 'the state is unchanged'

# a host registered while its daemon answered, which then stops answering:
# a socket that refuses connections stands for a dockerd that died
st-host-add --no-probe --cpu 2 --mem 1G --docker "unix://$trash/dead.sock" dead >/dev/null
i=$(st-create --image busybox --cpu 0.5 --mem 16M | st-schedule | cut -f1)
fails_with 111 'unable to reach docker' st-start "$i"
is "$(st-inspect "$i" | jq -r .state)" scheduled 'a temporary failure leaves it scheduled, to retry'
fails_with 111 'unable to reach docker' st-host-probe dead
is "$(st-host-ls -j | jq -r 'select(.name == "dead") | .state')" unreachable 'st-host-probe marks the host unreachable'
is "$(st-events -j | jq -r 'select(.event == "instance.start.failed") | .detail.error' | grep -c 'unable to reach')" 1 'the failed start is an event'
ok 'st-schedule places nothing on an unreachable host' sh -c "! st-create --image busybox --cpu 0.5 --mem 16M | st-schedule 2>/dev/null"
is "$(st-ps -o state | sort | uniq -c | tr -s ' ' | sed 's/^ //' | tr '\n' ' ')" '1 requested 1 scheduled ' 'the new instance stays requested'
