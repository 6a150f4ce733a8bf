/* st-backup-ls: list the backups the state file knows; with --from, also
 * the manifests in that bucket it does not know (disaster recovery). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "volume", "volume", ST_COL_STR },
	{ "volume_name", "volume_name", ST_COL_STR },
	{ "backend", "backend", ST_COL_STR },
	{ "snapshot", "snapshot", ST_COL_STR },
	{ "stream", "stream", ST_COL_STR },
	{ "size", "size", ST_COL_SIZE },
	{ "chunks", "chunks", ST_COL_INT },
	{ "chunk_size", "chunk_size", ST_COL_SIZE },
	{ "uploaded", "uploaded", ST_COL_INT },
	{ "url", "url", ST_COL_STR },
	{ "endpoint", "endpoint", ST_COL_STR },
	{ "sha256", "sha256", ST_COL_STR },
	{ "source", "source", ST_COL_STR },
	{ "created", "created", ST_COL_TIME },
};

static struct st_db db;
static json_t *known;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-backup-ls [-jq] [-o col,...] [--from s3://BUCKET[/PREFIX] [--endpoint URL]\n"
	    "                    [--region R]] [--state FILE]\n");
	exit(code);
}

static int
row(json_t *b, void *ctx)
{
	json_object_set_new(b, "source", json_string("state"));
	json_object_set_new(known, json_string_value(json_object_get(b, "id")), json_true());
	return st_out_row(ctx, b);
}

/* the manifests in the bucket that the state file lacks */
static int
bucket(struct st_out *o, const char *from, const char *endpoint, const char *region)
{
	struct st_s3 s;
	const char *why;
	json_t *ids, *v, *m, *b;
	size_t i;
	int rc;

	if ((rc = st_s3_open(&s, from, endpoint, region, &why)) != ST_OK)
		return st_fail(rc, "unable to list '%s': %s", st_q(from), why);
	if ((rc = st_bk_ids(&s, &ids)) != ST_OK) {
		st_fail(rc, "unable to list '%s': %s", s.url, s.err);
		st_s3_close(&s);
		return rc;
	}
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		json_t *vol;

		if (json_object_get(known, id))
			continue;
		if ((rc = st_bk_manifest(&s, id, &m)) != ST_OK) {
			st_fail(rc, "unable to read backup '%s': %s", id, s.err);
			continue;
		}
		vol = json_object_get(m, "volume");
		b = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O, s:O, s:I, s:O, s:n, s:s, s:s, s:O, s:s, s:O}",
		    "id", id, "name", json_object_get(m, "name"), "volume", json_object_get(vol, "id"),
		    "volume_name", json_object_get(vol, "name"), "backend", json_object_get(vol, "backend"),
		    "snapshot", json_object_get(m, "snapshot"), "stream", json_object_get(m, "stream"),
		    "size", json_object_get(m, "size"), "chunks", (json_int_t)json_array_size(json_object_get(m, "chunks")),
		    "chunk_size", json_object_get(m, "chunk_size"), "uploaded", "url", s.url, "endpoint", s.endpoint,
		    "sha256", json_object_get(m, "sha256"), "source", "bucket", "created", json_object_get(m, "created"));
		rc = st_out_row(o, b);
		json_decref(b);
		json_decref(m);
		if (rc != ST_OK)
			break;
	}
	json_decref(ids);
	st_s3_close(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_ENDPOINT = 1, OPT_FROM, OPT_REGION };
	static const struct option lo[] = {
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "json", no_argument, NULL, 'j' },
		{ "region", required_argument, NULL, OPT_REGION },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *ocols = NULL, *from = NULL, *endpoint = NULL, *region = NULL;
	struct st_out *o;
	int c, rc, mode = 't';

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hjo:q", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'q':
			mode = c;
			break;
		case 'o':
			ocols = optarg;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case OPT_REGION:
			region = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (optind != argc)
		usage(ST_USAGE);
	if ((endpoint || region) && from == NULL)
		st_die(ST_USAGE, "--endpoint and --region go with --from");
	if ((o = st_out_new(mode, cols, ST_NELEM(cols), "id,name,volume_name,snapshot,size,uploaded,url,created", ocols)) == NULL)
		return ST_USAGE;
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	known = json_object();
	rc = st_backup_each(&db, row, o);
	if (from && rc != ST_TEMP)
		rc = ST_MAX(rc, bucket(o, from, endpoint, region));
	rc = ST_MAX(rc, st_out_end(o));
	json_decref(known);
	st_db_close(&db);
	return rc;
}
