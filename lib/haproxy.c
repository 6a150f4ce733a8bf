/* haproxy.c: the host side of load balancers: one HAProxy in master-worker
 * mode per state file and host, its config checked, swapped and reloaded,
 * target changes over the Runtime API. Local hosts only, for now. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "st.h"

static int
fail(struct st_hap *h, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct st_hap *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
	return code;
}

static void
hpath(const struct st_hap *h, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", h->dir, name);
}

static int
mkdir_700(const char *p)
{
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int
st_hap_open(struct st_db *db, const char *host, struct st_hap *h)
{
	char real[PATH_MAX], p[PATH_MAX + 64];
	sqlite3_stmt *st;
	const char *dk = NULL;
	int rc, local = 0;

	memset(h, 0, sizeof *h);
	h->lockfd = -1;
	snprintf(h->host, sizeof h->host, "%s", host);
	/* local: the docker endpoint is a unix socket, or there is none */
	if ((st = st_db_prep(db, "SELECT docker FROM hosts WHERE id = ?1")) == NULL)
		return fail(h, ST_PERM, "%s", st_db_err(db));
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dk = (const char *)sqlite3_column_text(st, 0);
		local = dk == NULL || strncmp(dk, "unix://", 7) == 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return fail(h, ST_PERM, "no such host '%s'", host);
	if (!local)
		return fail(h, ST_PERM, "host '%s' is remote (docker endpoint %s): load balancers run on the local host only, for now", host, st_q(dk));
	if (realpath(db->dir, real) == NULL)
		return fail(h, ST_TEMP, "state directory '%s': %s", db->dir, strerror(errno));
	snprintf(p, sizeof p, "%s/haproxy", real);
	if (mkdir_700(p) < 0)
		return fail(h, ST_TEMP, "unable to make '%s': %s", p, strerror(errno));
	if ((size_t)snprintf(h->dir, sizeof h->dir, "%s/%s", p, host) >= sizeof h->dir || strlen(h->dir) + 16 > sizeof ((struct sockaddr_un *)0)->sun_path)
		return fail(h, ST_PERM, "state directory '%s': too long a path for HAProxy's sockets", real);
	/* the directory reaches haproxy.cfg (stats socket): a safe alphabet */
	if (h->dir[strspn(h->dir, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+@")] != '\0')
		return fail(h, ST_PERM, "state directory '%s': HAProxy's configuration cannot name a path with such characters (A-Z a-z 0-9 / . _ - + @ only)", st_q(real));
	if (mkdir_700(h->dir) < 0)
		return fail(h, ST_TEMP, "unable to make '%s': %s", h->dir, strerror(errno));
	/* one command at a time works on a host's HAProxy */
	hpath(h, "lock", p, sizeof p);
	if ((h->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return fail(h, ST_TEMP, "unable to open '%s': %s", p, strerror(errno));
	while (flock(h->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return fail(h, ST_TEMP, "unable to lock '%s': %s", p, strerror(errno));
	return ST_OK;
}

void
st_hap_close(struct st_hap *h)
{
	if (h->lockfd >= 0)
		close(h->lockfd);
	h->lockfd = -1;
}

static const char *
haproxy_bin(void)
{
	const char *e = getenv("ST_HAPROXY");

	if (e && *e)
		return e;
	return access("/usr/sbin/haproxy", X_OK) == 0 ? "/usr/sbin/haproxy" : "haproxy";
}

/* runs haproxy with argv; what it says into out, or with logfd (a
 * daemon keeps its stderr: never a pipe we wait on) into that file */
static int
run(struct st_hap *h, char *const argv[], char *out, size_t n, int logfd)
{
	int pfd[2], st, fd;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	*out = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail(h, ST_TEMP, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return fail(h, ST_TEMP, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* nothing of ours stays open in HAProxy: not the state file,
		 * not a lock, not the pipe our caller reads */
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(logfd >= 0 ? logfd : pfd[1], 1);
		dup2(logfd >= 0 ? logfd : pfd[1], 2);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "unable to run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], out + len, n - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += (size_t)r;
		if (len == n - 1) {	/* enough said; drain the rest */
			char junk[4096];

			while (read(pfd[0], junk, sizeof junk) > 0)
				;
			break;
		}
	}
	out[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return fail(h, ST_TEMP, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return fail(h, ST_TEMP, "unable to run %s (share/install-deps installs it)", argv[0]);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ST_OK : ST_PERM;
}

/* the lines of what haproxy said that matter, on one line */
static void
squeeze(char *s)
{
	char *w = s, *line, *save = NULL;
	int first = 1;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "ALERT") == NULL && strstr(line, "WARNING") == NULL)
			continue;
		if (!first)
			*w++ = ';', *w++ = ' ';
		first = 0;
		memmove(w, line, strlen(line));
		w += strlen(line);
	}
	*w = '\0';
}

int
st_hap_check(struct st_hap *h, const char *cfgfile)
{
	char out[4096];
	char *argv[] = { (char *)haproxy_bin(), "-c", "-q", "-f", (char *)cfgfile, NULL };
	int rc;

	if ((rc = run(h, argv, out, sizeof out, -1)) == ST_PERM) {
		squeeze(out);
		return fail(h, ST_PERM, "haproxy -c refused the configuration: %s", *out ? out : "(no message)");
	}
	return rc;
}

/* one connection to a unix socket: a line out, everything back */
static int
sock_cmd(const char *path, const char *cmd, char **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096, cl = strlen(cmd);
	char *b;
	ssize_t r;
	int fd;

	*reply = NULL;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	while (cl > 0) {
		if ((r = send(fd, cmd, cl, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		cmd += r;
		cl -= (size_t)r;
	}
	/* the end of our input tells HAProxy's CLI to answer and close */
	shutdown(fd, SHUT_WR);
	b = st_malloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			b = st_realloc(b, cap *= 2);
		if ((r = read(fd, b + len, cap - 1 - len)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	b[len] = '\0';
	close(fd);
	*reply = b;
	return 0;
}

static void
nap(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* the master's reload count and failed reloads, and whether it has a
 * current worker, from `show proc` on the master CLI; -1: not running */
static int
master_proc(struct st_hap *h, long *reloads, long *failed, int *worker, long *pid)
{
	char p[PATH_MAX + 64], *r, *l, *save = NULL;
	int section = 0;

	hpath(h, "master.sock", p, sizeof p);
	if (sock_cmd(p, "show proc\n", &r) < 0)
		return -1;
	*reloads = *failed = -1;
	*worker = 0;
	for (l = strtok_r(r, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# workers", 9) == 0)
			section = 1;
		else if (*l == '#')
			section = strncmp(l, "#<PID>", 6) == 0 ? 0 : 2;
		else if (section == 0 && strstr(l, "master"))
			sscanf(l, "%ld master %ld [failed: %ld]", pid, reloads, failed);
		else if (section == 1 && strstr(l, "worker"))
			*worker = 1;
	}
	free(r);
	return *reloads < 0 ? -1 : 0;
}

int
st_hap_running(struct st_hap *h)
{
	long r, f, pid;
	int w;

	return master_proc(h, &r, &f, &w, &pid) == 0;
}

static int
start(struct st_hap *h, const char *cfg)
{
	char ms[PATH_MAX + 64], pf[PATH_MAX + 64], out[4096], log[PATH_MAX + 64];
	char *argv[] = { (char *)haproxy_bin(), "-W", "-D", "-S", ms, "-f", (char *)cfg, "-p", pf, NULL };
	long r, f, pid;
	int rc, w, i, logfd;

	hpath(h, "master.sock", ms, sizeof ms);
	hpath(h, "haproxy.pid", pf, sizeof pf);
	hpath(h, "haproxy.log", log, sizeof log);
	unlink(ms);	/* a dead master's */
	if ((logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return fail(h, ST_TEMP, "unable to open '%s': %s", log, strerror(errno));
	rc = run(h, argv, out, sizeof out, logfd);
	close(logfd);
	if (rc != ST_OK)
		return rc == ST_PERM ? fail(h, ST_TEMP, "haproxy did not start (see %s)", log) : rc;
	for (i = 0; i < 500; i++) {	/* 5 s */
		if (master_proc(h, &r, &f, &w, &pid) == 0 && w)
			return ST_OK;
		nap(10);
	}
	return fail(h, ST_TEMP, "haproxy started but its master CLI '%s' does not answer", ms);
}

static int
reload(struct st_hap *h)
{
	char ms[PATH_MAX + 64], *rep;
	long r0, f0, r, f, pid;
	int w, i;

	hpath(h, "master.sock", ms, sizeof ms);
	if (master_proc(h, &r0, &f0, &w, &pid) < 0)
		return fail(h, ST_TEMP, "haproxy's master CLI '%s' does not answer", ms);
	if (sock_cmd(ms, "reload\n", &rep) < 0)
		return fail(h, ST_TEMP, "unable to reload haproxy: '%s': %s", ms, strerror(errno));
	free(rep);
	/* the master execs itself again: wait for its new worker */
	for (i = 0; i < 1000; i++) {	/* 10 s */
		if (master_proc(h, &r, &f, &w, &pid) == 0) {
			if (f > f0)
				return fail(h, ST_TEMP, "haproxy refused to reload (see %s/haproxy.log); the previous configuration still serves", h->dir);
			if (r > r0 && w)
				return ST_OK;
		}
		nap(5);
	}
	return fail(h, ST_TEMP, "haproxy did not finish its reload within 10 s");
}

int
st_hap_cmd(struct st_hap *h, const char *cmd, char **reply)
{
	char p[PATH_MAX + 64];

	hpath(h, "admin.sock", p, sizeof p);
	if (sock_cmd(p, cmd, reply) < 0)
		return fail(h, ST_TEMP, "haproxy's stats socket '%s': %s", p, strerror(errno));
	return ST_OK;
}

/* the config without its server lines' addresses and states: what a
 * reload is needed for when it changes */
static char *
shape(const char *cfg)
{
	char *s = st_malloc(strlen(cfg) + 1), *w = s;
	const char *l = cfg, *e, *sp;

	for (; *l; l = *e ? e + 1 : e) {
		e = strchr(l, '\n');
		if (e == NULL)
			e = l + strlen(l);
		if (strncmp(l, "\tserver ", 8) == 0 && (sp = memchr(l + 8, ' ', (size_t)(e - l - 8))) != NULL) {
			memcpy(w, l, (size_t)(sp - l));
			w += sp - l;
		} else {
			memcpy(w, l, (size_t)(e - l));
			w += e - l;
		}
		*w++ = '\n';
	}
	*w = '\0';
	return s;
}

/* the runtime commands that take the running HAProxy from old's server
 * lines to new's (same shape: the same servers in the same order) */
static char *
runtime_cmds(const char *old, const char *new, size_t *ncmds)
{
	char *out = NULL, be[64] = "";
	size_t len = 0, cap = 0;
	const char *a = old, *b = new, *ae, *be_;

	*ncmds = 0;
	for (; *a && *b; a = *ae ? ae + 1 : ae, b = *be_ ? be_ + 1 : be_) {
		char srv[32], addr[80], cmd[512];
		int n;

		ae = strchr(a, '\n');
		if (ae == NULL)
			ae = a + strlen(a);
		be_ = strchr(b, '\n');
		if (be_ == NULL)
			be_ = b + strlen(b);
		if (strncmp(b, "backend ", 8) == 0)
			snprintf(be, sizeof be, "%.*s", (int)(be_ - b - 8), b + 8);
		if (strncmp(b, "\tserver ", 8) != 0 || (ae - a == be_ - b && memcmp(a, b, (size_t)(ae - a)) == 0))
			continue;
		if (sscanf(b, "\tserver %31s %79s", srv, addr) != 2)
			continue;
		if (memmem(b, (size_t)(be_ - b), " disabled", 9)) {
			n = snprintf(cmd, sizeof cmd, "set server %s/%s state drain; set server %s/%s state maint; ", be, srv, be, srv);
		} else {
			char *colon = strrchr(addr, ':');

			if (colon == NULL)
				continue;
			*colon = '\0';
			n = snprintf(cmd, sizeof cmd, "set server %s/%s addr %s port %s; set server %s/%s state ready; ",
			    be, srv, addr, colon + 1, be, srv);
		}
		if (len + (size_t)n + 2 > cap)
			out = st_realloc(out, cap = (len + (size_t)n + 2) * 2);
		memcpy(out + len, cmd, (size_t)n + 1);
		len += (size_t)n;
		(*ncmds)++;
	}
	return out;
}

static char *
slurp(const char *path)
{
	struct stat sb;
	char *b;
	ssize_t r;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return NULL;
	}
	b = st_malloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size && (r = read(fd, b + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)r;
	b[len] = '\0';
	close(fd);
	return b;
}

static int
write_as(struct st_hap *h, const char *cfg, const char *name, char *tmp, size_t n)
{
	size_t len = strlen(cfg), off = 0;
	ssize_t r;
	int fd;

	snprintf(tmp, n, "%s/%s", h->dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return fail(h, ST_TEMP, "unable to write '%s': %s", tmp, strerror(errno));
	while (off < len) {
		if ((r = write(fd, cfg + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return fail(h, ST_TEMP, "unable to write '%s': %s", tmp, strerror(errno));
		}
		off += (size_t)r;
	}
	if (close(fd) < 0)
		return fail(h, ST_TEMP, "unable to write '%s': %s", tmp, strerror(errno));
	return ST_OK;
}

static int
write_tmp(struct st_hap *h, const char *cfg, char *tmp, size_t n)
{
	return write_as(h, cfg, "haproxy.cfg.tmp", tmp, n);
}

int
st_hap_check_cfg(struct st_hap *h, const char *cfg)
{
	char tmp[PATH_MAX + 64];
	int rc;

	if ((rc = write_as(h, cfg, "haproxy.cfg.check", tmp, sizeof tmp)) != ST_OK)
		return rc;
	rc = st_hap_check(h, tmp);
	unlink(tmp);
	return rc;
}

/* sends cmds in pieces that fit HAProxy's line buffer; 0, or -1 when a
 * reply says a command failed */
static int
send_cmds(struct st_hap *h, const char *cmds)
{
	const char *p = cmds;

	while (*p) {
		char buf[8192], *rep, *l, *save = NULL;
		size_t n = strlen(p);
		int bad = 0;

		if (n > sizeof buf - 2) {
			/* cut after the last "; " that fits */
			n = sizeof buf - 2;
			while (n > 0 && !(p[n - 1] == ' ' && p[n - 2] == ';'))
				n--;
		}
		memcpy(buf, p, n);
		p += n;
		/* an empty command after the last ';' would be refused */
		while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == ';'))
			n--;
		if (n == 0)
			continue;
		buf[n] = '\n';
		buf[n + 1] = '\0';
		if (st_hap_cmd(h, buf, &rep) != ST_OK)
			return -1;
		for (l = strtok_r(rep, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strncmp(l, "IP changed", 10) != 0 && strncmp(l, "no need", 7) != 0 && *l) {
				fail(h, ST_TEMP, "haproxy's runtime API: %s", l);
				bad = 1;
			}
		free(rep);
		if (bad)
			return -1;
	}
	return 0;
}

int
st_hap_apply(struct st_hap *h, const char *cfg, int *how)
{
	char file[PATH_MAX + 64], tmp[PATH_MAX + 64];
	char *old, *so, *sn, *cmds = NULL;
	size_t ncmds = 0;
	int rc, running, same;

	*how = ST_HAP_NOOP;
	hpath(h, "haproxy.cfg", file, sizeof file);
	old = slurp(file);
	if (old && strcmp(old, cfg) == 0 && st_hap_running(h)) {
		free(old);
		return ST_OK;
	}
	so = old ? shape(old) : NULL;
	sn = shape(cfg);
	same = so && strcmp(so, sn) == 0;
	free(so);
	free(sn);
	/* 1. only server addresses and states changed: the Runtime API,
	 * then the file to match (a restart gives the same result); the
	 * stats socket answering says HAProxy runs */
	if (same && (cmds = runtime_cmds(old, cfg, &ncmds)) != NULL) {
		rc = send_cmds(h, cmds);
		free(cmds);
		free(old);
		if (rc == 0) {
			if ((rc = write_tmp(h, cfg, tmp, sizeof tmp)) != ST_OK)
				return rc;
			if (rename(tmp, file) < 0)
				return fail(h, ST_TEMP, "unable to rename '%s': %s", tmp, strerror(errno));
			*how = ST_HAP_RUNTIME;
			return ST_OK;
		}
		old = NULL;	/* fall back on a reload */
	}
	free(old);
	running = st_hap_running(h);
	/* 2. listeners changed, or HAProxy is not running: checked, swapped
	 * in atomically, then reloaded or started */
	if ((rc = write_tmp(h, cfg, tmp, sizeof tmp)) != ST_OK)
		return rc;
	if ((rc = st_hap_check(h, tmp)) != ST_OK) {
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, file) < 0)
		return fail(h, ST_TEMP, "unable to rename '%s': %s", tmp, strerror(errno));
	if (running) {
		*how = ST_HAP_RELOAD;
		return reload(h);
	}
	*how = ST_HAP_START;
	return start(h, file);
}

int
st_hap_stop(struct st_hap *h)
{
	char p[PATH_MAX + 64];
	long r, f, pid = -1;
	int w, i;

	if (master_proc(h, &r, &f, &w, &pid) < 0 || pid <= 1)
		return ST_OK;
	/* soft stop: the workers finish what they serve (hard-stop-after) */
	if (kill((pid_t)pid, SIGUSR1) < 0)
		return fail(h, ST_TEMP, "unable to stop haproxy (pid %ld): %s", pid, strerror(errno));
	for (i = 0; i < 500 && master_proc(h, &r, &f, &w, &pid) == 0; i++)
		nap(10);
	hpath(h, "master.sock", p, sizeof p);
	unlink(p);
	hpath(h, "admin.sock", p, sizeof p);
	unlink(p);
	hpath(h, "haproxy.cfg", p, sizeof p);
	unlink(p);
	hpath(h, "haproxy.pid", p, sizeof p);
	unlink(p);
	return ST_OK;
}
