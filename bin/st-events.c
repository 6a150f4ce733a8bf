/* st-events: print the event log, optionally following it; prune old
 * events with --prune-before. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static int json;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-events [-fj] [--since SEQ] [--prune-before DAYS] [--state FILE]\n");
	exit(code);
}

static int
row(json_t *e, void *ctx)
{
	char *d;

	(void)ctx;
	if (json)
		return st_out_json(e);
	d = json_dumps(json_object_get(e, "detail"), JSON_COMPACT);
	printf("%lld\t%s\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(e, "seq")),
	    json_string_value(json_object_get(e, "time")),
	    json_string_value(json_object_get(e, "object")),
	    json_string_value(json_object_get(e, "event")), d ? d : "{}");
	free(d);
	if (ferror(stdout))
		return st_flush();
	return ST_OK;
}

int
main(int argc, char **argv)
{
	enum { OPT_SINCE = 1, OPT_FOLLOW, OPT_PRUNE };
	static const struct option lo[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "prune-before", required_argument, NULL, OPT_PRUNE },
		{ "since", required_argument, NULL, OPT_SINCE },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_db db;
	int64_t since = 0, prune = -1, n;
	const char *why;
	int c, rc, follow = 0;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "fhj", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = 1;
			break;
		case 'j':
			json = 1;
			break;
		case OPT_SINCE:
			if (st_parse_int(optarg, 0, INT64_MAX, &since, &why) < 0)
				st_die(ST_USAGE, "bad --since '%s': %s", st_q(optarg), why);
			break;
		case OPT_PRUNE:
			if (st_parse_int(optarg, 0, 100000, &prune, &why) < 0)
				st_die(ST_USAGE, "bad --prune-before '%s': %s (days, 0 to 100000)", st_q(optarg), why);
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (optind != argc)
		usage(ST_USAGE);
	if (prune >= 0 && (follow || since > 0 || json))
		st_die(ST_USAGE, "--prune-before goes alone, without --follow, --since or --json");
	if ((rc = st_db_open(&db, prune >= 0)) != ST_OK)
		return rc;
	if (prune >= 0) {
		if ((rc = st_db_begin(&db)) != ST_OK)
			return rc;
		if ((rc = st_events_prune(&db, st_now() - prune * 86400, &n)) != ST_OK) {
			st_db_rollback(&db);
			return rc;
		}
		if ((rc = st_db_commit(&db)) != ST_OK)
			return rc;
		/* quiet for cron unless someone watches */
		if (isatty(2))
			fprintf(stderr, "st-events: pruned %lld events\n", (long long)n);
		st_db_close(&db);
		return ST_OK;
	}
	for (;;) {
		if ((rc = st_events_each(&db, since, row, NULL, &since)) != ST_OK)
			break;
		if ((rc = st_flush()) != ST_OK || !follow)
			break;
		/* an index seek on seq every 200 ms: cheap, and needs no daemon */
		usleep(200000);
	}
	st_db_close(&db);
	return rc;
}
