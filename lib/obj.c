/* obj.c: what every object type shares: resolving an ID, name or prefix,
 * labels and attributes, and the object as JSON. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

/* per-type statements; constant strings, so the statement cache keys them */
static const char *const sql_id[ST_NTYPES] = {
	[ST_HOST] = "SELECT id FROM hosts WHERE id = ?1",
	[ST_INSTANCE] = "SELECT id FROM instances WHERE id = ?1",
	[ST_IMAGE] = "SELECT id FROM images WHERE id = ?1",
	[ST_VOLUME] = "SELECT id FROM volumes WHERE id = ?1",
	[ST_SNAPSHOT] = "SELECT id FROM snapshots WHERE id = ?1",
	[ST_BACKUP] = "SELECT id FROM backups WHERE id = ?1",
	[ST_NETWORK] = "SELECT id FROM networks WHERE id = ?1",
	[ST_SG] = "SELECT id FROM sgs WHERE id = ?1",
	[ST_LB] = "SELECT id FROM lbs WHERE id = ?1",
};
static const char *const sql_name[ST_NTYPES] = {
	[ST_HOST] = "SELECT id FROM hosts WHERE name = ?1",
	[ST_INSTANCE] = "SELECT id FROM instances WHERE name = ?1",
	[ST_IMAGE] = "SELECT id FROM images WHERE name = ?1",
	[ST_VOLUME] = "SELECT id FROM volumes WHERE name = ?1",
	[ST_SNAPSHOT] = "SELECT id FROM snapshots WHERE name = ?1",
	[ST_BACKUP] = "SELECT id FROM backups WHERE name = ?1",
	[ST_NETWORK] = "SELECT id FROM networks WHERE name = ?1",
	[ST_SG] = "SELECT id FROM sgs WHERE name = ?1",
	[ST_LB] = "SELECT id FROM lbs WHERE name = ?1",
};
static const char *const sql_prefix[ST_NTYPES] = {
	[ST_HOST] = "SELECT id FROM hosts WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_INSTANCE] = "SELECT id FROM instances WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_IMAGE] = "SELECT id FROM images WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_VOLUME] = "SELECT id FROM volumes WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_SNAPSHOT] = "SELECT id FROM snapshots WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_BACKUP] = "SELECT id FROM backups WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_NETWORK] = "SELECT id FROM networks WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_SG] = "SELECT id FROM sgs WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
	[ST_LB] = "SELECT id FROM lbs WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 11",
};

struct found {
	char ids[11][ST_ID_LEN + 1];
	int n;
};

