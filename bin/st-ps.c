/* st-ps: list instances; without -a, stopped ones are left out. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "kind", "kind", ST_COL_STR },
	{ "state", "state", ST_COL_STR },
	{ "host", "host_name", ST_COL_STR },
	{ "host_id", "host", ST_COL_STR },
	{ "ip", "ip", ST_COL_STR },
	{ "image", "image", ST_COL_STR },
	{ "cpu", "cpu", ST_COL_CPU },
	{ "mem", "mem", ST_COL_SIZE },
	{ "restart", "restart", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "error", "error", ST_COL_STR },
	{ "created", "created", ST_COL_TIME },
};

static const char *const states[] = { "requested", "scheduled", "starting", "running",
	"stopping", "stopped", "removing", "error" };

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-ps [-ajq] [-o col,...] [--label k=v]... [--host HOST] [--state STATE] [--state-file FILE]\n");
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
	enum { OPT_HOST = 1, OPT_LABEL, OPT_ISTATE };
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "json", no_argument, NULL, 'j' },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "state", required_argument, NULL, OPT_ISTATE },
		{ "state-file", required_argument, NULL, ST_OPT_STATE },
		{ "version", no_argument, NULL, ST_OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	struct st_inst_filter f = { 0 };
	struct st_kvs labels = { 0 };
	struct st_db db;
	struct st_out *o;
	const char *ocols = NULL, *host = NULL, *why;
	char hid[ST_ID_LEN + 1], *k, *v;
	int c, rc, mode = 't';
	size_t i;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "ahjo:q", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			f.all = 1;
			break;
		case 'j':
		case 'q':
			mode = c;
			break;
		case 'o':
			ocols = optarg;
			break;
		case OPT_HOST:
			host = optarg;
			break;
		case OPT_LABEL:
			if (st_parse_label(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --label '%s': %s", st_q(optarg), why);
			st_kvs_add(&labels, k, v);
			break;
		case OPT_ISTATE:
			for (i = 0; i < ST_NELEM(states) && strcmp(states[i], optarg) != 0; i++)
				;
			if (i == ST_NELEM(states))
				st_die(ST_USAGE, "bad --state '%s': not an instance state", st_q(optarg));
			f.state = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (optind != argc)
		usage(ST_USAGE);
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,kind,state,host,image,cpu,mem", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if (host) {
		if ((rc = st_resolve(&db, ST_HOST, host, hid)) != ST_OK)
			return rc;
		f.host = hid;
	}
	f.labels = &labels;
	rc = st_inst_each(&db, &f, row, o);
	rc = ST_MAX(rc, st_out_end(o));
	st_db_close(&db);
	st_kvs_free(&labels);
	return rc;
}
