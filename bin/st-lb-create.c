/* st-lb-create: a load balancer: a listener on a host's HAProxy whose
 * targets are instances, added by hand (st-lb-add) or by --select labels. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-lb-create --port N [--mode tcp|http] [--algo roundrobin|leastconn|source]\n"
	    "                    [--check PATH] [--check-interval MS] [--host HOST] [--target-port N]\n"
	    "                    [--bind ADDR] [--select k=v]... [--state FILE] NAME\n");
	exit(code);
}

static int64_t
num(const char *opt, const char *s, int64_t lo, int64_t hi)
{
	const char *why;
	int64_t v;

	if (st_parse_int(s, lo, hi, &v, &why) < 0)
		st_die(ST_USAGE, "bad %s '%s': %s (%lld to %lld)", opt, st_q(s), why, (long long)lo, (long long)hi);
	return v;
}

/* the host asked for, or the one local docker host */
static int
pick_host(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1])
{
	json_t *ids, *none;
	int rc;

	if (arg)
		return st_resolve(db, ST_HOST, arg, id);
	ids = json_array();
	none = json_array();
	rc = st_docker_hosts(db, none, ids);
	json_decref(none);
	if (rc == ST_OK && json_array_size(ids) == 1)
		snprintf(id, ST_ID_LEN + 1, "%s", json_string_value(json_array_get(ids, 0)));
	else if (rc == ST_OK)
		rc = st_fail(ST_USAGE, "unable to create a load balancer: %s; give --host",
		    json_array_size(ids) ? "several hosts could run it" : "no active docker host");
	json_decref(ids);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_ALGO = 1, OPT_BIND, OPT_CHECK, OPT_INTER, OPT_HOST, OPT_MODE, OPT_PORT, OPT_SELECT, OPT_TPORT };
	static const struct option lo[] = {
		{ "algo", required_argument, NULL, OPT_ALGO },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "check-interval", required_argument, NULL, OPT_INTER },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "select", required_argument, NULL, OPT_SELECT },
		{ "target-port", required_argument, NULL, OPT_TPORT },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_lb lb = { .mode = "http", .algo = "roundrobin", .inter = 2000 };
	struct st_kvs sel = { 0 };
	struct st_hap h;
	struct st_db db;
	const char *host = NULL, *why, *name;
	char bind[64], *k, *v, *cfg;
	json_t *one, *d;
	int c, rc, n;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case OPT_ALGO:
			if (strcmp(optarg, "roundrobin") != 0 && strcmp(optarg, "leastconn") != 0 && strcmp(optarg, "source") != 0)
				st_die(ST_USAGE, "bad --algo '%s': not roundrobin, leastconn or source", st_q(optarg));
			lb.algo = optarg;
			break;
		case OPT_BIND:
			if (st_lb_valid_bind(optarg, bind, &why) < 0)
				st_die(ST_USAGE, "bad --bind '%s': %s", st_q(optarg), why);
			lb.bind = bind;
			break;
		case OPT_CHECK:
			if (st_lb_valid_check(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --check '%s': %s", st_q(optarg), why);
			lb.check = optarg;
			break;
		case OPT_INTER:
			lb.inter = (int)num("--check-interval", optarg, 100, 3600000);
			break;
		case OPT_HOST:
			host = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "tcp") != 0 && strcmp(optarg, "http") != 0)
				st_die(ST_USAGE, "bad --mode '%s': not tcp or http", st_q(optarg));
			lb.mode = optarg;
			break;
		case OPT_PORT:
			lb.port = (int)num("--port", optarg, 1, 65535);
			break;
		case OPT_SELECT:
			if (st_parse_label(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --select '%s': %s", st_q(optarg), why);
			st_kvs_add(&sel, k, v);
			break;
		case OPT_TPORT:
			lb.target_port = (int)num("--target-port", optarg, 1, 65535);
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (argc - optind != 1)
		st_die(ST_USAGE, "give one NAME");
	name = argv[optind];
	if (st_valid_name(name, &why) < 0)
		st_die(ST_USAGE, "unable to create load balancer '%s': %s", st_q(name), why);
	if (lb.port == 0)
		st_die(ST_USAGE, "unable to create load balancer '%s': --port is required", name);
	if (lb.check && strcmp(lb.mode, "http") != 0)
		st_die(ST_USAGE, "unable to create load balancer '%s': --check PATH is for --mode http (tcp mode checks connections)", name);
	if (lb.target_port == 0)
		lb.target_port = lb.port;
	lb.name = name;
	lb.sel = &sel;
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = pick_host(&db, host, lb.host)) != ST_OK)
		goto out;
	/* the host's lock first, then the transaction: the config is checked
	 * with the new listener before anything is committed */
	if ((rc = st_hap_open(&db, lb.host, &h)) != ST_OK) {
		rc = st_fail(rc, "unable to create load balancer '%s': %s", name, h.err);
		st_hap_close(&h);
		goto out;
	}
	if ((rc = st_db_begin(&db)) != ST_OK) {
		st_hap_close(&h);
		goto out;
	}
	if ((rc = st_lb_insert(&db, &lb, &why)) != ST_OK || (rc = st_lb_select(&db, lb.id, &why)) != ST_OK) {
		st_db_rollback(&db);
		st_hap_close(&h);
		rc = st_fail(rc, "unable to create load balancer '%s': %s", name, why);
		goto out;
	}
	cfg = st_lb_config(&db, lb.host, h.dir, &n);
	rc = st_hap_check_cfg(&h, cfg);
	free(cfg);
	if (rc != ST_OK) {
		st_db_rollback(&db);
		st_hap_close(&h);
		rc = st_fail(rc, "unable to create load balancer '%s': %s", name, h.err);
		goto out;
	}
	d = json_pack("{s:s, s:s, s:i}", "name", name, "host", lb.host, "port", lb.port);
	rc = st_event(&db, lb.id, "lb.create", d);
	json_decref(d);
	if (rc != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		st_hap_close(&h);
		rc = st_fail(rc, "unable to create load balancer '%s': %s", name, st_db_err(&db));
		goto out;
	}
	st_hap_close(&h);
	/* committed: the listener goes live (a failure here is retried by
	 * the next st-lb-* command on the host) */
	printf("%s\n", lb.id);
	one = json_pack("[s]", lb.id);
	rc = st_lb_apply(&db, lb.host, one);
	json_decref(one);
out:
	st_db_close(&db);
	st_kvs_free(&sel);
	return ST_MAX(rc, st_flush());
}
