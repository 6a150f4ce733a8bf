/* st-schedule: place requested (or stopped) instances on hosts and print
 * ID<TAB>HOST. Records waiting on stdin are placed in one transaction and
 * printed after its commit; a stall in the input commits at once. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static struct st_sched sched;
/* the batch's output, printed once committed */
static char *out;
static size_t outlen, outcap;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-schedule [--explain] [--strategy spread|binpack] [--exclude HOST]...\n"
	    "                   [--constraint key=value|key!=value]... [--spread-by LABEL]\n"
	    "                   [--state FILE] [INSTANCE...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], host[64];
	size_t n;
	int rc;

	(void)ctx;
	if ((rc = st_sched_place(&db, &sched, arg, id, host)) != ST_OK)
		return rc;
	n = strlen(id) + strlen(host) + 2;
	if (outlen + n + 1 > outcap) {
		outcap = (outlen + n + 1) * 2;
		out = st_realloc(out, outcap);
	}
	outlen += (size_t)snprintf(out + outlen, outcap - outlen, "%s\t%s\n", id, host);
	return ST_OK;
}

static int
begin(void *ctx)
{
	(void)ctx;
	outlen = 0;
	return st_db_begin(&db);
}

static int
end(void *ctx, int rc)
{
	int c;

	(void)ctx;
	/* a batch rolled back or a failed commit placed nothing: its lines
	 * are dropped */
	if (!db.in_tx) {
		outlen = 0;
		return ST_MAX(rc, ST_TEMP);
	}
	if ((c = st_db_commit(&db)) != ST_OK)
		return ST_MAX(rc, c);
	if (outlen > 0)
		fwrite(out, 1, outlen, stdout);
	outlen = 0;
	return ST_MAX(rc, st_flush());
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "constraint", required_argument, NULL, 'c' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "explain", no_argument, NULL, 'e' },
		{ "spread-by", required_argument, NULL, 'b' },
		{ "strategy", required_argument, NULL, 's' },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_each_ops ops = { .one = one, .begin = begin, .end = end };
	const char **excl = NULL, *why;
	size_t nexcl = 0, i;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (st_valid_label_key(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --spread-by '%s': %s", st_q(optarg), why);
			sched.spread_by = optarg;
			break;
		case 'c':
			sched.cons = st_realloc(sched.cons, (sched.ncons + 1) * sizeof *sched.cons);
			if (st_constraint_parse(optarg, &sched.cons[sched.ncons], &why) < 0)
				st_die(ST_USAGE, "bad --constraint '%s': %s", st_q(optarg), why);
			sched.ncons++;
			break;
		case 'e':
			sched.explain = 1;
			break;
		case 's':
			if (strcmp(optarg, "spread") == 0)
				sched.strategy = ST_SPREAD;
			else if (strcmp(optarg, "binpack") == 0)
				sched.strategy = ST_BINPACK;
			else
				st_die(ST_USAGE, "bad --strategy '%s': must be spread or binpack", st_q(optarg));
			break;
		case 'x':
			excl = st_realloc(excl, (nexcl + 1) * sizeof *excl);
			excl[nexcl++] = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	st_sched_init();
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	for (i = 0; i < nexcl; i++)
		if ((rc = st_sched_exclude(&db, &sched, excl[i])) != ST_OK)
			return rc;
	rc = st_each_batch(argc - optind, argv + optind, &ops, NULL);
	st_db_close(&db);
	st_sched_free(&sched);
	free(excl);
	free(out);
	return ST_MAX(rc, st_flush());
}
