/* snap.c: snapshots of volumes, restore from them, and the byte streams
 * of a snapshot (export) and into a volume (import) that backups use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "st.h"
#include "voldrv.h"

struct srow {
	char id[16], name[64], volume[16], consistency[16], created[32];
	char source[1024];
};

static int
srow_load(struct st_db *db, const char *id, struct srow *s)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id, coalesce(name, ''), volume, consistency, source, created "
	    "FROM snapshots WHERE id = ?1");
	int rc;

	memset(s, 0, sizeof *s);
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(s->id, sizeof s->id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(s->volume, sizeof s->volume, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(s->consistency, sizeof s->consistency, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(s->source, sizeof s->source, "%s", (const char *)sqlite3_column_text(st, 4));
		st_time_iso(sqlite3_column_int64(st, 5), s->created);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ST_OK : rc == SQLITE_DONE ? ST_PERM : st_db_code(db, rc);
}

json_t *
st_snap_json(struct st_db *db, const char *id)
{
	struct st_vrow v;
	struct srow s;
	json_t *o;

	if (srow_load(db, id, &s) != ST_OK || st_vrow_load(db, s.volume, &v) != ST_OK)
		return NULL;
	o = json_pack("{s:s, s:o, s:s, s:o, s:s, s:s, s:I, s:s, s:s, s:o, s:s}",
	    "id", s.id, "name", *s.name ? json_string(s.name) : json_null(),
	    "volume", s.volume, "volume_name", *v.name ? json_string(v.name) : json_null(),
	    "host", v.host, "backend", v.backend, "size", (json_int_t)v.size,
	    "consistency", s.consistency, "source", s.source,
	    "format", strcmp(v.backend, "qcow2") == 0 ? json_string("qcow2") : json_null(),
	    "created", s.created);
	json_object_set_new(o, "labels", st_labels_json(db, s.id));
	json_object_set_new(o, "attrs", st_attrs_json(db, s.id));
	return o;
}

int
st_snap_each(struct st_db *db, const char *vol, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st;
	int rc, code = ST_OK;
	json_t *o;

	if (sqlite3_prepare_v2(db->h, "SELECT id FROM snapshots WHERE ?1 IS NULL OR volume = ?1 ORDER BY created, rowid",
	    -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read snapshots: %s", st_db_err(db));
	if (vol)
		sqlite3_bind_text(st, 1, vol, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && code != ST_TEMP)
		if ((o = st_snap_json(db, (const char *)sqlite3_column_text(st, 0))) != NULL) {
			code = ST_MAX(code, cb(o, ctx));
			json_decref(o);
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read snapshots: %s", st_db_err(db));
	return code;
}

/* a volume left restoring by a command that died (its lock is free) is
 * ready again: the swap is one rename, so it holds the old content or the
 * new, whole */
static void
settle(struct st_db *db, struct st_vrow *v)
{
	struct st_lock l;

	if (strcmp(v->state, "restoring") != 0 || st_lock_held(db, v->id, &l))
		return;
	if (st_vol_cas(db, v->id, "restoring", "ready", "volume.restore.abandoned", NULL) == ST_OK)
		snprintf(v->state, sizeof v->state, "ready");
}

/* ---- snapshot ---- */

static const char *const levels[] = { "crash", "fs-frozen", "app" };

static int
level_of(const char *s)
{
	size_t i;

	for (i = 0; i < ST_NELEM(levels); i++)
		if (strcmp(s, levels[i]) == 0)
			return (int)i;
	return -1;
}

/* hooks that will run for the event (not refused, not skipped) */
static int
hooks_to_run(const char *event)
{
	struct st_hook_list l;
	size_t i;
	int n = 0;

	if (!st_hook_has(event))
		return 0;
	if (st_hook_list(event, &l) == ST_OK && *l.why == '\0')
		for (i = 0; i < l.n; i++)
			n += l.v[i].verdict == ST_HOOK_RUN;
	st_hook_list_free(&l);
	return n;
}

