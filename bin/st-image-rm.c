/* st-image-rm: forget VM images that no instance uses. The files stay:
 * they are the admin's, registered by path. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-image-rm [--state FILE] [IMAGE...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	const char *why;
	int rc;

	(void)ctx;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(&db, ST_IMAGE, arg, id)) != ST_OK) {
		st_db_rollback(&db);
		return rc;
	}
	if ((rc = st_image_delete(&db, id, &why)) != ST_OK) {
		st_db_rollback(&db);
		return st_fail(rc, "unable to remove image '%s': %s", st_q(arg), why);
	}
	if ((rc = st_event(&db, id, "image.remove", NULL)) != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to remove image '%s': %s", st_q(arg), st_db_err(&db));
	}
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
