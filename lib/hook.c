/* hook.c: the one runner of hooks (stampede-hooks(5)): the executables of
 * $ST_HOOKS/EVENT.d/ in C-locale order, checked, fed, timed and reaped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "st.h"

extern char **environ;

#define ERR_MAX (64 << 10)	/* stderr kept for the reason and the event */
#define OUT_MAX (16 << 20)	/* a filter's document */
#define EXCERPT 1024

/* what the hook gets in its environment; the caller's own values of
 * these names are dropped, so a hook never sees a stale one */
static const char *const own[] = { "ST_EVENT", "ST_ID", "ST_OBJECT", "ST_OBJECT_STATE",
	"ST_HOST", "ST_STATE", "ST_HOOKS_VERSION", "ST_OBJECT_FILE" };

const char *
st_hook_dir(void)
{
	const char *p;

	if ((p = getenv("ST_HOOKS")) != NULL && *p)
		return p;
	if ((p = st_conf("hooks")) != NULL && *p)
		return p;
	return "/etc/stampede/hooks";
}

int
st_hook_has(const char *event)
{
	char dir[PATH_MAX];
	struct stat sb;

	snprintf(dir, sizeof dir, "%s/%s.d", st_hook_dir(), event);
	return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* a hook, its directory or $ST_HOOKS that someone else could rewrite
 * would run their code with our rights */
static const char *
unsafe(const struct stat *sb)
{
	static char why[128];

	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return "it is writable by group or others (chmod go-w)";
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		snprintf(why, sizeof why, "it is owned by uid %u, neither root nor the current user", (unsigned)sb->st_uid);
		return why;
	}
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(((const struct st_hook_ent *)a)->name, ((const struct st_hook_ent *)b)->name);
}

void
st_hook_list_free(struct st_hook_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].why);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int
st_hook_list(const char *event, struct st_hook_list *l)
{
	struct stat sb;
	struct dirent *de;
	const char *why;
	DIR *d;
	int fd;

	memset(l, 0, sizeof *l);
	snprintf(l->dir, sizeof l->dir, "%s/%s.d", st_hook_dir(), event);
	/* the common case, no hooks for this event: one failed opendir */
	if ((d = opendir(l->dir)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ST_OK;
		snprintf(l->why, sizeof l->why, "unable to read hooks directory '%.800s': %s", l->dir, strerror(errno));
		return ST_PERM;
	}
	fd = dirfd(d);
	if (stat(st_hook_dir(), &sb) == 0 && (why = unsafe(&sb)) != NULL)
		snprintf(l->why, sizeof l->why, "refusing hooks directory '%s': %s", st_hook_dir(), why);
	else if (fstat(fd, &sb) == 0 && (why = unsafe(&sb)) != NULL)
		snprintf(l->why, sizeof l->why, "refusing hooks directory '%s.d': %s", event, why);
	while ((de = readdir(d)) != NULL) {
		struct st_hook_ent e = { .verdict = ST_HOOK_RUN };

		if (*de->d_name == '.')
			continue;
		why = NULL;
		if (!name_ok(de->d_name)) {
			e.verdict = ST_HOOK_SKIP;
			why = "inert: its name is not all A-Z a-z 0-9 _ -";
		} else if (fstatat(fd, de->d_name, &sb, 0) < 0) {
			e.verdict = ST_HOOK_SKIP;
			why = "unable to stat it (a dangling link?)";
		} else if (!S_ISREG(sb.st_mode)) {
			e.verdict = ST_HOOK_SKIP;
			why = "not a regular file";
		} else if (faccessat(fd, de->d_name, X_OK, AT_EACCESS) < 0) {
			e.verdict = ST_HOOK_SKIP;
			why = "not executable";
		} else if ((why = unsafe(&sb)) != NULL) {
			e.verdict = ST_HOOK_REFUSE;
		}
		e.name = st_strdup(de->d_name);
		e.why = why ? st_strdup(why) : NULL;
		l->v = st_realloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n++] = e;
	}
	closedir(d);
	qsort(l->v, l->n, sizeof *l->v, cmp);
	return ST_OK;
}

