/* bkdb.c: backup rows in the state file. Kept apart from backup.c so that
 * st-inspect and the resolver never link libcurl or libcrypto. */
#include <stdlib.h>
#include <string.h>

#include "st.h"

#define BK_COLS "id, name, created, volume, volume_name, backend, snapshot, url, endpoint, region, " \
	"stream, size, chunk_size, chunks, uploaded, sha256"

static json_t *
col_str(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(st, i));
}

static json_t *
bk_row(struct st_db *db, sqlite3_stmt *st)
{
	char t[32];

	(void)db;
	st_time_iso(sqlite3_column_int64(st, 2), t);
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:o}",
	    "id", col_str(st, 0), "name", col_str(st, 1), "created", t,
	    "volume", col_str(st, 3), "volume_name", col_str(st, 4), "backend", col_str(st, 5),
	    "snapshot", col_str(st, 6), "url", col_str(st, 7), "endpoint", col_str(st, 8),
	    "region", col_str(st, 9), "stream", col_str(st, 10),
	    "size", (json_int_t)sqlite3_column_int64(st, 11),
	    "chunk_size", (json_int_t)sqlite3_column_int64(st, 12),
	    "chunks", (json_int_t)sqlite3_column_int64(st, 13),
	    "uploaded", (json_int_t)sqlite3_column_int64(st, 14),
	    "sha256", col_str(st, 15));
}

json_t *
st_backup_json(struct st_db *db, const char *id)
{
	return st_db_one(db, "SELECT " BK_COLS " FROM backups WHERE id = ?1", id, bk_row);
}

int
st_backup_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	return st_db_rows(db, "SELECT " BK_COLS " FROM backups ORDER BY created, id", "backups", bk_row, cb, ctx);
}

static void
bind_str(sqlite3_stmt *st, int i, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* rec: the fields of BK_COLS (created as seconds in "created_at"); inside
 * the caller's transaction; records the event volume.backup */
int
st_backup_insert(struct st_db *db, json_t *rec, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "INSERT INTO backups (" BK_COLS ") VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
	json_t *d;
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	bind_str(st, 1, rec, "id");
	bind_str(st, 2, rec, "name");
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(rec, "created_at")));
	bind_str(st, 4, rec, "volume");
	bind_str(st, 5, rec, "volume_name");
	bind_str(st, 6, rec, "backend");
	bind_str(st, 7, rec, "snapshot");
	bind_str(st, 8, rec, "url");
	bind_str(st, 9, rec, "endpoint");
	bind_str(st, 10, rec, "region");
	bind_str(st, 11, rec, "stream");
	sqlite3_bind_int64(st, 12, json_integer_value(json_object_get(rec, "size")));
	sqlite3_bind_int64(st, 13, json_integer_value(json_object_get(rec, "chunk_size")));
	sqlite3_bind_int64(st, 14, json_integer_value(json_object_get(rec, "chunks")));
	sqlite3_bind_int64(st, 15, json_integer_value(json_object_get(rec, "uploaded")));
	bind_str(st, 16, rec, "sha256");
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another backup";
			return ST_PERM;
		}
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY) {
			*why = "already recorded";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	d = json_pack("{s:O?, s:O?, s:O, s:O, s:O}", "volume", json_object_get(rec, "volume"),
	    "snapshot", json_object_get(rec, "snapshot"), "url", json_object_get(rec, "url"),
	    "size", json_object_get(rec, "size"), "uploaded", json_object_get(rec, "uploaded"));
	rc = st_event(db, json_string_value(json_object_get(rec, "id")), "volume.backup", d);
	json_decref(d);
	if (rc != ST_OK)
		*why = st_db_err(db);
	return rc;
}

/* inside the caller's transaction; ST_NO if there was no such row */
int
st_backup_delete(struct st_db *db, const char *id, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "DELETE FROM backups WHERE id = ?1");
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	if (sqlite3_changes(db->h) == 0)
		return ST_NO;
	st_obj_forget(db, id);
	if ((rc = st_event(db, id, "backup.prune", NULL)) != ST_OK)
		*why = st_db_err(db);
	return rc;
}
