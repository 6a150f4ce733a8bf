/* lbtargets.c: st-lb-add and st-lb-del, which differ only in whether
 * instances take a server slot of the load balancer or leave it. Slots
 * change in one transaction per batch; HAProxy follows through its
 * Runtime API once the batch is committed. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static int adding;	/* st-lb-add (1) or st-lb-del (0) */
static char lb[ST_ID_LEN + 1], host[ST_ID_LEN + 1];
/* the batch's IDs, printed once committed and applied */
static json_t *done;
static int changed;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: %s [--state FILE] LB [INSTANCE...]\n", st_prog);
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	const char *why;
	char *ip = NULL;
	int rc, ch;

	(void)ctx;
	if ((rc = st_resolve(&db, ST_INSTANCE, arg, id)) != ST_OK)
		return rc;
	if ((rc = st_db_savepoint(&db, 0)) != ST_OK)
		return rc;
	rc = adding ? st_lb_target_add(&db, lb, id, 0, &ch, &why) : st_lb_target_del(&db, lb, id, &ch, &why);
	if (rc != ST_OK || (rc = st_db_savepoint(&db, 1)) != ST_OK) {
		st_db_savepoint(&db, -1);
		return adding ? st_fail(rc, "unable to add '%s' to '%s': %s", id, lb, why) :
		    st_fail(rc, "unable to remove '%s' from '%s': %s", id, lb, why);
	}
	changed |= ch;
	if (adding && (ip = st_addr_first(&db, id)) == NULL)
		st_warn("'%s' has no address yet: it serves once it runs with one", id);
	free(ip);
	json_array_append_new(done, json_string(id));
	return ST_OK;
}

static int
begin(void *ctx)
{
	(void)ctx;
	return st_db_begin(&db);
}

static int
end(void *ctx, int rc)
{
	json_t *v, *d;
	size_t i;
	int c;

	(void)ctx;
	if (json_array_size(done) > 0 && changed) {
		d = json_pack("{s:O}", "targets", done);
		st_event(&db, lb, adding ? "lb.add" : "lb.del", d);
		json_decref(d);
	}
	if ((c = st_db_commit(&db)) != ST_OK) {
		json_array_clear(done);
		return c;
	}
	if (json_array_size(done) > 0 && changed) {
		json_t *one = json_pack("[s]", lb);

		c = st_lb_apply(&db, host, one);
		json_decref(one);
		rc = ST_MAX(rc, c);
	}
	json_array_foreach(done, i, v)
		printf("%s\n", json_string_value(v));
	json_array_clear(done);
	changed = 0;
	return ST_MAX(rc, st_flush());
}

int
st_lb_targets_main(int argc, char **argv, int add)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	struct st_each_ops ops = { .one = one, .begin = begin, .end = end };
	int c, rc;

	st_init(argc, argv);
	adding = add;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, usage);
	if (optind == argc)
		usage(ST_USAGE);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_resolve(&db, ST_LB, argv[optind], lb)) != ST_OK || (rc = st_lb_host(&db, lb, host)) != ST_OK) {
		st_db_close(&db);
		return rc;
	}
	done = json_array();
	rc = st_each_batch(argc - optind - 1, argv + optind + 1, &ops, NULL);
	json_decref(done);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
