/* st-sg-create: record security groups, with no rules: a member accepts
 * no incoming connection until a rule allows one. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-sg-create [--state FILE] [NAME...]\n");
	exit(code);
}

static int
one(const char *name, void *ctx)
{
	char id[ST_ID_LEN + 1], hwhy[ST_HOOK_WHY];
	const char *why;
	json_t *o;
	int rc;

	(void)ctx;
	if (st_valid_name(name, &why) < 0)
		return st_fail(st_bad(), "unable to create security group '%s': %s", st_q(name), why);
	if (st_hook_has("sg.create.pre")) {	/* hooks: before it exists */
		o = json_pack("{s:n, s:s}", "id", "name", name);
		rc = st_hook_pre(&db, "sg.create.pre", NULL, o, hwhy);
		json_decref(o);
		if (rc != ST_OK)
			return st_fail(rc, "unable to create security group '%s': %s", name, hwhy);
	}
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_sg_insert(&db, name, id, &why)) != ST_OK) {
		st_db_rollback(&db);
		return st_fail(rc, "unable to create security group '%s': %s", name, why);
	}
	o = json_pack("{s:s}", "name", name);
	rc = st_event(&db, id, "sg.create", o);
	json_decref(o);
	if (rc != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to create security group '%s': %s", name, st_db_err(&db));
	}
	if (st_hook_has("sg.create.post"))	/* hooks: after the commit */
		st_hook_post(&db, "sg.create.post", id, NULL);
	printf("%s\n", id);
	return st_flush();
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	const char *why;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	/* a bad operand is a usage error: nothing is created */
	for (c = optind; c < argc; c++)
		if (st_valid_name(argv[c], &why) < 0)
			st_die(ST_USAGE, "unable to create security group '%s': %s", st_q(argv[c]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
