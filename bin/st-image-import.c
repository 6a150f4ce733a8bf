/* st-image-import: import a root filesystem tarball as a Docker image on
 * hosts (every host with a docker endpoint, or those given with --host). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-image-import --name REF [--host HOST]... [--state FILE] FILE.tar\n");
	exit(code);
}

static int
import(struct st_db *db, const struct st_driver *d, const char *hostid, const char *file, const char *ref)
{
	struct st_drv_ctx c;
	int fd, rc;

	if ((rc = st_drv_ctx_host(db, hostid, &c)) != ST_OK) {
		rc = st_fail(rc, "unable to import '%s': %s", st_q(file), c.err);
		st_drv_ctx_free(&c);
		return rc;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		st_drv_ctx_free(&c);
		return st_fail(errno == ENOENT || errno == EACCES ? ST_PERM : ST_TEMP,
		    "unable to import '%s': %s", st_q(file), strerror(errno));
	}
	rc = d->image_import(&c, fd, ref);
	close(fd);
	if (rc != ST_OK)
		st_fail(rc, "unable to import '%s' as '%s': %s", st_q(file), ref, c.err);
	else
		printf("%s\t%s\n", ref, c.host);
	st_drv_ctx_free(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "name", required_argument, NULL, 'n' },
		ST_COMMON_LONGOPTS, { 0 } };
	const struct st_driver *d;
	json_t *hosts = json_array(), *names = json_array(), *x;
	const char *ref = NULL, *why;
	struct st_db db;
	int c, rc = ST_OK;
	size_t i;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'H':
			json_array_append_new(names, json_string(optarg));
			break;
		case 'n':
			if (st_valid_image_ref(optarg, &why) < 0 || strchr(optarg, '@'))
				st_die(ST_USAGE, "bad --name '%s': %s", st_q(optarg), strchr(optarg, '@') ? "an imported image has no digest" : why);
			ref = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (ref == NULL || argc - optind != 1)
		usage(ST_USAGE);
	{
		struct stat sb;

		/* each host reads the file from its start: a pipe would give
		 * the second host nothing */
		if (stat(argv[optind], &sb) < 0 || access(argv[optind], R_OK) != 0)
			st_die(ST_USAGE, "unable to read '%s': %s", st_q(argv[optind]), strerror(errno));
		if (!S_ISREG(sb.st_mode))
			st_die(ST_USAGE, "unable to import '%s': not a regular file", st_q(argv[optind]));
	}
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_docker_hosts(&db, names, hosts)) != ST_OK)
		return rc;
	if ((d = st_driver_load("docker")) == NULL)
		return ST_PERM;
	rc = ST_OK;
	json_array_foreach(hosts, i, x)
		rc = ST_MAX(rc, import(&db, d, json_string_value(x), argv[optind], ref));
	json_decref(hosts);
	json_decref(names);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
