#!/bin/sh
# t/perf/hooks.sh: the cost of hooks (figures, not a pass/fail test): a
# pipeline of 20 st-start on the real dockerd with no hooks, with one
# empty hook per transition (instance.start.pre), and with an empty pre,
# post and container.create.filter each; median of RUNS. Then the cost
# of one hook run alone, through st-hook-run. Needs dockerd.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
curl -s --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1 ||
	{ echo "# hooks.sh: dockerd is not running"; exit 0; }
umask 022
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
chmod 755 "$dir"
ST_STATE=$dir/state.db ST_HOOKS=$dir/hooks ST_CONF=$dir/none
export ST_STATE ST_HOOKS ST_CONF
RUNS=${RUNS:-3}
image=st-test/busybox:1
cleanup() {
	st-ps -a -q 2>/dev/null | st-rm -f >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
st-init >/dev/null 2>&1
st-host-add --docker unix:///var/run/docker.sock local >/dev/null
if ! curl -sf --unix-socket /var/run/docker.sock "http://docker/v1.41/images/$image/json" >/dev/null; then
	r=$dir/rootfs
	mkdir -p "$r/bin" && cp /bin/busybox "$r/bin/" && ln -s busybox "$r/bin/sleep" && ln -s busybox "$r/bin/sh"
	tar -C "$r" -cf "$dir/bb.tar" . && st-image-import --name "$image" "$dir/bb.tar" >/dev/null
fi

ms() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time * 1000'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
hook() { mkdir -p "$ST_HOOKS/$1.d" && printf '#!/bin/sh\n%s\n' "$2" >"$ST_HOOKS/$1.d/10-empty" && chmod 755 "$ST_HOOKS/$1.d/10-empty"; }

# 20 starts in one pipeline, the instances created and placed beforehand
starts() {
	: >"$dir/t"
	i=0
	while [ $i -lt "$RUNS" ]; do
		st-create --image "$image" -n 20 --cpu 0.01 --mem 8M -- sleep 3600 | st-schedule | cut -f1 >"$dir/ids"
		t0=$(ms)
		st-start -q <"$dir/ids" >/dev/null
		t1=$(ms)
		st-rm -f <"$dir/ids" >/dev/null
		echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$dir/t"
		i=$((i + 1))
	done
	median <"$dir/t"
}

rm -rf "$ST_HOOKS"
none=$(starts)
mkdir -m 755 "$ST_HOOKS"
hook instance.start.pre 'exec cat >/dev/null'
one=$(starts)
hook instance.start.post 'exec cat >/dev/null'
hook container.create.filter 'exec cat'
three=$(starts)
echo "$none $one $three" | awk '{
	printf "# 20 st-start in one pipeline, median of '"$RUNS"' (ms): no hooks %.0f, one empty pre hook %.0f (+%.1f per start), pre + post + filter %.0f (+%.1f per start)\n",
	    $1, $2, ($2 - $1) / 20, $3, ($3 - $1) / 20 }'

# one hook run alone, by hand, against none
id=$(st-create --image "$image" --cpu 0.01 --mem 8M)
n=200
t0=$(ms)
i=0; while [ $i -lt $n ]; do st-hook-run instance.nohooks.pre "$id" >/dev/null; i=$((i + 1)); done
t1=$(ms)
i=0; while [ $i -lt $n ]; do st-hook-run instance.start.pre "$id" >/dev/null; i=$((i + 1)); done
t2=$(ms)
echo "$t0 $t1 $t2" | awk -v n=$n '{ printf "# st-hook-run, mean of %d (ms): no hooks directory %.2f, one empty hook %.2f: a hook costs %.2f\n", n, ($2 - $1) / n, ($3 - $2) / n, ($3 - $2 - ($2 - $1)) / n }'
