/* st-rm: remove instances: the container, when there is one, through the
 * driver (a running one only with -f), then the reservation is released
 * and the row, its labels and attributes deleted; events keep the history. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;
static int force;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-rm [-f] [--state FILE] [INSTANCE...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	/* one transaction per record: the driver is never called inside one */
	if ((rc = st_life_remove(&db, arg, force, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return st_flush();
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "force", no_argument, NULL, 'f' },
		ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "fh", lo, NULL)) != -1) {
		if (c == 'f')
			force = 1;
		else
			st_common_opt(c, optarg, usage);
	}
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
