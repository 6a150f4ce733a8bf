#!/bin/sh
# demo.sh: `make demo`: a small cloud on this machine, from a fresh state
# file in ./demo: the local dockerd and libvirtd as a host (plus two
# pre-provisioned ones), a busybox image made offline, a network and a
# security group, a web tier placed and started with one pipeline, a page
# fetched from each container and through a load balancer (HAProxy) in
# front of them, a port the security group denies, a volume snapshotted,
# backed up to S3 (an s3rver on loopback) and restored, a tiny VM booted
# through libvirt, the event log, and a consistent backup of the state.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
export PATH
demo=$top/demo
ST_STATE=$demo/state.db
ST_CONF=$demo/stampede.conf
ST_VOLUMES=$demo/volumes	# the default pool of the demo's volumes
export ST_STATE ST_CONF ST_VOLUMES

# a demo run before: its containers go first (only those of its cluster)
cleanup() {
	[ -f "$ST_STATE" ] || return 0
	st-init >/dev/null 2>&1 || true	# a state file of an older demo
	st-lb-ls -q 2>/dev/null | st-lb-rm >/dev/null 2>&1 || true
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
	st-volume-ls -q 2>/dev/null | st-volume-rm >/dev/null 2>&1 || true
	st-sg-ls -q 2>/dev/null | st-sg-rm >/dev/null 2>&1 || true
	st-net-ls -q 2>/dev/null | st-net-rm >/dev/null 2>&1 || true
	st-image-ls -q 2>/dev/null | st-image-rm >/dev/null 2>&1 || true
	if [ -f "$demo/s3rver.pid" ]; then
		kill "$(cat "$demo/s3rver.pid")" 2>/dev/null || true
	fi
}
cleanup
rm -rf "$demo"
if [ "${1:-}" = --clean ]; then	# make demo-clean
	echo "demo: removed everything the demo made"
	exit 0
fi
mkdir -p "$demo"
chmod 700 "$demo"

if [ -t 1 ]; then bold=$(printf "\033[1m") plain=$(printf "\033[0m"); else bold= plain=; fi
say() { printf "\n%s$ %s%s\n" "$bold" "$*" "$plain"; }
run() { say "$*"; sh -c "$*"; }

# an image built offline: busybox-static as a root filesystem
rootfs=$demo/rootfs
mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/"
for a in sh httpd cat echo hostname ls sleep wget timeout; do ln -s busybox "$rootfs/bin/$a"; done
tar -C "$rootfs" -cf "$demo/busybox.tar" .

run "st init"
run "st host-add --docker unix:///var/run/docker.sock --libvirt qemu:///system --label dc=par local"
run "printf 'rack2-a\nrack2-b\n' | st host-add --no-probe --cpu 8 --mem 16G --label dc=ber"
run "st host-ls"
run "st image-import --name demo/busybox:1 --host local $demo/busybox.tar"
base=$((18000 + $$ % 1000))
# a subnet no Docker network of this machine uses yet
for n in $(seq 200 250); do
	docker_nets=$(curl -s --unix-socket /var/run/docker.sock http://docker/networks 2>/dev/null || true)
	case $docker_nets in *"\"10.$n.7.0/24\""*) continue ;; esac
	subnet=10.$n.7.0/24
	break
done
run "st net-create front --subnet $subnet"
run "st sg-create web"
run "st sg-rule-add web --ingress --proto tcp --port 80 --cidr 0.0.0.0/0"
for i in 1 2 3; do
	run "st create --image demo/busybox:1 --name web-$i --cpu 0.25 --mem 32M --label app=web --attr owner=demo \\
    --net front --sg web --port $((base + i)):80 \\
    -- sh -c 'echo \"<h1>\$(hostname)</h1>\" >/www/index.html; httpd -p 8080 -h /www; exec httpd -f -p 80 -h /www'"
done
run "st ps -q --label app=web | st schedule --constraint dc=par | st start"
run "st ps -o id,name,state,host,ip,cpu,mem,labels"
for i in 1 2 3; do
	say "curl -s http://127.0.0.1:$((base + i))/"
	n=0
	until curl -sf "http://127.0.0.1:$((base + i))/"; do
		n=$((n + 1)); [ $n -lt 25 ] || { echo "web-$i does not answer" >&2; exit 1; }
		sleep 0.2
	done
done
# a load balancer in front of the three: HAProxy, health-checked
run "st lb-create web --port $base --target-port 80 --check /index.html --check-interval 500 --select app=web"
n=0
until [ "$(st-lb-stats -o status web | grep -c '^UP$')" = 3 ]; do
	n=$((n + 1)); [ $n -lt 100 ] || { echo "the load balancer's targets are not up" >&2; exit 1; }
	sleep 0.2
