/* st-lb-stats: per target of a load balancer, what HAProxy's stats socket
 * says: up or down, sessions, bytes. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "slot", "slot", ST_COL_INT },
	{ "addr", "addr", ST_COL_STR },
	{ "status", "status", ST_COL_STR },
	{ "sessions", "sessions", ST_COL_INT },
	{ "sessions_total", "sessions_total", ST_COL_INT },
	{ "bytes_in", "bytes_in", ST_COL_INT },
	{ "bytes_out", "bytes_out", ST_COL_INT },
	{ "check", "check", ST_COL_STR },
	{ "instance_state", "instance_state", ST_COL_STR },
};

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-lb-stats [-jq] [-o col,...] [--state FILE] LB\n");
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
	char id[ST_ID_LEN + 1];
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
	if (argc - optind != 1)
		usage(ST_USAGE);
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,slot,addr,status,sessions,sessions_total,bytes_in,bytes_out", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_resolve(&db, ST_LB, argv[optind], id)) == ST_OK)
		rc = st_lb_stats(&db, id, row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	return rc;
}
