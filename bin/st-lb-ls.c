/* st-lb-ls: list load balancers. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "host", "host_name", ST_COL_STR },
	{ "host_id", "host", ST_COL_STR },
	{ "port", "port", ST_COL_INT },
	{ "bind", "bind", ST_COL_STR },
	{ "mode", "mode", ST_COL_STR },
	{ "algo", "algo", ST_COL_STR },
	{ "check", "check", ST_COL_STR },
	{ "check_interval", "check_interval", ST_COL_INT },
	{ "target_port", "target_port", ST_COL_INT },
	{ "targets", "targets", ST_COL_INT },
	{ "slots", "slots", ST_COL_INT },
	{ "select", "select", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-lb-ls [-jq] [-o col,...] [--state FILE]\n");
	exit(code);
}

static int
row(json_t *o, void *ctx)
{
	return st_out_row(ctx, o);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		ST_COMMON_LONGOPTS, { 0 } };
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
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,host,port,mode,algo,targets,select", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = st_lb_each(&db, row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
