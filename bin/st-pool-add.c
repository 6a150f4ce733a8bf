/* st-pool-add: set the directory where a host keeps the volumes of a
 * backend (a btrfs pool must be on btrfs). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-pool-add --backend dir|btrfs|qcow2 --path DIR [--state FILE] HOST\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "path", required_argument, NULL, 'p' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *backend = NULL, *path = NULL;
	char id[ST_ID_LEN + 1];
	struct st_db db;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (strcmp(optarg, "dir") != 0 && strcmp(optarg, "btrfs") != 0 && strcmp(optarg, "qcow2") != 0)
				st_die(ST_USAGE, "bad --backend '%s': must be dir, btrfs or qcow2", st_q(optarg));
			backend = optarg;
			break;
		case 'p':
			path = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (backend == NULL || path == NULL)
		st_die(ST_USAGE, "--backend and --path are required");
	if (argc - optind != 1)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_pool_add(&db, argv[optind], backend, path, id)) == ST_OK)
		printf("%s\n", id);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
