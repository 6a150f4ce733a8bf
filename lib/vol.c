/* vol.c: managed volumes: their rows, pools, attachments to instances,
 * and the storage work of the dir, btrfs and qcow2 backends. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "st.h"
#include "voldrv.h"

static void
cpy(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

static json_t *
str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* ---- running tools ---- */

pid_t
st_vs_spawn(char *const argv[], int in, int out, int *errfd, char err[ST_VOLDRV_ERR])
{
	sigset_t none;
	int p[2], null;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* only async-signal-safe calls: the caller may have threads */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		null = open("/dev/null", O_RDWR);
		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(p[1], 2);
		execvp(argv[0], argv);
		write(2, "cannot run ", 11);
		write(2, argv[0], strlen(argv[0]));
		_exit(127);
	}
	close(p[1]);
	*errfd = p[0];
	return pid;
}

int
st_vs_wait(pid_t pid, int errfd, const char *what, char err[ST_VOLDRV_ERR])
{
	char buf[512];
	size_t len = 0;
	ssize_t n;
	int status;

	*err = '\0';
	while ((n = read(errfd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && len + 1 < ST_VOLDRV_ERR) {
			size_t k = (size_t)n < ST_VOLDRV_ERR - 1 - len ? (size_t)n : ST_VOLDRV_ERR - 1 - len;

			memcpy(err + len, buf, k);
			len += k;
			err[len] = '\0';
		}
	close(errfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return ST_OK;
	/* one line: the tool's first complaint */
	err[strcspn(err, "\n")] = '\0';
	if (*err == '\0')
		snprintf(err, ST_VOLDRV_ERR, "%s %s %d", what, WIFEXITED(status) ? "exited" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return ST_PERM;
}

int
st_vs_run(char *const argv[], int in, int out, char err[ST_VOLDRV_ERR])
{
	int errfd;
	pid_t pid;

	if ((pid = st_vs_spawn(argv, in, out, &errfd, err)) < 0)
		return ST_TEMP;
	return st_vs_wait(pid, errfd, argv[0], err);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int
st_vs_rmtree(const char *path, char err[ST_VOLDRV_ERR])
{
	struct stat sb;

	if (lstat(path, &sb) < 0 && errno == ENOENT)
		return ST_OK;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to remove '%s': %s", path, strerror(errno));
		return ST_PERM;
	}
	return ST_OK;
}

static int
mkdirs(const char *dir, char err[ST_VOLDRV_ERR])
{
	char p[1024], *s;

	snprintf(p, sizeof p, "%s", dir);
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				snprintf(err, ST_VOLDRV_ERR, "unable to make pool directory '%s': %s", p, strerror(errno));
				return ST_PERM;
			}
			if ((*s = c) == '\0')
				break;
		}
	}
	return ST_OK;
}

/* ---- the qcow2 module ---- */

static void *
try_open(const char *dir, char err[ST_VOLDRV_ERR])
{
	char p[PATH_MAX];
	void *h;

	snprintf(p, sizeof p, "%s/qcow2.so", dir);
	if (access(p, R_OK) != 0)
		return NULL;
	if ((h = dlopen(p, RTLD_NOW | RTLD_LOCAL)) == NULL)
		snprintf(err, ST_VOLDRV_ERR, "%s", dlerror());
	return h;
}

const struct st_voldrv *
st_voldrv_load(char err[ST_VOLDRV_ERR])
{
	static const struct st_voldrv *d;
	const char *env = getenv("ST_MODULES");
	char self[PATH_MAX], dir[PATH_MAX + 16], *slash;
	void *h = NULL;
	ssize_t n;

	if (d)
		return d;
	*err = '\0';
	if (env && *env)
		h = try_open(env, err);
	if (h == NULL && (n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(dir, sizeof dir, "%s/../mod", self);
			h = try_open(dir, err);
		}
	}
	if (h == NULL)
		h = try_open(ST_MODDIR, err);
	if (h == NULL) {
		if (*err == '\0')
			snprintf(err, ST_VOLDRV_ERR, "the qcow2 module is missing (ST_MODULES, %s)", ST_MODDIR);
		return NULL;
	}
	d = dlsym(h, ST_VOLDRV_SYM);
	if (d == NULL || d->abi != ST_VOLDRV_ABI) {
		snprintf(err, ST_VOLDRV_ERR, "the qcow2 module: %s", d ? "wrong ABI version" : dlerror());
		d = NULL;
	}
	return d;
}

/* ---- btrfs ---- */

static int
parent_fd(const char *path, const char **base, char err[ST_VOLDRV_ERR])
{
	char dir[1100], *s;
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	if ((s = strrchr(dir, '/')) == NULL)
		return -1;
	*s = '\0';
	*base = strrchr(path, '/') + 1;
	if ((fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		snprintf(err, ST_VOLDRV_ERR, "unable to open '%s': %s", dir, strerror(errno));
	return fd;
}

static int
is_btrfs(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

static int
btrfs_subvol(const char *path, char err[ST_VOLDRV_ERR])
{
	struct btrfs_ioctl_vol_args a;
	const char *base;
	int fd, rc = ST_OK;

	if ((fd = parent_fd(path, &base, err)) < 0)
		return ST_PERM;
	memset(&a, 0, sizeof a);
	snprintf(a.name, sizeof a.name, "%s", base);
	if (ioctl(fd, BTRFS_IOC_SUBVOL_CREATE, &a) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to make subvolume '%s': %s", path, strerror(errno));
		rc = ST_PERM;
	}
	close(fd);
	return rc;
}

/* the size as a qgroup limit of the subvolume, when quotas are enabled
 * on the filesystem (btrfs quota enable); without them it is advisory */
static void
btrfs_limit(const char *path, int64_t size)
{
	struct btrfs_ioctl_qgroup_limit_args a;
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	memset(&a, 0, sizeof a);
	a.lim.flags = BTRFS_QGROUP_LIMIT_MAX_RFER;
	a.lim.max_rfer = (uint64_t)size;
	if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &a) < 0 && errno != ENOTCONN && errno != EINVAL && errno != ENOENT)
		st_warn("unable to set the qgroup limit of '%s': %s", path, strerror(errno));
	close(fd);
}

static int
btrfs_snap(const char *src, const char *dst, int ro, char err[ST_VOLDRV_ERR])
{
	struct btrfs_ioctl_vol_args_v2 a;
	const char *base;
	int fd, sfd, rc = ST_OK;

	if ((sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to open '%s': %s", src, strerror(errno));
		return ST_PERM;
	}
	if ((fd = parent_fd(dst, &base, err)) < 0) {
		close(sfd);
		return ST_PERM;
	}
	memset(&a, 0, sizeof a);
	a.fd = sfd;
	a.flags = ro ? BTRFS_SUBVOL_RDONLY : 0;
	snprintf(a.name, sizeof a.name, "%s", base);
	if (ioctl(fd, BTRFS_IOC_SNAP_CREATE_V2, &a) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to snapshot '%s': %s", src, strerror(errno));
		rc = ST_PERM;
	}
	close(fd);
	close(sfd);
	return rc;
}

static int
btrfs_destroy(const char *path, char err[ST_VOLDRV_ERR])
{
	struct btrfs_ioctl_vol_args a;
	struct stat sb;
	const char *base;
	int fd, rc = ST_OK;

	if (lstat(path, &sb) < 0 && errno == ENOENT)
		return ST_OK;
	if (sb.st_ino != 256)	/* not a subvolume root: a plain tree */
		return st_vs_rmtree(path, err);
	if ((fd = parent_fd(path, &base, err)) < 0)
		return ST_PERM;
	memset(&a, 0, sizeof a);
	snprintf(a.name, sizeof a.name, "%s", base);
	if (ioctl(fd, BTRFS_IOC_SNAP_DESTROY, &a) < 0 && errno != ENOENT) {
		snprintf(err, ST_VOLDRV_ERR, "unable to delete subvolume '%s': %s", path, strerror(errno));
		rc = ST_PERM;
	}
	close(fd);
	return rc;
}

/* ---- the storage of each backend ---- */

static const char *
base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int
st_vs_make(const struct st_vrow *v, char err[ST_VOLDRV_ERR])
{
	const struct st_voldrv *d;
	int rc;

	if ((rc = mkdirs(v->pool, err)) != ST_OK)
		return rc;
	if (strcmp(v->backend, "dir") == 0) {
		if (mkdir(v->source, 0755) < 0) {
			snprintf(err, ST_VOLDRV_ERR, "unable to make '%s': %s", v->source, strerror(errno));
			return ST_PERM;
		}
		return ST_OK;
	}
	if (strcmp(v->backend, "btrfs") == 0) {
		if (!is_btrfs(v->pool)) {
			snprintf(err, ST_VOLDRV_ERR, "pool '%s' is not on a btrfs filesystem (st-pool-add HOST --backend btrfs --path DIR)", v->pool);
			return ST_PERM;
		}
		if ((rc = btrfs_subvol(v->source, err)) == ST_OK)
			btrfs_limit(v->source, v->size);
		return rc;
	}
	if ((d = st_voldrv_load(err)) == NULL)
		return ST_PERM;
	return d->create(v->uri, v->pool, base_of(v->source), v->size, err);
}

int
st_vs_remove(const struct st_vrow *v, const char *path, char err[ST_VOLDRV_ERR])
{
	const struct st_voldrv *d;
	struct stat sb;

	if (strcmp(v->backend, "dir") == 0)
		return st_vs_rmtree(path, err);
	if (strcmp(v->backend, "btrfs") == 0)
		return btrfs_destroy(path, err);
	if (lstat(path, &sb) < 0 && errno == ENOENT)
		return ST_OK;
	if ((d = st_voldrv_load(err)) == NULL)
		return ST_PERM;
	return d->remove(v->uri, v->pool, base_of(path), err);
}

int
st_vs_snapshot(const struct st_vrow *v, const char *dst, char err[ST_VOLDRV_ERR])
{
	const struct st_voldrv *d;

	if (strcmp(v->backend, "dir") == 0) {
		char *argv[] = { "cp", "-a", "--reflink=auto", "--", (char *)v->source, (char *)dst, NULL };

		return st_vs_run(argv, -1, -1, err);
	}
	if (strcmp(v->backend, "btrfs") == 0)
		return btrfs_snap(v->source, dst, 1, err);
	if ((d = st_voldrv_load(err)) == NULL)
		return ST_PERM;
	return d->clone(v->uri, v->pool, base_of(v->source), base_of(dst), err);
}

/* the copy is made beside the volume, then swapped in with one rename:
 * a crash leaves the old content or the new one, and a leftover copy */
int
st_vs_restore(const struct st_vrow *v, const char *src, char err[ST_VOLDRV_ERR])
{
	const struct st_voldrv *d;
	char tmp[1100];
	int rc, q = strcmp(v->backend, "qcow2") == 0;
	char e2[ST_VOLDRV_ERR];

	if (q)
		snprintf(tmp, sizeof tmp, "%s/%.14s.restore.qcow2", v->pool, v->id);
	else
		snprintf(tmp, sizeof tmp, "%s.restore", v->source);
	st_vs_remove(v, tmp, e2);	/* a crashed restore's leftover */
	if (strcmp(v->backend, "dir") == 0) {
		char *argv[] = { "cp", "-a", "--reflink=auto", "--", (char *)src, tmp, NULL };

		rc = st_vs_run(argv, -1, -1, err);
	} else if (!q) {
		rc = btrfs_snap(src, tmp, 0, err);
	} else if (strncmp(src, v->pool, strlen(v->pool)) != 0 || strchr(src + strlen(v->pool) + 1, '/') != NULL) {
		/* a snapshot in another pool (the host's pool changed since):
		 * libvirt copies only inside one pool */
		char *argv[] = { "qemu-img", "convert", "-f", "qcow2", "-O", "qcow2", (char *)src, tmp, NULL };

		rc = st_vs_run(argv, -1, -1, err);
	} else if ((d = st_voldrv_load(err)) == NULL) {
		rc = ST_PERM;
	} else {
		rc = d->clone(v->uri, v->pool, base_of(src), base_of(tmp), err);
	}
	if (rc != ST_OK) {
		st_vs_remove(v, tmp, e2);
		return rc;
	}
	if (q) {
		if (rename(tmp, v->source) < 0) {
			snprintf(err, ST_VOLDRV_ERR, "unable to rename '%s': %s", tmp, strerror(errno));
			unlink(tmp);
			return ST_PERM;
		}
		return ST_OK;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, v->source, RENAME_EXCHANGE) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to swap '%s' in: %s", tmp, strerror(errno));
		st_vs_remove(v, tmp, e2);
		return ST_PERM;
	}
	if (st_vs_remove(v, tmp, e2) != ST_OK)
		st_warn("restored '%s', but the old content stays in '%s': %s", v->id, tmp, e2);
	if (!q && strcmp(v->backend, "btrfs") == 0)
		btrfs_limit(v->source, v->size);
	return ST_OK;
}

/* ---- rows ---- */

int
st_vrow_load(struct st_db *db, const char *id, struct st_vrow *v)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT v.id, coalesce(v.name, ''), v.host, v.backend, v.state, v.size, "
	    "v.pool, v.source, a.instance, i.state, i.kind, a.path, coalesce(h.libvirt, 'qemu:///system') "
	    "FROM volumes v JOIN hosts h ON h.id = v.host LEFT JOIN attachments a ON a.volume = v.id "
	    "LEFT JOIN instances i ON i.id = a.instance WHERE v.id = ?1");
	int rc;

	memset(v, 0, sizeof *v);
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? ST_PERM : st_db_code(db, rc);
	}
	cpy(v->id, sizeof v->id, st, 0);
	cpy(v->name, sizeof v->name, st, 1);
	cpy(v->host, sizeof v->host, st, 2);
	cpy(v->backend, sizeof v->backend, st, 3);
	cpy(v->state, sizeof v->state, st, 4);
	v->size = sqlite3_column_int64(st, 5);
	cpy(v->pool, sizeof v->pool, st, 6);
	cpy(v->source, sizeof v->source, st, 7);
	cpy(v->inst, sizeof v->inst, st, 8);
	cpy(v->istate, sizeof v->istate, st, 9);
	cpy(v->ikind, sizeof v->ikind, st, 10);
	cpy(v->path, sizeof v->path, st, 11);
	cpy(v->uri, sizeof v->uri, st, 12);
	sqlite3_reset(st);
	return ST_OK;
}

