/* st-host-probe: ask hosts' endpoints for their capacity again; a host
 * that does not answer is marked unreachable, one that answers again is
 * active again. -a probes every host with an endpoint: for cron. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

static struct st_db db;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-host-probe [-a] [--state FILE] [HOST...]\n");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	struct st_drv_ctx c;
	char id[ST_ID_LEN + 1], version[64] = "", ev[32];
	const char *why, *before;
	int64_t cpu = 0, mem = 0;
	json_t *h, *h2;
	int rc, prc, e;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_HOST, arg, id)) != ST_OK)
		return rc;
	e = st_host_endpoints(&db, id);
	if ((rc = st_drv_ctx_kind(&db, id, e == 2 ? "vm" : "container", &c)) != ST_OK) {
		rc = st_fail(rc, "unable to probe host '%s': %s", st_q(arg), c.err);
		st_drv_ctx_free(&c);
		return rc;
	}
	prc = e == 2 ? st_drv_probe_libvirt(&c, &cpu, &mem, version) : st_drv_probe(&c, &cpu, &mem, version);
	if (prc == ST_OK && e == 3) {	/* both: the larger answer, as st-host-add */
		struct st_drv_ctx l;
		int64_t lcpu, lmem;
		char lv[64];

		if ((prc = st_drv_ctx_kind(&db, id, "vm", &l)) == ST_OK &&
		    (prc = st_drv_probe_libvirt(&l, &lcpu, &lmem, lv)) == ST_OK) {
			cpu = lcpu > cpu ? lcpu : cpu;
			mem = lmem > mem ? lmem : mem;
		}
		if (prc != ST_OK)
			snprintf(c.err, sizeof c.err, "%s", l.err);
		st_drv_ctx_free(&l);
	}
	if ((rc = st_db_begin(&db)) != ST_OK)
		goto out;
	h = st_host_json(&db, id);
	before = h ? json_string_value(json_object_get(h, "state")) : "";
	if ((rc = st_host_probed(&db, id, prc == ST_OK, cpu, mem, version, &why)) != ST_OK) {
		st_db_rollback(&db);
		json_decref(h);
		rc = st_fail(rc, "unable to record the probe of '%s': %s", st_q(arg), why);
		goto out;
	}
	h2 = st_host_json(&db, id);
	if (h && h2 && strcmp(before, json_string_value(json_object_get(h2, "state"))) != 0) {
		json_t *d = json_pack("{s:s, s:s?}", "from", before, "error", prc == ST_OK ? NULL : c.err);

		snprintf(ev, sizeof ev, "host.%s", json_string_value(json_object_get(h2, "state")));
		rc = st_event(&db, id, ev, d);
		json_decref(d);
		if (rc != ST_OK) {
			st_db_rollback(&db);
			json_decref(h);
			json_decref(h2);
			rc = st_fail(rc, "unable to record the probe of '%s': %s", st_q(arg), st_db_err(&db));
			goto out;
		}
	}
	json_decref(h);
	json_decref(h2);
	if ((rc = st_db_commit(&db)) != ST_OK)
		goto out;
	if (prc != ST_OK) {
		rc = st_fail(prc, "unable to probe host '%s': %s", c.host, c.err);
		goto out;
	}
	printf("%s\n", id);
out:
	st_drv_ctx_free(&c);
	return rc;
}

static int
collect(json_t *h, void *ctx)
{
	if (json_is_string(json_object_get(h, "docker")) || json_is_string(json_object_get(h, "libvirt")))
		json_array_append_new(ctx, json_string(json_string_value(json_object_get(h, "id"))));
	return ST_OK;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' }, ST_COMMON_LONGOPTS, { 0 } };
	json_t *all, *x;
	int c, rc, every = 0;
	size_t i;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "ah", lo, NULL)) != -1) {
		if (c == 'a')
			every = 1;
		else
			st_common_opt(c, optarg, usage);
	}
	if (every && optind != argc)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (!every) {
		rc = st_each(argc - optind, argv + optind, one, NULL);
	} else {
		all = json_array();
		if ((rc = st_host_each(&db, collect, all)) == ST_OK)
			json_array_foreach(all, i, x)
				rc = ST_MAX(rc, one(json_string_value(x), NULL));
		json_decref(all);
	}
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
