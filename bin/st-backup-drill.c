/* st-backup-drill: a restore test for cron: restore a backup into a
 * scratch volume (every chunk re-hashed), export the restored volume and
 * compare its stream's SHA-256 with the manifest's, then remove it. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static struct st_db db;
static const char *from, *endpoint, *region, *host;
static int prog, verbose;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-backup-drill [--host H] [--from s3://BUCKET[/PREFIX]] [--endpoint URL]\n"
	    "                       [--region R] [-q | -v | --progress] [--state FILE] [BACKUP...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1], vid[ST_ID_LEN + 1], snap[ST_ID_LEN + 1], gone[ST_ID_LEN + 1], sha[65], name[64];
	struct st_vol_spec spec = { .host = host };
	const char *stream, *want;
	int64_t size = 0, t0 = st_now();
	struct st_s3 s;
	json_t *m, *vol;
	int rc;

	(void)ctx;
	if ((rc = st_bk_find(&db, arg, from, endpoint, region, "drill", &s, &m, id)) != ST_OK)
		return rc;
	vol = json_object_get(m, "volume");
	stream = json_string_value(json_object_get(m, "stream"));
	want = json_string_value(json_object_get(m, "sha256"));
	/* a scratch name no one else uses: the backup and this process */
	snprintf(name, sizeof name, "drill-%s-%x", id + 2, (unsigned)getpid());
	spec.name = name;
	spec.backend = json_string_value(json_object_get(vol, "backend"));
	if (spec.backend == NULL)
		spec.backend = strcmp(stream, "raw") == 0 ? "qcow2" : "dir";
	spec.size = json_integer_value(json_object_get(vol, "size"));
	if (spec.size < 1 << 20)
		spec.size = (json_integer_value(json_object_get(m, "size")) + (2 << 20) - 1) & ~(int64_t)((1 << 20) - 1);
	if ((rc = st_bk_restore_vol(&db, &s, m, &spec, prog, id, vid)) != ST_OK)
		goto out;
	/* the restored volume, exported again, must be the backed-up stream */
	if ((rc = st_snap_create(&db, vid, NULL, NULL, snap)) == ST_OK) {
		if ((rc = st_bk_snap_sha(&db, snap, sha, &size)) != ST_OK)
			st_fail(rc, "unable to drill '%s': the restored volume '%s' could not be exported", id, vid);
		else if (strcmp(sha, want) != 0 || size != json_integer_value(json_object_get(m, "size")))
			rc = st_fail(ST_PERM, "unable to drill '%s': the restored volume's stream (%lld bytes, SHA-256 %s) "
			    "is not the backup's (%lld bytes, %s)", id, (long long)size, sha,
			    (long long)json_integer_value(json_object_get(m, "size")), want);
	}
	if (st_vol_remove(&db, vid, gone) != ST_OK) {
		st_warn("the scratch volume '%s' (%s) could not be removed: remove it with st-volume-rm", name, vid);
		rc = ST_MAX(rc, ST_TEMP);
	}
	if (rc == ST_OK) {
		if (verbose)
			fprintf(stderr, "%s: %s: restored %lld bytes into a scratch %s volume, SHA-256 %s matches, %lld s\n",
			    st_prog, id, (long long)size, spec.backend, sha, (long long)(st_now() - t0));
		printf("%s\n", id);
	}
out:
	json_decref(m);
	st_s3_close(&s);
	return rc != ST_OK ? rc : st_flush();
}

int
main(int argc, char **argv)
{
	enum { OPT_ENDPOINT = 1, OPT_FROM, OPT_HOST, OPT_PROGRESS, OPT_REGION };
	static const struct option lo[] = {
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "verbose", no_argument, NULL, 'v' },
		ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	prog = st_isatty(2);
	while ((c = getopt_long(argc, argv, "hqv", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			prog = verbose = 0;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_HOST:
			host = optarg;
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
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
