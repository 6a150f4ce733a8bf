/* reconcile.c: what a host's driver really runs against what the state
 * file says, level-triggered: st-reconcile's fixes, st-doctor's view. */
#include <stdlib.h>
#include <string.h>

#include "st.h"

/* the instance's state and host now; 1 found, 0 gone, -1 error */
static int
row(struct st_db *db, const char *id, char state[16], char host[ST_ID_LEN + 1])
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT state, coalesce(host, '') FROM instances WHERE id = ?1");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(state, 16, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(host, ST_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* what the driver calls an instance's workload, for messages */
static const char *
noun(const struct st_view *v)
{
	return strcmp(v->drv->name, "libvirt") == 0 ? "domain" : "container";
}

int
st_view_host(struct st_db *db, const char *host, struct st_view *v)
{
	return st_view_kind(db, host, "container", v);
}

/* the kinds whose endpoint a host has, to look at: container when none */
int
st_view_kinds(struct st_db *db, const char *host, const char *kinds[2])
{
	int e = st_host_endpoints(db, host), n = 0;

	if ((e & 1) || e == 0)
		kinds[n++] = "container";
	if (e & 2)
		kinds[n++] = "vm";
	return n;
}

/* drops from here ({id: state}) the instances of another kind than v's */
void
st_view_only(struct st_db *db, const struct st_view *v, json_t *here)
{
	const char *kind = strcmp(v->drv->name, "libvirt") == 0 ? "vm" : "container", *id;
	sqlite3_stmt *st;
	json_t *other = json_array(), *x;
	size_t i;

	json_object_foreach(here, id, x) {
		if ((st = st_db_prep(db, "SELECT kind FROM instances WHERE id = ?1")) == NULL)
			break;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), kind) != 0)
			json_array_append_new(other, json_string(id));
		sqlite3_reset(st);
	}
	json_array_foreach(other, i, x)
		json_object_del(here, json_string_value(x));
	json_decref(other);
}

int
st_view_kind(struct st_db *db, const char *host, const char *kind, struct st_view *v)
{
	json_t *all = NULL, *x;
	const char *id, *name;
	size_t i;
	int rc;

	memset(v, 0, sizeof *v);
	snprintf(v->host, sizeof v->host, "%s", host);
	if ((rc = st_drv_ctx_kind(db, host, kind, &v->c)) != ST_OK)
		return rc;
	if ((v->drv = st_driver_load(st_kind_driver(kind))) == NULL) {
		snprintf(v->c.err, sizeof v->c.err, "the %s driver module is missing", st_kind_driver(kind));
		return ST_PERM;
	}
	if ((rc = v->drv->list(&v->c, &all)) != ST_OK)
		return rc;
	v->byid = json_object();
	v->odd = json_array();
	json_array_foreach(all, i, x) {
		id = json_string_value(json_object_get(x, "id"));
		name = json_string_value(json_object_get(x, "name"));
		/* the shape Stampede gives its own: st-ID, labelled ID */
		if (id && name && strlen(id) == ST_ID_LEN && st_type_of_id(id) == ST_INSTANCE &&
		    strncmp(name, "st-", 3) == 0 && strcmp(name + 3, id) == 0)
			json_object_set(v->byid, id, x);
		else
			json_array_append(v->odd, x);
	}
	json_decref(all);
	return ST_OK;
}

void
st_view_free(struct st_view *v)
{
	json_decref(v->byid);
	json_decref(v->odd);
	st_drv_ctx_free(&v->c);
	memset(v, 0, sizeof *v);
}

const char *
st_view_state(const struct st_view *v, const char *id)
{
	const char *s = json_string_value(json_object_get(json_object_get(v->byid, id), "state"));

	return s ? s : "absent";
}

static int
is(const char *s, const char *a)
{
	return strcmp(s, a) == 0;
}

/* what Docker shows as a process that is there */
static int
up(const char *cstate)
{
	return is(cstate, "running") || is(cstate, "restarting") || is(cstate, "paused");
}

