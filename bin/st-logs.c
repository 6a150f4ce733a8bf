/* st-logs: print what an instance wrote to stdout and stderr, to ours. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-logs [-f] [--tail N] [--state FILE] INSTANCE\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "tail", required_argument, NULL, 't' },
		ST_COMMON_LONGOPTS, { 0 } };
	const struct st_driver *d;
	struct st_drv_ctx c;
	struct st_db db;
	char id[ST_ID_LEN + 1];
	const char *why;
	int64_t tail = -1;
	int ch, rc, follow = 0;

	st_init(argc, argv);
	while ((ch = getopt_long(argc, argv, "fh", lo, NULL)) != -1) {
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 't':
			if (st_parse_int(optarg, 0, 100000000, &tail, &why) < 0)
				st_die(ST_USAGE, "bad --tail '%s': %s", st_q(optarg), why);
			break;
		default:
			st_common_opt(ch, optarg, usage);
		}
	}
	if (argc - optind != 1)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_inst_driver(&db, argv[optind], id, &d, &c)) != ST_OK)
		return rc;
	st_db_close(&db);	/* a follow may last: hold nothing open */
	fflush(stdout);
	if ((rc = d->logs(&c, id, follow, (long)tail, 1, 2)) != ST_OK)
		st_fail(rc, "unable to read the logs of '%s': %s", id, c.err);
	st_drv_ctx_free(&c);
	return rc;
}
