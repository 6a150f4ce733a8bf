#!/bin/sh
# demo.sh: `make demo`: a small cloud on this machine, from a fresh state
# file in ./demo: hosts, instances placed by the scheduler, labels and
# attributes, the event log, and a consistent backup of the state.
# Later issues extend it with containers, volumes backed up to S3, a load
# balancer and a security group.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
export PATH
demo=$top/demo
rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
ST_STATE=$demo/state.db
ST_CONF=$demo/stampede.conf
export ST_STATE ST_CONF

if [ -t 1 ]; then b=$(printf '\033[1m') n=$(printf '\033[0m'); else b= n=; fi
say() { printf '\n%s$ %s%s\n' "$b" "$*" "$n"; }
run() { say "$*"; sh -c "$*"; }

run "st init"
run "printf 'rack1-a\nrack1-b\nrack2-a\n' | st host-add --no-probe --cpu 4 --mem 8G --label dc=par"
run "st label rack2-a dc=ber"
run "st create --image busybox:latest --name web -n 4 --cpu 0.5 --mem 256M --label app=web --port 8080:80 -- httpd -f -p 80"
run "st create --image busybox:latest --name db --cpu 2 --mem 2G --label app=db --attr backup=nightly"
if command -v st-schedule >/dev/null 2>&1; then
	run "st ps -q --label app=web | st schedule --spread-by app"
	run "st ps -q --label app=db | st schedule --strategy binpack --constraint dc=ber"
	run "st create --image busybox --name huge --cpu 64 | st schedule --explain || true"
fi
run "st ps -o id,name,state,host,cpu,mem,labels"
run "st host-ls"
run "st inspect db"
run "st attr db"
run "st events | tail -5"
run "st state-backup $demo/state-copy.db && sqlite3 $demo/state-copy.db 'PRAGMA integrity_check'"
printf '\ndemo state left in %s (ST_STATE=%s)\n' "$demo" "$ST_STATE"
