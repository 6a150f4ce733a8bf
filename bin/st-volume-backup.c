/* st-volume-backup: back up snapshots (a volume is snapshotted first) to
 * S3 as SHA-256-named chunks the bucket lacks, then a manifest. */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static struct st_db db;
static struct st_s3 s3;
static int64_t chunk = 4 << 20;
static const char *name;
static int prog, verbose;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-volume-backup --to s3://BUCKET[/PREFIX] [--endpoint URL] [--region R]\n"
	    "                        [--chunk-size SIZE] [--name NAME] [-q | -v | --progress]\n"
	    "                        [--state FILE] [SNAPSHOT | VOLUME...]\n"
	    "       st-volume-backup --to s3://BUCKET[/PREFIX] --file PATH [options]\n");
	exit(code);
}

static void
summary(const char *id, const struct st_bk_result *r)
{
	char a[32], b[32], c[32];

	if (!verbose)
		return;
	st_fmt_size(r->size, a);
	st_fmt_size(r->uploaded, b);
	st_fmt_size(r->skipped, c);
	fprintf(stderr, "%s: %s: %lld chunks, %s; uploaded %lld chunks, %s (%lld by multipart); %lld already there, %s\n",
	    st_prog, id, (long long)r->nchunks, a, (long long)r->nuploaded, b, (long long)s3.multipart,
	    (long long)(r->nchunks - r->nuploaded), c);
}

/* the row, once the manifest is in the bucket */
static int
record(const char *id, json_t *vol, const char *snap, const char *stream, int64_t created, const struct st_bk_result *r)
{
	json_t *rec = json_pack("{s:s, s:s?, s:I, s:O?, s:O?, s:O?, s:s?, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}",
	    "id", id, "name", name, "created_at", (json_int_t)created,
	    "volume", json_object_get(vol, "id"), "volume_name", json_object_get(vol, "name"),
	    "backend", json_object_get(vol, "backend"), "snapshot", snap,
	    "url", s3.url, "endpoint", s3.endpoint, "region", s3.region, "stream", stream,
	    "size", (json_int_t)r->size, "chunk_size", (json_int_t)chunk, "chunks", (json_int_t)r->nchunks,
	    "uploaded", (json_int_t)r->uploaded, "sha256", r->sha);
	const char *why = NULL;
	int rc;

	if ((rc = st_db_begin(&db)) == ST_OK && (rc = st_backup_insert(&db, rec, &why)) == ST_OK)
		rc = st_db_commit(&db);
	else
		st_db_rollback(&db);
	json_decref(rec);
	if (rc != ST_OK)
		return st_fail(rc, "unable to record backup '%s' (its manifest is in %s: st-backup-ls --from finds it): %s",
		    id, s3.url, why ? why : st_db_err(&db));
	return ST_OK;
}