json_t *
st_vol_json(struct st_db *db, const char *id)
{
	struct st_vrow v;
	sqlite3_stmt *st;
	char c[32] = "";
	json_int_t n = 0;
	json_t *o;

	if (st_vrow_load(db, id, &v) != ST_OK)
		return NULL;
	if ((st = st_db_prep(db, "SELECT v.created, (SELECT count(*) FROM snapshots s WHERE s.volume = v.id), "
	    "h.name FROM volumes v JOIN hosts h ON h.id = v.host WHERE v.id = ?1")) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, v.id, -1, SQLITE_STATIC);
	o = json_object();
	json_object_set_new(o, "id", json_string(v.id));
	json_object_set_new(o, "name", str_or_null(v.name));
	json_object_set_new(o, "host", json_string(v.host));
	if (sqlite3_step(st) == SQLITE_ROW) {
		st_time_iso(sqlite3_column_int64(st, 0), c);
		n = sqlite3_column_int64(st, 1);
		json_object_set_new(o, "host_name", sqlite3_column_type(st, 2) == SQLITE_NULL ? json_null() :
		    json_string((const char *)sqlite3_column_text(st, 2)));
	}
	sqlite3_reset(st);
	json_object_set_new(o, "backend", json_string(v.backend));
	json_object_set_new(o, "size", json_integer(v.size));
	json_object_set_new(o, "state", json_string(v.state));
	json_object_set_new(o, "source", json_string(v.source));
	json_object_set_new(o, "format", strcmp(v.backend, "qcow2") == 0 ? json_string("qcow2") : json_null());
	json_object_set_new(o, "pool", json_string(v.pool));
	json_object_set_new(o, "instance", str_or_null(v.inst));
	json_object_set_new(o, "path", str_or_null(v.path));
	json_object_set_new(o, "snapshots", json_integer(n));
	json_object_set_new(o, "created", json_string(c));
	json_object_set_new(o, "labels", st_labels_json(db, v.id));
	json_object_set_new(o, "attrs", st_attrs_json(db, v.id));
	return o;
}

