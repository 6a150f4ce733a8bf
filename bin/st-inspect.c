/* st-inspect: print each object, of any type, as one JSON object. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-inspect [--state FILE] [OBJ...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	json_t *o;
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, -1, arg, id)) != ST_OK)
		return rc;
	if ((o = st_obj_json(&db, id)) == NULL)
		return st_fail(ST_PERM, "unable to inspect '%s': it vanished", st_q(arg));
	rc = st_out_json(o);
	json_decref(o);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
