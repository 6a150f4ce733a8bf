/* st-backup-restore: restore a backup from S3 into a new volume (or a
 * file), every chunk re-hashed before it is written; on any mismatch the
 * new volume is removed: a corrupt volume is never left behind. */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-backup-restore --to NEWVOL [--host H] [--backend dir|btrfs|qcow2]\n"
	    "                         [--from s3://BUCKET[/PREFIX]] [--endpoint URL] [--region R]\n"
	    "                         [-q | --progress] [--state FILE] BACKUP\n"
	    "       st-backup-restore --to-file PATH [--from ...] [--state FILE] BACKUP\n");
	exit(code);
}

/* the stream into a file: written beside it, renamed once it is whole */
static int
to_file(struct st_s3 *s, json_t *m, const char *path, int prog, const char *id)
{
	char *tmp = st_asprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), rc;

	if (fd < 0) {
		rc = st_fail(ST_PERM, "unable to restore '%s' to '%s': %m", id, st_q(path));
		free(tmp);
		return rc;
	}
	rc = st_bk_restore(s, m, fd, prog);
	if (rc == ST_OK && fsync(fd) < 0)
		rc = st_fail(ST_TEMP, "unable to restore '%s' to '%s': %m", id, st_q(path));
	else if (rc != ST_OK)
		st_fail(rc, "unable to restore '%s' to '%s': %s", id, st_q(path), s->err);
	close(fd);
	if (rc == ST_OK && rename(tmp, path) < 0)
		rc = st_fail(ST_PERM, "unable to restore '%s' to '%s': %m", id, st_q(path));
	if (rc != ST_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_BACKEND = 1, OPT_ENDPOINT, OPT_FROM, OPT_HOST, OPT_PROGRESS, OPT_REGION, OPT_FILE };
	static const struct option lo[] = {
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "to", required_argument, NULL, 't' },
		{ "to-file", required_argument, NULL, OPT_FILE },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *from = NULL, *endpoint = NULL, *region = NULL, *to = NULL, *file = NULL, *why, *stream;
	struct st_vol_spec spec = { 0 };
	char id[ST_ID_LEN + 1], vid[ST_ID_LEN + 1];
	struct st_db db;
	struct st_s3 s;
	json_t *m, *vol;
	int c, rc, prog;

	st_init(argc, argv);
	prog = st_isatty(2);
	while ((c = getopt_long(argc, argv, "hqt:", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			prog = 0;
			break;
		case 't':
			if (st_valid_name(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --to '%s': %s", st_q(optarg), why);
			to = optarg;
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "dir") && strcmp(optarg, "btrfs") && strcmp(optarg, "qcow2"))
				st_die(ST_USAGE, "bad --backend '%s': not dir, btrfs or qcow2", st_q(optarg));
			spec.backend = optarg;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FILE:
			file = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_HOST:
			spec.host = optarg;
			break;
		case OPT_PROGRESS:
			prog = 1;
			break;
		case OPT_REGION:
			region = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (argc - optind != 1)
		st_die(ST_USAGE, "give one BACKUP to restore");
	if (!!to + !!file != 1)
		st_die(ST_USAGE, "give --to NEWVOL or --to-file PATH");
	if (file && (spec.host || spec.backend))
		st_die(ST_USAGE, "--host and --backend go with --to NEWVOL");
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (to && st_name_taken(&db, ST_VOLUME, to) != 0)
		st_die(ST_PERM, "unable to restore '%s' to '%s': name already taken by another volume", st_q(argv[optind]), to);
	if ((rc = st_bk_find(&db, argv[optind], from, endpoint, region, "restore", &s, &m, id)) != ST_OK) {
		st_db_close(&db);
		return rc;
	}
	if (file)
		rc = to_file(&s, m, file, prog, id);
	else {
		vol = json_object_get(m, "volume");
		stream = json_string_value(json_object_get(m, "stream"));
		spec.name = to;
		if (spec.backend == NULL)
			spec.backend = json_string_value(json_object_get(vol, "backend"));
		if (spec.backend == NULL)
			spec.backend = strcmp(stream, "raw") == 0 ? "qcow2" : "dir";
		spec.size = json_integer_value(json_object_get(vol, "size"));
		if (spec.size <= 0)	/* a file's backup: the stream's size, rounded up to a MiB */
			spec.size = (json_integer_value(json_object_get(m, "size")) + (1 << 20) - 1) & ~(int64_t)((1 << 20) - 1);
		if (spec.size < 1 << 20)
			spec.size = 1 << 20;
		if ((strcmp(stream, "raw") == 0) != (strcmp(spec.backend, "qcow2") == 0))
			rc = st_fail(ST_USAGE, "unable to restore '%s': a %s stream does not go into a %s volume", id, stream, spec.backend);
		else if ((rc = st_bk_restore_vol(&db, &s, m, &spec, prog, id, vid)) == ST_OK)
			printf("%s\n", vid);
	}
	json_decref(m);
	st_s3_close(&s);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