int
st_vol_each(struct st_db *db, const char *host, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st;
	int rc, code = ST_OK;
	json_t *o;

	if (sqlite3_prepare_v2(db->h, "SELECT id FROM volumes WHERE ?1 IS NULL OR host = ?1 ORDER BY rowid",
	    -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read volumes: %s", st_db_err(db));
	if (host)
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && code != ST_TEMP)
		if ((o = st_vol_json(db, (const char *)sqlite3_column_text(st, 0))) != NULL) {
			code = ST_MAX(code, cb(o, ctx));
			json_decref(o);
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read volumes: %s", st_db_err(db));
	return code;
}

/* ---- pools ---- */

int
st_pool_path(struct st_db *db, const char *host, const char *backend, char *out)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT path FROM pools WHERE host = ?1 AND backend = ?2");
	const char *base;
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, backend, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cpy(out, PATH_MAX, st, 0);
		sqlite3_reset(st);
		return ST_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_db_code(db, rc);
	if ((base = getenv("ST_VOLUMES")) == NULL || *base == '\0')
		if ((base = st_conf("volumes")) == NULL || *base == '\0')
			base = "/var/lib/stampede/volumes";
	snprintf(out, PATH_MAX, "%s/%s", base, backend);
	return ST_OK;
}

int
st_pool_add(struct st_db *db, const char *host, const char *backend, const char *path, char id[ST_ID_LEN + 1])
{
	char real[PATH_MAX];
	sqlite3_stmt *st;
	struct stat sb;
	json_t *d;
	int rc;

	if (*path != '/' || realpath(path, real) == NULL || stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return st_fail(ST_USAGE, "unable to add pool '%s': not an existing directory given by its absolute path", st_q(path));
	if (strlen(real) > 900)
		return st_fail(ST_USAGE, "unable to add pool '%s': path too long (900 bytes at most)", st_q(path));
	if (strcmp(backend, "btrfs") == 0 && !is_btrfs(real))
		return st_fail(ST_PERM, "unable to add pool '%s': not on a btrfs filesystem", st_q(path));
	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(db, ST_HOST, host, id)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	st = st_db_prep(db, "INSERT OR REPLACE INTO pools (host, backend, path, created) VALUES (?1, ?2, ?3, ?4)");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, real, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, st_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	d = json_pack("{s:s, s:s}", "backend", backend, "path", real);
	if (rc != SQLITE_DONE || st_event(db, id, "pool.add", d) != ST_OK) {
		json_decref(d);
		st_db_rollback(db);
		return st_fail(ST_PERM, "unable to add pool '%s': %s", st_q(path), st_db_err(db));
	}
	json_decref(d);
	return st_db_commit(db);
}

int
st_pool_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st;
	int rc, code = ST_OK;
	json_t *o;

	if (sqlite3_prepare_v2(db->h, "SELECT p.host, h.name, p.backend, p.path FROM pools p "
	    "JOIN hosts h ON h.id = p.host ORDER BY p.host, p.backend", -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read pools: %s", st_db_err(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_pack("{s:s, s:s?, s:s, s:s}", "id", (const char *)sqlite3_column_text(st, 0),
		    "host_name", (const char *)sqlite3_column_text(st, 1),
		    "backend", (const char *)sqlite3_column_text(st, 2), "path", (const char *)sqlite3_column_text(st, 3));
		code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
	}
	sqlite3_finalize(st);
	return code;
}

/* ---- create, remove ---- */

static int
only_host(struct st_db *db, char id[ST_ID_LEN + 1])
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id FROM hosts ORDER BY id LIMIT 2");
	int n = 0;

	while (sqlite3_step(st) == SQLITE_ROW)
		if (n++ == 0)
			cpy(id, ST_ID_LEN + 1, st, 0);
	sqlite3_reset(st);
	return n;
}

