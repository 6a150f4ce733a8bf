/* doctor.c: st-doctor's checks, read-only: the state file's integrity and
 * invariants, then each host's reachability and drift from the state. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static void
problem(int *n, const char *obj, const char *check, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(int *n, const char *obj, const char *check, const char *fmt, ...)
{
	va_list ap;

	printf("%s\t%s\t", obj, check);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	(*n)++;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/* each row of sql is a problem; report() prints it */
static int
each(struct st_db *db, const char *sql, void (*report)(sqlite3_stmt *, int *), int *n)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to check state '%s': %s", st_q(db->path), st_db_err(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		report(st, n);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to check state '%s': %s", st_q(db->path), st_db_err(db));
	return ST_OK;
}

static void
integrity(sqlite3_stmt *st, int *n)
{
	if (strcmp(col(st, 0), "ok") != 0)
		problem(n, "state", "integrity", "%s", col(st, 0));
}

static void
foreign_key(sqlite3_stmt *st, int *n)
{
	problem(n, "state", "foreign-key", "a row of %s (rowid %s) refers to a missing row of %s",
	    col(st, 0), col(st, 1), col(st, 2));
}

static void
capacity(sqlite3_stmt *st, int *n)
{
	char a[32], b[32];

	if (sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 4)) {
		st_fmt_cpu(sqlite3_column_int64(st, 1), a);
		st_fmt_cpu(sqlite3_column_int64(st, 4), b);
		problem(n, col(st, 0), "capacity", "cpu_used is %s, but the instances placed on it hold %s", a, b);
	}
	if (sqlite3_column_int64(st, 2) != sqlite3_column_int64(st, 5)) {
		st_fmt_size(sqlite3_column_int64(st, 2), a);
		st_fmt_size(sqlite3_column_int64(st, 5), b);
		problem(n, col(st, 0), "capacity", "mem_used is %s, but the instances placed on it hold %s", a, b);
	}
	if (sqlite3_column_int64(st, 3) != sqlite3_column_int64(st, 6))
		problem(n, col(st, 0), "capacity", "ninst is %lld, but %lld instances are placed on it",
		    (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 6));
}

static void
no_host(sqlite3_stmt *st, int *n)
{
	problem(n, col(st, 0), "no-host", "placed on host '%s', which is not in the state file", col(st, 1));
}

static void
placement(sqlite3_stmt *st, int *n)
{
	problem(n, col(st, 0), "placement", "state %s %s", col(st, 1),
	    *col(st, 2) ? "with a host" : "without a host");
}

static void
dup_name(sqlite3_stmt *st, int *n)
{
	problem(n, col(st, 1), "duplicate-name", "%ss %s share the name", col(st, 0), col(st, 2));
}

static void
port_host(sqlite3_stmt *st, int *n)
{
	problem(n, col(st, 0), "ports", "port %s/%s is held on host '%s', but the instance is on host '%s'",
	    col(st, 1), col(st, 2), *col(st, 3) ? col(st, 3) : "(none)", *col(st, 4) ? col(st, 4) : "(none)");
}

static void
dup_port(sqlite3_stmt *st, int *n)
{
	problem(n, col(st, 0), "duplicate-port", "instances %s all publish port %s/%s", col(st, 3), col(st, 2), col(st, 1));
}

static struct st_db *idb;

static void
intent(sqlite3_stmt *st, int *n)
{
	struct st_lock lk;

	if (st_lock_held(idb, col(st, 0), &lk))
		return;
	if (lk.pid > 0)
		problem(n, col(st, 0), "stale-intent", "left %s by pid %d (%s), which died; st-reconcile resolves it",
		    col(st, 1), lk.pid, lk.verb);
	else
		problem(n, col(st, 0), "stale-intent", "left %s by a command that died; st-reconcile resolves it", col(st, 1));
}

int
st_doctor_state(struct st_db *db, int *n)
{
	static const struct { const char *sql; void (*report)(sqlite3_stmt *, int *); } checks[] = {
		{ "PRAGMA integrity_check", integrity },
		/* an instance's missing host has its own check below */
		{ "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check "
		  "WHERE NOT (\"table\" = 'instances' AND parent = 'hosts')", foreign_key },
		{ "SELECT h.id, h.cpu_used, h.mem_used, h.ninst, coalesce(sum(i.cpu), 0), coalesce(sum(i.mem), 0), "
		  "count(i.id) FROM hosts h LEFT JOIN instances i ON i.host = h.id GROUP BY h.id "
		  "HAVING h.cpu_used <> coalesce(sum(i.cpu), 0) OR h.mem_used <> coalesce(sum(i.mem), 0) "
		  "OR h.ninst <> count(i.id) ORDER BY h.id", capacity },
		{ "SELECT id, host FROM instances WHERE host IS NOT NULL "
		  "AND host NOT IN (SELECT id FROM hosts) ORDER BY id", no_host },
		{ "SELECT id, state, host FROM instances WHERE (state = 'requested') <> (host IS NULL) ORDER BY id", placement },
		{ "SELECT 'instance', name, group_concat(id, ', ') FROM instances WHERE name IS NOT NULL "
		  "GROUP BY name HAVING count(*) > 1 UNION ALL "
		  "SELECT 'host', name, group_concat(id, ', ') FROM hosts WHERE name IS NOT NULL "
		  "GROUP BY name HAVING count(*) > 1", dup_name },
		{ "SELECT p.instance, p.host_port, p.proto, p.host_of, i.host FROM instance_ports p "
		  "JOIN instances i ON i.id = p.instance WHERE p.host_of IS NOT i.host ORDER BY p.instance", port_host },
		{ "SELECT i.host, p.proto, p.host_port, group_concat(i.id, ', ') FROM instance_ports p "
		  "JOIN instances i ON i.id = p.instance WHERE i.host IS NOT NULL "
		  "GROUP BY i.host, p.proto, p.host_port HAVING count(*) > 1", dup_port },
		{ "SELECT id, state FROM instances WHERE state IN ('starting', 'stopping', 'removing') ORDER BY id", intent },
	};
	size_t i;
	int rc = ST_OK;

	idb = db;
	/* one snapshot for all of them */
	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	for (i = 0; i < ST_NELEM(checks) && rc == ST_OK; i++)
		rc = each(db, checks[i].sql, checks[i].report, n);
	if (rc == ST_OK)
		rc = st_vol_doctor(db, n);	/* volumes (issue 8) */
	st_db_rollback(db);
	return rc;
}

