#!/bin/sh
# t/perf/schedule.sh: placement throughput and latency, printed (not a
# pass/fail test). 10,000 instances placed by one st-schedule on 1,000,
# 10,000 and 100,000 hosts (best of 3 runs each, from the same state);
# the cost per placement at 100k against 1k; then the latency of one
# `echo ID | st-schedule`, p50 over 50 runs, beside the cost of starting a
# process and of a run that writes nothing, which it includes.
# Targets (issue 3): >= 50,000 placements/s at 100k hosts, ratio <= 1.5,
# p50 < 5 ms. The machine's load is printed: figures are wall clock.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
LC_ALL=C
export LC_ALL
for v in $(env | sed -n 's/^\(ST_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
dir=$(mktemp -d "${TMPDIR:-/tmp}/st-perf.XXXXXX")
trap 'rm -rf "$dir"' EXIT
# a copy of the commands: a rebuild meanwhile does not disturb the figures
mkdir "$dir/bin" && cp "$top"/bin/st-* "$dir/bin"
PATH=$dir/bin:$PATH
ST_STATE=$dir/state.db
export PATH ST_STATE
NINST=${NINST:-10000}
RUNS=${RUNS:-50}
TRIES=${TRIES:-3}

now() { perl -MTime::HiRes=time -e 'printf "%.6f\n", time'; }
fresh() { rm -f "$ST_STATE" "$ST_STATE-wal" "$ST_STATE-shm"; }

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
echo "# st-schedule: $NINST instances (1 cpu, 256M) on N hosts (64 cpus, 256G), spread, best of $TRIES"
printf '%8s %10s %12s %14s\n' hosts seconds placements/s us/placement
for n in 1000 10000 100000; do
	fresh
	st-init >/dev/null 2>&1
	seq "$n" | sed 's/^/host/' | st-host-add --no-probe --cpu 64 --mem 256G >/dev/null
	st-create --image busybox -n "$NINST" >"$dir/ids"
	st-state-backup "$dir/base.db" >/dev/null
	best=
	for try in $(seq "$TRIES"); do
		fresh
		cp "$dir/base.db" "$ST_STATE"
		t0=$(now)
		st-schedule <"$dir/ids" >"$dir/out"
		t1=$(now)
		placed=$(wc -l <"$dir/out")
		[ "$placed" -eq "$NINST" ] || { echo "only $placed placed" >&2; exit 1; }
		s=$(echo "$t0 $t1" | awk '{ printf "%.6f", $2 - $1 }')
		if [ -z "$best" ] || awk "BEGIN { exit !($s < $best) }"; then best=$s; fi
	done
	echo "$best $NINST" | awk '{ printf "%.2f\n", $1 * 1e6 / $2 }' >"$dir/us.$n"
	echo "$best $n $NINST" | awk '{ printf "%8d %10.3f %12.0f %14.2f\n", $2, $1, $3 / $1, $1 * 1e6 / $3 }'
done
awk 'NR == 1 { a = $1 } NR == 2 { b = $1 } END { printf "ratio of cost per placement, 100k / 1k hosts: %.2f\n", b / a }' \
    "$dir/us.1000" "$dir/us.100000"

# latency on the 100k-host state: one record through a pipe, as typed by
# hand (a new instance each run); then an instance already placed (the
# same process, no write); then a process that does nothing
st-create --image busybox -n "$RUNS" >"$dir/one"
head -1 "$dir/out" | cut -f1 >"$dir/placed"
# p50 WHAT CMD ARG...: CMD run once per stdin line, the line on its stdin,
# stdout to /dev/null, exec'd without a shell
p50() {
	perl -MTime::HiRes=time -e '
		my ($what, @cmd) = @ARGV;
		my @t;
		while (my $id = <STDIN>) {
			my $t0 = time;
			my $pid = open(my $p, "|-") // die "fork: $!\n";
			if ($pid == 0) {
				open(STDOUT, ">", "/dev/null");
				exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!\n";
			}
			print $p $id;
			close($p) or die "@cmd failed\n";
			push @t, (time - $t0) * 1000;
		}
		@t = sort { $a <=> $b } @t;
		printf "%-44s %3d runs: p50 %6.2f ms, p90 %6.2f ms\n", $what, scalar @t, $t[$#t / 2], $t[int($#t * 0.9)];
	' "$@"
}
echo "# latency on 100000 hosts"
p50 'echo ID | st-schedule (placing it)' "$dir/bin/st-schedule" <"$dir/one"
for i in $(seq "$RUNS"); do cat "$dir/placed"; done >"$dir/again"
p50 'echo ID | st-schedule (already placed)' "$dir/bin/st-schedule" <"$dir/again"
p50 'echo ID | cat (starting a process)' /bin/cat <"$dir/again"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
