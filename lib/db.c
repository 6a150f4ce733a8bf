/* db.c: the state file: opening, schema and migrations, transactions,
 * the statement cache, events and consistent backups. Every SQL statement
 * of Stampede lives in this file and its neighbours (host.c, inst.c, obj.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

/* lib/schema.c, generated: st_migrations[v] takes a file from version v
 * to v + 1 (v = 0 is a new file), st_schema_version of them */
extern const char *const st_migrations[];
extern const int st_schema_version;
#define ST_SCHEMA_VERSION st_schema_version
#define ST_BUSY_MS 60000


#define NCACHE 64
static struct { const char *sql; sqlite3_stmt *st; } cache[NCACHE];
static int ncache;

const char *
st_state_path(void)
{
	const char *p;

	if (st_state_opt)
		return st_state_opt;
	if ((p = getenv("ST_STATE")) != NULL && *p)
		return p;
	if ((p = st_conf("state")) != NULL && *p)
		return p;
	return "/var/lib/stampede/state.db";
}

const char *
st_db_err(struct st_db *db)
{
	return sqlite3_errmsg(db->h);
}

int
st_db_code(struct st_db *db, int rc)
{
	(void)db;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ST_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return ST_TEMP;
	}
	return ST_PERM;
}

static int
pragma_int(struct st_db *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
setup(struct st_db *db)
{
	int one = 1;

	/* keep -wal and -shm when the last connection closes: the next command
	 * then opens without rebuilding them (about a third of a read's cost) */
	sqlite3_file_control(db->h, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	sqlite3_busy_timeout(db->h, ST_BUSY_MS);
	sqlite3_extended_result_codes(db->h, 0);
	/* journal_size_limit: a persistent WAL is truncated to zero when the
	 * last connection closes; left whole, every command that opens the
	 * file alone replays all of it (a 30 MB WAL: 100 ms per command) */
	return sqlite3_exec(db->h, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
	    "PRAGMA journal_size_limit=4194304;", NULL, NULL, NULL);
}

static void
set_paths(struct st_db *db, const char *path)
{
	char *slash;

	db->path = st_strdup(path);
	db->dir = st_strdup(path);
	slash = strrchr(db->dir, '/');
	if (slash == NULL)
		strcpy(db->dir, ".");
	else if (slash == db->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
}

int
st_db_open(struct st_db *db, int write)
{
	/* readers open read-write too: WAL readers write the -shm index */
	(void)write;
	const char *path = st_state_path();
	int rc, v = 0;

	memset(db, 0, sizeof *db);
	set_paths(db, path);
	if (access(path, F_OK) != 0)
		return st_fail(ST_PERM, "unable to open state '%s': %s (run st-init)", st_q(path), strerror(errno));
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to open state '%s': %s", st_q(path), db->h ? sqlite3_errmsg(db->h) : "out of memory");
	if ((rc = setup(db)) != SQLITE_OK || (rc = pragma_int(db, "PRAGMA user_version", &v)) != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to open state '%s': %s", st_q(path), st_db_err(db));
	if (v == 0)
		return st_fail(ST_PERM, "unable to open state '%s': not initialized (run st-init)", st_q(path));
	if (v > ST_SCHEMA_VERSION)
		return st_fail(ST_PERM, "unable to open state '%s': schema version %d is newer than this stampede (%d)", st_q(path), v, ST_SCHEMA_VERSION);
	if (v < ST_SCHEMA_VERSION)
		return st_fail(ST_PERM, "unable to open state '%s': schema version %d is older than this stampede (%d); run st-init to migrate", st_q(path), v, ST_SCHEMA_VERSION);
	return ST_OK;
}

static int
read_cluster(struct st_db *db)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT value FROM meta WHERE key = 'cluster'");

	if (st == NULL)
		return ST_PERM;
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(db->cluster, sizeof db->cluster, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return ST_OK;
}

const char *
st_db_cluster(struct st_db *db)
{
	if (db->cluster[0] == '\0')
		read_cluster(db);
	return db->cluster;
}

static void
new_uuid(char out[40])
{
	unsigned char r[16];
	char id[ST_ID_LEN + 1];
	int i, n = 0;

	/* v4 UUID from the same random source as IDs */
	for (i = 0; i < 16; i += 6) {
		st_id_new(ST_HOST, id);
		for (int j = 0; j < 6 && i + j < 16; j++) {
			unsigned v;
			sscanf(id + 2 + 2 * j, "%2x", &v);
			r[i + j] = (unsigned char)v;
		}
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		n += sprintf(out + n, "%02x", r[i]);
	}
}

int
st_db_create(struct st_db *db, const char *path, int *created, int *migrated)
{
	int rc, v = 0, fd, code;
	char uuid[40] = "", *err = NULL;

	memset(db, 0, sizeof *db);
	set_paths(db, path);
	*created = *migrated = 0;
	/* create it 0600 before SQLite does, so no window shows it wider */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return st_fail(errno == EACCES || errno == ENOENT ? ST_PERM : ST_TEMP,
		    "unable to create state '%s': %s", st_q(path), strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK || (rc = setup(db)) != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to open state '%s': %s", st_q(path), db->h ? st_db_err(db) : "out of memory");
	rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL, &err);
	if (rc != SQLITE_OK)
		goto fail;
	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = pragma_int(db, "PRAGMA user_version", &v)) != SQLITE_OK)
		goto fail;
	if (v > ST_SCHEMA_VERSION) {
		st_db_rollback(db);
		return st_fail(ST_PERM, "unable to migrate state '%s': schema version %d is newer than this stampede (%d)", st_q(path), v, ST_SCHEMA_VERSION);
	}
	if (v == 0) {
		new_uuid(uuid);
		*created = 1;
	}
	for (; v < ST_SCHEMA_VERSION; v++) {
		char pragma[64];

		if ((rc = sqlite3_exec(db->h, st_migrations[v], NULL, NULL, &err)) != SQLITE_OK)
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
		if ((rc = sqlite3_exec(db->h, pragma, NULL, NULL, &err)) != SQLITE_OK)
			goto fail;
		*migrated = !*created;
	}
	if (*created) {
		sqlite3_stmt *st = st_db_prep(db, "INSERT INTO meta (key, value) VALUES ('cluster', ?1), ('created', ?2)");
		char t[32];

		st_time_iso(st_now(), t);
		sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, t, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
		json_t *d = json_pack("{s:s}", "cluster", uuid);
		st_event(db, "state", "state.init", d);
		json_decref(d);
	}
	if ((rc = st_db_commit(db)) != ST_OK)
		return rc;
	read_cluster(db);
	return ST_OK;
fail:
	code = st_fail(st_db_code(db, rc), "unable to initialize state '%s': %s", st_q(path), err ? err : st_db_err(db));
	sqlite3_free(err);
	if (db->in_tx)
		st_db_rollback(db);
	return code;
}

void
st_db_close(struct st_db *db)
{
	int i;

	for (i = 0; i < ncache; i++)
		sqlite3_finalize(cache[i].st);
	ncache = 0;
	if (db->h)
		sqlite3_close(db->h);
	free(db->path);
	free(db->dir);
	memset(db, 0, sizeof *db);
}

sqlite3_stmt *
st_db_prep(struct st_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int i;

	/* keyed by the literal's address: every caller passes a constant */
	for (i = 0; i < ncache; i++)
		if (cache[i].sql == sql) {
			sqlite3_reset(cache[i].st);
			sqlite3_clear_bindings(cache[i].st);
			return cache[i].st;
		}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		st_warn("unable to prepare statement: %s", st_db_err(db));
		return NULL;
	}
	if (ncache < NCACHE) {
		cache[ncache].sql = sql;
		cache[ncache++].st = st;
	}
	return st;
}

int
st_db_begin(struct st_db *db)
{
	int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to lock state '%s': %s", st_q(db->path), st_db_err(db));
	db->in_tx = 1;
	return ST_OK;
}

/* op 0: SAVEPOINT, 1: RELEASE, -1: ROLLBACK TO and RELEASE */
int
st_db_savepoint(struct st_db *db, int op)
{
	static const char *const sql[] = { "ROLLBACK TO rec; RELEASE rec", "SAVEPOINT rec", "RELEASE rec" };
	int rc = sqlite3_exec(db->h, sql[op + 1], NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to write state '%s': %s", st_q(db->path), st_db_err(db));
	return ST_OK;
}

/* a read transaction: one consistent snapshot, no write lock */
int
st_db_read(struct st_db *db)
{
	int rc = sqlite3_exec(db->h, "BEGIN DEFERRED", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return st_fail(st_db_code(db, rc), "unable to read state '%s': %s", st_q(db->path), st_db_err(db));
	db->in_tx = 1;
	return ST_OK;
}

int
st_db_commit(struct st_db *db)
{
	int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		int code = st_fail(st_db_code(db, rc), "unable to commit to state '%s': %s", st_q(db->path), st_db_err(db));
		st_db_rollback(db);
		return code;
	}
	db->in_tx = 0;
	return ST_OK;
}

void
st_db_rollback(struct st_db *db)
{
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
}

int
st_event(struct st_db *db, const char *obj, const char *event, json_t *detail)
{
	sqlite3_stmt *st = st_db_prep(db, "INSERT INTO events (time, object, event, detail) VALUES (?1, ?2, ?3, ?4)");
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_int64(st, 1, st_now());
	sqlite3_bind_text(st, 2, obj, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d ? d : "{}", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(d);
	return rc == SQLITE_DONE ? ST_OK : st_db_code(db, rc);
}

int
st_events_each(struct st_db *db, int64_t since, int (*cb)(json_t *, void *), void *ctx, int64_t *last)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT seq, time, object, event, detail FROM events WHERE seq > ?1 ORDER BY seq");
	int rc, code = ST_OK;
	char t[32];

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *d = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
		json_t *o;

		st_time_iso(sqlite3_column_int64(st, 1), t);
		o = json_pack("{s:I, s:s, s:s, s:s, s:o}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0), "time", t,
		    "object", (const char *)sqlite3_column_text(st, 2),
		    "event", (const char *)sqlite3_column_text(st, 3),
		    "detail", d ? d : json_object());
		*last = sqlite3_column_int64(st, 0);
		code = cb(o, ctx);
		json_decref(o);
		if (code != ST_OK)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read events: %s", st_db_err(db));
	return code;
}

int
st_events_prune(struct st_db *db, int64_t before, int64_t *n)
{
	sqlite3_stmt *st = st_db_prep(db, "DELETE FROM events WHERE time < ?1");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_int64(st, 1, before);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to prune events: %s", st_db_err(db));
	*n = sqlite3_changes(db->h);
	return ST_OK;
}

int
st_db_backup(struct st_db *db, const char *file, const char **why)
{
	sqlite3_stmt *st;
	char *tmp;
	int rc, fd;
	mode_t old;

	/* VACUUM INTO reads one snapshot of the WAL database: consistent while
	 * writers go on; into a temporary name, renamed when complete */
	tmp = st_asprintf("%s.tmp.%ld", file, (long)getpid());
	/* a destination that cannot be written is the caller's to fix: 100 */
	{
		char *dir = st_strdup(file), *slash = strrchr(dir, '/');

		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		if (access(slash ? dir : ".", W_OK | X_OK) < 0) {
			int e = errno;

			free(dir);
			free(tmp);
			*why = strerror(e);
			return e == ENOENT || e == EACCES || e == ENOTDIR || e == EROFS ? ST_PERM : ST_TEMP;
		}
		free(dir);
	}
	unlink(tmp);
	if (sqlite3_prepare_v2(db->h, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
		*why = st_db_err(db);
		free(tmp);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
	old = umask(077);	/* the copy holds what the state holds: 0600 */
	rc = sqlite3_step(st);
	umask(old);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		unlink(tmp);
		free(tmp);
		return st_db_code(db, rc);
	}
	/* the copy is a state file like the original: WAL, ready to use */
	{
		sqlite3 *c;

		if (sqlite3_open_v2(tmp, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    sqlite3_exec(c, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
			*why = "unable to set WAL mode on the copy";
			sqlite3_close(c);
			unlink(tmp);
			free(tmp);
			return ST_TEMP;
		}
		sqlite3_close(c);
	}
	if (chmod(tmp, 0600) < 0 || (fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = strerror(errno);
		unlink(tmp);
		free(tmp);
		return ST_TEMP;
	}
	rc = fsync(fd);
	close(fd);
	if (rc < 0 || rename(tmp, file) < 0) {
		*why = strerror(errno);
		unlink(tmp);
		free(tmp);
		return ST_TEMP;
	}
	free(tmp);
	return ST_OK;
}

json_t *
st_db_one(struct st_db *db, const char *sql, const char *id, st_row_fn *row)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	json_t *o = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = row(db, st);
	sqlite3_reset(st);
	return o;
}

int
st_db_rows(struct st_db *db, const char *sql, const char *what, st_row_fn *row,
    int (*cb)(json_t *, void *), void *ctx)
{
	/* its own statement: row() may use the cache while this one steps */
	sqlite3_stmt *st;
	int rc, code = ST_OK;
	json_t *o;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read %s: %s", what, st_db_err(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = row(db, st);
		code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
		if (code == ST_TEMP)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read %s: %s", what, st_db_err(db));
	return code;
}