/* ST_HOOK_TIMEOUT, bounded; -1 when malformed (why set) */
static int
timeout_s(char *why, size_t n)
{
	const char *s = getenv("ST_HOOK_TIMEOUT"), *w;
	int64_t t;

	if (s == NULL || *s == '\0')
		return 30;
	if (st_parse_int(s, 1, 86400, &t, &w) < 0) {
		snprintf(why, n, "bad ST_HOOK_TIMEOUT '%s': %s (1 to 86400 seconds)", st_q(s), w);
		return -1;
	}
	return (int)t;
}

static int
memfd_with(const char *name, const char *data, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	ssize_t w;
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
env_add(char ***env, size_t *n, const char *k, const char *v)
{
	*env = st_realloc(*env, (*n + 2) * sizeof **env);
	(*env)[(*n)++] = st_asprintf("%s=%s", k, v ? v : "");
	(*env)[*n] = NULL;
}

static int
env_own(const char *e)
{
	size_t i, k;

	for (i = 0; i < ST_NELEM(own); i++) {
		k = strlen(own[i]);
		if (strncmp(e, own[i], k) == 0 && e[k] == '=')
			return 1;
	}
	return 0;
}

struct buf {
	char *p;
	size_t n, cap, lost;
};

/* reads what is there; 0 at EOF, 1 more may come, -1 error */
static int
slurp(int fd, struct buf *b, size_t max)
{
	char tmp[16384];
	ssize_t r;

	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN ? 1 : -1;
		if (r == 0)
			return 0;
		if (b->n + (size_t)r > max) {
			b->lost += (size_t)r;
			continue;
		}
		if (b->n + (size_t)r + 1 > b->cap) {
			b->cap = (b->n + (size_t)r + 1) * 2;
			b->p = st_realloc(b->p, b->cap);
		}
		memcpy(b->p + b->n, tmp, (size_t)r);
		b->n += (size_t)r;
		b->p[b->n] = '\0';
	}
}

/* one hook's run: what it got and what came of it */
struct run {
	const char *event, *name, *path, *dir;
	char *const *argv;
	char **envp;
	const char *in;		/* stdin */
	size_t inlen;
	int filter, timeout;
	/* results */
	int status, timedout;
	struct buf out, err;
	char fail[512];		/* could not run it at all */
};

/* fork, exec with fds 0, 1, 2 only, in its own process group; waits on a
 * pidfd with the pipes, kills the group at the deadline */