static int
from_file(const char *path)
{
	struct st_bk_opts o = { .name = name, .stream = "raw", .chunk = chunk, .progress = prog, .created = st_now() };
	struct st_bk_result r;
	char id[ST_ID_LEN + 1];
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC), rc;
	off_t end;

	if (fd < 0)
		return st_fail(ST_PERM, "unable to back up '%s': %m", st_q(path));
	if ((end = lseek(fd, 0, SEEK_END)) > 0 && lseek(fd, 0, SEEK_SET) == 0)
		o.total = end;
	st_id_new(ST_BACKUP, id);
	o.id = id;
	rc = st_bk_upload(&s3, fd, &o, &r);
	if (fd != 0)
		close(fd);
	if (rc != ST_OK)
		return st_fail(rc, "unable to back up '%s': %s", st_q(path), s3.err);
	free(r.manifest_key);
	if ((rc = record(id, NULL, NULL, "raw", o.created, &r)) != ST_OK)
		return rc;
	summary(id, &r);
	printf("%s\n", id);
	return ST_OK;
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], snap[ST_ID_LEN + 1], bid[ST_ID_LEN + 1], why[ST_HOOK_WHY];
	struct st_bk_opts o = { .name = name, .chunk = chunk, .progress = prog };
	struct st_bk_result r;
	json_t *sj, *vol, *hj;
	const char *vid;
	int rc, t;

	(void)ctx;
	if ((rc = st_resolve(&db, -1, arg, id)) != ST_OK)
		return rc;
	t = st_type_of_id(id);
	if (t != ST_VOLUME && t != ST_SNAPSHOT)
		return st_fail(st_bad(), "unable to back up '%s': not a volume or a snapshot", st_q(arg));
	vid = id;
	if (t == ST_SNAPSHOT) {
		if ((sj = st_snap_json(&db, id)) == NULL)
			return st_fail(ST_PERM, "unable to back up '%s': no such snapshot", st_q(arg));
		vid = json_string_value(json_object_get(sj, "volume"));
	} else
		sj = NULL;
	/* volume.backup.pre: before any snapshot is taken; a veto stops it */
	if (st_hook_has("volume.backup.pre")) {
		hj = st_vol_json(&db, vid);
		if (hj)
			json_object_set_new(hj, "backup", json_pack("{s:s, s:s?}", "to", s3.url, "snapshot", sj ? id : NULL));
		rc = st_hook_pre(&db, "volume.backup.pre", vid, hj, why);
		json_decref(hj);
		if (rc != ST_OK) {
			json_decref(sj);
			return st_fail(rc, "unable to back up '%s': %s", st_q(arg), why);
		}
	}
	if (t == ST_VOLUME) {
		if ((rc = st_snap_create(&db, id, NULL, NULL, snap)) != ST_OK)
			return rc;
		if ((sj = st_snap_json(&db, snap)) == NULL)
			return st_fail(ST_PERM, "unable to back up '%s': its snapshot '%s' is gone", st_q(arg), snap);
	} else
		memcpy(snap, id, sizeof snap);
	vol = json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(sj, "volume"),
	    "name", json_object_get(sj, "volume_name"), "backend", json_object_get(sj, "backend"),
	    "size", json_object_get(sj, "size"));
	json_decref(sj);
	st_id_new(ST_BACKUP, bid);
	o.id = bid;
	o.volume = vol;
	o.snapshot = snap;
	o.created = st_now();
	if (strcmp(json_string_value(json_object_get(vol, "backend")), "qcow2") == 0)
		o.total = json_integer_value(json_object_get(vol, "size"));
	if ((rc = st_bk_backup_snap(&db, &s3, snap, &o, &r)) != ST_OK) {
		json_decref(vol);
		return st_fail(rc, "unable to back up '%s': %s", st_q(arg), s3.err);
	}
	free(r.manifest_key);
	rc = record(bid, vol, snap, strcmp(json_string_value(json_object_get(vol, "backend")), "qcow2") ? "tar" : "raw",
	    o.created, &r);
	if (rc == ST_OK && st_hook_has("volume.backup.post")) {
		hj = st_vol_json(&db, json_string_value(json_object_get(vol, "id")));
		if (hj)
			json_object_set_new(hj, "backup", st_backup_json(&db, bid));
		st_hook_post(&db, "volume.backup.post", json_string_value(json_object_get(vol, "id")), hj);
		json_decref(hj);
	}
	json_decref(vol);
	if (rc != ST_OK)
		return rc;
	summary(bid, &r);
	printf("%s\n", bid);
	return st_flush();
}

int
main(int argc, char **argv)
{
	enum { OPT_CHUNK = 1, OPT_ENDPOINT, OPT_PROGRESS, OPT_REGION, OPT_FILE };
	static const struct option lo[] = {
		{ "chunk-size", required_argument, NULL, OPT_CHUNK },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "name", required_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "to", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *to = NULL, *endpoint = NULL, *region = NULL, *file = NULL, *why;
	int c, rc;

	st_init(argc, argv);
	prog = st_isatty(2);
	while ((c = getopt_long(argc, argv, "hn:qt:v", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (st_valid_name(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --name '%s': %s", st_q(optarg), why);
			name = optarg;
			break;
		case 'q':
			prog = verbose = 0;
			break;
		case 't':
			to = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_CHUNK:
			if (st_parse_size(optarg, 64 << 10, 1 << 30, &chunk, &why) < 0)
				st_die(ST_USAGE, "bad --chunk-size '%s': %s (64K to 1G)", st_q(optarg), why);
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FILE:
			file = optarg;
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
	if (to == NULL)
		st_die(ST_USAGE, "give --to s3://BUCKET[/PREFIX]");
	if (file && optind != argc)
		st_die(ST_USAGE, "--file and SNAPSHOT or VOLUME operands do not go together");
	if (name && !file && argc - optind != 1)
		st_die(ST_USAGE, "--name names one backup: give one SNAPSHOT or VOLUME");
	if ((rc = st_s3_open(&s3, to, endpoint, region, &why)) != ST_OK)
		st_die(rc, "unable to back up to '%s': %s", st_q(to), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (name && st_name_taken(&db, ST_BACKUP, name))
		st_die(ST_PERM, "unable to back up as '%s': name already taken by another backup", name);
	/* the bucket answers to these credentials before any work is done */
	if ((rc = st_s3_check(&s3)) != ST_OK)
		st_die(rc, "unable to back up to '%s': %s", s3.url, s3.err);
	if (file)
		rc = from_file(file);
	else
		rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	st_s3_close(&s3);
	return ST_MAX(rc, st_flush());
}
