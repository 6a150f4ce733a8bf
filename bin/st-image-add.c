/* st-image-add: register a VM image: a qcow2 template, checked by its
 * header, optionally with the kernel, initrd and command line to boot. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-image-add --qcow2 FILE [--kernel FILE [--initrd FILE] [--cmdline S]]\n"
	    "                    [--label k=v]... [--state FILE] NAME\n");
	exit(code);
}

/* an absolute path in the safe alphabet, to a readable regular file */
static char *
file_arg(const char *name, const char *opt, const char *arg)
{
	char *p = realpath(arg, NULL);
	const char *why;
	struct stat sb;

	if (p == NULL)
		st_die(ST_PERM, "unable to add image '%s': %s '%s': %s", name, opt, st_q(arg),
		    errno == ENOENT ? "no such file" : strerror(errno));
	if (st_valid_vm_path(p, &why) < 0)
		st_die(ST_PERM, "unable to add image '%s': %s '%s': %s", name, opt, st_q(p), why);
	if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode) || access(p, R_OK) != 0)
		st_die(ST_PERM, "unable to add image '%s': %s '%s': not a readable regular file", name, opt, st_q(p));
	return p;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'l' },
		{ "qcow2", required_argument, NULL, 'q' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *qcow2 = NULL, *kernel = NULL, *initrd = NULL, *why;
	struct st_image m = { 0 };
	struct st_kvs labels = { 0 };
	struct st_db db;
	char *k, *v, *paths[3] = { NULL };
	size_t i;
	json_t *d;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (st_valid_cmdline(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --cmdline '%s': %s", st_q(optarg), why);
			m.cmdline = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'l':
			if (st_parse_label(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --label '%s': %s", st_q(optarg), why);
			st_kvs_add(&labels, k, v);
			break;
		case 'q':
			qcow2 = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (argc - optind != 1)
		usage(ST_USAGE);
	m.name = argv[optind];
	if (st_valid_name(m.name, &why) < 0)
		st_die(ST_USAGE, "unable to add image '%s': %s", st_q(m.name), why);
	if (qcow2 == NULL)
		st_die(ST_USAGE, "--qcow2 FILE is required");
	if ((initrd || m.cmdline) && kernel == NULL)
		st_die(ST_USAGE, "--initrd and --cmdline go with --kernel");
	m.path = paths[0] = file_arg(m.name, "--qcow2", qcow2);
	if (st_qcow2_check(m.path, &m.size, &why) < 0)
		st_die(ST_PERM, "unable to add image '%s': --qcow2 '%s': %s", m.name, st_q(m.path), why);
	if (kernel)
		m.kernel = paths[1] = file_arg(m.name, "--kernel", kernel);
	if (initrd)
		m.initrd = paths[2] = file_arg(m.name, "--initrd", initrd);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_image_insert(&db, &m, &why)) != ST_OK) {
		st_db_rollback(&db);
		return st_fail(rc, "unable to add image '%s': %s", m.name, why);
	}
	for (i = 0; i < labels.n; i++)
		if ((rc = st_labels_set(&db, m.id, labels.v[i].key, labels.v[i].val)) != ST_OK) {
			st_db_rollback(&db);
			return st_fail(rc, "unable to add image '%s': %s", m.name, st_db_err(&db));
		}
	d = json_pack("{s:s, s:s, s:I}", "name", m.name, "path", m.path, "size", (json_int_t)m.size);
	rc = st_event(&db, m.id, "image.add", d);
	json_decref(d);
	if (rc != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to add image '%s': %s", m.name, st_db_err(&db));
	}
	printf("%s\n", m.id);
	st_db_close(&db);
	st_kvs_free(&labels);
	for (i = 0; i < ST_NELEM(paths); i++)
		free(paths[i]);
	return st_flush();
}