static int
set_state(struct st_db *db, const char *id, const char *from, const char *to)
{
	sqlite3_stmt *st = st_db_prep(db, "UPDATE volumes SET state = ?3 WHERE id = ?1 AND state = ?2");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_db_code(db, rc);
	return sqlite3_changes(db->h) == 1 ? ST_OK : ST_TEMP;
}

/* a state change in its own transaction, with an event */
int
st_vol_cas(struct st_db *db, const char *id, const char *from, const char *to, const char *event, json_t *d)
{
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = set_state(db, id, from, to)) != ST_OK || (event && (rc = st_event(db, id, event, d)) != ST_OK)) {
		st_db_rollback(db);
		return rc;
	}
	return st_db_commit(db);
}

static int
drop_row(struct st_db *db, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	st = st_db_prep(db, "DELETE FROM volumes WHERE id = ?1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		st_db_rollback(db);
		return st_db_code(db, rc);
	}
	st_obj_forget(db, id);
	return st_db_commit(db);
}

int
st_vol_create(struct st_db *db, const struct st_vol_spec *s, char id[ST_ID_LEN + 1])
{
	const char *why, *b = s->backend ? s->backend : "dir";
	struct st_vrow v;
	struct st_lock lk;
	char host[ST_ID_LEN + 1], pool[PATH_MAX], err[ST_VOLDRV_ERR];
	sqlite3_stmt *st;
	json_t *d;
	int rc, n, locked = 0;

	if (s->name == NULL || st_valid_name(s->name, &why) < 0)
		return st_fail(st_bad(), "unable to create volume '%s': %s", st_q(s->name ? s->name : ""),
		    s->name ? why : "a name is required");
	if (strcmp(b, "dir") != 0 && strcmp(b, "btrfs") != 0 && strcmp(b, "qcow2") != 0)
		return st_fail(ST_USAGE, "unable to create volume '%s': unknown backend '%s' (dir, btrfs or qcow2)", s->name, st_q(b));
	if (s->size < (1 << 20) || s->size > ((int64_t)64 << 40))
		return st_fail(ST_USAGE, "unable to create volume '%s': size out of range (1M to 64T)", s->name);
	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if (s->host) {
		if ((rc = st_resolve(db, ST_HOST, s->host, host)) != ST_OK)
			goto fail;
	} else if ((n = only_host(db, host)) != 1) {
		rc = st_fail(ST_PERM, "unable to create volume '%s': %s", s->name,
		    n ? "several hosts: give --host" : "no host yet (st-host-add)");
		goto fail;
	}
	if ((n = st_name_taken(db, ST_VOLUME, s->name)) != 0) {
		rc = st_fail(n < 0 ? ST_TEMP : ST_PERM, "unable to create volume '%s': %s", s->name,
		    n < 0 ? st_db_err(db) : "the name is taken");
		goto fail;
	}
	if ((rc = st_pool_path(db, host, b, pool)) != ST_OK) {
		st_fail(rc, "unable to create volume '%s': %s", s->name, st_db_err(db));
		goto fail;
	}
	if (strlen(pool) > 900) {
		rc = st_fail(ST_PERM, "unable to create volume '%s': pool path '%.40s...' too long (900 bytes at most)", s->name, pool);
		goto fail;
	}
	st_id_new(ST_VOLUME, id);
	if ((rc = st_lock_take(db, id, "create", "creating", &lk)) != ST_OK) {
		st_fail(rc, "unable to create volume '%s': %s", s->name, lk.err);
		goto fail;
	}
	locked = 1;
	/* the intent: a crash leaves a row in state creating, which st-volume-rm removes */
	st = st_db_prep(db, "INSERT INTO volumes (id, name, created, host, backend, size, pool, source, state) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 || '/' || ?1 || ?9, 'creating')");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, st_now());
	sqlite3_bind_text(st, 4, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, s->size);
	sqlite3_bind_text(st, 7, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, pool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, strcmp(b, "qcow2") == 0 ? ".qcow2" : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = st_fail(st_db_code(db, rc), "unable to create volume '%s': %s", s->name, st_db_err(db));
		goto fail;
	}
	if ((rc = st_db_commit(db)) != ST_OK)
		goto out;
	if ((rc = st_vrow_load(db, id, &v)) != ST_OK) {
		st_fail(rc, "unable to create volume '%s': %s", s->name, st_db_err(db));
		goto out;
	}
	st_fault("volume-create.after-intent");
	if ((rc = st_vs_make(&v, err)) != ST_OK) {
		char e2[ST_VOLDRV_ERR];

		st_vs_remove(&v, v.source, e2);
		drop_row(db, id);
		st_fail(rc, "unable to create volume '%s': %s", s->name, err);
		goto out;
	}
	d = json_pack("{s:s, s:s, s:I, s:s}", "name", s->name, "backend", b, "size", (json_int_t)s->size, "host", host);
	rc = st_vol_cas(db, id, "creating", "ready", "volume.create", d);
	json_decref(d);
	if (rc != ST_OK)
		st_fail(rc, "unable to create volume '%s': %s", s->name, st_db_err(db));
	goto out;
