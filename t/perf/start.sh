#!/bin/sh
# t/perf/start.sh: the cost of starting containers through Stampede next
# to the docker CLI, in one run (figures, not a pass/fail test):
# `st-create | st-schedule | st-start` of one container against
# `docker run -d` of the same image, median of RUNS; then 20 containers in
# one pipeline against 20 `docker run -d`. Needs dockerd and the docker CLI.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
command -v docker >/dev/null || { echo "# start.sh: no docker CLI to compare with"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
ST_STATE=$dir/state.db
export ST_STATE
RUNS=${RUNS:-15}
image=st-test/busybox:1
cleanup() {
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
	docker ps -aq --filter label=st-perf=1 | xargs -r docker rm -f >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
st-init >/dev/null 2>&1
st-host-add --docker unix:///var/run/docker.sock local >/dev/null
if ! docker image inspect "$image" >/dev/null 2>&1; then
	r=$dir/rootfs
	mkdir -p "$r/bin" && cp /bin/busybox "$r/bin/" && ln -s busybox "$r/bin/sleep" && ln -s busybox "$r/bin/sh"
	tar -C "$r" -cf "$dir/bb.tar" . && st-image-import --name "$image" "$dir/bb.tar" >/dev/null
fi

ms() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time * 1000'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$dir/st" ; : >"$dir/dk"
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(ms)
	st-create --image "$image" --cpu 0.01 --mem 8M -- sleep 3600 | st-schedule | st-start -q >/dev/null
	t1=$(ms)
	docker run -d --label st-perf=1 --cpus 0.01 --memory 8m "$image" sleep 3600 >/dev/null
	t2=$(ms)
	echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$dir/st"
	echo "$t1 $t2" | awk '{ print $2 - $1 }' >>"$dir/dk"
	i=$((i + 1))
done
a=$(median <"$dir/st") b=$(median <"$dir/dk")
echo "# one container, median of $RUNS (ms): st-create|st-schedule|st-start $a, docker run -d $b, ratio $(echo "$a $b" | awk '{ printf "%.2f", $1 / $2 }')"

t0=$(ms)
st-create --image "$image" -n 20 --cpu 0.01 --mem 8M -- sleep 3600 | st-schedule | st-start -q >/dev/null
t1=$(ms)
i=0
while [ $i -lt 20 ]; do docker run -d --label st-perf=1 --cpus 0.01 --memory 8m "$image" sleep 3600 >/dev/null; i=$((i + 1)); done
t2=$(ms)
echo "$t0 $t1 $t2" | awk '{ printf "# 20 containers (ms): one pipeline %.0f, 20 docker run -d %.0f, ratio %.2f\n", $2 - $1, $3 - $2, ($2 - $1) / ($3 - $2) }'
