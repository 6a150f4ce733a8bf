#!/bin/sh
# t/perf/lb.sh: load balancer figures in one run (not a pass/fail test):
# 1. requests/s through a load balancer next to requests/s straight to
#    its one backend (busybox httpd), same client (ab), same run: ratio;
# 2. the time of `st-lb-add` of one target to a load balancer that holds
#    1,000 (instance rows with addresses: no 1,000 containers), next to
#    the start-up cost of a command (`st-lb-ls`); and what a reload with
#    1,000 backends costs, for comparison.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db
ST_HOOKS=$dir/hooks
export ST_STATE ST_HOOKS
RUNS=${RUNS:-21}
N=${N:-5000}
image=st-test/busybox:1
port=${PORT:-19380}
cleanup() {
	st-lb-ls -q 2>/dev/null | st-lb-rm >/dev/null 2>&1 || true
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
st-init >/dev/null 2>&1
host=$(st-host-add --docker unix:///var/run/docker.sock local)
if ! curl -sf --unix-socket /var/run/docker.sock "http://d/v1.41/images/$image/json" >/dev/null; then
	r=$dir/rootfs
	mkdir -p "$r/bin" "$r/www"
	cp /bin/busybox "$r/bin/"
	for a in sh httpd sleep; do ln -s busybox "$r/bin/$a"; done
	tar -C "$r" -cf "$dir/bb.tar" . && st-image-import --name "$image" "$dir/bb.tar" >/dev/null
fi

ms() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time * 1000'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rps() { ab -q -n "$N" -c 8 "$1" 2>&1 | awk '/^Failed/ { f = $3 } /^Requests per second/ { r = $4 } END { print r, f }'; }

# 1. throughput: one backend, straight and through the load balancer
st-create --image "$image" --name perf-web --cpu 1 --mem 64M --label perf=web \
    -- sh -c 'echo hello >/www/index.html; exec httpd -f -p 80 -h /www' | st-schedule | st-start -q >/dev/null
st-lb-create perf-lb --port "$port" --target-port 80 --select perf=web >/dev/null
ip=$(sqlite3 "$ST_STATE" "SELECT ip FROM addresses a JOIN instances i ON i.id = a.instance WHERE i.name = 'perf-web'")
i=0
until curl -sf "http://127.0.0.1:$port/" >/dev/null || [ $i -gt 50 ]; do i=$((i + 1)); sleep 0.1; done
ab -q -n 200 -c 8 "http://$ip/" >/dev/null 2>&1	# warm up
set -- $(rps "http://$ip/")
direct=$1 dfail=$2
set -- $(rps "http://127.0.0.1:$port/")
vialb=$1 lfail=$2
echo "lb: ab -n $N -c 8 (busybox httpd, 1 cpu): straight to the backend $direct req/s ($dfail failed)," \
    "through the load balancer $vialb req/s ($lfail failed): ratio $(echo "$vialb $direct" | awk '{ printf "%.2f", $1 / $2 }')"

# 2. st-lb-add with 1,000 targets: instance rows, running, with addresses
st-create --image "$image" --name fake -n 1000 --cpu 0.001 --mem 6M --label perf=fake -- true >/dev/null
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'running' WHERE name LIKE 'fake-%';
    INSERT INTO addresses (instance, idx, net, ip) SELECT id, 0, NULL,
      '127.2.' || (rowid / 250) || '.' || (rowid % 250 + 1) FROM instances WHERE name LIKE 'fake-%';"
st-lb-create big --port "$((port + 1))" --target-port 9 --check-interval 60000 >/dev/null
t0=$(ms)
st-ps -q --label perf=fake | st-lb-add big >/dev/null
t1=$(ms)
echo "lb: st-lb-add of 1000 targets in one batch (slots grow to $(st-lb-ls -o slots | sort -n | tail -1): a reload): $(echo "$t1 $t0" | awk '{ printf "%.1f", $1 - $2 }') ms"
st-create --image "$image" --name extra --cpu 0.001 --mem 6M -- true >/dev/null
sqlite3 "$ST_STATE" "UPDATE instances SET state = 'running' WHERE name = 'extra';
    INSERT INTO addresses (instance, idx, net, ip) SELECT id, 0, NULL, '127.3.0.1' FROM instances WHERE name = 'extra';"
# each command RUNS times (add then del, so every add is a change): the
# median wall time, and the mean CPU time (user + sys) of the command,
# which the load of a busy machine inflates less
bench() {	# bench CMD [UNDO]: "median_ms cpu_ms"
	perl -MTime::HiRes=time -e '
		my ($cmd, $undo, $n) = @ARGV; my (@w, $cpu);
		for (1 .. $n) {
			my @c0 = times; my $t0 = time; system("$cmd >/dev/null") == 0 or die "$cmd failed\n";
			push @w, (time - $t0) * 1000; my @c1 = times;
			$cpu += ($c1[2] + $c1[3] - $c0[2] - $c0[3]) * 1000;
			system("$undo >/dev/null") if $undo;
		}
		@w = sort { $a <=> $b } @w;
		printf "%.1f %.1f\n", $w[$#w / 2], $cpu / $n;' "$1" "$2" "$RUNS"
}
set -- $(bench "st-lb-add big extra" "st-lb-del big extra")
add=$1 addcpu=$2
set -- $(bench "st-lb-ls")
ls=$1 lscpu=$2
how=$(st-events -j | jq -r 'select(.event == "lb.apply") | .detail.how' | tail -1)
echo "lb: st-lb-add of one target to a load balancer with 1000: $add ms wall (median of $RUNS), $addcpu ms CPU, applied by $how;" \
    "st-lb-ls start-up: $ls ms wall, $lscpu ms CPU; difference $(echo "$add $ls" | awk '{ printf "%.1f", $1 - $2 }') ms wall," \
    "$(echo "$addcpu $lscpu" | awk '{ printf "%.1f", $1 - $2 }') ms CPU"
t0=$(ms)
st-lb-create reload-probe --port "$((port + 2))" >/dev/null
t1=$(ms)
echo "lb: for comparison, st-lb-create (checked config, reload) with 1001 backends on the host: $(echo "$t1 $t0" | awk '{ printf "%.1f", $1 - $2 }') ms"
