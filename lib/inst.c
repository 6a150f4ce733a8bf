/* inst.c: instance rows: recording a requested instance with its labels,
 * attributes and ports, reading it back as JSON, listing with filters. */
#include <stdlib.h>
#include <string.h>

#include "st.h"

int
st_inst_insert(struct st_db *db, struct st_inst *in, const char **why)
{
	sqlite3_stmt *st;
	char *spec;
	int rc, tries;
	size_t i;
	int64_t now = st_now();

	spec = json_dumps(in->spec, JSON_COMPACT);
	for (tries = 0; tries < 8; tries++) {
		st_id_new(ST_INSTANCE, in->id);
		st = st_db_prep(db, "INSERT INTO instances (id, name, kind, image, cpu, mem, restart, spec, created, updated) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)");
		if (st == NULL) {
			free(spec);
			return ST_PERM;
		}
		sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
		if (in->name)
			sqlite3_bind_text(st, 2, in->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, in->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, in->image, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, in->cpu);
		sqlite3_bind_int64(st, 6, in->mem);
		sqlite3_bind_text(st, 7, in->restart, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, spec, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, now);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			break;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
			continue;
		free(spec);
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another instance";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	free(spec);
	if (tries == 8) {
		*why = "no free ID after 8 draws";
		return ST_TEMP;
	}
	for (i = 0; in->labels && i < in->labels->n; i++)
		if ((rc = st_labels_set(db, in->id, in->labels->v[i].key, in->labels->v[i].val)) != ST_OK)
			goto kv;
	for (i = 0; in->attrs && i < in->attrs->n; i++)
		if ((rc = st_attrs_set(db, in->id, in->attrs->v[i].key, in->attrs->v[i].val)) != ST_OK)
			goto kv;
	for (i = 0; i < in->nports; i++) {
		st = st_db_prep(db, "INSERT INTO instance_ports (instance, proto, host_port, port) VALUES (?1, ?2, ?3, ?4)");
		sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, in->ports[i].proto, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, in->ports[i].host);
		sqlite3_bind_int(st, 4, in->ports[i].port);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			*why = sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY ?
			    "the same host port is published twice" : st_db_err(db);
			return st_db_code(db, rc);
		}
	}
	return ST_OK;
kv:
	*why = "unable to record labels or attributes";
	return rc;
}

static json_t *
ports_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT host_port, port, proto FROM instance_ports WHERE instance = ?1 ORDER BY host_port, proto");
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:i, s:i, s:s}",
		    "host_port", sqlite3_column_int(st, 0), "port", sqlite3_column_int(st, 1),
		    "proto", (const char *)sqlite3_column_text(st, 2)));
	sqlite3_reset(st);
	return a;
}

static json_t *
text_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(st, col));
}

json_t *
st_inst_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT i.id, i.name, i.kind, i.state, i.host, h.name, i.image, i.cpu, i.mem, "
	    "i.restart, i.spec, i.error, i.created, i.updated FROM instances i LEFT JOIN hosts h ON h.id = i.host WHERE i.id = ?1");
	json_t *o = NULL, *spec, *env, *cmd;
	char c[32], u[32], oid[ST_ID_LEN + 1];

	if (st == NULL)
		return NULL;
	snprintf(oid, sizeof oid, "%s", id);
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	spec = json_loads((const char *)sqlite3_column_text(st, 10), 0, NULL);
	env = spec ? json_incref(json_object_get(spec, "env")) : NULL;
	cmd = spec ? json_incref(json_object_get(spec, "cmd")) : NULL;
	json_decref(spec);
	st_time_iso(sqlite3_column_int64(st, 12), c);
	st_time_iso(sqlite3_column_int64(st, 13), u);
	o = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:s, s:s}",
	    "id", oid,
	    "name", text_or_null(st, 1),
	    "kind", (const char *)sqlite3_column_text(st, 2),
	    "state", (const char *)sqlite3_column_text(st, 3),
	    "host", text_or_null(st, 4),
	    "host_name", text_or_null(st, 5),
	    "image", (const char *)sqlite3_column_text(st, 6),
	    "cpu", st_json_cpu(sqlite3_column_int64(st, 7)),
	    "mem", (json_int_t)sqlite3_column_int64(st, 8),
	    "restart", (const char *)sqlite3_column_text(st, 9),
	    "env", env ? env : json_array(),
	    "cmd", cmd ? cmd : json_array(),
	    "error", text_or_null(st, 11),
	    "created", c, "updated", u);
	sqlite3_reset(st);
	{	/* addresses and security groups (issue 9) */
		json_t *first, *nets = st_inst_nets_json(db, oid, &first);

		json_object_set_new(o, "ip", first);
		json_object_set_new(o, "nets", nets);
		json_object_set_new(o, "sgs", st_inst_sgs_json(db, oid));
	}
	json_object_set_new(o, "volumes", st_vol_inst_json(db, oid));	/* issue 8 */
	json_object_set_new(o, "ports", ports_json(db, oid));
	json_object_set_new(o, "labels", st_labels_json(db, oid));
	json_object_set_new(o, "attrs", st_attrs_json(db, oid));
	return o;
}

int
st_inst_each(struct st_db *db, const struct st_inst_filter *f, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st;
	int rc, code = ST_OK;
	json_t *o;

	if (sqlite3_prepare_v2(db->h, "SELECT id FROM instances WHERE (?1 IS NULL OR host = ?1) "
	    "AND (?2 IS NULL OR state = ?2) AND (?3 OR ?2 IS NOT NULL OR state <> 'stopped') "
	    "ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read instances: %s", st_db_err(db));
	if (f->host)
		sqlite3_bind_text(st, 1, f->host, -1, SQLITE_STATIC);
	if (f->state)
		sqlite3_bind_text(st, 2, f->state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, f->all);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (f->labels && f->labels->n && !st_labels_match(db, id, f->labels))
			continue;
		if ((o = st_inst_json(db, id)) == NULL)
			continue;
		code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
		if (code == ST_TEMP)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read instances: %s", st_db_err(db));
	return code;
}

int
st_inst_cas(struct st_db *db, const char *id, const char *from, const char *to, const char *error)
{
	/* going to error without a new text keeps the one there; any other
	 * state without a text clears it */
	sqlite3_stmt *st = st_db_prep(db, "UPDATE instances SET state = ?3, updated = ?5, "
	    "error = coalesce(?4, CASE WHEN ?3 = 'error' THEN error END) WHERE id = ?1 AND state = ?2");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	if (error)
		sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, st_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to update instance '%s': %s", id, st_db_err(db));
	return sqlite3_changes(db->h) == 1 ? ST_OK : ST_TEMP;
}

int
st_inst_on_host(struct st_db *db, const char *host, json_t *out)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id, state FROM instances WHERE host = ?1 ORDER BY rowid");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(out, (const char *)sqlite3_column_text(st, 0),
		    json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read instances: %s", st_db_err(db));
	return ST_OK;
}