static int
running(const char *istate)
{
	return *istate && strcmp(istate, "requested") != 0 && strcmp(istate, "scheduled") != 0 &&
	    strcmp(istate, "stopped") != 0 && strcmp(istate, "error") != 0;
}

int
st_snap_create(struct st_db *db, const char *vol, const char *name, const char *require, char id[ST_ID_LEN + 1])
{
	char vid[ST_ID_LEN + 1], dst[1100], err[ST_VOLDRV_ERR], why[ST_HOOK_WHY];
	const char *w;
	struct st_vrow v;
	struct st_lock lk;
	sqlite3_stmt *st;
	json_t *o, *d;
	int rc, lvl, want = 0, n, live;

	if (name && st_valid_name(name, &w) < 0)
		return st_fail(st_bad(), "unable to snapshot '%s': bad name '%s': %s", st_q(vol), st_q(name), w);
	if (require && (want = level_of(require)) < 0)
		return st_fail(ST_USAGE, "unable to snapshot '%s': unknown consistency '%s' (crash, fs-frozen or app)", st_q(vol), st_q(require));
	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	rc = st_resolve(db, ST_VOLUME, vol, vid);
	if (rc == ST_OK && (rc = st_vrow_load(db, vid, &v)) != ST_OK)
		st_fail(rc, "unable to snapshot '%s': %s", vid, st_db_err(db));
	if (rc == ST_OK && name && (n = st_name_taken(db, ST_SNAPSHOT, name)) != 0)
		rc = st_fail(n < 0 ? ST_TEMP : ST_PERM, "unable to snapshot '%s': snapshot name '%s' is taken", vid, name);
	st_db_rollback(db);
	if (rc != ST_OK)
		return rc;
	settle(db, &v);
	if (strcmp(v.state, "ready") != 0)
		return st_fail(ST_PERM, "unable to snapshot '%s': volume is %s", vid, v.state);
	/* a running VM's disk: a live copy through libvirt */
	live = strcmp(v.backend, "qcow2") == 0 && running(v.istate);
	if (live && strcmp(v.istate, "running") != 0)
		return st_fail(ST_TEMP, "unable to snapshot '%s': instance '%s' is %s (try again)", vid, v.inst, v.istate);
	/* the level: app when pre hooks quiesce it, fs-frozen when nothing
	 * writes to it (no running instance) or a VM's guest agent froze
	 * its filesystems, else crash */
	lvl = hooks_to_run("volume.snapshot.pre") > 0 ? 2 : running(v.istate) ? 0 : 1;
	if (lvl < want && !(live && want == 1))
		return st_fail(ST_PERM, "unable to snapshot '%s': only a %s-consistent snapshot can be taken (%s), not %s", vid, levels[lvl],
		    lvl == 0 ? "instance is running and no volume.snapshot.pre hook quiesces it" : "no volume.snapshot.pre hook quiesces the application",
		    require);
	if (st_hook_has("volume.snapshot.pre")) {	/* hooks: before the lock and any transaction */
		o = st_vol_json(db, vid);
		rc = st_hook_pre(db, "volume.snapshot.pre", vid, o, why);
		json_decref(o);
		if (rc != ST_OK)
			return st_fail(rc, "unable to snapshot '%s': %s", vid, why);
	}
	if ((rc = st_lock_take(db, vid, "snapshot", v.state, &lk)) != ST_OK)
		return st_fail(rc, "unable to snapshot '%s': %s", vid, lk.err);
	st_id_new(ST_SNAPSHOT, id);
	snprintf(dst, sizeof dst, "%s/%s%s", v.pool, id, strcmp(v.backend, "qcow2") == 0 ? ".qcow2" : "");
	if (live) {
		const struct st_voldrv *d = st_voldrv_load(err);
		char dom[32];
		int frozen = 0;

		snprintf(dom, sizeof dom, "st-%s", v.inst);
		rc = d ? d->live_snapshot(v.uri, dom, v.source, dst, lvl < want, &frozen, err) : ST_PERM;
		if (rc == ST_OK && frozen && lvl == 0)
			lvl = 1;
	} else if (strcmp(v.backend, "dir") == 0 && strcmp(v.ikind, "container") == 0 && strcmp(v.istate, "running") == 0) {
		/* a copy of a running container's directory: its processes
		 * frozen meanwhile, so the copy is of one instant */
		const struct st_driver *drv;
		struct st_drv_ctx c;
		char iid[ST_ID_LEN + 1];
		int paused = 0;

		if (st_inst_driver(db, v.inst, iid, &drv, &c) == ST_OK && drv->pause) {
			if (drv->pause(&c, iid, 1) == ST_OK)
				paused = 1;
			else
				st_warn("unable to pause '%s' for the snapshot of '%s' (taken running): %s", iid, vid, c.err);
		}
		rc = st_vs_snapshot(&v, dst, err);
		if (paused && drv->pause(&c, iid, 0) != ST_OK)
			st_warn("unable to unpause '%s' after the snapshot of '%s': %s", iid, vid, c.err);
		st_drv_ctx_free(&c);
	} else {
		rc = st_vs_snapshot(&v, dst, err);
	}
	if (rc != ST_OK) {
		char e2[ST_VOLDRV_ERR];

		st_vs_remove(&v, dst, e2);
		st_lock_drop(&lk);
		return st_fail(rc, "unable to snapshot '%s': %s", vid, err);
	}
	if ((rc = st_db_begin(db)) == ST_OK) {
		st = st_db_prep(db, "INSERT INTO snapshots (id, name, created, volume, consistency, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (name)
			sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_int64(st, 3, st_now());
		sqlite3_bind_text(st, 4, vid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, levels[lvl], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, dst, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		d = json_pack("{s:s, s:s, s:s?}", "volume", vid, "consistency", levels[lvl], "name", name);
		if (rc != SQLITE_DONE || st_event(db, id, "volume.snapshot", d) != ST_OK) {
			rc = st_fail(rc == SQLITE_CONSTRAINT ? ST_PERM : ST_TEMP, "unable to snapshot '%s': %s", vid, st_db_err(db));
			st_db_rollback(db);
		} else {
			rc = st_db_commit(db);
		}
		json_decref(d);
	}
	if (rc != ST_OK) {
		st_vs_remove(&v, dst, err);
		st_lock_drop(&lk);
		return rc;
	}
	st_lock_drop(&lk);
	if (st_hook_has("volume.snapshot.post"))	/* hooks: after the commit */
		st_hook_post(db, "volume.snapshot.post", id, NULL);
	return ST_OK;
}

int
st_snap_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1])
{
	char err[ST_VOLDRV_ERR];
	struct st_vrow v;
	struct st_lock lk;
	struct srow s;
	sqlite3_stmt *st;
	int rc;

	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(db, ST_SNAPSHOT, arg, id)) == ST_OK &&
	    ((rc = srow_load(db, id, &s)) != ST_OK || (rc = st_vrow_load(db, s.volume, &v)) != ST_OK))
		st_fail(rc, "unable to remove snapshot '%s': %s", id, st_db_err(db));
	st_db_rollback(db);
	if (rc != ST_OK)
		return rc;
	if ((rc = st_lock_take(db, id, "remove", "ready", &lk)) != ST_OK)
		return st_fail(rc, "unable to remove snapshot '%s': %s", id, lk.err);
	if ((rc = st_vs_remove(&v, s.source, err)) != ST_OK) {
		st_lock_drop(&lk);
		return st_fail(rc, "unable to remove snapshot '%s': %s", id, err);
	}
	if ((rc = st_db_begin(db)) == ST_OK) {
		st = st_db_prep(db, "DELETE FROM snapshots WHERE id = ?1");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		st_obj_forget(db, id);
		if (rc != SQLITE_DONE || st_event(db, id, "snapshot.remove", NULL) != ST_OK) {
			rc = st_fail(ST_PERM, "unable to remove snapshot '%s': %s", id, st_db_err(db));
			st_db_rollback(db);
		} else {
			rc = st_db_commit(db);
		}
	}
	st_lock_drop(&lk);
	return rc;
}

