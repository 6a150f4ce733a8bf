/* st-host-add: register hosts. With --docker URL and/or --libvirt URI the
 * endpoints are probed and the CPUs and memory recorded; with --no-probe hosts are recorded
 * with the capacity given, names from argv or stdin, in one transaction. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static struct st_db db;
static struct st_host tmpl;
static struct st_kvs labels;
/* the batch's IDs, printed once committed */
static char *out;
static size_t outlen, outcap;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-host-add [--docker URL [--tls-ca F --tls-cert F --tls-key F | --insecure]]\n"
	    "                   [--libvirt URI] [--cpu N] [--mem SIZE] [--label k=v]... [--state FILE] NAME\n"
	    "       st-host-add --no-probe --cpu N --mem SIZE [--docker URL] [--libvirt URI] [--label k=v]...\n"
	    "                   [--state FILE] [NAME...]\n");
	exit(code);
}

static int begin(void *);
static int end(void *, int);

/* hooks: host.add.pre gets the host as it will be recorded, before it
 * exists (no ID, no state), outside any transaction: the batch so far is
 * committed first, and a new one begins after the hooks */
static int
add_pre(const char *name)
{
	char why[ST_HOOK_WHY];
	json_t *o, *l = json_object();
	size_t i;
	int rc, flushed = end(NULL, ST_OK);

	for (i = 0; i < labels.n; i++)
		json_object_set_new(l, labels.v[i].key, json_string(labels.v[i].val));
	o = json_pack("{s:n, s:s, s:n, s:s?, s:s?, s:o, s:I, s:o}", "id", "name", name, "state",
	    "docker", tmpl.docker, "libvirt", tmpl.libvirt, "cpu", st_json_cpu(tmpl.cpu), "mem", (json_int_t)tmpl.mem, "labels", l);
	if ((rc = st_hook_pre(&db, "host.add.pre", NULL, o, why)) != ST_OK)
		st_fail(rc, "unable to add host '%s': %s", name, why);
	json_decref(o);
	return ST_MAX(ST_MAX(rc, flushed), begin(NULL));
}