done
run "for i in 1 2 3; do curl -s http://127.0.0.1:$base/; done"
run "st lb-stats web"
run "st exec web-1 -- ls /www"
# the security group: port 80 is allowed, 8080 (where web-1 also serves)
# is not, for a client on the same network
ip1=$(st-inspect web-1 | jq -r .ip)
run "st create --image demo/busybox:1 --name client --cpu 0.1 --mem 16M --net front -- sleep 3600 | st schedule --constraint dc=par | st start"
run "st exec client -- timeout 5 wget -q -O - http://$ip1:80/"
run "st exec web-1 -- timeout 5 wget -q -O - http://127.0.0.1:8080/   # it does serve 8080"
run "st exec client -- timeout 3 wget -q -O - http://$ip1:8080/ || echo 'denied by security group web, as it should be'"
run "st sg-ls"

# a volume: written by a container, snapshotted, backed up to S3 (an
# s3rver on loopback: share/install-deps installs it), verified, restored
s3rver=/opt/stampede-test/node_modules/.bin/s3rver
s3port=$((19000 + $$ % 1000))
mkdir -p "$demo/s3"
NODE_OPTIONS=--openssl-legacy-provider "$s3rver" -d "$demo/s3" -a 127.0.0.1 -p "$s3port" \
    --configure-bucket backups >"$demo/s3rver.log" 2>&1 </dev/null &
echo $! >"$demo/s3rver.pid"
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER ST_S3_ENDPOINT=http://127.0.0.1:$s3port
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY ST_S3_ENDPOINT
n=0
until curl -s -o /dev/null "$ST_S3_ENDPOINT/"; do
	n=$((n + 1)); [ $n -lt 150 ] || { echo "s3rver does not answer; see $demo/s3rver.log" >&2; exit 1; }
	sleep 0.2
done
run "st volume-create --size 64M --host local data"
run "st create --image demo/busybox:1 --name db --cpu 0.1 --mem 16M --volume data:/data \\
    -- sh -c 'echo \"order 1\" >/data/orders; exec sleep 3600' | st schedule --constraint dc=par | st start"
n=0
until st-exec db -- cat /data/orders >/dev/null 2>&1; do
	n=$((n + 1)); [ $n -lt 50 ] || { echo "db did not write its data" >&2; exit 1; }
	sleep 0.2
done
run "st volume-snapshot --name nightly data"
run "st volume-backup --to s3://backups/demo nightly"
run "st backup-ls"
b=$(st-backup-ls -q | tail -1)
run "st backup-verify --deep $b"
run "st backup-restore --to data-copy $b"
run "cat \$(st inspect data-copy | jq -r .source)/orders   # what db wrote, back from S3"
run "st backup-drill $b && echo 'restore drill passed'"

# a virtual machine through libvirt (QEMU TCG without /dev/kvm): the tiny
# guest of the tests, the Debian cloud kernel and a busybox initramfs
vmdir=$(sh "$top/t/vmimage.sh")
run "st image-add tiny --qcow2 $vmdir/disk.qcow2 --kernel $vmdir/vmlinuz --initrd $vmdir/initrd.img --cmdline 'console=ttyS0 quiet'"
run "st create --kind vm --image tiny --name vm1 --cpu 1 --mem 128M --net front | st schedule --constraint dc=par | st start"
say "st console --log vm1 | grep STAMPEDE-GUEST-UP"
n=0
until st-console --log vm1 2>/dev/null | grep STAMPEDE-GUEST-UP; do
	n=$((n + 1)); [ $n -lt 300 ] || { echo "vm1 did not boot" >&2; exit 1; }
	sleep 0.2
done
run "st ps -o name,kind,state,ip"
run "st create --image demo/busybox:1 --name batch --cpu 16 | st schedule --explain || true"
run "st inspect web-1"
run "st events | tail -6"
run "st state-backup $demo/state-copy.db && sqlite3 $demo/state-copy.db 'PRAGMA integrity_check'"
cat <<EOT

The demo cloud is up: state in $ST_STATE; containers on the local
dockerd, a VM on libvirtd, a backup in an s3rver on 127.0.0.1:$s3port.
Look around:   export ST_STATE=$ST_STATE ST_CONF=$ST_CONF ST_VOLUMES=$ST_VOLUMES; st ps; st host-ls; man stampede
Clean up:      make demo-clean
EOT
