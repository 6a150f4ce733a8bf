/* st-backup-verify: prove that every chunk of a backup is in its bucket
 * (one listing); --deep fetches and re-hashes every byte. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static struct st_db db;
static const char *from, *endpoint, *region;
static int deep, prog;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-backup-verify [--deep] [--from s3://BUCKET[/PREFIX]] [--endpoint URL]\n"
	    "                        [--region R] [-q | --progress] [--state FILE] [BACKUP...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	struct st_s3 s;
	json_t *m;
	int64_t nbad;
	int rc;

	(void)ctx;
	if ((rc = st_bk_find(&db, arg, from, endpoint, region, "verify", &s, &m, id)) != ST_OK)
		return rc;
	rc = st_bk_verify(&s, m, deep, prog, id, &nbad);
	if (rc != ST_OK)
		st_fail(rc, "unable to verify '%s': %s", id, s.err);
	else
		printf("%s\n", id);
	json_decref(m);
	st_s3_close(&s);
	return rc != ST_OK ? rc : st_flush();
}

int
main(int argc, char **argv)
{
	enum { OPT_ENDPOINT = 1, OPT_FROM, OPT_PROGRESS, OPT_REGION };
	static const struct option lo[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "region", required_argument, NULL, OPT_REGION },
		ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	prog = st_isatty(2);
	while ((c = getopt_long(argc, argv, "dhq", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			deep = 1;
			break;
		case 'q':
			prog = 0;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FROM:
			from = optarg;
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
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
