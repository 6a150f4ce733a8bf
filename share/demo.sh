#!/bin/sh
# demo.sh: `make demo`: a small cloud on this machine, from a fresh state
# file in ./demo: the local dockerd as a host (plus two pre-provisioned
# ones), a busybox image made offline, a web tier placed and started with
# one pipeline, a page fetched from each container, labels, attributes,
# the event log, and a consistent backup of the state.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
export PATH
demo=$top/demo
ST_STATE=$demo/state.db
ST_CONF=$demo/stampede.conf
export ST_STATE ST_CONF

# a demo run before: its containers go first (only those of its cluster)
if [ -f "$ST_STATE" ]; then
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
fi
rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"

if [ -t 1 ]; then bold=$(printf "\033[1m") plain=$(printf "\033[0m"); else bold= plain=; fi
say() { printf "\n%s$ %s%s\n" "$bold" "$*" "$plain"; }
run() { say "$*"; sh -c "$*"; }

# an image built offline: busybox-static as a root filesystem
rootfs=$demo/rootfs
mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/"
for a in sh httpd cat echo hostname ls sleep; do ln -s busybox "$rootfs/bin/$a"; done
tar -C "$rootfs" -cf "$demo/busybox.tar" .

run "st init"
run "st host-add --docker unix:///var/run/docker.sock --label dc=par local"
run "printf 'rack2-a\nrack2-b\n' | st host-add --no-probe --cpu 8 --mem 16G --label dc=ber"
run "st host-ls"
run "st image-import --name demo/busybox:1 --host local $demo/busybox.tar"
base=$((18000 + $$ % 1000))
for i in 1 2 3; do
	run "st create --image demo/busybox:1 --name web-$i --cpu 0.25 --mem 32M --label app=web --attr owner=demo \\
    --port $((base + i)):80 -- sh -c 'echo \"<h1>\$(hostname)</h1>\" >/www/index.html; exec httpd -f -p 80 -h /www'"
done
run "st ps -q --label app=web | st schedule --constraint dc=par | st start"
run "st ps -o id,name,state,host,cpu,mem,labels"
for i in 1 2 3; do
	say "curl -s http://127.0.0.1:$((base + i))/"
	n=0
	until curl -sf "http://127.0.0.1:$((base + i))/"; do
		n=$((n + 1)); [ $n -lt 25 ] || { echo "web-$i does not answer" >&2; exit 1; }
		sleep 0.2
	done
done
run "st exec web-1 -- ls /www"
run "st create --image demo/busybox:1 --name batch --cpu 16 | st schedule --explain || true"
run "st inspect web-1"
run "st events | tail -6"
run "st state-backup $demo/state-copy.db && sqlite3 $demo/state-copy.db 'PRAGMA integrity_check'"
cat <<EOT

The demo cloud is up: state in $ST_STATE, three containers on the local dockerd.
Look around:   export ST_STATE=$ST_STATE; st ps; st host-ls; man stampede
Clean up:      st ps -a -q | st rm -f; rm -rf $demo
EOT
