/* st-sg-apply: load the security groups of hosts, each host's whole
 * table in one nft transaction (checked with nft -c first). */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;
static int count;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-sg-apply [-c] [--state FILE] [HOST...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	struct st_sg_apply_opts o = { 0 };
	char id[ST_ID_LEN + 1];
	int rc, n = 0;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK)
		return rc;
	o.rules = &n;
	if ((rc = st_sg_apply(&db, id, &o)) != ST_OK)
		return rc;
	if (count)
		printf("%s\t%d\n", id, n);
	else
		printf("%s\n", id);
	return st_flush();
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", no_argument, NULL, 'c' }, ST_COMMON_LONGOPTS, { 0 } };
	sqlite3_stmt *st;
	json_t *all, *h;
	size_t i;
	int c, rc = ST_OK;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "ch", lo, NULL)) != -1) {
		if (c == 'c')
			count = 1;
		else
			st_common_opt(c, optarg, usage);
	}
	if (st_nft_table() == NULL)
		st_die(ST_USAGE, "bad ST_NFT_TABLE: a-z, 0-9 and _, at most 32, a letter first");
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (optind < argc) {
		rc = st_each(argc - optind, argv + optind, one, NULL);
	} else {
		/* no operands: every host */
		all = json_array();
		if ((st = st_db_prep(&db, "SELECT id FROM hosts ORDER BY coalesce(name, id)")) != NULL) {
			while (sqlite3_step(st) == SQLITE_ROW)
				json_array_append_new(all, json_string((const char *)sqlite3_column_text(st, 0)));
			sqlite3_reset(st);
		}
		json_array_foreach(all, i, h)
			rc = ST_MAX(rc, one(json_string_value(h), NULL));
		json_decref(all);
	}
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