int
st_fix_decide(const char *state, const char *cstate, const char *prior, const char **to)
{
	int absent = is(cstate, "absent") || is(cstate, "foreign");

	*to = NULL;
	if (is(state, "running")) {
		if (up(cstate))
			return ST_FIX_NONE;
		/* desired running: a daemon or host restart left it exited */
		if (is(cstate, "created") || is(cstate, "exited")) {
			*to = "running";
			return ST_FIX_START;
		}
		*to = "error";
		return ST_FIX_VANISHED;
	}
	if (is(state, "scheduled") || is(state, "stopped")) {
		*to = state;
		return up(cstate) ? ST_FIX_STOP : ST_FIX_NONE;
	}
	/* an intent whose owner died: forward when the effect is there,
	 * back to the state before it (the owner's note) when not */
	if (is(state, "starting")) {
		if (up(cstate))
			*to = "running";
		else if (is(prior, "scheduled") || is(prior, "stopped") || is(prior, "error") || is(prior, "running"))
			*to = prior;
		else
			*to = absent ? "scheduled" : "stopped";
		return ST_FIX_RESOLVE;
	}
	if (is(state, "stopping")) {
		if (!up(cstate))
			*to = "stopped";
		else if (is(prior, "running") || is(prior, "error") || is(prior, "scheduled"))
			*to = prior;
		else
			*to = "running";
		return ST_FIX_RESOLVE;
	}
	if (is(state, "removing"))
		return ST_FIX_REMOVE;
	return ST_FIX_NONE;
}

struct ctx {
	struct st_db *db;
	const struct st_reconcile *o;
	struct st_view *v;
	struct st_lock lk;
};

static void
line(const char *id, const char *action, const char *detail)
{
	printf("%s\t%s\t%s\n", id, action, detail);
	st_flush();
}

/* compare-and-set from -> to and the event, in one transaction */
static int
record(struct ctx *x, const char *id, const char *from, const char *to, const char *error,
    const char *action, const char *detail)
{
	json_t *d;
	int rc;

	if ((rc = st_db_begin(x->db)) != ST_OK)
		return rc;
	if (to && (rc = st_inst_cas(x->db, id, from, to, error)) != ST_OK) {
		st_db_rollback(x->db);
		return rc == ST_TEMP ? st_fail(ST_TEMP, "unable to reconcile '%s': its state changed under us", id) : rc;
	}
	/* the intent of a driver call has its event with the result */
	d = action ? json_pack("{s:s, s:s?, s:s?, s:s, s:s}", "action", action, "from", from, "to", to,
	    "host", x->v->host, "detail", detail) : NULL;
	rc = d ? st_event(x->db, id, "instance.reconcile", d) : ST_OK;
	json_decref(d);
	if (rc != ST_OK) {
		st_db_rollback(x->db);
		return st_fail(rc, "unable to reconcile '%s': %s", id, st_db_err(x->db));
	}
	if (action)
		st_fault("reconcile.before-result");
	return st_db_commit(x->db);
}

/* start or stop through the driver, with an intent like st-start's */
static int
drive(struct ctx *x, const char *id, const char *from, int kind, const char *to, const char *cstate)
{
	const char *inter = kind == ST_FIX_START ? "starting" : "stopping";
	char detail[256], *err;
	int rc, drc;

	st_lock_note(&x->lk, "reconcile", from);
	if ((rc = record(x, id, from, inter, NULL, NULL, NULL)) != ST_OK)
		return rc;
	st_fault("reconcile.after-intent");
	if (kind == ST_FIX_START)
		drc = x->v->drv->start(&x->v->c, id);
	else
		drc = x->v->drv->stop(&x->v->c, id, 10);
	st_fault("reconcile.after-driver");
	if (kind == ST_FIX_START)
		snprintf(detail, sizeof detail, "its %s on host '%s' was %s: started", noun(x->v), x->v->c.host, cstate);
	else
		snprintf(detail, sizeof detail, "%s, but its %s on host '%s' was %s: stopped", from, noun(x->v), x->v->c.host, cstate);
	if (drc == ST_OK) {
		if ((rc = record(x, id, inter, to, NULL, kind == ST_FIX_START ? "started" : "stopped", detail)) == ST_OK)
			line(id, kind == ST_FIX_START ? "started" : "stopped", detail);
		return rc;
	}
	/* temporary: back where it was, for the next run; permanent: error */
	err = st_strdup(x->v->c.err);
	rc = record(x, id, inter, drc == ST_TEMP ? from : "error", err, "failed", err);
	rc = ST_MAX(rc, st_fail(drc, "unable to reconcile '%s': %s", id, err));
	free(err);
	return rc;
}