/* the instance and its container now, for a finding of the first look:
 * a command may have been under way */
static int
still(struct st_db *db, struct st_view *v, const char *id, char state[16], char cstate[32])
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT state FROM instances WHERE id = ?1 AND host = ?2");
	const char *to;
	int found;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, v->host, -1, SQLITE_STATIC);
	if ((found = sqlite3_step(st) == SQLITE_ROW))
		snprintf(state, 16, "%s", col(st, 0));
	sqlite3_reset(st);
	if (!found || v->drv->state(&v->c, id, cstate) != ST_OK)
		return 0;
	return st_fix_decide(state, cstate, "", &to);
}

static int doctor_kind(struct st_db *, const char *, const char *, int *);

int
st_doctor_host(struct st_db *db, const char *host, int *n)
{
	const char *kinds[2];
	int i, k = st_view_kinds(db, host, kinds), rc = ST_OK;

	for (i = 0; i < k; i++)
		rc = ST_MAX(rc, doctor_kind(db, host, kinds[i], n));
	return rc;
}

static int
doctor_kind(struct st_db *db, const char *host, const char *kind, int *n)
{
	const char *noun;
	char state[16], cstate[32];
	struct st_view v;
	sqlite3_stmt *st;
	json_t *here = json_object(), *c;
	const char *id, *where;
	size_t i;
	int rc;

	if ((rc = st_view_kind(db, host, kind, &v)) != ST_OK) {
		problem(n, host, "unreachable", "%s", v.c.err);
		st_view_free(&v);
		json_decref(here);
		return ST_OK;
	}
	rc = st_inst_on_host(db, v.host, here);
	st_view_only(db, &v, here);
	noun = strcmp(v.drv->name, "libvirt") == 0 ? "domain" : "container";
	json_object_foreach(here, id, c) {
		const char *s = json_string_value(c), *to;

		/* intents: the stale ones are found with the state's checks */
		if (strcmp(s, "starting") == 0 || strcmp(s, "stopping") == 0 || strcmp(s, "removing") == 0)
			continue;
		if (st_fix_decide(s, st_view_state(&v, id), "", &to) == ST_FIX_NONE || !still(db, &v, id, state, cstate))
			continue;
		if (strcmp(cstate, "absent") == 0 || strcmp(cstate, "foreign") == 0)
			problem(n, id, "drift", "%s, but host '%s' has no %s st-%s", state, v.c.host, noun, id);
		else
			problem(n, id, "drift", "%s, but its %s on host '%s' is %s", state, noun, v.c.host, cstate);
	}
	json_object_foreach(v.byid, id, c) {
		if (json_object_get(here, id))
			continue;
		st = st_db_prep(db, "SELECT coalesce(host, state) FROM instances WHERE id = ?1");
		if (st == NULL)
			break;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		where = sqlite3_step(st) == SQLITE_ROW ? st_strdup(col(st, 0)) : NULL;
		sqlite3_reset(st);
		/* listed before the state was read: gone since, or not */
		if (v.drv->state(&v.c, id, cstate) == ST_OK && strcmp(cstate, "absent") != 0) {
			if (where)
				problem(n, id, "misplaced", "%s %s on host '%s', but the instance is on '%s'", noun,
				    json_string_value(json_object_get(c, "name")), v.c.host, where);
			else
				problem(n, id, "orphan", "%s %s on host '%s' belongs to no instance of the state file", noun,
				    json_string_value(json_object_get(c, "name")), v.c.host);
		}
		free((char *)where);
	}
	json_array_foreach(v.odd, i, c)
		problem(n, json_string_value(json_object_get(c, "name")), "foreign",
		    "container on host '%s' carries this cluster's label, but is not an instance's (%s)", v.c.host,
		    json_string_value(json_object_get(c, "id")) ? "its name is not st- and its io.stampede.id" :
		    "no io.stampede.id label");
	st_view_free(&v);
	json_decref(here);
	return rc;
}
