/* st-volume-ls: list volumes with their backend, size, host, state and
 * the instance they are attached to. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "backend", "backend", ST_COL_STR },
	{ "size", "size", ST_COL_SIZE },
	{ "host", "host", ST_COL_STR },
	{ "host_name", "host_name", ST_COL_STR },
	{ "state", "state", ST_COL_STR },
	{ "instance", "instance", ST_COL_STR },
	{ "path", "path", ST_COL_STR },
	{ "snapshots", "snapshots", ST_COL_INT },
	{ "source", "source", ST_COL_STR },
	{ "format", "format", ST_COL_STR },
	{ "pool", "pool", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-volume-ls [-jq] [-o col,...] [--host HOST] [--state FILE] [VOLUME...]\n");
	exit(code);
}

static struct st_db db;
static struct st_out *o;

static int
row(json_t *v, void *ctx)
{
	(void)ctx;
	return st_out_row(o, v);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	json_t *v;
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_VOLUME, arg, id)) != ST_OK)
		return rc;
	if ((v = st_vol_json(&db, id)) == NULL)
		return st_fail(ST_PERM, "unable to list volume '%s': it vanished", id);
	rc = row(v, NULL);
	json_decref(v);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' }, ST_COMMON_LONGOPTS, { 0 } };
	const char *ocols = NULL, *host = NULL;
	char hid[ST_ID_LEN + 1];
	int c, rc, mode = 't';

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hjo:q", lo, NULL)) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
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
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,backend,size,host_name,state,instance,path,snapshots", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if (host && (rc = st_resolve(&db, ST_HOST, host, hid)) != ST_OK)
		return rc;
	/* without operands, every volume (a listing never waits on stdin) */
	rc = optind == argc ? st_vol_each(&db, host ? hid : NULL, row, NULL) : st_each(argc - optind, argv + optind, one, NULL);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
