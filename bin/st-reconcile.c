/* st-reconcile: make the state file and what the hosts really run agree:
 * interrupted intents resolved, exited instances started again, vanished
 * ones marked, unknown containers of this cluster removed. For cron. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static struct st_reconcile opts = { .grace = 60 };

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-reconcile [-n] [--grace S] [--state FILE] [HOST...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK)
		return rc;
	return st_reconcile_host(&db, &opts, id);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "grace", required_argument, NULL, 'g' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *why;
	json_t *all, *h;
	size_t i;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hn", lo, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (st_parse_int(optarg, 0, 86400 * 365, &opts.grace, &why) < 0)
				st_die(ST_USAGE, "bad --grace '%s': %s (0 to 31536000 seconds)", st_q(optarg), why);
			break;
		case 'n':
			opts.dry_run = 1;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (optind < argc) {
		rc = st_each(argc - optind, argv + optind, one, NULL);
	} else {
		/* every host with an endpoint; an unreachable one is reported
		 * (111) and the others still done */
		all = st_reconcile_hosts(&db);
		json_array_foreach(all, i, h)
			rc = ST_MAX(rc, st_reconcile_host(&db, &opts, json_string_value(h)));
		json_decref(all);
	}
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