/* a stale removing: the container goes, then the row */
static int
finish_remove(struct ctx *x, const char *id, const char *cstate)
{
	char detail[256], out[ST_ID_LEN + 1];
	json_t *d;
	int rc;

	if (!is(cstate, "absent") && !is(cstate, "foreign")) {
		if ((rc = x->v->drv->remove(&x->v->c, id)) != ST_OK)
			return st_fail(rc, "unable to reconcile '%s': %s", id, x->v->c.err);
		snprintf(detail, sizeof detail, "its %s on host '%s' removed, the instance deleted", noun(x->v), x->v->c.host);
	} else {
		snprintf(detail, sizeof detail, "no %s on host '%s': the instance deleted", noun(x->v), x->v->c.host);
	}
	st_fault("reconcile.after-driver");
	if ((rc = st_db_begin(x->db)) != ST_OK)
		return rc;
	if ((rc = st_sched_remove(x->db, id, out)) != ST_OK) {
		st_db_rollback(x->db);
		return rc;
	}
	d = json_pack("{s:s, s:s, s:s}", "action", "removed", "host", x->v->host, "detail", detail);
	rc = st_event(x->db, id, "instance.reconcile", d);
	json_decref(d);
	if (rc != ST_OK) {
		st_db_rollback(x->db);
		return st_fail(rc, "unable to reconcile '%s': %s", id, st_db_err(x->db));
	}
	st_fault("reconcile.before-result");
	if ((rc = st_db_commit(x->db)) == ST_OK)
		line(id, "removed", detail);
	return rc;
}

static int
apply(struct ctx *x, const char *id, const char *state, const char *cstate, int kind, const char *to)
{
	char detail[256];
	const char *action;
	int rc;

	switch (kind) {
	case ST_FIX_START:
	case ST_FIX_STOP:
		return drive(x, id, state, kind, to, cstate);
	case ST_FIX_REMOVE:
		return finish_remove(x, id, cstate);
	case ST_FIX_VANISHED:
		snprintf(detail, sizeof detail, "running, but host '%s' has %s %s st-%s", x->v->c.host,
		    is(cstate, "absent") || is(cstate, "foreign") ? "no" : "a dead", noun(x->v), id);
		action = "vanished";
		break;
	default:
		action = (is(state, "starting") && is(to, "running") && up(cstate)) ||
		    (is(state, "stopping") && is(to, "stopped")) ? "rolled-forward" : "rolled-back";
		snprintf(detail, sizeof detail, "%s -> %s: its %s on host '%s' is %s", state, to, noun(x->v), x->v->c.host, cstate);
		break;
	}
	if ((rc = record(x, id, state, to, kind == ST_FIX_VANISHED ? detail : NULL, action, detail)) == ST_OK)
		line(id, action, detail);
	return rc;
}

static int
intent(const char *state)
{
	return is(state, "starting") || is(state, "stopping") || is(state, "removing");
}

/* one instance placed on the host: fixed until nothing is left to do */
static int
fix_inst(struct ctx *x, const char *id, const char *seen)
{
	char state[16], host[ST_ID_LEN + 1], cstate[32], prior[16] = "";
	const char *cs = st_view_state(x->v, id), *to;
	struct st_lock probe;
	int kind, rc = ST_OK, n;

	if ((kind = st_fix_decide(seen, cs, "", &to)) == ST_FIX_NONE)
		return ST_OK;
	/* an intent whose owner lives is that owner's */
	if (intent(seen) && st_lock_held(x->db, id, &probe))
		return ST_OK;
	if (x->o->dry_run) {
		char detail[256];

		snprintf(detail, sizeof detail, "%s%s%s, its %s on host '%s' is %s", seen, to ? " -> " : "",
		    to ? to : "", noun(x->v), x->v->c.host, cs);
		line(id, kind == ST_FIX_RESOLVE ? "resolve" : kind == ST_FIX_REMOVE ? "remove" : kind == ST_FIX_START ?
		    "start" : kind == ST_FIX_STOP ? "stop" : "vanish", detail);
		return ST_OK;
	}
	if (st_lock_take(x->db, id, "reconcile", NULL, &x->lk) != ST_OK)
		return ST_OK;	/* a live command took it meanwhile */
	if (x->lk.pid > 0 && strcmp(x->lk.from, "-") != 0)
		snprintf(prior, sizeof prior, "%s", x->lk.from);
	for (n = 0; n < 4 && rc == ST_OK; n++) {
		if ((rc = row(x->db, id, state, host)) <= 0 || strcmp(host, x->v->host) != 0) {
			rc = rc < 0 ? st_fail(ST_TEMP, "unable to reconcile '%s': %s", id, st_db_err(x->db)) : ST_OK;
			break;
		}
		/* asked again under the lock: the list may be old */
		if ((rc = x->v->drv->state(&x->v->c, id, cstate)) != ST_OK) {
			rc = st_fail(rc, "unable to reconcile '%s': %s", id, x->v->c.err);
			break;
		}
		if ((kind = st_fix_decide(state, cstate, prior, &to)) == ST_FIX_NONE)
			break;
		rc = apply(x, id, state, cstate, kind, to);
		*prior = '\0';
		if (kind == ST_FIX_REMOVE)
			break;
	}
	st_lock_drop(&x->lk);
	return rc;
}

