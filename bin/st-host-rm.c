/* st-host-rm: forget hosts that hold no instances. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-host-rm [--state FILE] [HOST...]\n");
	exit(code);
}

static int
rm(const char *arg, char id[ST_ID_LEN + 1])
{
	const char *why;
	int rc;

	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK) {
		st_db_rollback(&db);
		return rc;
	}
	if ((rc = st_host_delete(&db, id, &why)) != ST_OK) {
		st_db_rollback(&db);
		return st_fail(rc, "unable to remove host '%s': %s", st_q(arg), why);
	}
	if ((rc = st_event(&db, id, "host.remove", NULL)) != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to remove host '%s': %s", st_q(arg), st_db_err(&db));
	}
	return ST_OK;
}

/* hooks: host.remove.pre before the transaction, .post after it, with
 * the host as it was, in state removed */
static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], why[ST_HOOK_WHY];
	int pre = st_hook_has("host.remove.pre"), post = st_hook_has("host.remove.post"), rc;
	json_t *gone = NULL;

	(void)ctx;
	if (pre || post) {
		if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK)
			return rc;
		if ((gone = st_host_json(&db, id)) == NULL)
			return st_fail(ST_PERM, "unable to remove host '%s': no such host", st_q(arg));
		if (pre && (rc = st_hook_pre(&db, "host.remove.pre", id, gone, why)) != ST_OK) {
			json_decref(gone);
			return st_fail(rc, "unable to remove host '%s': %s", id, why);
		}
		json_object_set_new(gone, "state", json_string("removed"));
		arg = id;
	}
	if ((rc = rm(arg, id)) == ST_OK) {
		if (post)
			st_hook_post(&db, "host.remove.post", id, gone);
		printf("%s\n", id);
	}
	json_decref(gone);
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
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