static int
collect(struct st_db *db, const char *sql, const char *a, const char *b, struct found *f)
{
	sqlite3_stmt *st;
	int rc;

	if (sql == NULL)
		return ST_OK;
	if ((st = st_db_prep(db, sql)) == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (f->n < 11)
			snprintf(f->ids[f->n++], ST_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read state: %s", st_db_err(db));
	return ST_OK;
}

static int
hexrun(const char *s)
{
	int n = 0;

	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return s[n] == '\0' ? n : -1;
}

static const char *
tname(int t)
{
	return t < 0 ? "object" : st_types[t].name;
}

int
st_resolve(struct st_db *db, int t, const char *s, char id[ST_ID_LEN + 1])
{
	struct found f = { .n = 0 };
	int lo = t < 0 ? 0 : t, hi = t < 0 ? ST_NTYPES - 1 : t, k, rc, nhex, id_found;
	char pfx[32], end[40];
	size_t len = strlen(s);

	if (len == 0 || len > 255 || !st_valid_utf8(s, len))
		return st_fail(st_bad(), "unable to find %s '%s': not an ID or a name", tname(t), st_q(s));
	if (t >= 0 && st_types[t].table == NULL)
		return st_fail(ST_PERM, "unable to find %s '%s': no %s objects yet", tname(t), st_q(s), tname(t));
	/* 1. an exact ID */
	k = st_type_of_id(s);
	if (len == ST_ID_LEN && k >= lo && k <= hi && (rc = collect(db, sql_id[k], s, NULL, &f)) != ST_OK)
		return rc;
	id_found = f.n;
	/* 2. an exact name, of every type asked for: the same name on two
	 * types is ambiguous */
	for (k = lo; id_found == 0 && k <= hi; k++)
		if ((rc = collect(db, sql_name[k], s, NULL, &f)) != ST_OK)
			return rc;
	if (f.n > 1) {
		st_fail(ST_PERM, "unable to find %s '%s': the name is ambiguous between types; use the ID", tname(t), st_q(s));
		for (k = 0; k < f.n; k++)
			fprintf(stderr, "\t%s\n", f.ids[k]);
		return ST_PERM;
	}
	/* 3. a unique prefix of at least 4 hex digits, with or without x- */
	if (f.n == 0) {
		k = st_type_of_id(s);
		nhex = k >= 0 ? hexrun(s + 2) : hexrun(s);
		if (nhex >= 4 && nhex <= 12) {
			for (int j = lo; j <= hi; j++) {
				if (k >= 0 && k != j)
					continue;
				snprintf(pfx, sizeof pfx, "%c-%s", st_types[j].prefix, k >= 0 ? s + 2 : s);
				snprintf(end, sizeof end, "%s~", pfx);
				if ((rc = collect(db, sql_prefix[j], pfx, end, &f)) != ST_OK)
					return rc;
			}
		} else if (nhex >= 0 && nhex < 4 && (k >= 0 || nhex == (int)len)) {
			return st_fail(ST_PERM, "unable to find %s '%s': no such name, and an ID prefix needs at least 4 hex digits", tname(t), st_q(s));
		}
	}
	if (f.n == 0) {
		const char *why;

		/* neither a possible name nor an ID: a malformed operand */
		if (st_valid_name(s, &why) < 0 && !st_id_shape(s) && hexrun(s) < 0)
			return st_fail(st_bad(), "unable to find %s '%s': not an ID or a name (%s)", tname(t), st_q(s), why);
		return st_fail(ST_PERM, "unable to find %s '%s': no such %s", tname(t), st_q(s), tname(t));
	}
	if (f.n > 1) {
		st_fail(ST_PERM, "unable to find %s '%s': ambiguous ID prefix, candidates:", tname(t), st_q(s));
		for (k = 0; k < f.n && k < 10; k++)
			fprintf(stderr, "\t%s\n", f.ids[k]);
		if (f.n > 10)
			fprintf(stderr, "\t...\n");
		return ST_PERM;
	}
	memcpy(id, f.ids[0], ST_ID_LEN + 1);
	return ST_OK;
}

int
st_name_taken(struct st_db *db, enum st_type t, const char *name)
{
	struct found f = { .n = 0 };

	if (collect(db, sql_name[t], name, NULL, &f) != ST_OK)
		return -1;
	return f.n > 0;
}

int
st_obj_exists(struct st_db *db, const char *id)
{
	struct found f = { .n = 0 };
	int t = st_type_of_id(id);

	if (t < 0 || collect(db, sql_id[t], id, NULL, &f) != ST_OK)
		return 0;
	return f.n > 0;
}

static int
kv_exec(struct st_db *db, const char *sql, const char *obj, const char *key, const char *val)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (val)
		sqlite3_bind_text(st, 3, val, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to write state: %s", st_db_err(db));
	return ST_OK;
}

int
st_labels_set(struct st_db *db, const char *obj, const char *key, const char *val)
{
	return kv_exec(db, "INSERT INTO labels (obj, key, value) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (obj, key) DO UPDATE SET value = excluded.value", obj, key, val);
}

int
st_labels_del(struct st_db *db, const char *obj, const char *key)
{
	return kv_exec(db, "DELETE FROM labels WHERE obj = ?1 AND key = ?2", obj, key, NULL);
}

int
st_attrs_set(struct st_db *db, const char *obj, const char *key, const char *val)
{
	return kv_exec(db, "INSERT INTO attrs (obj, key, value) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (obj, key) DO UPDATE SET value = excluded.value", obj, key, val);
}

int
st_attrs_del(struct st_db *db, const char *obj, const char *key)
{
	return kv_exec(db, "DELETE FROM attrs WHERE obj = ?1 AND key = ?2", obj, key, NULL);
}

void
st_obj_forget(struct st_db *db, const char *obj)
{
	kv_exec(db, "DELETE FROM labels WHERE obj = ?1", obj, NULL, NULL);
	kv_exec(db, "DELETE FROM attrs WHERE obj = ?1", obj, NULL, NULL);
}

static json_t *
kv_json(struct st_db *db, const char *sql, const char *obj)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	json_t *o = json_object();

	if (st == NULL)
		return o;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(st, 0),
		    json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	return o;
}

json_t *
st_labels_json(struct st_db *db, const char *obj)
{
	return kv_json(db, "SELECT key, value FROM labels WHERE obj = ?1 ORDER BY key", obj);
}

json_t *
st_attrs_json(struct st_db *db, const char *obj)
{
	return kv_json(db, "SELECT key, value FROM attrs WHERE obj = ?1 ORDER BY key", obj);
}

int
st_labels_match(struct st_db *db, const char *obj, const struct st_kvs *want)
{
	sqlite3_stmt *st;
	size_t i;
	int ok;

	for (i = 0; i < want->n; i++) {
		st = st_db_prep(db, "SELECT 1 FROM labels WHERE obj = ?1 AND key = ?2 AND value = ?3");
		if (st == NULL)
			return 0;
		sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, want->v[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, want->v[i].val, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!ok)
			return 0;
	}
	return 1;
}

void
st_kvs_add(struct st_kvs *k, char *key, char *val)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->v[i].key, key) == 0) {	/* the last one given wins */
			free(k->v[i].key);
			k->v[i].key = key;
			k->v[i].val = val;
			return;
		}
	k->v = st_realloc(k->v, (k->n + 1) * sizeof *k->v);
	k->v[k->n].key = key;
	k->v[k->n++].val = val;
}

void
st_kvs_free(struct st_kvs *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].key);	/* val points into key's block */
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

json_t *
st_obj_json(struct st_db *db, const char *id)
{
	switch (st_type_of_id(id)) {
	case ST_HOST:
		return st_host_json(db, id);
	case ST_INSTANCE:
		return st_inst_json(db, id);
	case ST_NETWORK:
		return st_net_json(db, id);
	case ST_SG:
		return st_sg_json(db, id);
	case ST_BACKUP:
		return st_backup_json(db, id);
	case ST_IMAGE:
		return st_image_json(db, id);
	case ST_LB:
		return st_lb_json(db, id);
	case ST_VOLUME:
		return st_vol_json(db, id);
	case ST_SNAPSHOT:
		return st_snap_json(db, id);
	}
	return NULL;
}
