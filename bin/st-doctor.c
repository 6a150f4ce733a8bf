/* st-doctor: check the state file and the hosts, read-only: integrity,
 * invariants, reachability and drift; one problem per line. A predicate:
 * exit 1 when it finds any, 0 and silent on a healthy cluster. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;
static int nproblems;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-doctor [--state FILE] [HOST...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK)
		return rc;
	return st_doctor_host(&db, id, &nproblems);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	json_t *all, *h;
	size_t i;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_doctor_state(&db, &nproblems)) == ST_OK) {
		if (optind < argc) {
			rc = st_each(argc - optind, argv + optind, one, NULL);
		} else {
			all = st_reconcile_hosts(&db);
			json_array_foreach(all, i, h)
				rc = ST_MAX(rc, st_doctor_host(&db, json_string_value(h), &nproblems));
			json_decref(all);
		}
	}
	st_db_close(&db);
	rc = ST_MAX(rc, st_flush());
	/* a failure to check outranks the answer */
	return rc != ST_OK ? rc : nproblems ? ST_NO : ST_OK;
}
