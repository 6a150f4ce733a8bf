/* st-host-add: register hosts. With --no-probe, hosts are recorded with
 * the capacity given, without contacting them; names from argv or, one
 * per line, from stdin, all in one transaction. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static struct st_host tmpl;
static struct st_kvs labels;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-host-add --no-probe --cpu N --mem SIZE [--label k=v]... [--state FILE] [NAME...]\n");
	exit(code);
}

static int
one(const char *name, void *ctx)
{
	struct st_host h = tmpl;
	const char *why;
	int rc;

	(void)ctx;
	if (st_valid_name(name, &why) < 0)
		return st_fail(st_bad(), "unable to add host '%s': %s", st_q(name), why);
	h.name = name;
	if ((rc = st_host_insert(&db, &h, &why)) != ST_OK)
		return st_fail(rc, "unable to add host '%s': %s", st_q(name), why);
	json_t *d = json_pack("{s:s}", "name", name);
	rc = st_event(&db, h.id, "host.add", d);
	json_decref(d);
	if (rc != ST_OK)
		return st_fail(rc, "unable to add host '%s': %s", st_q(name), st_db_err(&db));
	printf("%s\n", h.id);
	return ST_OK;
}

static int
begin(void *ctx)
{
	(void)ctx;
	return st_db_begin(&db);
}

/* one transaction for the whole input: a record that failed was not
 * inserted (statement rollback), so the others still commit */
static int
end(void *ctx, int rc)
{
	int c;

	(void)ctx;
	if ((c = st_db_commit(&db)) != ST_OK)
		return c;
	return ST_MAX(rc, st_flush());
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "mem", required_argument, NULL, 'm' },
		{ "no-probe", no_argument, NULL, 'N' },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_each_ops ops = { .one = one, .begin = begin, .end = end };
	int c, rc, noprobe = 0;
	const char *why;
	char *k, *v;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (st_parse_cpu(optarg, &tmpl.cpu, &why) < 0)
				st_die(ST_USAGE, "bad --cpu '%s': %s", st_q(optarg), why);
			break;
		case 'l':
			if (st_parse_label(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --label '%s': %s", st_q(optarg), why);
			st_kvs_add(&labels, k, v);
			break;
		case 'm':
			if (st_parse_size(optarg, 64 << 20, (int64_t)1 << 52, &tmpl.mem, &why) < 0)
				st_die(ST_USAGE, "bad --mem '%s': %s (64M to 4P)", st_q(optarg), why);
			break;
		case 'N':
			noprobe = 1;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (!noprobe)
		st_die(ST_USAGE, "probing hosts comes with the drivers: give --no-probe with --cpu and --mem");
	if (tmpl.cpu == 0 || tmpl.mem == 0)
		st_die(ST_USAGE, "--no-probe needs --cpu and --mem");
	tmpl.labels = &labels;
	/* a bad operand is a usage error: nothing is added */
	for (c = optind; c < argc; c++)
		if (st_valid_name(argv[c], &why) < 0)
			st_die(ST_USAGE, "unable to add host '%s': %s", st_q(argv[c]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each_batch(argc - optind, argv + optind, &ops, NULL);
	st_db_close(&db);
	st_kvs_free(&labels);
	return ST_MAX(rc, st_flush());
}
