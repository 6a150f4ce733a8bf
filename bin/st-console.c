/* st-console: attach to a VM's serial console through libvirt (escape
 * ^]), or with --log print what the guest wrote to it so far. */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-console [--log] [--state FILE] INSTANCE\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "log", no_argument, NULL, 'l' }, ST_COMMON_LONGOPTS, { 0 } };
	const struct st_driver *d;
	struct st_drv_ctx c;
	struct st_db db;
	char id[ST_ID_LEN + 1];
	int ch, rc, log = 0;

	st_init(argc, argv);
	while ((ch = getopt_long(argc, argv, "hl", lo, NULL)) != -1) {
		if (ch == 'l')
			log = 1;
		else
			st_common_opt(ch, optarg, usage);
	}
	if (argc - optind != 1)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_inst_driver(&db, argv[optind], id, &d, &c)) != ST_OK)
		return rc;
	st_db_close(&db);	/* a session may last: hold nothing open */
	if (d->console == NULL) {
		st_drv_ctx_free(&c);
		return st_fail(ST_PERM, "unable to attach to '%s': a container has no console (st-logs, st-exec)", id);
	}
	fflush(stdout);
	if ((rc = d->console(&c, id, log, 0, 1)) != ST_OK)
		st_fail(rc, "unable to %s '%s': %s", log ? "read the console of" : "attach to", id, c.err);
	st_drv_ctx_free(&c);
	return rc;
}
