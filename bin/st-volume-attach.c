/* st-volume-attach: attach a volume to an instance that is not running,
 * at a path (containers: a bind mount; VMs: a virtio disk). */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-volume-attach --path PATH [--state FILE] VOLUME INSTANCE\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "path", required_argument, NULL, 'p' }, ST_COMMON_LONGOPTS, { 0 } };
	const char *path = NULL;
	char id[ST_ID_LEN + 1];
	struct st_db db;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hp:", lo, NULL)) != -1) {
		if (c == 'p')
			path = optarg;
		else
			st_common_opt(c, optarg, usage);
	}
	if (path == NULL)
		st_die(ST_USAGE, "--path is required");
	if (argc - optind != 2)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_vol_attach(&db, argv[optind], argv[optind + 1], path, id)) == ST_OK)
		printf("%s\n", id);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
