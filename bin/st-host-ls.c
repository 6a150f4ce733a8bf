/* st-host-ls: list hosts with their capacity, use and state. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "state", "state", ST_COL_STR },
	{ "kinds", "kinds", ST_COL_KV },
	{ "cpu", "cpu", ST_COL_CPU },
	{ "cpu_used", "cpu_used", ST_COL_CPU },
	{ "cpu_free", "cpu_free", ST_COL_CPU },
	{ "mem", "mem", ST_COL_SIZE },
	{ "mem_used", "mem_used", ST_COL_SIZE },
	{ "mem_free", "mem_free", ST_COL_SIZE },
	{ "instances", "instances", ST_COL_INT },
	{ "docker", "docker", ST_COL_STR },
	{ "libvirt", "libvirt", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-host-ls [-jq] [-o col,...] [--state FILE]\n");
	exit(code);
}

static int
row(json_t *h, void *ctx)
{
	return st_out_row(ctx, h);
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
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,state,cpu,cpu_used,mem,mem_used,instances,labels", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = st_host_each(&db, row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