/* a container of this cluster whose instance the state does not place
 * on this host: unknown (an orphan, after --grace) or moved away */
static int
fix_stray(struct ctx *x, const char *id, json_t *cont)
{
	char state[16], host[ST_ID_LEN + 1], cstate[32], detail[256];
	const char *name = json_string_value(json_object_get(cont, "name"));
	int64_t created = json_integer_value(json_object_get(cont, "created"));
	int found, rc;
	json_t *d;

	if ((found = row(x->db, id, state, host)) < 0)
		return st_fail(ST_TEMP, "unable to reconcile '%s': %s", id, st_db_err(x->db));
	if (found && strcmp(host, x->v->host) == 0)
		return ST_OK;
	if (!found && st_now() - created < x->o->grace)
		return ST_OK;
	if (found)
		snprintf(detail, sizeof detail, "%s %s on host '%s', but the instance is %s%s%s: removed", noun(x->v), name,
		    x->v->c.host, *host ? "placed on " : state, *host ? "host " : "", host);
	else
		snprintf(detail, sizeof detail, "%s %s on host '%s' of no instance in the state file: removed", noun(x->v), name, x->v->c.host);
	if (x->o->dry_run) {
		line(id, found ? "remove-misplaced" : "remove-orphan", detail);
		return ST_OK;
	}
	if (st_lock_take(x->db, id, "reconcile", NULL, &x->lk) != ST_OK)
		return ST_OK;
	rc = ST_OK;
	if ((found = row(x->db, id, state, host)) < 0 || (found && strcmp(host, x->v->host) == 0))
		goto out;
	if ((rc = x->v->drv->state(&x->v->c, id, cstate)) != ST_OK || is(cstate, "absent") || is(cstate, "foreign"))
		goto out;
	if ((rc = x->v->drv->remove(&x->v->c, id)) != ST_OK)
		goto out;
	st_fault("reconcile.after-driver");
	d = json_pack("{s:s, s:s, s:s}", "action", found ? "removed-misplaced" : "removed-orphan",
	    "host", x->v->host, "detail", detail);
	rc = st_event(x->db, id, "instance.reconcile", d);
	json_decref(d);
	line(id, found ? "removed-misplaced" : "removed-orphan", detail);
out:
	st_lock_drop(&x->lk);
	return rc == ST_OK ? ST_OK : st_fail(rc, "unable to reconcile '%s': %s", id, x->v->c.err);
}

static int reconcile_kind(struct st_db *, const struct st_reconcile *, const char *, const char *);

int
st_reconcile_host(struct st_db *db, const struct st_reconcile *o, const char *host)
{
	const char *kinds[2];
	int i, n = st_view_kinds(db, host, kinds), rc = ST_OK;

	for (i = 0; i < n; i++)
		rc = ST_MAX(rc, reconcile_kind(db, o, host, kinds[i]));
	rc = ST_MAX(rc, st_sg_reconcile(db, host, o->dry_run));	/* the firewall (issue 9) */
	rc = ST_MAX(rc, st_lb_reconcile(db, host, o->dry_run));	/* HAProxy (issue 10) */
	return rc;
}

static int
reconcile_kind(struct st_db *db, const struct st_reconcile *o, const char *host, const char *kind)
{
	struct st_view v;
	struct ctx x = { .db = db, .o = o, .v = &v };
	json_t *here = json_object(), *c;
	const char *id;
	int rc;

	/* what runs first, then the state: a container listed was recorded
	 * before it was made */
	if ((rc = st_view_kind(db, host, kind, &v)) != ST_OK) {
		rc = st_fail(rc, "unable to reconcile host '%s': %s", v.c.host ? v.c.host : host, v.c.err);
		st_view_free(&v);
		json_decref(here);
		return rc;
	}
	rc = st_inst_on_host(db, v.host, here);
	st_view_only(db, &v, here);
	json_object_foreach(here, id, c)
		rc = ST_MAX(rc, fix_inst(&x, id, json_string_value(c)));
	json_object_foreach(v.byid, id, c)
		if (json_object_get(here, id) == NULL)
			rc = ST_MAX(rc, fix_stray(&x, id, c));
	st_view_free(&v);
	json_decref(here);
	return rc;
}

json_t *
st_reconcile_hosts(struct st_db *db)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id FROM hosts WHERE docker IS NOT NULL OR libvirt IS NOT NULL ORDER BY coalesce(name, id)");
	json_t *a = json_array();

	if (st == NULL)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	return a;
}