fail:
	st_db_rollback(db);
out:
	if (locked)
		st_lock_drop(&lk);
	return rc;
}

int
st_vol_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1])
{
	struct st_vrow v;
	struct st_lock lk;
	sqlite3_stmt *st;
	char err[ST_VOLDRV_ERR], src[PATH_MAX];
	json_t *snaps = json_array(), *x;
	size_t i;
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(db, ST_VOLUME, arg, id)) != ST_OK || (rc = st_vrow_load(db, id, &v)) != ST_OK) {
		st_db_rollback(db);
		json_decref(snaps);
		return rc;
	}
	if (*v.inst) {
		st_db_rollback(db);
		json_decref(snaps);
		return st_fail(ST_PERM, "unable to remove volume '%s': attached to instance '%s' at %s (st-volume-detach it first)", id, v.inst, v.path);
	}
	if ((rc = st_lock_take(db, id, "remove", v.state, &lk)) != ST_OK) {
		st_db_rollback(db);
		json_decref(snaps);
		return st_fail(rc, "unable to remove volume '%s': %s", id, lk.err);
	}
	if (strcmp(v.state, "removing") != 0 && (rc = set_state(db, id, v.state, "removing")) != ST_OK) {
		st_db_rollback(db);
		st_lock_drop(&lk);
		json_decref(snaps);
		return st_fail(rc, "unable to remove volume '%s': its state changed under us", id);
	}
	st = st_db_prep(db, "SELECT id, source FROM snapshots WHERE volume = ?1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(snaps, json_pack("[s, s]", (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if ((rc = st_db_commit(db)) != ST_OK) {
		st_lock_drop(&lk);
		json_decref(snaps);
		return rc;
	}
	rc = ST_OK;
	json_array_foreach(snaps, i, x) {
		snprintf(src, sizeof src, "%s", json_string_value(json_array_get(x, 1)));
		if (rc == ST_OK)
			rc = st_vs_remove(&v, src, err);
	}
	if (rc == ST_OK)
		rc = st_vs_remove(&v, v.source, err);
	if (rc != ST_OK) {
		st_lock_drop(&lk);
		json_decref(snaps);
		return st_fail(rc, "unable to remove volume '%s': %s (it stays in state removing; retry)", id, err);
	}
	if ((rc = st_db_begin(db)) == ST_OK) {
		json_array_foreach(snaps, i, x)
			st_obj_forget(db, json_string_value(json_array_get(x, 0)));
		st = st_db_prep(db, "DELETE FROM snapshots WHERE volume = ?1");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		st = st_db_prep(db, "DELETE FROM volumes WHERE id = ?1");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (rc == SQLITE_DONE)
			rc = sqlite3_step(st);
		sqlite3_reset(st);
		st_obj_forget(db, id);
		if (rc != SQLITE_DONE || st_event(db, id, "volume.remove", NULL) != ST_OK) {
			rc = st_fail(ST_PERM, "unable to remove volume '%s': %s", id, st_db_err(db));
			st_db_rollback(db);
		} else {
			rc = st_db_commit(db);
		}
	}
	st_lock_drop(&lk);
	json_decref(snaps);
	return rc;
}

