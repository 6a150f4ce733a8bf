/* st-backup-prune: per volume, keep the last N, one a day for N days and
 * one a week for N weeks; delete the other manifests, then the chunks no
 * kept manifest references. Prints the IDs of the backups it removed. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static struct st_bk_keep keep;
static int dry, verbose;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-backup-prune [--keep-last N] [--keep-daily N] [--keep-weekly N] [-n] [-v]\n"
	    "                       [--from s3://BUCKET[/PREFIX] [--endpoint URL] [--region R]]\n"
	    "                       [--state FILE]\n");
	exit(code);
}

/* one bucket and prefix */
static int
prune(const char *url, const char *endpoint, const char *region)
{
	json_t *gone = json_array(), *v;
	int64_t nchunks, bytes;
	struct st_s3 s;
	const char *why;
	size_t i;
	int rc, r2;

	if ((rc = st_s3_open(&s, url, endpoint, region, &why)) != ST_OK) {
		json_decref(gone);
		return st_fail(rc, "unable to prune '%s': %s", st_q(url), why);
	}
	rc = st_bk_prune(&s, &keep, dry, gone, &nchunks, &bytes);
	if (rc != ST_OK)
		st_fail(rc, "unable to prune '%s': %s", s.url, s.err);
	/* the manifests deleted so far leave the state file too */
	if (!dry && json_array_size(gone) > 0) {
		if ((r2 = st_db_begin(&db)) == ST_OK) {
			json_array_foreach(gone, i, v)
				if ((r2 = st_backup_delete(&db, json_string_value(v), &why)) != ST_OK && r2 != ST_NO)
					break;
			r2 = (r2 == ST_OK || r2 == ST_NO) ? st_db_commit(&db) : (st_db_rollback(&db), r2);
		}
		if (r2 != ST_OK)
			rc = ST_MAX(rc, st_fail(r2, "unable to prune '%s' from the state file: %s", s.url, st_db_err(&db)));
	}
	json_array_foreach(gone, i, v)
		printf("%s\n", json_string_value(v));
	if (verbose && rc == ST_OK) {
		char b[32];

		st_fmt_size(bytes, b);
		fprintf(stderr, "%s: %s: %s%zu backups, %lld chunks (%s)\n", st_prog, s.url, dry ? "would remove " : "removed ",
		    json_array_size(gone), (long long)nchunks, b);
	}
	json_decref(gone);
	st_s3_close(&s);
	return rc;
}

/* without --from: every destination the state file has backups in */
static int
dest(json_t *b, void *ctx)
{
	json_t *seen = ctx;
	char *k = st_asprintf("%s\t%s\t%s", json_string_value(json_object_get(b, "url")),
	    json_is_string(json_object_get(b, "endpoint")) ? json_string_value(json_object_get(b, "endpoint")) : "",
	    json_is_string(json_object_get(b, "region")) ? json_string_value(json_object_get(b, "region")) : "");

	json_object_set_new(seen, k, json_true());
	free(k);
	return ST_OK;
}

static int
count(const char *opt, const char *arg)
{
	int64_t n;
	const char *why;

	if (st_parse_int(arg, 0, 100000, &n, &why) < 0)
		st_die(ST_USAGE, "bad %s '%s': %s (0 to 100000)", opt, st_q(arg), why);
	return (int)n;
}

int
main(int argc, char **argv)
{
	enum { OPT_ENDPOINT = 1, OPT_FROM, OPT_REGION, OPT_LAST, OPT_DAILY, OPT_WEEKLY };
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "keep-daily", required_argument, NULL, OPT_DAILY },
		{ "keep-last", required_argument, NULL, OPT_LAST },
		{ "keep-weekly", required_argument, NULL, OPT_WEEKLY },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "verbose", no_argument, NULL, 'v' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *from = NULL, *endpoint = NULL, *region = NULL, *k;
	json_t *seen, *v;
	int c, rc = ST_OK;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hnv", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_DAILY:
			keep.daily = count("--keep-daily", optarg);
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_LAST:
			keep.last = count("--keep-last", optarg);
			break;
		case OPT_REGION:
			region = optarg;
			break;
		case OPT_WEEKLY:
			keep.weekly = count("--keep-weekly", optarg);
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (optind != argc)
		usage(ST_USAGE);
	/* keeping nothing is never what a cron line means */
	if (keep.last + keep.daily + keep.weekly == 0)
		st_die(ST_USAGE, "give at least one of --keep-last, --keep-daily, --keep-weekly above 0");
	if ((endpoint || region) && from == NULL)
		st_die(ST_USAGE, "--endpoint and --region go with --from");
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (from)
		rc = prune(from, endpoint, region);
	else {
		seen = json_object();
		rc = st_backup_each(&db, dest, seen);
		json_object_foreach(seen, k, v) {
			char *u = st_strdup(k), *e = strchr(u, '\t'), *r = strchr(e + 1, '\t');

			*e++ = '\0';
			*r++ = '\0';
			rc = ST_MAX(rc, prune(u, *e ? e : NULL, *r ? r : NULL));
			free(u);
		}
		json_decref(seen);
	}
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
