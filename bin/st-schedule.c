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

/* hooks: instance.schedule.pre/.post, for the instances that move */
static int hook_pre, hook_post;
static char (*moved)[ST_ID_LEN + 1];
static size_t nmoved;
static int begin(void *);
static int end(void *, int);

/* hooks: resolves arg to id and says whether it will be placed; the pre
 * hooks run with the batch so far committed and printed, outside any
 * transaction, and a new one begins after them. *flushed: the batch's
 * code */
static int
hooks_pre(const char *arg, char id[ST_ID_LEN + 1], int *moves, int *flushed)
{
	char why[ST_HOOK_WHY];
	const char *state;
	json_t *o;
	int rc;

	*moves = 0;
	if (hook_pre)
		*flushed = end(NULL, ST_OK);
	rc = st_resolve(&db, ST_INSTANCE, arg, id);
	if (rc == ST_OK && (o = st_inst_json(&db, id)) != NULL) {
		state = json_string_value(json_object_get(o, "state"));
		*moves = state && (strcmp(state, "requested") == 0 || strcmp(state, "stopped") == 0);
		if (hook_pre && *moves && (rc = st_hook_pre(&db, "instance.schedule.pre", id, o, why)) != ST_OK)
			st_fail(rc, "unable to schedule '%s': %s", id, why);
		json_decref(o);
	}
	if (hook_pre)
		rc = ST_MAX(rc, begin(NULL));
	return rc;
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], host[64];
	size_t n;
	int rc, moves = 0, flushed = ST_OK;

	(void)ctx;
	if ((hook_pre || hook_post) && (rc = hooks_pre(arg, id, &moves, &flushed)) != ST_OK)	/* hooks */
		return ST_MAX(rc, flushed);
	if ((rc = st_sched_place(&db, &sched, hook_pre || hook_post ? id : arg, id, host)) != ST_OK)
		return ST_MAX(rc, flushed);
	if (hook_post && moves) {	/* hooks: run once the batch is committed */
		moved = st_realloc(moved, (nmoved + 1) * sizeof *moved);
		memcpy(moved[nmoved++], id, ST_ID_LEN + 1);
	}
	n = strlen(id) + strlen(host) + 2;
	if (outlen + n + 1 > outcap) {
		outcap = (outlen + n + 1) * 2;
		out = st_realloc(out, outcap);
	}
	outlen += (size_t)snprintf(out + outlen, outcap - outlen, "%s\t%s\n", id, host);
	return flushed;
}

static int
begin(void *ctx)
{
	(void)ctx;
	outlen = 0;
	nmoved = 0;	/* hooks */
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
	st_fault("schedule.before-commit");
	if ((c = st_db_commit(&db)) != ST_OK)
		return ST_MAX(rc, c);
	for (size_t i = 0; i < nmoved; i++)	/* hooks: after the commit */
		st_hook_post(&db, "instance.schedule.post", moved[i], NULL);
	nmoved = 0;
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
	hook_pre = st_hook_has("instance.schedule.pre");	/* hooks */
	hook_post = st_hook_has("instance.schedule.post");
	for (i = 0; i < nexcl; i++)
		if ((rc = st_sched_exclude(&db, &sched, excl[i])) != ST_OK)
			return rc;
	rc = st_each_batch(argc - optind, argv + optind, &ops, NULL);
	st_db_close(&db);
	st_sched_free(&sched);
	free(excl);
	free(out);
	free(moved);	/* hooks */
	return ST_MAX(rc, st_flush());
}