/* ---- restore ---- */

int
st_vol_restore(struct st_db *db, const char *vol, const char *snap, const char *to, char id[ST_ID_LEN + 1])
{
	char sid[ST_ID_LEN + 1], vid[ST_ID_LEN + 1], err[ST_VOLDRV_ERR], why[ST_HOOK_WHY];
	struct st_vrow v;
	struct st_lock lk;
	struct srow s;
	json_t *o, *d;
	int rc;

	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(db, ST_SNAPSHOT, snap, sid)) == ST_OK && (rc = srow_load(db, sid, &s)) != ST_OK)
		st_fail(rc, "unable to restore '%s': %s", sid, st_db_err(db));
	if (rc == ST_OK && vol && (rc = st_resolve(db, ST_VOLUME, vol, vid)) == ST_OK && strcmp(vid, s.volume) != 0)
		rc = st_fail(ST_PERM, "unable to restore volume '%s': snapshot '%s' is of volume '%s'", vid, sid, s.volume);
	if (rc == ST_OK && (rc = st_vrow_load(db, s.volume, &v)) != ST_OK)
		st_fail(rc, "unable to restore '%s': %s", sid, st_db_err(db));
	st_db_rollback(db);
	if (rc != ST_OK)
		return rc;
	if (to) {
		struct st_vol_spec sp = { .name = to, .backend = v.backend, .host = v.host, .size = v.size };

		if ((rc = st_vol_create(db, &sp, id)) != ST_OK)
			return rc;
	} else {
		snprintf(id, ST_ID_LEN + 1, "%.14s", s.volume);
	}
	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	rc = st_vrow_load(db, id, &v);
	st_db_rollback(db);
	if (rc != ST_OK)
		return st_fail(rc, "unable to restore volume '%s': it vanished", id);
	settle(db, &v);
	if (strcmp(v.state, "ready") != 0)
		return st_fail(ST_PERM, "unable to restore volume '%s': volume is %s", id, v.state);
	if (running(v.istate))
		return st_fail(ST_PERM, "unable to restore volume '%s': instance '%s' is %s (stop it first)", id, v.inst, v.istate);
	if (st_hook_has("volume.restore.pre")) {	/* hooks: before the lock */
		o = st_vol_json(db, id);
		json_object_set_new(o, "snapshot", json_string(sid));
		rc = st_hook_pre(db, "volume.restore.pre", id, o, why);
		json_decref(o);
		if (rc != ST_OK)
			return st_fail(rc, "unable to restore volume '%s': %s", id, why);
	}
	if ((rc = st_lock_take(db, id, "restore", "ready", &lk)) != ST_OK)
		return st_fail(rc, "unable to restore volume '%s': %s", id, lk.err);
	if ((rc = st_vol_cas(db, id, "ready", "restoring", NULL, NULL)) != ST_OK) {
		st_lock_drop(&lk);
		return st_fail(rc, "unable to restore volume '%s': its state changed under us", id);
	}
	st_fault("volume-restore.after-intent");
	rc = st_vs_restore(&v, s.source, err);
	st_fault("volume-restore.after-swap");
	d = json_pack("{s:s, s:s?}", "snapshot", sid, "error", rc == ST_OK ? NULL : err);
	/* a failed restore leaves the old content (the swap is one rename) */
	if (st_vol_cas(db, id, "restoring", "ready", rc == ST_OK ? "volume.restore" : "volume.restore.failed", d) != ST_OK && rc == ST_OK)
		rc = st_fail(ST_TEMP, "unable to restore volume '%s': %s", id, st_db_err(db));
	else if (rc != ST_OK)
		st_fail(rc, "unable to restore volume '%s': %s", id, err);
	json_decref(d);
	st_lock_drop(&lk);
	if (rc == ST_OK && st_hook_has("volume.restore.post")) {
		o = st_vol_json(db, id);
		json_object_set_new(o, "snapshot", json_string(sid));
		st_hook_post(db, "volume.restore.post", id, o);
		json_decref(o);
	}
	return rc;
}

