/* st-volume-create: create managed volumes (dir, btrfs or qcow2) on a
 * host, names from argv or stdin, and print their IDs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static struct st_vol_spec spec;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-volume-create --size SIZE [--backend dir|btrfs|qcow2] [--host HOST]\n"
	    "                        [--state FILE] [NAME...]\n");
	exit(code);
}

static int
one(const char *name, void *ctx)
{
	struct st_vol_spec s = spec;
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	s.name = name;
	if ((rc = st_vol_create(&db, &s, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return st_flush();
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 's' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *why;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (strcmp(optarg, "dir") != 0 && strcmp(optarg, "btrfs") != 0 && strcmp(optarg, "qcow2") != 0)
				st_die(ST_USAGE, "bad --backend '%s': must be dir, btrfs or qcow2", st_q(optarg));
			spec.backend = optarg;
			break;
		case 'H':
			spec.host = optarg;
			break;
		case 's':
			if (st_parse_size(optarg, 1 << 20, (int64_t)64 << 40, &spec.size, &why) < 0)
				st_die(ST_USAGE, "bad --size '%s': %s (1M to 64T)", st_q(optarg), why);
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (spec.size == 0)
		st_die(ST_USAGE, "--size is required");
	for (c = optind; c < argc; c++)
		if (st_valid_name(argv[c], &why) < 0)
			st_die(ST_USAGE, "unable to create volume '%s': %s", st_q(argv[c]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
