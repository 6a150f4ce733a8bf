/* life.c: the lifecycle of instances on their driver: start, stop,
 * restart. Each transition records its intent (starting, stopping) in one
 * transaction, calls the driver outside any transaction, then records the
 * result: compare-and-set on the state, so two commands never both act. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

struct row {
	char id[ST_ID_LEN + 1], state[16], kind[16], host[ST_ID_LEN + 1];
	int placed;
};

static int
load(struct st_db *db, const char *arg, struct row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = st_resolve(db, ST_INSTANCE, arg, r->id)) != ST_OK)
		return rc;
	st = st_db_prep(db, "SELECT state, kind, host FROM instances WHERE id = ?1");
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return st_fail(st_db_code(db, rc), "unable to read instance '%s': %s", r->id, st_db_err(db));
	}
	snprintf(r->state, sizeof r->state, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(r->kind, sizeof r->kind, "%s", (const char *)sqlite3_column_text(st, 1));
	r->placed = sqlite3_column_type(st, 2) != SQLITE_NULL;
	snprintf(r->host, sizeof r->host, "%s", r->placed ? (const char *)sqlite3_column_text(st, 2) : "");
	sqlite3_reset(st);
	return ST_OK;
}


static const char *const verbs[] = { "start", "stop", "restart" };

/* fault points (stampede(7), FAULT POINTS), by action */
enum { F_INTENT, F_CREATE, F_DRIVER, F_RESULT };
static const char *const faults[3][4] = {
	{ "start.after-intent", "start.after-create", "start.after-driver", "start.before-result" },
	{ "stop.after-intent", NULL, "stop.after-driver", "stop.before-result" },
	{ "restart.after-intent", "restart.after-create", "restart.after-driver", "restart.before-result" },
};

/* hooks: instance.VERB.pre runs with the transaction let go (a hook may
 * call st-* commands), then the lock is taken again and the state must
 * be the one the hooks saw; on failure no transaction is left open */
static int
pre_hooks(struct st_db *db, const char *verb, struct row *r)
{
	char ev[64], why[ST_HOOK_WHY], was[sizeof r->state];
	int rc;

	snprintf(ev, sizeof ev, "instance.%s.pre", verb);
	if (!st_hook_has(ev))
		return ST_OK;
	memcpy(was, r->state, sizeof was);
	st_db_rollback(db);
	if ((rc = st_hook_pre(db, ev, r->id, NULL, why)) != ST_OK)
		return st_fail(rc, "unable to %s '%s': %s", verb, r->id, why);
	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = load(db, r->id, r)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	if (strcmp(was, r->state) != 0) {
		st_db_rollback(db);
		return st_fail(ST_TEMP, "unable to %s '%s': it went from %s to %s while its hooks ran", verb, r->id, was, r->state);
	}
	return ST_OK;
}

/* hooks: what instance.remove.post gets of an instance about to go */
static json_t *
last_view(struct st_db *db, const char *id)
{
	json_t *o;

	if (!st_hook_has("instance.remove.post") || (o = st_inst_json(db, id)) == NULL)
		return NULL;
	json_object_set_new(o, "state", json_string("removed"));
	return o;
}

static void
post_hooks(struct st_db *db, const char *verb, const char *id, json_t *obj)
{
	char ev[64];

	snprintf(ev, sizeof ev, "instance.%s.post", verb);
	st_hook_post(db, ev, id, obj);
}

