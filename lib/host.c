/* host.c: host rows: registration, listing, removal and state changes.
 * Capacity (cpu, mem) and its use live on the row; free capacity is a
 * generated, indexable column. */
#include <stdlib.h>
#include <string.h>

#include "st.h"

int
st_host_insert(struct st_db *db, struct st_host *h, const char **why)
{
	sqlite3_stmt *st;
	int rc, tries, kinds = 3;
	size_t i;

	if (h->docker || h->libvirt)
		kinds = (h->docker ? 1 : 0) | (h->libvirt ? 2 : 0);
	for (tries = 0; tries < 8; tries++) {
		st_id_new(ST_HOST, h->id);
		st = st_db_prep(db, "INSERT INTO hosts (id, name, kinds, docker, libvirt, cpu, mem, created, "
		    "tls_ca, tls_cert, tls_key, insecure, version, probed, cpu_cap, mem_cap) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CASE WHEN ?13 IS NULL THEN NULL ELSE ?8 END, "
		    "nullif(?14, 0), nullif(?15, 0))");
		if (st == NULL)
			return ST_PERM;
		sqlite3_bind_text(st, 1, h->id, -1, SQLITE_STATIC);
		if (h->name)
			sqlite3_bind_text(st, 2, h->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, kinds);
		if (h->docker)
			sqlite3_bind_text(st, 4, h->docker, -1, SQLITE_STATIC);
		if (h->libvirt)
			sqlite3_bind_text(st, 5, h->libvirt, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, h->cpu);
		sqlite3_bind_int64(st, 7, h->mem);
		sqlite3_bind_int64(st, 8, st_now());
		if (h->tls_ca)
			sqlite3_bind_text(st, 9, h->tls_ca, -1, SQLITE_STATIC);
		if (h->tls_cert)
			sqlite3_bind_text(st, 10, h->tls_cert, -1, SQLITE_STATIC);
		if (h->tls_key)
			sqlite3_bind_text(st, 11, h->tls_key, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 12, h->insecure);
		if (h->version)
			sqlite3_bind_text(st, 13, h->version, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 14, h->cpu_cap);
		sqlite3_bind_int64(st, 15, h->mem_cap);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			break;
		/* a random ID met an existing one: draw again */
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
			continue;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another host";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	if (tries == 8) {
		*why = "no free ID after 8 draws";
		return ST_TEMP;
	}
	for (i = 0; h->labels && i < h->labels->n; i++)
		if ((rc = st_labels_set(db, h->id, h->labels->v[i].key, h->labels->v[i].val)) != ST_OK) {
			*why = "unable to set labels";
			return rc;
		}
	return ST_OK;
}

#define HOST_COLS "id, name, state, kinds, docker, libvirt, cpu, mem, cpu_used, mem_used, ninst, created"

static json_t *
host_row(struct st_db *db, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	int kinds = sqlite3_column_int(st, 3);
	int64_t cpu = sqlite3_column_int64(st, 6), mem = sqlite3_column_int64(st, 7);
	int64_t cu = sqlite3_column_int64(st, 8), mu = sqlite3_column_int64(st, 9);
	json_t *o, *k = json_array();
	char t[32];

	if (kinds & 1)
		json_array_append_new(k, json_string("container"));
	if (kinds & 2)
		json_array_append_new(k, json_string("vm"));
	st_time_iso(sqlite3_column_int64(st, 11), t);
	o = json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:I, s:I, s:o, s:o, s:s}",
	    "id", id,
	    "name", sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 1)),
	    "state", (const char *)sqlite3_column_text(st, 2),
	    "kinds", k,
	    "docker", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 4)),
	    "libvirt", sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 5)),
	    "cpu", st_json_cpu(cpu), "mem", (json_int_t)mem,
	    "cpu_used", st_json_cpu(cu), "mem_used", (json_int_t)mu,
	    "cpu_free", st_json_cpu(cpu - cu), "mem_free", (json_int_t)(mem - mu),
	    "instances", (json_int_t)sqlite3_column_int64(st, 10),
	    "labels", st_labels_json(db, id), "attrs", st_attrs_json(db, id),
	    "created", t);
	return o;
}

json_t *
st_host_json(struct st_db *db, const char *id)
{
	return st_db_one(db, "SELECT " HOST_COLS " FROM hosts WHERE id = ?1", id, host_row);
}

int
st_host_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	return st_db_rows(db, "SELECT " HOST_COLS " FROM hosts ORDER BY name IS NULL, name, id", "hosts", host_row, cb, ctx);
}

int
st_host_delete(struct st_db *db, const char *id, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT count(*) FROM instances WHERE host = ?1");
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n > 0) {
		*why = n == 1 ? "1 instance is placed on it" : "instances are placed on it";
		return ST_PERM;
	}
	st = st_db_prep(db, "SELECT count(*) FROM volumes WHERE host = ?1");	/* issue 8 */
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n > 0) {
		*why = "volumes are on it (st-volume-rm them first)";
		return ST_PERM;
	}
	st = st_db_prep(db, "DELETE FROM hosts WHERE id = ?1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	st_obj_forget(db, id);
	return ST_OK;
}

int
st_host_set_state(struct st_db *db, const char *id, const char *state, const char *from, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "UPDATE hosts SET state = ?2 WHERE id = ?1 AND (?3 IS NULL OR state = ?3)");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	if (from)
		sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	if (sqlite3_changes(db->h) == 0) {
		*why = "not in the expected state";
		return ST_PERM;
	}
	return ST_OK;
}

int
st_host_probed(struct st_db *db, const char *id, int ok, int64_t cpu, int64_t mem, const char *version, const char **why)
{
	sqlite3_stmt *st;
	int rc;

	if (ok)
		st = st_db_prep(db, "UPDATE hosts SET cpu = max(min(?2, coalesce(cpu_cap, ?2)), cpu_used), "
		    "mem = max(min(?3, coalesce(mem_cap, ?3)), mem_used), version = ?4, "
		    "probed = ?5, state = CASE state WHEN 'unreachable' THEN 'active' ELSE state END WHERE id = ?1");
	else
		st = st_db_prep(db, "UPDATE hosts SET state = CASE state WHEN 'active' THEN 'unreachable' ELSE state END, "
		    "probed = ?5 WHERE id = ?1");
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (ok) {
		sqlite3_bind_int64(st, 2, cpu);
		sqlite3_bind_int64(st, 3, mem);
		sqlite3_bind_text(st, 4, version, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 5, st_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	return ST_OK;
}