/* ---- export ---- */

static int
copy_fd(int in, int out, char err[ST_VOLDRV_ERR])
{
	static char buf[1 << 16];
	ssize_t n, w, off;

	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, ST_VOLDRV_ERR, "read: %s", strerror(errno));
			return ST_PERM;
		}
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				snprintf(err, ST_VOLDRV_ERR, "write: %s", strerror(errno));
				return ST_TEMP;
			}
	}
	return ST_OK;
}

int
st_snap_export(struct st_db *db, const char *snap_id, int fd, char fmt[8])
{
	char err[ST_VOLDRV_ERR], tmp[PATH_MAX + 64];
	struct st_vrow v;
	struct srow s;
	int rc, in;

	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	if ((rc = srow_load(db, snap_id, &s)) == ST_OK)
		rc = st_vrow_load(db, s.volume, &v);
	st_db_rollback(db);
	if (rc != ST_OK)
		return st_fail(rc, "unable to export snapshot '%s': %s", st_q(snap_id), rc == ST_PERM ? "no such snapshot" : st_db_err(db));
	if (strcmp(v.backend, "qcow2") != 0) {
		/* deterministic: sorted names, numeric owners, no atime, ctime
		 * or PID in the pax headers; mtimes are the files' own */
		char *argv[] = { "tar", "-c", "-f", "-", "--sort=name", "--format=posix", "--numeric-owner",
			"--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-C", s.source, ".", NULL };

		snprintf(fmt, 8, "tar");
		if ((rc = st_vs_run(argv, -1, fd, err)) != ST_OK)
			return st_fail(rc, "unable to export snapshot '%s': %s", s.id, err);
		return ST_OK;
	}
	snprintf(fmt, 8, "raw");
	snprintf(tmp, sizeof tmp, "%s/.export-%s-%d.raw", v.pool, s.id, (int)getpid());
	{
		char *argv[] = { "qemu-img", "convert", "-f", "qcow2", "-O", "raw", s.source, tmp, NULL };

		if ((rc = st_vs_run(argv, -1, -1, err)) != ST_OK) {
			unlink(tmp);
			return st_fail(rc, "unable to export snapshot '%s': %s", s.id, err);
		}
	}
	if ((in = open(tmp, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = st_fail(ST_PERM, "unable to export snapshot '%s': %s: %s", s.id, tmp, strerror(errno));
		unlink(tmp);
		return rc;
	}
	unlink(tmp);
	rc = copy_fd(in, fd, err);
	close(in);
	if (rc != ST_OK)
		return st_fail(rc, "unable to export snapshot '%s': %s", s.id, err);
	return ST_OK;
}

/* ---- import ---- */

/* a member name inside the volume: relative, no "..", after "./" */
static int
safe_rel(const char *p, int *depth)
{
	const char *s = p, *e;
	int d = 0;

	if (*p == '/')
		return -1;
	while (*s) {
		e = s + strcspn(s, "/");
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			if (depth == NULL || --d < 0)
				return -1;
		} else if (e - s > 0 && !(e - s == 1 && *s == '.')) {
			d++;
		}
		s = *e ? e + 1 : e;
	}
	if (depth)
		*depth = d;
	return 0;
}

/* a symbolic link's target, seen from the directory of name */
static int
safe_link(const char *name, const char *target)
{
	char buf[2 * PATH_MAX + 2], *slash;
	int d;

	if (*target == '/' || *target == '\0')
		return -1;
	snprintf(buf, sizeof buf, "%s", name);
	if ((slash = strrchr(buf, '/')) != NULL)
		snprintf(slash + 1, sizeof buf - (size_t)(slash + 1 - buf), "%s", target);
	else
		snprintf(buf, sizeof buf, "%s", target);
	return safe_rel(buf, &d);
}

static int64_t
octal(const unsigned char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (p[0] & 0x80) {	/* base-256 */
		for (i = 1; i < n; i++)
			v = (v << 8) | p[i];
		return v;
	}
	for (i = 0; i < n && (p[i] == ' ' || p[i] == '0' || (p[i] >= '1' && p[i] <= '7')); i++)
		if (p[i] != ' ')
			v = v * 8 + (p[i] - '0');
	return v;
}

static void
pax_get(const char *rec, size_t n, char path[PATH_MAX], char link[PATH_MAX])
{
	const char *p = rec, *end = rec + n, *k, *eq;
	long len;
	char *e;

	while (p < end) {
		len = strtol(p, &e, 10);
		if (len <= 0 || e >= end || *e != ' ' || p + len > end)
			break;
		k = e + 1;
		if ((eq = memchr(k, '=', (size_t)(p + len - k))) != NULL) {
			size_t vl = (size_t)(p + len - 1 - (eq + 1));

			if ((size_t)(eq - k) == 4 && memcmp(k, "path", 4) == 0 && vl < PATH_MAX)
				snprintf(path, PATH_MAX, "%.*s", (int)vl, eq + 1);
			else if ((size_t)(eq - k) == 8 && memcmp(k, "linkpath", 8) == 0 && vl < PATH_MAX)
				snprintf(link, PATH_MAX, "%.*s", (int)vl, eq + 1);
		}
		p += len;
	}
}

static int
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, (char *)buf + got, n - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (int)(got == n ? 1 : got == 0 ? 0 : -1);
}

