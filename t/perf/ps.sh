#!/bin/sh
# t/perf/ps.sh: the cost of one command, printed (not a pass/fail test):
# median wall time of `st-ps` on an empty state next to `/bin/true`, over
# RUNS runs each, interleaved so that drift hits both alike; the ratio
# (target, issue 2: at most 2). st-ps --version (no state opened) and
# st-inspect of one instance show where the time goes.
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
RUNS=${RUNS:-200}

# spawn N times each command given (separated by ';'), in turn, and print
# for each: median, min and 90th percentile wall time in microseconds
cat >"$dir/spawntime.c" <<'EOF'
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int runs = atoi(argv[1]), ncmd = 0, i, j, st;
	char **cmds[16];
	double *t[16];
	struct timespec a, b;
	pid_t pid;
	posix_spawn_file_actions_t fa;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	cmds[ncmd++] = argv + 2;
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], ";") == 0) {
			argv[i] = NULL;
			if (ncmd < 16)
				cmds[ncmd++] = argv + i + 1;
		}
	for (j = 0; j < ncmd; j++)
		t[j] = malloc(runs * sizeof(double));
	for (i = -5; i < runs; i++)	/* 5 rounds to warm the caches */
		for (j = 0; j < ncmd; j++) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			if (posix_spawn(&pid, cmds[j][0], &fa, NULL, cmds[j], environ) != 0) {
				perror(cmds[j][0]);
				return 1;
			}
			waitpid(pid, &st, 0);
			clock_gettime(CLOCK_MONOTONIC, &b);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "%s: exit status %d\n", cmds[j][0], st);
				return 1;
			}
			if (i >= 0)
				t[j][i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
		}
	for (j = 0; j < ncmd; j++) {
		qsort(t[j], runs, sizeof(double), cmp);
		printf("%.1f %.1f %.1f\n", t[j][runs / 2], t[j][0], t[j][runs * 9 / 10]);
	}
	return 0;
}
EOF
${CC:-cc} -O2 -o "$dir/spawntime" "$dir/spawntime.c"

st-init >/dev/null 2>&1
# st-inspect reads a second state that holds one instance
st-init --state-file "$dir/one.db" >/dev/null 2>&1
st-create --state-file "$dir/one.db" --image busybox --name one >/dev/null
"$dir/spawntime" "$RUNS" /bin/true ';' "$dir/bin/st-ps" ';' "$dir/bin/st-ps" --version ';' \
    "$dir/bin/st-inspect" --state-file "$dir/one.db" one >"$dir/times"

echo "# per-command cost: median (min, p90) wall time over $RUNS runs, microseconds"
awk 'BEGIN { n[1] = "/bin/true"; n[2] = "st-ps, empty state"
	n[3] = "st-ps --version (no state opened)"; n[4] = "st-inspect of one instance" }
	{ printf "%-34s %8.0f (%5.0f, %5.0f)\n", n[NR], $1, $2, $3 }' "$dir/times"
awk 'NR == 1 { t = $1 } NR == 2 { p = $1 } END { printf "ratio st-ps / true: %.2f (target <= 2)\n", p / t }' "$dir/times"
