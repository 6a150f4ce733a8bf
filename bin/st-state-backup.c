/* st-state-backup: write a consistent copy of the live state file, while
 * other commands go on writing; for cron. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-state-backup [--state FILE] FILE\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	struct st_db db;
	const char *why;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if (argc - optind != 1 || argv[optind][0] == '\0')
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_db_backup(&db, argv[optind], &why)) != ST_OK)
		return st_fail(rc, "unable to back up state to '%s': %s", st_q(argv[optind]), why);
	st_db_close(&db);
	printf("%s\n", argv[optind]);
	return st_flush();
}