/* ---- attachments ---- */

static int
valid_path(const char *p, const char **why)
{
	const char *s;

	if (*p != '/' || p[1] == '\0')
		return *why = "must be an absolute path other than /", -1;
	if (strlen(p) > 200)
		return *why = "too long (200 characters at most)", -1;
	for (s = p; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
		    *s != '/' && *s != '.' && *s != '_' && *s != '-')
			return *why = "only letters, digits, '/', '.', '_' and '-'", -1;
	for (s = p; (s = strchr(s, '/')) != NULL; s++)
		if (s[1] == '/' || (s[1] == '.' && (s[2] == '/' || s[2] == '\0' ||
		    (s[2] == '.' && (s[3] == '/' || s[3] == '\0')))))
			return *why = "no empty, '.' or '..' components", -1;
	if (p[strlen(p) - 1] == '/')
		return *why = "no trailing '/'", -1;
	return 0;
}

struct ist { char kind[16], state[16], host[16]; };

static int
inst_load(struct st_db *db, const char *id, struct ist *i)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT kind, state, coalesce(host, '') FROM instances WHERE id = ?1");
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cpy(i->kind, sizeof i->kind, st, 0);
		cpy(i->state, sizeof i->state, st, 1);
		cpy(i->host, sizeof i->host, st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ST_OK : ST_PERM;
}

static int
quiet_state(const char *s)
{
	return strcmp(s, "requested") == 0 || strcmp(s, "scheduled") == 0 || strcmp(s, "stopped") == 0 ||
	    strcmp(s, "error") == 0;
}

