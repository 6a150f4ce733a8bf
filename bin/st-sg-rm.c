/* st-sg-rm: remove security groups that have no members and that no
 * rule of another group names. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-sg-rm [--state FILE] [SG...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], hwhy[ST_HOOK_WHY];
	const char *why;
	json_t *gone;
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_SG, arg, id)) != ST_OK)
		return rc;
	if ((gone = st_sg_json(&db, id)) == NULL)
		return st_fail(ST_PERM, "unable to remove security group '%s': no such security group", st_q(arg));
	if (st_hook_has("sg.remove.pre") && (rc = st_hook_pre(&db, "sg.remove.pre", id, gone, hwhy)) != ST_OK) {
		json_decref(gone);
		return st_fail(rc, "unable to remove security group '%s': %s", id, hwhy);
	}
	if ((rc = st_db_begin(&db)) != ST_OK) {
		json_decref(gone);
		return rc;
	}
	if ((rc = st_sg_delete(&db, id, &why)) != ST_OK) {
		st_db_rollback(&db);
		json_decref(gone);
		return st_fail(rc, "unable to remove security group '%s': %s", st_q(arg), why);
	}
	if ((rc = st_event(&db, id, "sg.remove", NULL)) != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		json_decref(gone);
		return st_fail(rc, "unable to remove security group '%s': %s", st_q(arg), st_db_err(&db));
	}
	if (st_hook_has("sg.remove.post"))	/* hooks: after the commit */
		st_hook_post(&db, "sg.remove.post", id, gone);
	json_decref(gone);
	printf("%s\n", id);
	return st_flush();
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
