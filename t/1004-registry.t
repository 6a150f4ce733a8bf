#!/bin/sh
# st-image-pull from a private registry on loopback (Debian's
# docker-registry, htpasswd auth made here): good credentials pull, bad
# ones fail clearly, and the password appears in no argv, event, state or
# message.
. "$(dirname "$0")/lib.sh"
need_docker
command -v docker-registry >/dev/null || skip_all "docker-registry is not installed (share/install-deps)"
command -v htpasswd >/dev/null || skip_all "htpasswd is not installed (share/install-deps)"
plan 11

pass="s3cret-$$-pw"
port=$((15000 + $$ % 5000))
reg=127.0.0.1:$port
mkdir -p "$trash/reg/data"
htpasswd -Bbc "$trash/reg/htpasswd" alice "$pass" >/dev/null 2>&1
cat >"$trash/reg/config.yml" <<EOC
version: 0.1
storage:
  filesystem:
    rootdirectory: $trash/reg/data
http:
  addr: $reg
auth:
  htpasswd:
    realm: stampede-test
    path: $trash/reg/htpasswd
EOC
docker-registry serve "$trash/reg/config.yml" >"$trash/reg/log" 2>&1 &
regpid=$!
at_exit "kill $regpid"
n=0; until curl -s -o /dev/null "http://$reg/v2/" || [ $n -gt 50 ]; do n=$((n + 1)); sleep 0.1; done

# put the test image in the registry through the Engine API, then drop
# the local copy so that a pull has to fetch it
ref=$reg/st-test/pulled:$$
auth=$(printf '{"username":"alice","password":"%s","serveraddress":"%s"}' "$pass" "$reg" | base64 -w0 | tr '+/' '-_')
docker_api POST "/images/$test_image/tag?repo=$reg/st-test/pulled&tag=$$" -o /dev/null
docker_api POST "/images/$reg/st-test/pulled/push?tag=$$" -H "X-Registry-Auth: $auth" >"$trash/push"
at_exit "docker_api DELETE /images/$ref?force=1"
ok 'the image is in the registry' grep -q '"Digest"' "$trash/push"
docker_api DELETE "/images/$ref" -o /dev/null
is "$(docker_api GET "/images/$ref/json" -o /dev/null -w '%{http_code}')" 404 'and not in dockerd'

fails_with 100 'no basic auth credentials' st-image-pull "$ref"
ST_REGISTRY_USER=alice ST_REGISTRY_PASSWORD=wrong
export ST_REGISTRY_USER ST_REGISTRY_PASSWORD
fails_with 100 'unauthorized' st-image-pull "$ref"

# good credentials from the environment; meanwhile, every process's argv
# is read for the password
ST_REGISTRY_PASSWORD=$pass
st-image-pull "$ref" >"$trash/pull.out" 2>"$trash/pull.err" &
pullpid=$!
seen=0
while kill -0 $pullpid 2>/dev/null; do
	for f in /proc/[0-9]*/cmdline; do
		{ tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$pass" && seen=$((seen + 1))
	done
done
wait $pullpid
is $? 0 'good credentials from the environment pull the image'
is "$seen" 0 'the password is in no process argv meanwhile'
is "$(docker_api GET "/images/$ref/json" -o /dev/null -w '%{http_code}')" 200 'dockerd has the image'
unset ST_REGISTRY_USER ST_REGISTRY_PASSWORD
docker_api DELETE "/images/$ref" -o /dev/null

# a Docker config.json-style file, refused unless 0600
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$reg" "$(printf 'alice:%s' "$pass" | base64 -w0)" >"$trash/auth.json"
chmod 644 "$trash/auth.json"
fails_with 100 'readable by others' st-image-pull --auth-file "$trash/auth.json" "$ref"
chmod 600 "$trash/auth.json"
ok 'credentials from a 0600 file pull the image' st-image-pull --auth-file "$trash/auth.json" "$ref"

is "$(grep -c -F -- "$pass" "$trash/pull.err" "$trash/err" "$trash/out" | awk -F: '{ s += $2 } END { print s }')" 0 'the password is in no message'
is "$( (st-events -j; sqlite3 "$ST_STATE" .dump) | grep -c -F -- "$pass")" 0 'the password is in no event and nowhere in the state'