int
st_vol_attach_tx(struct st_db *db, const char *vol, const char *inst, const char *path, char vid[ST_ID_LEN + 1])
{
	char iid[ST_ID_LEN + 1];
	const char *why;
	struct st_vrow v;
	struct ist i;
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	if (valid_path(path, &why) < 0)
		return st_fail(st_bad(), "unable to attach volume '%s': bad path '%s': %s", st_q(vol), st_q(path), why);
	if ((rc = st_resolve(db, ST_VOLUME, vol, vid)) != ST_OK || (rc = st_resolve(db, ST_INSTANCE, inst, iid)) != ST_OK)
		return rc;
	if ((rc = st_vrow_load(db, vid, &v)) != ST_OK || (rc = inst_load(db, iid, &i)) != ST_OK)
		return st_fail(rc, "unable to attach volume '%s': %s", vid, st_db_err(db));
	if (strcmp(v.state, "ready") != 0)
		return st_fail(ST_PERM, "unable to attach volume '%s': volume is %s", vid, v.state);
	if (*v.inst)
		return st_fail(ST_PERM, "unable to attach volume '%s': already attached to instance '%s' at %s", vid, v.inst, v.path);
	if (strcmp(i.kind, "container") == 0 && strcmp(v.backend, "qcow2") == 0)
		return st_fail(ST_PERM, "unable to attach volume '%s' to '%s': a qcow2 volume is a VM disk; containers take dir or btrfs volumes", vid, iid);
	if (!quiet_state(i.state))
		return st_fail(ST_PERM, "unable to attach volume '%s' to '%s': instance is %s (stop it first: volumes are attached when its %s is made)",
		    vid, iid, i.state, strcmp(i.kind, "vm") == 0 ? "domain" : "container");
	if (*i.host && strcmp(i.host, v.host) != 0)
		return st_fail(ST_PERM, "unable to attach volume '%s' to '%s': the instance is placed on host '%s', the volume is on '%s' (st-schedule it again)",
		    vid, iid, i.host, v.host);
	st = st_db_prep(db, "INSERT INTO attachments (volume, instance, path) VALUES (?1, ?2, ?3)");
	sqlite3_bind_text(st, 1, vid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, iid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return st_fail(ST_PERM, "unable to attach volume '%s' to '%s': path %s is taken by another volume", vid, iid, path);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to attach volume '%s': %s", vid, st_db_err(db));
	d = json_pack("{s:s, s:s}", "instance", iid, "path", path);
	rc = st_event(db, vid, "volume.attach", d);
	json_decref(d);
	return rc;
}

/* a stopped container keeps the mounts it was made with: it is removed,
 * and its next start makes it anew with the volumes it has then */
static void
remake(struct st_db *db, const char *iid)
{
	const struct st_driver *drv;
	struct st_drv_ctx c;
	struct ist i;
	char id[ST_ID_LEN + 1];

	if (inst_load(db, iid, &i) != ST_OK || strcmp(i.kind, "container") != 0 || *i.host == '\0')
		return;
	if (st_inst_driver(db, iid, id, &drv, &c) != ST_OK)
		return;
	if (drv->remove(&c, id) != ST_OK)
		st_warn("unable to remove the container of '%s' (its volumes change at its next creation): %s", id, c.err);
	st_drv_ctx_free(&c);
}

/* a VM defined before keeps the disks it was defined with: the volume is
 * added to (removed from) its definition */
static int
vm_disk(const struct st_vrow *v, const char *iid, int attach, char err[ST_VOLDRV_ERR])
{
	const struct st_voldrv *d;
	char dom[32];

	if ((d = st_voldrv_load(err)) == NULL)
		return ST_PERM;
	snprintf(dom, sizeof dom, "st-%s", iid);
	return d->domain_disk(v->uri, dom, v->source, v->id, attach, err);
}

int
st_vol_attach(struct st_db *db, const char *vol, const char *inst, const char *path, char id[ST_ID_LEN + 1])
{
	sqlite3_stmt *st;
	char iid[ST_ID_LEN + 1];
	struct st_vrow v;
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = st_vol_attach_tx(db, vol, inst, path, id)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	st = st_db_prep(db, "SELECT instance FROM attachments WHERE volume = ?1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	cpy(iid, sizeof iid, st, 0);
	sqlite3_reset(st);
	if ((rc = st_db_commit(db)) != ST_OK)
		return rc;
	if (st_vrow_load(db, id, &v) == ST_OK && strcmp(v.ikind, "vm") == 0) {
		char err[ST_VOLDRV_ERR];

		if ((rc = vm_disk(&v, iid, 1, err)) != ST_OK) {
			/* the attachment undone: the domain does not have it */
			if (st_db_begin(db) == ST_OK) {
				st = st_db_prep(db, "DELETE FROM attachments WHERE volume = ?1");
				sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
				sqlite3_step(st);
				sqlite3_reset(st);
				st_event(db, id, "volume.detach", NULL);
				st_db_commit(db);
			}
			return st_fail(rc, "unable to attach volume '%s' to '%s': %s", id, iid, err);
		}
	}
	remake(db, iid);
	return ST_OK;
}

int
st_vol_detach(struct st_db *db, const char *vol, char id[ST_ID_LEN + 1])
{
	struct st_vrow v;
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(db, ST_VOLUME, vol, id)) != ST_OK || (rc = st_vrow_load(db, id, &v)) != ST_OK)
		goto fail;
	if (*v.inst == '\0') {
		rc = st_fail(ST_PERM, "unable to detach volume '%s': not attached", id);
		goto fail;
	}
	if (!quiet_state(v.istate)) {
		rc = st_fail(ST_PERM, "unable to detach volume '%s' from '%s': instance is %s (stop it first)", id, v.inst, v.istate);
		goto fail;
	}
	if (strcmp(v.ikind, "vm") == 0) {	/* the domain first, outside the transaction */
		char err[ST_VOLDRV_ERR];

		st_db_rollback(db);
		if ((rc = vm_disk(&v, v.inst, 0, err)) != ST_OK)
			return st_fail(rc, "unable to detach volume '%s' from '%s': %s", id, v.inst, err);
		if ((rc = st_db_begin(db)) != ST_OK)
			return rc;
		if ((rc = st_vrow_load(db, id, &v)) != ST_OK || *v.inst == '\0' || !quiet_state(v.istate)) {
			rc = st_fail(ST_TEMP, "unable to detach volume '%s': it changed under us", id);
			goto fail;
		}
	}
	st = st_db_prep(db, "DELETE FROM attachments WHERE volume = ?1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	d = json_pack("{s:s, s:s}", "instance", v.inst, "path", v.path);
	if (rc != SQLITE_DONE || st_event(db, id, "volume.detach", d) != ST_OK) {
		json_decref(d);
		rc = st_fail(ST_PERM, "unable to detach volume '%s': %s", id, st_db_err(db));
		goto fail;
	}
	json_decref(d);
	if ((rc = st_db_commit(db)) != ST_OK)
		return rc;
	remake(db, v.inst);
	return ST_OK;
fail:
	st_db_rollback(db);
	return rc;
}

json_t *
st_vol_inst_json(struct st_db *db, const char *inst)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT a.volume, v.name, v.backend, v.source, a.path FROM attachments a "
	    "JOIN volumes v ON v.id = a.volume WHERE a.instance = ?1 ORDER BY a.path");
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 2);

		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:s, s:o, s:s}",
		    "volume", (const char *)sqlite3_column_text(st, 0),
		    "name", str_or_null((const char *)sqlite3_column_text(st, 1)),
		    "backend", b, "source", (const char *)sqlite3_column_text(st, 3),
		    "format", strcmp(b, "qcow2") == 0 ? json_string("qcow2") : json_null(),
		    "path", (const char *)sqlite3_column_text(st, 4)));
	}
	sqlite3_reset(st);
	return a;
}

