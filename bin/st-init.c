/* st-init: create the state file, or migrate it to this version's schema.
 * Prints the cluster UUID; running it again changes nothing. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-init [--state FILE]\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	struct st_db db;
	int c, rc, created, migrated;
	char *dir, *slash;
	const char *path;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if (optind != argc)
		usage(ST_USAGE);
	path = st_state_path();
	/* the directory holds the state and its lock files: owner only */
	dir = st_strdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			st_die(errno == ENOENT || errno == EACCES ? ST_PERM : ST_TEMP,
			    "unable to create directory '%s': %s", st_q(dir), strerror(errno));
	}
	free(dir);
	if ((rc = st_db_create(&db, path, &created, &migrated)) != ST_OK)
		return rc;
	if (created)
		fprintf(stderr, "st-init: initialized state '%s'\n", path);
	else if (migrated)
		fprintf(stderr, "st-init: migrated state '%s'\n", path);
	printf("%s\n", db.cluster);
	st_db_close(&db);
	return st_flush();
}
