/* st-net-ls: list networks with their subnet, gateway, bridge and the
 * number of addresses in use. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "subnet", "subnet", ST_COL_STR },
	{ "gateway", "gateway", ST_COL_STR },
	{ "bridge", "bridge", ST_COL_STR },
	{ "addresses", "addresses", ST_COL_INT },
	{ "size", "size", ST_COL_INT },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-net-ls [-jq] [-o col,...] [--state FILE]\n");
	exit(code);
}

static int
row(json_t *n, void *ctx)
{
	return st_out_row(ctx, n);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' }, ST_COMMON_LONGOPTS, { 0 } };
	struct st_db db;
	struct st_out *o;
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
	if (optind != argc)
		usage(ST_USAGE);
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,subnet,gateway,bridge,addresses", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = st_net_each(&db, row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