static int
write_full(int fd, const void *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		if ((w = write(fd, (const char *)buf + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* passes a tar stream from in to out, member by member, refusing unsafe
 * members before tar sees them */
static int
tar_pass(int in, int out, char err[ST_VOLDRV_ERR], unsigned char **datap)
{
	unsigned char h[512], *data = NULL;
	char path[PATH_MAX] = "", link[PATH_MAX] = "", name[PATH_MAX], target[PATH_MAX];
	int64_t size, left;
	size_t cap = 0;
	int r, zeros = 0;

	for (;;) {
		if ((r = read_full(in, h, 512)) <= 0) {
			if (zeros > 0 && r == 0)
				return ST_OK;
			snprintf(err, ST_VOLDRV_ERR, "truncated tar stream");
			return ST_PERM;
		}
		if (write_full(out, h, 512) < 0) {
			snprintf(err, ST_VOLDRV_ERR, "tar stopped reading: %s", strerror(errno));
			return ST_PERM;
		}
		{
			size_t i;

			for (i = 0; i < 512 && h[i] == 0; i++)
				;
			if (i == 512) {
				zeros++;
				continue;
			}
		}
		if (zeros) {
			snprintf(err, ST_VOLDRV_ERR, "data after the end of the tar stream");
			return ST_PERM;
		}
		if (memcmp(h + 257, "ustar", 5) != 0) {
			snprintf(err, ST_VOLDRV_ERR, "not a POSIX tar stream");
			return ST_PERM;
		}
		size = octal(h + 124, 12);
		if (size < 0) {
			snprintf(err, ST_VOLDRV_ERR, "bad member size");
			return ST_PERM;
		}
		left = (size + 511) / 512 * 512;
		if (h[156] == 'x' || h[156] == 'L' || h[156] == 'K' || h[156] == 'g') {
			if (size > (1 << 20)) {
				snprintf(err, ST_VOLDRV_ERR, "header record too long");
				return ST_PERM;
			}
			if ((size_t)left + 1 > cap)
				*datap = data = st_realloc(data, cap = (size_t)left + 1);
			if (read_full(in, data, (size_t)left) != 1 || write_full(out, data, (size_t)left) < 0) {
					snprintf(err, ST_VOLDRV_ERR, "truncated tar stream");
				return ST_PERM;
			}
			data[size] = '\0';
			if (h[156] == 'x')
				pax_get((char *)data, (size_t)size, path, link);
			else if (h[156] == 'L')
				snprintf(path, sizeof path, "%s", (char *)data);
			else if (h[156] == 'K')
				snprintf(link, sizeof link, "%s", (char *)data);
			continue;
		}
		if (*path)
			snprintf(name, sizeof name, "%s", path);
		else if (h[345])
			snprintf(name, sizeof name, "%.155s/%.100s", (char *)h + 345, (char *)h + 0);
		else
			snprintf(name, sizeof name, "%.100s", (char *)h);
		if (*link)
			snprintf(target, sizeof target, "%s", link);
		else
			snprintf(target, sizeof target, "%.100s", (char *)h + 157);
		*path = *link = '\0';
		if (safe_rel(name, NULL) < 0) {
			snprintf(err, ST_VOLDRV_ERR, "member '%.200s': an absolute path or '..' leaves the volume", name);
			return ST_PERM;
		}
		if ((h[156] == '1' && safe_rel(target, NULL) < 0) || (h[156] == '2' && safe_link(name, target) < 0)) {
			snprintf(err, ST_VOLDRV_ERR, "member '%.200s': its link to '%.200s' leaves the volume", name, target);
			return ST_PERM;
		}
		if (h[156] == '3' || h[156] == '4') {
			snprintf(err, ST_VOLDRV_ERR, "member '%.200s': device files are refused", name);
			return ST_PERM;
		}
		if (h[156] == '1' || h[156] == '2' || h[156] == '5')
			left = 0;
		while (left > 0) {
			static unsigned char buf[1 << 16];
			size_t k = left > (int64_t)sizeof buf ? sizeof buf : (size_t)left;

			if (read_full(in, buf, k) != 1 || write_full(out, buf, k) < 0) {
					snprintf(err, ST_VOLDRV_ERR, "truncated tar stream");
				return ST_PERM;
			}
			left -= (int64_t)k;
		}
	}
}

static int
tar_filter(int in, int out, char err[ST_VOLDRV_ERR])
{
	unsigned char *data = NULL;
	int rc = tar_pass(in, out, err, &data);

	free(data);
	return rc;
}

static int
is_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

/* empties dir, keeping dir itself */
static void
empty_dir(const char *dir)
{
	char p[PATH_MAX * 2], err[ST_VOLDRV_ERR];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			st_vs_rmtree(p, err);
		}
	closedir(d);
}

static int
import_tar(const struct st_vrow *v, int fd, char err[ST_VOLDRV_ERR])
{
	char *argv[] = { "tar", "-x", "-f", "-", "--numeric-owner", "--same-owner", "-p", "-C", (char *)v->source, NULL };
	char terr[ST_VOLDRV_ERR];
	int p[2], rc, trc, errfd;
	pid_t pid;

	if (!is_empty(v->source)) {
		snprintf(err, ST_VOLDRV_ERR, "volume is not empty");
		return ST_PERM;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "pipe: %s", strerror(errno));
		return ST_TEMP;
	}
	if ((pid = st_vs_spawn(argv, p[0], -1, &errfd, err)) < 0) {
		close(p[0]);
		close(p[1]);
		return ST_TEMP;
	}
	close(p[0]);
	/* tar stopping early makes our writes fail with EPIPE: no SIGPIPE */
	{
		sigset_t pipe, old;

		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe, &old);
		rc = tar_filter(fd, p[1], err);
		close(p[1]);
		if (rc != ST_OK)
			kill(pid, SIGTERM);
		trc = st_vs_wait(pid, errfd, "tar", terr);
		/* a SIGPIPE raised meanwhile is taken before the mask is back */
		{
			struct timespec zero = { 0, 0 };

			while (sigtimedwait(&pipe, NULL, &zero) > 0)
				;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc == ST_OK && trc != ST_OK)
		snprintf(err, ST_VOLDRV_ERR, "tar: %.2000s", terr);
	if (rc != ST_OK || trc != ST_OK) {
		empty_dir(v->source);
		return ST_PERM;
	}
	return ST_OK;
}

static int
import_raw(const struct st_vrow *v, int fd, char err[ST_VOLDRV_ERR])
{
	static unsigned char buf[1 << 16], zero[1 << 16];
	char tmp[1200];
	int64_t total = 0;
	ssize_t n;
	size_t got;
	int out, rc = ST_OK;

	snprintf(tmp, sizeof tmp, "%s/.import-%s-%d.raw", v->pool, v->id, (int)getpid());
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "%s: %s", tmp, strerror(errno));
		return ST_PERM;
	}
	/* sparse: zero blocks are skipped, not written */
	for (;;) {
		got = 0;
		while (got < sizeof buf && (n = read(fd, buf + got, sizeof buf - got)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				snprintf(err, ST_VOLDRV_ERR, "read: %s", strerror(errno));
				rc = ST_PERM;
				break;
			}
			got += (size_t)n;
		}
		if (rc != ST_OK || got == 0)
			break;
		if (total + (int64_t)got > v->size) {
			snprintf(err, ST_VOLDRV_ERR, "the stream is longer than the volume (%lld bytes)", (long long)v->size);
			rc = ST_PERM;
			break;
		}
		if (memcmp(buf, zero, got) != 0 && pwrite(out, buf, got, total) != (ssize_t)got) {
			snprintf(err, ST_VOLDRV_ERR, "%s: %s", tmp, strerror(errno));
			rc = ST_PERM;
			break;
		}
		total += (int64_t)got;
	}
	if (rc == ST_OK && total != v->size) {
		snprintf(err, ST_VOLDRV_ERR, "the stream has %lld bytes, the volume %lld", (long long)total, (long long)v->size);
		rc = ST_PERM;
	}
	if (rc == ST_OK && ftruncate(out, total) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "%s: %s", tmp, strerror(errno));
		rc = ST_PERM;
	}
	close(out);
	if (rc == ST_OK) {
		char *argv[] = { "qemu-img", "convert", "-n", "-f", "raw", "-O", "qcow2", tmp, (char *)v->source, NULL };

		rc = st_vs_run(argv, -1, -1, err);
	}
	unlink(tmp);
	return rc;
}

