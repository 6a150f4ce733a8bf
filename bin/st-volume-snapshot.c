/* st-volume-snapshot: take a point-in-time snapshot of volumes and print
 * the snapshots' IDs; each records its consistency level. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static const char *name, *require;
static int nrec;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-volume-snapshot [--name NAME] [--require crash|fs-frozen|app] [--state FILE] [VOLUME...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if (name && nrec++ > 0)
		return st_fail(st_bad(), "unable to snapshot '%s': --name names one snapshot only", st_q(arg));
	if ((rc = st_snap_create(&db, arg, name, require, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return st_flush();
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "require", required_argument, NULL, 'r' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *why;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'N':
			if (st_valid_name(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --name '%s': %s", st_q(optarg), why);
			name = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "crash") != 0 && strcmp(optarg, "fs-frozen") != 0 && strcmp(optarg, "app") != 0)
				st_die(ST_USAGE, "bad --require '%s': must be crash, fs-frozen or app", st_q(optarg));
			require = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