static int
spawn(struct run *r)
{
	int infd, op[2] = { -1, -1 }, ep[2] = { -1, -1 }, xp[2] = { -1, -1 }, pfd = -1, xerr = 0, n, rc = ST_OK;
	struct pollfd p[3];
	struct timespec now, end;
	sigset_t all;
	pid_t pid;
	ssize_t xr;

	if ((infd = memfd_with("st-hook-stdin", r->in, r->inlen)) < 0) {
		snprintf(r->fail, sizeof r->fail, "unable to make its stdin: %s", strerror(errno));
		return ST_TEMP;
	}
	if ((r->filter && pipe2(op, O_CLOEXEC) < 0) || pipe2(ep, O_CLOEXEC) < 0 || pipe2(xp, O_CLOEXEC) < 0) {
		snprintf(r->fail, sizeof r->fail, "unable to make a pipe: %s", strerror(errno));
		rc = ST_TEMP;
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		snprintf(r->fail, sizeof r->fail, "unable to fork: %s", strerror(errno));
		rc = ST_TEMP;
		goto out;
	}
	if (pid == 0) {
		/* async-signal-safe calls only from here to exec */
		int i = fcntl(infd, F_DUPFD, 3), o = fcntl(r->filter ? op[1] : 2, F_DUPFD, 3);
		int e = fcntl(ep[1], F_DUPFD, 3), x = fcntl(xp[1], F_DUPFD_CLOEXEC, 3), en;

		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		sigaction(SIGPIPE, &dfl, NULL);
		setpgid(0, 0);
		if (i < 0 || o < 0 || e < 0 || x < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
		    (x != 3 && dup3(x, 3, O_CLOEXEC) < 0))
			goto bad;
		/* nothing of ours reaches the hook: not the state file, not
		 * a driver's socket; fd 3 reports a failed exec and closes
		 * on a good one */
		if (close_range(4, ~0U, 0) < 0)
			for (n = 4; n < 65536; n++)
				close(n);
		if (chdir(r->dir) < 0)
			goto bad;
		execve(r->path, r->argv, r->envp);
bad:
		en = errno;
		if (write(x >= 0 ? 3 : xp[1], &en, sizeof en) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);	/* either of us may win the race */
	close(xp[1]);
	xp[1] = -1;
	close(ep[1]);
	ep[1] = -1;
	if (op[1] >= 0) {
		close(op[1]);
		op[1] = -1;
	}
	while ((xr = read(xp[0], &xerr, sizeof xerr)) < 0 && errno == EINTR)
		;
	if (xr == (ssize_t)sizeof xerr) {
		waitpid(pid, NULL, 0);
		snprintf(r->fail, sizeof r->fail, "unable to run it: %s", strerror(xerr));
		rc = ST_PERM;
		goto out;
	}
	/* without a pidfd (Linux before 5.3, valgrind) its end is polled */
	pfd = pidfd_open(pid, 0);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	if (op[0] >= 0)
		fcntl(op[0], F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += r->timeout;
	for (;;) {
		int ms, k = 0, ipid = -1, iout = -1, ierr = -1;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int)((end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000);
		if (ms <= 0) {
			r->timedout = 1;
			break;
		}
		if (pfd >= 0) {
			p[k] = (struct pollfd){ .fd = pfd, .events = POLLIN };
			ipid = k++;
		}
		if (ep[0] >= 0) {
			p[k] = (struct pollfd){ .fd = ep[0], .events = POLLIN };
			ierr = k++;
		}
		if (op[0] >= 0) {
			p[k] = (struct pollfd){ .fd = op[0], .events = POLLIN };
			iout = k++;
		}
		if (k == 0 || (pfd < 0 && ep[0] < 0 && op[0] < 0))
			break;
		if ((n = poll(p, (nfds_t)k, ms)) < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (ierr >= 0 && p[ierr].revents && slurp(ep[0], &r->err, ERR_MAX) <= 0) {
			close(ep[0]);
			ep[0] = -1;
		}
		if (iout >= 0 && p[iout].revents && slurp(op[0], &r->out, OUT_MAX) <= 0) {
			close(op[0]);
			op[0] = -1;
		}
		if (ipid >= 0 && p[ipid].revents)
			break;	/* it exited: what its children still hold is not waited for */
		if (pfd < 0 && ep[0] < 0 && op[0] < 0)
			break;
	}
	while (pfd < 0 && !r->timedout && waitpid(pid, &r->status, WNOHANG) == 0) {
		struct timespec tick = { 0, 5000000 };

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			r->timedout = 1;
		else
			nanosleep(&tick, NULL);
	}
	if (r->timedout) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	if (ep[0] >= 0)
		slurp(ep[0], &r->err, ERR_MAX);
	if (op[0] >= 0)
		slurp(op[0], &r->out, OUT_MAX);
	if (pfd >= 0 || r->timedout)
		while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
			;
	if (r->timedout)
		kill(-pid, SIGKILL);	/* children forked after the first kill */
out:
	close(infd);
	if (pfd >= 0)
		close(pfd);
	for (n = 0; n < 2; n++) {
		if (op[n] >= 0)
			close(op[n]);
		if (ep[n] >= 0)
			close(ep[n]);
		if (xp[n] >= 0)
			close(xp[n]);
	}
	return rc;
}

/* the first non-blank line of a hook's stderr, for a message */
static void
first_line(const struct buf *b, char *dst, size_t n)
{
	const char *p = b->p ? b->p : "", *e;

	while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
		p++;
	e = p + strcspn(p, "\n\r");
	if ((size_t)(e - p) >= n)
		e = p + n - 1;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
}

/* what went wrong, or NULL when the hook did its job */
static const char *
verdict(const struct run *r, char *buf, size_t n)
{
	if (*r->fail)
		return r->fail;
	if (r->timedout) {
		snprintf(buf, n, "timed out after %d s (ST_HOOK_TIMEOUT); its process group was killed", r->timeout);
		return buf;
	}
	if (WIFSIGNALED(r->status)) {
		snprintf(buf, n, "killed by signal %d", WTERMSIG(r->status));
		return buf;
	}
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0) {
		snprintf(buf, n, "exit %d", WEXITSTATUS(r->status));
		return buf;
	}
	return NULL;
}

static void
echo_err(const struct buf *b, int skip_first)
{
	const char *p = b->p;
	size_t n = b->n;

	if (p == NULL || n == 0)
		return;
	if (skip_first) {
		const char *e;

		while (n > 0 && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
			p++, n--;
		if ((e = memchr(p, '\n', n)) == NULL)
			return;
		n -= (size_t)(e + 1 - p);
		p = e + 1;
	}
	fflush(stdout);
	fwrite(p, 1, n, stderr);
	if (n > 0 && p[n - 1] != '\n')
		fputc('\n', stderr);
}

/* hook.failed in its own short transaction, after the transition's */
static void
record(struct st_db *db, const char *obj, const char *event, const char *hook, const char *status, const struct buf *err)
{
	char ex[EXCERPT + 1];
	size_t n = err->n < EXCERPT ? err->n : EXCERPT;
	json_t *d;

	memcpy(ex, err->p ? err->p : "", n);
	ex[n] = '\0';
	if (!st_valid_utf8(ex, n))
		snprintf(ex, sizeof ex, "(not UTF-8)");
	d = json_pack("{s:s, s:s, s:s, s:s}", "event", event, "hook", hook, "status", status, "stderr", ex);
	if (d != NULL && st_db_begin(db) == ST_OK) {
		if (st_event(db, obj, "hook.failed", d) == ST_OK)
			st_db_commit(db);
		else
			st_db_rollback(db);
	}
	json_decref(d);
}

int
st_hook_run(struct st_db *db, struct st_hook_run *h)
{
	enum { PRE, POST, FILTER } kind;
	struct st_hook_list l;
	struct run r;
	char **envp = NULL, hookname[384], path[sizeof l.dir + 260], objfile[64] = "", vbuf[128], line[512];
	char *stdin_s = NULL, *docs = NULL, *state_abs = NULL, *argv[4];
	const char *v, *e = h->event, *tname, *why;
	json_t *obj = h->obj, *o;
	size_t nenv = 0, i, elen = strlen(e);
	int rc = ST_OK, t, timeout, ofd;

	*h->why = '\0';
	if (elen > 4 && strcmp(e + elen - 4, ".pre") == 0)
		kind = PRE;
	else if (elen > 7 && strcmp(e + elen - 7, ".filter") == 0)
		kind = FILTER;
	else
		kind = POST;
	if ((rc = st_hook_list(e, &l)) != ST_OK) {
		snprintf(h->why, sizeof h->why, "%s", l.why);
		goto done;
	}
	if (l.n == 0 && !*l.why)
		goto done;	/* nothing to run: nothing read, nothing spawned */
	/* the rule that lets a hook call st-attr on its own object */
	if (db->in_tx) {
		snprintf(h->why, sizeof h->why, "internal error: hooks of '%s' asked for inside a write transaction", e);
		rc = ST_PERM;
		goto done;
	}
	if (*l.why) {
		snprintf(h->why, sizeof h->why, "%s", l.why);
		rc = ST_PERM;
		if (kind == POST && !h->manual) {
			st_warn("hooks of '%s' on '%s' not run: %s", e, h->id ? h->id : "-", l.why);
			if (h->id)
				record(db, h->id, e, l.dir, "refused", &(struct buf){ 0 });
			rc = ST_OK;
		}
		goto done;
	}
	if ((timeout = timeout_s(h->why, sizeof h->why)) < 0) {
		rc = ST_PERM;
		goto done;
	}
	if (obj == NULL && (h->id == NULL || (obj = st_obj_json(db, h->id)) == NULL)) {
		snprintf(h->why, sizeof h->why, "no such object '%s' to give its hooks", h->id ? h->id : "-");
		rc = ST_PERM;
		goto done;
	}
	if ((v = json_string_value(json_object_get(obj, "id"))) == NULL)
		v = h->id;
	t = v ? st_type_of_id(v) : -1;
	tname = t >= 0 ? st_types[t].name : NULL;
	if (tname == NULL) {
		/* before the object exists: its type is the event's first word */
		snprintf(vbuf, sizeof vbuf, "%.*s", (int)strcspn(e, "."), e);
		tname = vbuf;
	}
	stdin_s = json_dumps(obj, JSON_COMPACT);
	if (stdin_s == NULL) {
		snprintf(h->why, sizeof h->why, "unable to write the object as JSON");
		rc = ST_TEMP;
		goto done;
	}
	if (kind != FILTER) {
		char *s = st_asprintf("%s\n", stdin_s);

		free(stdin_s);
		stdin_s = s;
	}
	for (char **ep = environ; ep && *ep; ep++)
		if (!env_own(*ep)) {
			envp = st_realloc(envp, (nenv + 2) * sizeof *envp);
			envp[nenv++] = st_strdup(*ep);
			envp[nenv] = NULL;
		}
	state_abs = realpath(db->path, NULL);
	env_add(&envp, &nenv, "ST_EVENT", e);
	env_add(&envp, &nenv, "ST_ID", v ? v : "");
	env_add(&envp, &nenv, "ST_OBJECT", tname);
	env_add(&envp, &nenv, "ST_OBJECT_STATE", json_string_value(json_object_get(obj, "state")));
	if (t == ST_HOST)
		env_add(&envp, &nenv, "ST_HOST", v);
	else
		env_add(&envp, &nenv, "ST_HOST", json_string_value(json_object_get(obj, "host")));
	env_add(&envp, &nenv, "ST_STATE", state_abs ? state_abs : db->path);
	env_add(&envp, &nenv, "ST_HOOKS_VERSION", "1");
	if (kind == FILTER) {
		/* the object beside the document, in a file only we can read */
		const char *tmp = getenv("TMPDIR");

		snprintf(objfile, sizeof objfile, "%s/st-hook-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		if ((ofd = mkostemp(objfile, O_CLOEXEC)) < 0 ||
		    write(ofd, stdin_s, strlen(stdin_s)) != (ssize_t)strlen(stdin_s) || write(ofd, "\n", 1) != 1) {
			snprintf(h->why, sizeof h->why, "unable to write the object file '%s': %s", objfile, strerror(errno));
			if (ofd >= 0) {
				close(ofd);
				unlink(objfile);
			}
			*objfile = '\0';
			rc = ST_TEMP;
			goto done;
		}
		close(ofd);
		env_add(&envp, &nenv, "ST_OBJECT_FILE", objfile);
	}
	/* $0 the hook, $1 the event, $2 the ID, as git hands its hooks theirs */
	argv[1] = (char *)e;
	argv[2] = (char *)(v ? v : "");
	argv[3] = NULL;
	for (i = 0; i < l.n; i++) {
		const struct st_hook_ent *he = &l.v[i];

		snprintf(hookname, sizeof hookname, "%.100s.d/%.255s", e, he->name);
		if (he->verdict == ST_HOOK_SKIP)
			continue;
		if (he->verdict == ST_HOOK_REFUSE) {
			snprintf(h->why, sizeof h->why, "refusing hook '%s': %s", hookname, he->why);
			if (kind == POST && !h->manual) {
				st_warn("hook '%s' on '%s' not run: %s", hookname, v ? v : "-", he->why);
				if (v)
					record(db, v, e, hookname, "refused", &(struct buf){ 0 });
				continue;
			}
			rc = ST_PERM;
			if (kind == POST)
				continue;
			goto done;
		}
		snprintf(path, sizeof path, "%s/%s", l.dir, he->name);
		memset(&r, 0, sizeof r);
		argv[0] = path;
		r.event = e;
		r.name = he->name;
		r.path = path;
		r.dir = db->dir;
		r.argv = argv;
		r.envp = envp;
		r.filter = kind == FILTER;
		r.timeout = timeout;
		if (kind == FILTER && json_is_string(h->doc)) {
			/* a text document (vm.domain.filter: XML), as it is */
			free(docs);
			docs = st_strdup(json_string_value(h->doc));
			r.in = docs;
		} else if (kind == FILTER) {
			free(docs);
			docs = json_dumps(h->doc, JSON_COMPACT);
			r.in = docs ? docs : "{}";
		} else {
			r.in = stdin_s;
		}
		r.inlen = strlen(r.in);
		spawn(&r);
		why = verdict(&r, vbuf, sizeof vbuf);
		if (why == NULL && kind == FILTER) {
			json_error_t je;

			if (r.out.lost)
				why = "its output is larger than 16 MiB";
			else if (json_is_string(h->doc)) {
				const char *p = r.out.p ? r.out.p : "";
				size_t k = 0;

				while (k < r.out.n && strchr(" \t\r\n", p[k]))
					k++;
				if (k == r.out.n || p[k] != '<' || memchr(p, '\0', r.out.n) || !st_valid_utf8(p, r.out.n))
					why = "it printed no XML document";
				else {
					json_decref(h->doc);
					h->doc = json_stringn(p, r.out.n);
				}
			} else if ((o = json_loadb(r.out.p ? r.out.p : "", r.out.n, 0, &je)) == NULL) {
				snprintf(line, sizeof line, "it printed no valid JSON document: %s (line %d)", je.text, je.line);
				why = line;
			} else if (!json_is_object(o)) {
				json_decref(o);
				why = "it printed JSON that is not an object";
			} else {
				json_decref(h->doc);
				h->doc = o;
			}
		}
		if (why == NULL) {
			echo_err(&r.err, 0);
		} else {
			char first[512];
			int timed = r.timedout;

			first_line(&r.err, first, sizeof first);
			if (kind == PRE)
				snprintf(h->why, sizeof h->why, timed ? "hook '%s' %.500s" : "vetoed by hook '%s': %.500s",
				    hookname, timed || !*first ? why : first);
			else if (kind == FILTER)
				snprintf(h->why, sizeof h->why, "filter hook '%s' failed: %.200s%s%.400s", hookname, why,
				    *first ? ": " : "", first);
			else
				snprintf(h->why, sizeof h->why, "hook '%s' failed on '%s': %.200s%s%.400s", hookname,
				    v ? v : "-", why, *first ? ": " : "", first);
			/* what the reason leaves out still reaches the user */
			echo_err(&r.err, 1);
			if (kind == POST && !h->manual) {
				st_warn("%s", h->why);
				if (v)
					record(db, v, e, hookname, why, &r.err);
			} else {
				rc = ST_MAX(rc, timed || *r.fail ? ST_TEMP : ST_PERM);
				if (*r.fail && strncmp(r.fail, "unable to run", 13) == 0)
					rc = ST_PERM;
			}
		}
		free(r.out.p);
		free(r.err.p);
		if (rc != ST_OK && kind != POST)
			goto done;
	}
	if (kind == POST && !h->manual)
		rc = ST_OK;
done:
	if (*objfile)
		unlink(objfile);
	for (i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
	free(stdin_s);
	free(docs);
	free(state_abs);
	if (obj != h->obj)
		json_decref(obj);
	st_hook_list_free(&l);
	return rc;
}

int
st_hook_pre(struct st_db *db, const char *event, const char *id, json_t *obj, char why[ST_HOOK_WHY])
{
	struct st_hook_run h = { .event = event, .id = id, .obj = obj };
	int rc = st_hook_run(db, &h);

	snprintf(why, ST_HOOK_WHY, "%s", h.why);
	return rc;
}

void
st_hook_post(struct st_db *db, const char *event, const char *id, json_t *obj)
{
	struct st_hook_run h = { .event = event, .id = id, .obj = obj };

	if (st_hook_run(db, &h) != ST_OK)
		st_warn("hooks of '%s' on '%s' not run: %s", event, id ? id : "-", h.why);
}

int
st_hook_drv_filter(struct st_drv_ctx *c, const char *event, json_t **doc)
{
	struct st_hook_drv *a = c->filter_arg;
	struct st_hook_run h = { .event = event, .id = a->id, .obj = a->obj, .doc = *doc };
	int rc = st_hook_run(a->db, &h);

	*doc = h.doc;
	if (rc != ST_OK) {
		a->failed = 1;
		snprintf(c->err, sizeof c->err, "%s", h.why);
	}
	return rc;
}

/* st-host-drain (drain 1) and st-host-undrain (0) for one host: the
 * transition is st_sched_drain's, in its own transaction; the hooks run
 * only for a host that moves, .pre before and .post after it */
int
st_hook_drain(struct st_db *db, const char *arg, int drain, char id[ST_ID_LEN + 1])
{
	const char *verb = drain ? "drain" : "undrain", *from = drain ? "active" : "drained", *s;
	char pre[32], post[32], why[ST_HOOK_WHY];
	int rc, moves = 0;
	json_t *o;

	snprintf(pre, sizeof pre, "host.%s.pre", verb);
	snprintf(post, sizeof post, "host.%s.post", verb);
	if (st_hook_has(pre)) {
		if ((rc = st_resolve(db, ST_HOST, arg, id)) != ST_OK)
			return rc;
		if ((o = st_host_json(db, id)) != NULL && (s = json_string_value(json_object_get(o, "state"))) &&
		    strcmp(s, from) == 0 && (rc = st_hook_pre(db, pre, id, o, why)) != ST_OK) {
			json_decref(o);
			return st_fail(rc, "unable to %s host '%s': %s", verb, id, why);
		}
		json_decref(o);
		arg = id;
	}
	if ((rc = st_db_begin(db)) != ST_OK)
		return rc;
	if (st_hook_has(post) && st_resolve(db, ST_HOST, arg, id) == ST_OK && (o = st_host_json(db, id)) != NULL) {
		moves = (s = json_string_value(json_object_get(o, "state"))) && strcmp(s, from) == 0;
		json_decref(o);
	}
	if ((rc = st_sched_drain(db, arg, drain, id)) != ST_OK) {
		st_db_rollback(db);
		return rc;
	}
	if ((rc = st_db_commit(db)) != ST_OK)
		return rc;
	if (moves)
		st_hook_post(db, post, id, NULL);
	return ST_OK;
}

/* st-host-drain and st-host-undrain: the same command but for the way */
static struct st_db drain_db;
static int drain_way;

static void
drain_usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-host-%s [--state FILE] [HOST...]\n", drain_way ? "drain" : "undrain");
	exit(code);
}

static int
drain_one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	/* the transition and its hooks (host.drain or host.undrain .pre, .post) */
	if ((rc = st_hook_drain(&drain_db, arg, drain_way, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return ST_OK;
}

int
st_drain_main(int argc, char **argv, int drain)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	drain_way = drain;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, drain_usage);
	if ((rc = st_db_open(&drain_db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, drain_one, NULL);
	st_db_close(&drain_db);
	return ST_MAX(rc, st_flush());
}