/* the result of a driver call, in its own transaction */
static int
finish(struct st_db *db, struct row *r, const char *inter, const char *to, const char *back,
    int drc, const char *err, enum st_life_act act)
{
	char ev[64];
	json_t *d;
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	/* temporary failure: back where it was, to be retried; permanent: error */
	if (drc == ST_OK)
		rc = st_inst_cas(db, r->id, inter, to, NULL);
	else
		rc = st_inst_cas(db, r->id, inter, drc == ST_TEMP ? back : "error", err);
	if (rc == ST_TEMP) {
		st_db_rollback(db);
		return st_fail(ST_TEMP, "unable to %s '%s': its state changed under us", verbs[act], r->id);
	}
	snprintf(ev, sizeof ev, "instance.%s%s", verbs[act], drc == ST_OK ? "" : ".failed");
	d = drc == ST_OK ? json_pack("{s:s}", "host", r->host) : json_pack("{s:s, s:s}", "host", r->host, "error", err);
	if (rc == ST_OK)
		rc = st_event(db, r->id, ev, d);
	json_decref(d);
	if (rc != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	st_fault(faults[act][F_RESULT]);
	return st_db_commit(db);
}

/* an instance in an intent: a live owner holds its lock, or one died and
 * left the intent to st-reconcile */
static int
busy(struct st_db *db, const struct row *r, const char *verb)
{
	struct st_lock lk;

	if (st_lock_held(db, r->id, &lk))
		return st_fail(ST_TEMP, "unable to %s '%s': busy: %s", verb, r->id, st_lock_owner(&lk));
	return st_fail(ST_TEMP, "unable to %s '%s': an interrupted command left it %s (st-reconcile resolves it)",
	    verb, r->id, r->state);
}

int
st_life(struct st_db *db, enum st_life_act act, const char *arg, const struct st_life_opts *o, char id[ST_ID_LEN + 1])
{
	const struct st_driver *drv;
	struct st_drv_ctx c;
	struct st_lock lk;
	struct row r;
	const char *inter = NULL, *to, *back;
	int rc, drc, back_on_filter = 0;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = load(db, arg, &r)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	memcpy(id, r.id, sizeof r.id);
	back = r.state;
	/* what each action does from each state */
	if (strcmp(r.state, "starting") == 0 || strcmp(r.state, "stopping") == 0 || strcmp(r.state, "removing") == 0) {
		st_db_rollback(db);
		return busy(db, &r, verbs[act]);
	}
	if (strcmp(r.state, "requested") == 0) {
		st_db_rollback(db);
		if (act == ST_LIFE_STOP) {
			if (!o->quiet)
				fprintf(stderr, "%s: '%s' was never started\n", st_prog, r.id);
			return ST_OK;
		}
		return st_fail(ST_PERM, "unable to %s '%s': not scheduled (st-schedule places it)", verbs[act], r.id);
	}
	switch (act) {
	case ST_LIFE_START:
	case ST_LIFE_RESTART:
		if (strcmp(r.state, "running") == 0 && act == ST_LIFE_START) {
			st_db_rollback(db);
			if (!o->quiet)
				fprintf(stderr, "%s: '%s' is already running\n", st_prog, r.id);
			return ST_OK;
		}
		inter = "starting";
		to = "running";
		break;
	case ST_LIFE_STOP:
	default:
		if (strcmp(r.state, "stopped") == 0) {
			st_db_rollback(db);
			if (!o->quiet)
				fprintf(stderr, "%s: '%s' is already stopped\n", st_prog, r.id);
			return ST_OK;
		}
		inter = "stopping";
		to = "stopped";
		break;
	}
	if ((rc = pre_hooks(db, verbs[act], &r)) != ST_OK)	/* hooks: veto */
		return rc;
	if ((rc = st_drv_ctx_kind(db, r.host, r.kind, &c)) != ST_OK) {
		st_db_rollback(db);
		rc = st_fail(rc, "unable to %s '%s': %s", verbs[act], r.id, c.err);
		st_drv_ctx_free(&c);
		return rc;
	}
	/* the owner lock: taken before the intent, held until the result */
	if ((rc = st_lock_take(db, r.id, verbs[act], r.state, &lk)) != ST_OK) {
		st_db_rollback(db);
		st_drv_ctx_free(&c);
		return st_fail(rc, "unable to %s '%s': %s", verbs[act], r.id, lk.err);
	}
	/* the intent, committed before the side effect */
	if ((rc = st_inst_cas(db, r.id, r.state, inter, NULL)) != ST_OK || (rc = st_db_commit(db)) != ST_OK) {
		if (db->in_tx)
			st_db_rollback(db);
		st_drv_ctx_free(&c);
		st_lock_drop(&lk);
		return rc == ST_TEMP ? st_fail(rc, "unable to %s '%s': its state changed under us", verbs[act], r.id) : rc;
	}
	st_fault(faults[act][F_INTENT]);
	if ((drv = st_driver_load(st_kind_driver(r.kind))) == NULL) {
		drc = ST_PERM;
		snprintf(c.err, sizeof c.err, "the %s driver module is missing", st_kind_driver(r.kind));
	} else if (act == ST_LIFE_STOP) {
		drc = drv->stop(&c, r.id, o->timeout);
	} else if (act == ST_LIFE_RESTART && strcmp(r.state, "running") == 0) {
		drc = drv->restart(&c, r.id, o->timeout);
	} else {
		json_t *in = st_vm_inst_json(db, r.id);
		struct st_hook_drv fa = { .db = db, .id = r.id, .obj = in };	/* hooks: filters */

		c.filter = st_hook_drv_filter;
		c.filter_arg = &fa;
		drc = in ? st_net_host_prepare(db, r.host, r.kind, in, c.err, sizeof c.err) : ST_PERM;	/* bridges, firewall (issue 9) */
		if (drc == ST_OK)
			drc = drv->create(&c, in);
		if (fa.failed)	/* hooks: nothing reached the host, back where it was */
			back_on_filter = 1;
		json_decref(in);
		if (drc == ST_OK)
			st_fault(faults[act][F_CREATE]);
		if (drc == ST_OK)
			drc = drv->start(&c, r.id);
	}
	st_fault(faults[act][F_DRIVER]);
	rc = finish(db, &r, inter, to, back, back_on_filter ? ST_TEMP : drc, c.err, act);
	st_lock_drop(&lk);
	if (drc != ST_OK)
		rc = st_fail(drc, "unable to %s '%s': %s", verbs[act], r.id, c.err);
	st_drv_ctx_free(&c);
	if (rc == ST_OK) {	/* hooks: after the commit */
		post_hooks(db, verbs[act], r.id, NULL);
		st_follow(db, r.id, r.host, verbs[act]);
	}
	return rc;
}

static struct st_db ldb;
static enum st_life_act lact;
static struct st_life_opts lopts = { .timeout = 10 };

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-%s%s [-q] [--state FILE] [INSTANCE...]\n",
	    verbs[lact], lact == ST_LIFE_START ? "" : " [--timeout S]");
	exit(code);
}

