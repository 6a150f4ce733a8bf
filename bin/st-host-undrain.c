/* st-host-undrain: take drained hosts back into service: state drained -> active.
 * Compare-and-set; a host already there succeeds and says so. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-host-undrain [--state FILE] [HOST...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	/* the transition and its hooks (host.undrain.pre, .post) */
	if ((rc = st_hook_drain(&db, arg, 0, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return ST_OK;
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
