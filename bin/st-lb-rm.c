/* st-lb-rm: remove load balancers: their listeners leave the host's
 * HAProxy (a reload), which stops when it serves none. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-lb-rm [--state FILE] [LB...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], host[ST_ID_LEN + 1];
	const char *why = NULL;
	json_t *d;
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_LB, arg, id)) != ST_OK)
		return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_lb_host(&db, id, host)) == ST_OK && (rc = st_lb_delete(&db, id, &why)) == ST_OK) {
		d = json_pack("{s:s}", "host", host);
		rc = st_event(&db, id, "lb.rm", d);
		json_decref(d);
	}
	if (rc != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to remove load balancer '%s': %s", id, why ? why : st_db_err(&db));
	}
	/* gone from the state: HAProxy follows (or the next apply does it) */
	rc = st_lb_apply(&db, host, NULL);
	printf("%s\n", id);
	return ST_MAX(rc, st_flush());
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