int
st_vol_import(struct st_db *db, const char *vol_id, int fd, const char *fmt)
{
	char err[ST_VOLDRV_ERR];
	struct st_vrow v;
	struct st_lock lk;
	int rc, q;

	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	rc = st_vrow_load(db, vol_id, &v);
	st_db_rollback(db);
	if (rc != ST_OK)
		return st_fail(rc, "unable to import into volume '%s': %s", st_q(vol_id), rc == ST_PERM ? "no such volume" : st_db_err(db));
	q = strcmp(v.backend, "qcow2") == 0;
	if (strcmp(fmt, q ? "raw" : "tar") != 0)
		return st_fail(ST_PERM, "unable to import into volume '%s': a %s volume takes a %s stream, not '%s'", v.id, v.backend,
		    q ? "raw" : "tar", st_q(fmt));
	settle(db, &v);
	if (strcmp(v.state, "ready") != 0)
		return st_fail(ST_PERM, "unable to import into volume '%s': volume is %s", v.id, v.state);
	if (running(v.istate))
		return st_fail(ST_PERM, "unable to import into volume '%s': instance '%s' is %s (stop it first)", v.id, v.inst, v.istate);
	if ((rc = st_lock_take(db, v.id, "import", "ready", &lk)) != ST_OK)
		return st_fail(rc, "unable to import into volume '%s': %s", v.id, lk.err);
	if ((rc = st_vol_cas(db, v.id, "ready", "restoring", NULL, NULL)) != ST_OK) {
		st_lock_drop(&lk);
		return st_fail(rc, "unable to import into volume '%s': its state changed under us", v.id);
	}
	rc = q ? import_raw(&v, fd, err) : import_tar(&v, fd, err);
	{
		json_t *d = json_pack("{s:s, s:s?}", "format", fmt, "error", rc == ST_OK ? NULL : err);

		if (st_vol_cas(db, v.id, "restoring", "ready", rc == ST_OK ? "volume.import" : "volume.import.failed", d) != ST_OK && rc == ST_OK)
			rc = st_fail(ST_TEMP, "unable to import into volume '%s': %s", v.id, st_db_err(db));
		else if (rc != ST_OK)
			st_fail(rc, "unable to import into volume '%s': %s", v.id, err);
		json_decref(d);
	}
	st_lock_drop(&lk);
	return rc;
}