static int
one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = st_life(&ldb, lact, arg, &lopts, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	/* each ID goes on as soon as it is done: the next command in the
	 * pipeline starts working while this one goes on */
	return st_flush();
}

int
st_life_main(int argc, char **argv, enum st_life_act act)
{
	static const struct option lo[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		ST_COMMON_LONGOPTS, { 0 } };
	const char *why;
	int64_t t;
	int c, rc;

	st_init(argc, argv);
	lact = act;
	while ((c = getopt_long(argc, argv, "hq", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			lopts.quiet = 1;
			break;
		case 't':
			if (act == ST_LIFE_START)
				usage(ST_USAGE);
			if (st_parse_int(optarg, 0, 3600, &t, &why) < 0)
				st_die(ST_USAGE, "bad --timeout '%s': %s (0 to 3600 seconds)", st_q(optarg), why);
			lopts.timeout = (int)t;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if ((rc = st_db_open(&ldb, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&ldb);
	return ST_MAX(rc, st_flush());
}

int
st_inst_driver(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1], const struct st_driver **drv, struct st_drv_ctx *c)
{
	struct row r;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = load(db, arg, &r)) != ST_OK)
		return rc;
	memcpy(id, r.id, sizeof r.id);
	if (!r.placed)
		return st_fail(ST_PERM, "unable to reach '%s': it has no host (state %s)", r.id, r.state);
	if ((rc = st_drv_ctx_kind(db, r.host, r.kind, c)) != ST_OK)
		return st_fail(rc, "unable to reach '%s': %s", r.id, c->err);
	if ((*drv = st_driver_load(st_kind_driver(r.kind))) == NULL)
		return ST_PERM;
	return ST_OK;
}

/* does the instance's host have an endpoint for its kind? a host
 * registered with --no-probe and no --docker (--libvirt) can hold no
 * container (domain) to remove */
static int
has_endpoint(struct st_db *db, const char *host, const char *kind)
{
	return st_host_endpoints(db, host) & (strcmp(kind, "vm") == 0 ? 2 : 1);
}

int
st_life_remove(struct st_db *db, const char *arg, int force, char id[ST_ID_LEN + 1])
{
	const struct st_driver *drv;
	struct st_drv_ctx c;
	struct st_lock lk = { .fd = -1 };
	struct row r;
	json_t *gone = NULL, *flows = NULL;	/* hooks; security groups */
	int rc, drc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = load(db, arg, &r)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	memcpy(id, r.id, sizeof r.id);
	if ((rc = pre_hooks(db, "remove", &r)) != ST_OK)	/* hooks: veto */
		return rc;
	/* nothing was ever made on a host: the row goes, in one transaction */
	if (!r.placed || !has_endpoint(db, r.host, r.kind)) {
		gone = last_view(db, r.id);	/* hooks */
		if ((rc = st_sched_remove(db, r.id, id)) != ST_OK) {
			st_db_rollback(db);
			json_decref(gone);
			return rc;
		}
		if ((rc = st_db_commit(db)) == ST_OK && gone)	/* hooks: after the commit */
			post_hooks(db, "remove", r.id, gone);
		if (rc == ST_OK)
			st_follow(db, r.id, r.placed ? r.host : NULL, "remove");
		json_decref(gone);
		return rc;
	}
	if (!force && (strcmp(r.state, "running") == 0 || strcmp(r.state, "starting") == 0 ||
	    strcmp(r.state, "stopping") == 0)) {
		st_db_rollback(db);
		return st_fail(ST_PERM, "unable to remove '%s': it is %s (st-stop it first, or st-rm -f)", r.id, r.state);
	}
	if ((rc = st_drv_ctx_kind(db, r.host, r.kind, &c)) != ST_OK) {
		st_db_rollback(db);
		rc = st_fail(rc, "unable to remove '%s': %s", r.id, c.err);
		st_drv_ctx_free(&c);
		return rc;
	}
	/* the owner lock: taken before the intent, held until the result */
	if ((rc = st_lock_take(db, r.id, "remove", r.state, &lk)) != ST_OK) {
		st_db_rollback(db);
		st_drv_ctx_free(&c);
		return st_fail(rc, "unable to remove '%s': %s", r.id, lk.err);
	}
	if (strcmp(r.state, "removing") != 0 && ((rc = st_inst_cas(db, r.id, r.state, "removing", NULL)) != ST_OK)) {
		st_db_rollback(db);
		st_drv_ctx_free(&c);
		st_lock_drop(&lk);
		return st_fail(rc, "unable to remove '%s': its state changed under us", r.id);
	}
	if ((rc = st_db_commit(db)) != ST_OK) {
		st_drv_ctx_free(&c);
		st_lock_drop(&lk);
		return rc;
	}
	st_fault("rm.after-intent");
	gone = last_view(db, r.id);	/* hooks */
	if ((drv = st_driver_load(st_kind_driver(r.kind))) == NULL) {
		drc = ST_PERM;
		snprintf(c.err, sizeof c.err, "the %s driver module is missing", st_kind_driver(r.kind));
	} else {
		drc = drv->remove(&c, r.id);
	}
	st_fault("rm.after-driver");
	if ((rc = st_db_begin(db)) != ST_OK)
		goto out;
	if (drc == ST_OK) {
		flows = st_sg_flows_of(db, r.id);	/* its addresses go with its row */
		rc = st_sched_remove(db, r.id, id);
	} else {
		/* the container may still be there: back to where it was, to
		 * retry, or error when retrying cannot help */
		rc = st_inst_cas(db, r.id, "removing", drc == ST_TEMP ? r.state : "error", c.err);
		if (rc == ST_OK) {
			json_t *d = json_pack("{s:s, s:s}", "host", r.host, "error", c.err);

			rc = st_event(db, r.id, "instance.remove.failed", d);
			json_decref(d);
		}
	}
	if (rc != ST_OK) {
		st_db_rollback(db);
		goto out;
	}
	st_fault("rm.before-result");
	if ((rc = st_db_commit(db)) != ST_OK)
		goto out;
	if (drc != ST_OK)
		rc = st_fail(drc, "unable to remove '%s': %s", r.id, c.err);
	else if (gone)	/* hooks: after the commit */
		post_hooks(db, "remove", r.id, gone);
	if (rc == ST_OK) {
		st_follow(db, r.id, r.host, "remove");
		/* the flows its groups allowed end with it: an address given
		 * again must not inherit them */
		if (flows)
			st_sg_flows_forget(flows, 2);
	}
out:
	st_lock_drop(&lk);
	st_drv_ctx_free(&c);
	json_decref(gone);
	json_decref(flows);
	return rc;
}