int
st_vol_inst_host(struct st_db *db, const char *inst, char host[ST_ID_LEN + 1])
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT DISTINCT v.host FROM attachments a JOIN volumes v ON v.id = a.volume "
	    "WHERE a.instance = ?1 ORDER BY v.host");
	char other[ST_ID_LEN + 1] = "";
	int n = 0, rc;

	*host = '\0';
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cpy(n++ == 0 ? host : other, ST_ID_LEN + 1, st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to schedule '%s': %s", inst, st_db_err(db));
	if (n > 1)
		return st_fail(ST_PERM, "unable to schedule '%s': its volumes are on different hosts ('%s', '%s'): no host has them all",
		    inst, host, other);
	return ST_OK;
}

/* st-doctor: storage that is gone, intents whose owner died; one line
 * each, OBJECT<TAB>check<TAB>detail. Inside the caller's read snapshot. */
int
st_vol_doctor(struct st_db *db, int *n)
{
	sqlite3_stmt *st;
	struct st_lock l;
	struct stat sb;
	const char *id, *src, *state;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT id, source, state FROM volumes UNION ALL "
	    "SELECT id, source, 'ready' FROM snapshots ORDER BY 1", -1, &st, NULL) != SQLITE_OK)
		return st_fail(ST_PERM, "unable to read volumes: %s", st_db_err(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		src = (const char *)sqlite3_column_text(st, 1);
		state = (const char *)sqlite3_column_text(st, 2);
		if (strcmp(state, "ready") != 0) {
			if (!st_lock_held(db, id, &l)) {
				printf("%s\tvolume-intent\tleft %s by a command that died (%s)\n", id, state,
				    strcmp(state, "restoring") == 0 ? "the next snapshot or restore takes over" : "st-volume-rm removes it");
				(*n)++;
			}
			continue;
		}
		if (lstat(src, &sb) < 0) {
			printf("%s\t%s-storage\tits %s '%s' is missing: %s\n", id, *id == 'v' ? "volume" : "snapshot",
			    strstr(src, ".qcow2") ? "file" : "directory", src, strerror(errno));
			(*n)++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ST_OK : st_fail(st_db_code(db, rc), "unable to read volumes: %s", st_db_err(db));
}
