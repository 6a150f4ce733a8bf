/* st-snapshot-ls: list snapshots, of every volume or of those named. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "volume", "volume", ST_COL_STR },
	{ "volume_name", "volume_name", ST_COL_STR },
	{ "backend", "backend", ST_COL_STR },
	{ "size", "size", ST_COL_SIZE },
	{ "consistency", "consistency", ST_COL_STR },
	{ "host", "host", ST_COL_STR },
	{ "source", "source", ST_COL_STR },
	{ "format", "format", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

static struct st_db db;
static struct st_out *o;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-snapshot-ls [-jq] [-o col,...] [--state FILE] [VOLUME...]\n");
	exit(code);
}

static int
row(json_t *s, void *ctx)
{
	(void)ctx;
	return st_out_row(o, s);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_VOLUME, arg, id)) != ST_OK)
		return rc;
	return st_snap_each(&db, id, row, NULL);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' }, ST_COMMON_LONGOPTS, { 0 } };
	const char *ocols = NULL;
	int c, rc, mode = 't';

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hjo:q", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'q':
			mode = c;
			break;
		case 'o':
			ocols = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,volume,volume_name,backend,consistency,created", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	/* without operands, every snapshot (not stdin: a listing never waits) */
	rc = optind == argc ? st_snap_each(&db, NULL, row, NULL) : st_each(argc - optind, argv + optind, one, NULL);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
