/* addr.c: the addresses a driver gave an instance on its own default
 * network, which no Stampede network allocated (net NULL in addresses). */
#include <string.h>

#include "st.h"

static int
drop(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "DELETE FROM addresses WHERE instance = ?1 AND net IS NULL");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : st_db_code(db, rc);
}

/* the driver's addresses not already recorded, after the others */
static int
record(struct st_db *db, const char *id, json_t *ips)
{
	sqlite3_stmt *has, *max, *ins;
	json_t *v;
	size_t i;
	int rc = SQLITE_DONE, idx = 0;

	if ((has = st_db_prep(db, "SELECT 1 FROM addresses WHERE instance = ?1 AND ip = ?2")) == NULL ||
	    (max = st_db_prep(db, "SELECT coalesce(max(idx) + 1, 0) FROM addresses WHERE instance = ?1")) == NULL ||
	    (ins = st_db_prep(db, "INSERT INTO addresses (instance, idx, net, ip) VALUES (?1, ?2, NULL, ?3)")) == NULL)
		return ST_PERM;
	sqlite3_bind_text(max, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(max) == SQLITE_ROW)
		idx = sqlite3_column_int(max, 0);
	sqlite3_reset(max);
	json_array_foreach(ips, i, v) {
		const char *ip = json_string_value(v);
		int found;

		if (ip == NULL)
			continue;
		sqlite3_bind_text(has, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(has, 2, ip, -1, SQLITE_STATIC);
		found = sqlite3_step(has) == SQLITE_ROW;
		sqlite3_reset(has);
		if (found)
			continue;
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 2, idx++);
		sqlite3_bind_text(ins, 3, ip, -1, SQLITE_STATIC);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return st_db_code(db, rc);
	}
	return ST_OK;
}

void
st_addr_follow(struct st_db *db, const char *id, const char *host, const char *what)
{
	const struct st_driver *drv;
	struct st_drv_ctx c;
	json_t *ips = NULL;
	int rc, up = strcmp(what, "start") == 0 || strcmp(what, "restart") == 0;

	if (!up && strcmp(what, "stop") != 0)
		return;	/* a removed instance's rows went with it */
	if (up) {
		sqlite3_stmt *st = st_db_prep(db, "SELECT kind = 'container' FROM instances WHERE id = ?1");
		int container = 0;

		if (host == NULL || st == NULL)
			return;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			container = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
		if (!container)	/* VMs: their addresses come from their networks */
			return;
		if ((rc = st_drv_ctx_host(db, host, &c)) != ST_OK) {
			st_warn("unable to read the addresses of '%s': %s", id, c.err);
			st_drv_ctx_free(&c);
			return;
		}
		/* a driver without the operation reports none */
		if ((drv = st_driver_load("docker")) == NULL || drv->addrs == NULL) {
			st_drv_ctx_free(&c);
			return;
		}
		rc = drv->addrs(&c, id, &ips);
		if (rc != ST_OK) {
			st_warn("unable to read the addresses of '%s': %s", id, c.err);
			st_drv_ctx_free(&c);
			return;
		}
		st_drv_ctx_free(&c);
	}
	if ((rc = st_db_begin(db)) != ST_OK) {
		json_decref(ips);
		return;
	}
	/* a restarted container may have another address */
	if ((rc = drop(db, id)) == ST_OK && up)
		rc = record(db, id, ips);
	json_decref(ips);
	if (rc == ST_OK)
		rc = st_db_commit(db);
	else
		st_db_rollback(db);
	if (rc != ST_OK)
		st_warn("unable to record the addresses of '%s': %s", id, st_db_err(db));
}

char *
st_addr_first(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT ip FROM addresses WHERE instance = ?1 ORDER BY idx LIMIT 1");
	char *ip = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ip = st_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return ip;
}
