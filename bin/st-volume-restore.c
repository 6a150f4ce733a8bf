/* st-volume-restore: put a snapshot's content back into its volume (no
 * running instance may use it), or into a new volume with --to. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-volume-restore --snapshot SNAPSHOT [--state FILE] VOLUME\n"
	    "       st-volume-restore --snapshot SNAPSHOT --to NEWNAME [--state FILE]\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "snapshot", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *snap = NULL, *to = NULL, *why;
	char id[ST_ID_LEN + 1];
	struct st_db db;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			snap = optarg;
			break;
		case 't':
			if (st_valid_name(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --to '%s': %s", st_q(optarg), why);
			to = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (snap == NULL)
		st_die(ST_USAGE, "--snapshot is required");
	if (argc - optind > 1 || (to == NULL && argc - optind != 1))
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_vol_restore(&db, optind < argc ? argv[optind] : NULL, snap, to, id)) == ST_OK)
		printf("%s\n", id);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
