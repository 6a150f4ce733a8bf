/* st-exec: run a command inside a running instance, non-interactively;
 * its output is ours and its exit status becomes ours. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-exec [--state FILE] INSTANCE -- CMD [ARG...]\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	const struct st_driver *d;
	struct st_drv_ctx c;
	struct st_db db;
	char id[ST_ID_LEN + 1];
	json_t *cmd = json_array();
	int ch, rc, status = 0, i;

	st_init(argc, argv);
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1)
		st_common_opt(ch, optarg, usage);
	if (argc - optind < 2)
		usage(ST_USAGE);
	i = optind + 1;
	if (strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		usage(ST_USAGE);
	for (; i < argc; i++) {
		if (!st_valid_utf8(argv[i], strlen(argv[i])))
			st_die(ST_USAGE, "bad argument '%s': not valid UTF-8", st_q(argv[i]));
		json_array_append_new(cmd, json_string(argv[i]));
	}
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_inst_driver(&db, argv[optind], id, &d, &c)) != ST_OK)
		return rc;
	st_db_close(&db);
	fflush(stdout);
	if (d->exec == NULL)	/* a VM: no exec without an agent */
		return st_fail(ST_PERM, "unable to exec in '%s': the %s driver has no exec (st-console attaches to a VM)", id, d->name);
	if ((rc = d->exec(&c, id, cmd, &status)) != ST_OK)
		return st_fail(rc, "unable to exec in '%s': %s", id, c.err);
	json_decref(cmd);
	st_drv_ctx_free(&c);
	/* the command's own status, as ssh and docker exec hand it on */
	return status;
}