static int
one(const char *name, void *ctx)
{
	struct st_host h = tmpl;
	const char *why;
	json_t *d;
	int rc;

	(void)ctx;
	if (st_valid_name(name, &why) < 0)
		return st_fail(st_bad(), "unable to add host '%s': %s", st_q(name), why);
	if (st_hook_has("host.add.pre") && (rc = add_pre(name)) != ST_OK)	/* hooks */
		return rc;
	h.name = name;
	/* a savepoint per record: a failure undoes that record only */
	if ((rc = st_db_savepoint(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_host_insert(&db, &h, &why)) != ST_OK) {
		st_db_savepoint(&db, -1);
		return st_fail(rc, "unable to add host '%s': %s", st_q(name), why);
	}
	d = json_pack("{s:s, s:s?, s:s?}", "name", name, "docker", h.docker, "libvirt", h.libvirt);
	rc = st_event(&db, h.id, "host.add", d);
	json_decref(d);
	if (rc != ST_OK || (rc = st_db_savepoint(&db, 1)) != ST_OK) {
		st_db_savepoint(&db, -1);
		return st_fail(rc, "unable to add host '%s': %s", st_q(name), st_db_err(&db));
	}
	if (outlen + ST_ID_LEN + 2 > outcap) {
		outcap = (outlen + ST_ID_LEN + 2) * 2;
		out = st_realloc(out, outcap);
	}
	outlen += (size_t)snprintf(out + outlen, outcap - outlen, "%s\n", h.id);
	return ST_OK;
}

static int
begin(void *ctx)
{
	(void)ctx;
	return st_db_begin(&db);
}

/* one transaction per batch: a record that failed was not inserted
 * (statement rollback), so the others still commit */
static int
end(void *ctx, int rc)
{
	int c;

	(void)ctx;
	if ((c = st_db_commit(&db)) != ST_OK) {
		outlen = 0;
		return c;
	}
	if (outlen > 0 && st_hook_has("host.add.post"))	/* hooks: after the commit */
		for (char *p = out; p < out + outlen; p += ST_ID_LEN + 1) {
			char id[ST_ID_LEN + 1];

			memcpy(id, p, ST_ID_LEN);
			id[ST_ID_LEN] = '\0';
			st_hook_post(&db, "host.add.post", id, NULL);
		}
	fwrite(out, 1, outlen, stdout);
	outlen = 0;
	return ST_MAX(rc, st_flush());
}

static void
file_opt(const char **dst, const char *opt, const char *path)
{
	if (*path != '/' || access(path, R_OK) != 0)
		st_die(ST_USAGE, "bad %s '%s': not a readable file given by its absolute path", opt, st_q(path));
	*dst = path;
}

/* probe the endpoints: the capacity, unless --cpu/--mem say less; with
 * both, the larger answer (one server seen by its two daemons) */
static void
probe(const char *name)
{
	static char version[64], lversion[64];
	struct st_drv_ctx c = { .host = name, .endpoint = tmpl.docker, .tls_ca = tmpl.tls_ca,
		.tls_cert = tmpl.tls_cert, .tls_key = tmpl.tls_key, .insecure = tmpl.insecure };
	struct st_drv_ctx l = { .host = name, .endpoint = tmpl.libvirt };
	int64_t cpu = 0, mem = 0, lcpu, lmem;
	int rc;

	if (tmpl.docker && (rc = st_drv_probe(&c, &cpu, &mem, version)) != ST_OK)
		st_die(rc, "unable to add host '%s': %s", st_q(name), c.err);
	if (tmpl.libvirt) {
		if ((rc = st_drv_probe_libvirt(&l, &lcpu, &lmem, lversion)) != ST_OK)
			st_die(rc, "unable to add host '%s': %s", st_q(name), l.err);
		cpu = lcpu > cpu ? lcpu : cpu;
		mem = lmem > mem ? lmem : mem;
		if (!tmpl.docker)
			memcpy(version, lversion, sizeof version);
	}
	/* --cpu and --mem cap what is used of the host, now and at each probe */
	tmpl.cpu_cap = tmpl.cpu;
	tmpl.mem_cap = tmpl.mem;
	if (tmpl.cpu == 0 || tmpl.cpu > cpu)
		tmpl.cpu = cpu;
	if (tmpl.mem == 0 || tmpl.mem > mem)
		tmpl.mem = mem;
	tmpl.version = version;
}

int
main(int argc, char **argv)
{
	enum { OPT_CA = 1, OPT_CERT, OPT_KEY, OPT_INSECURE };
	static const struct option lo[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "docker", required_argument, NULL, 'd' },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "label", required_argument, NULL, 'l' },
		{ "libvirt", required_argument, NULL, 'L' },
		{ "mem", required_argument, NULL, 'm' },
		{ "no-probe", no_argument, NULL, 'N' },
		{ "tls-ca", required_argument, NULL, OPT_CA },
		{ "tls-cert", required_argument, NULL, OPT_CERT },
		{ "tls-key", required_argument, NULL, OPT_KEY },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_each_ops ops = { .one = one, .begin = begin, .end = end };
	int c, rc, noprobe = 0, tls;
	const char *why;
	char *k, *v;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (st_parse_cpu(optarg, &tmpl.cpu, &why) < 0)
				st_die(ST_USAGE, "bad --cpu '%s': %s", st_q(optarg), why);
			break;
		case 'd':
			if (st_valid_docker_url(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --docker '%s': %s", st_q(optarg), why);
			tmpl.docker = optarg;
			break;
		case 'L':
			if (st_valid_libvirt_uri(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --libvirt '%s': %s", st_q(optarg), why);
			tmpl.libvirt = optarg;
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
		case OPT_CA:
			file_opt(&tmpl.tls_ca, "--tls-ca", optarg);
			break;
		case OPT_CERT:
			file_opt(&tmpl.tls_cert, "--tls-cert", optarg);
			break;
		case OPT_KEY:
			file_opt(&tmpl.tls_key, "--tls-key", optarg);
			break;
		case OPT_INSECURE:
			tmpl.insecure = 1;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	tls = !!tmpl.tls_ca + !!tmpl.tls_cert + !!tmpl.tls_key;
	if (tls != 0 && tls != 3)
		st_die(ST_USAGE, "TLS needs all of --tls-ca, --tls-cert and --tls-key");
	if ((tls || tmpl.insecure) && (tmpl.docker == NULL || strncmp(tmpl.docker, "tcp://", 6) != 0))
		st_die(ST_USAGE, "TLS files and --insecure are for a tcp:// docker endpoint");
	if (tls && tmpl.insecure)
		st_die(ST_USAGE, "--insecure and TLS files do not go together");
	if (tmpl.docker && strncmp(tmpl.docker, "tcp://", 6) == 0 && !tls && !tmpl.insecure)
		st_die(ST_USAGE, "bad --docker '%s': plain tcp:// needs TLS client files (--tls-ca, --tls-cert, --tls-key), or --insecure to accept an unauthenticated daemon", st_q(tmpl.docker));
	if (!noprobe && tmpl.docker == NULL && tmpl.libvirt == NULL)
		st_die(ST_USAGE, "give --docker URL or --libvirt URI to probe the host, or --no-probe with --cpu and --mem");
	if (noprobe && (tmpl.cpu == 0 || tmpl.mem == 0))
		st_die(ST_USAGE, "--no-probe needs --cpu and --mem");
	if (!noprobe && argc - optind != 1)
		st_die(ST_USAGE, "a probed host is added one at a time: give one NAME");
	tmpl.labels = &labels;
	/* a bad operand is a usage error: nothing is added */
	for (c = optind; c < argc; c++)
		if (st_valid_name(argv[c], &why) < 0)
			st_die(ST_USAGE, "unable to add host '%s': %s", st_q(argv[c]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (!noprobe)
		probe(argv[optind]);
	rc = st_each_batch(argc - optind, argv + optind, &ops, NULL);
	st_db_close(&db);
	st_kvs_free(&labels);
	free(out);
	return ST_MAX(rc, st_flush());
}
