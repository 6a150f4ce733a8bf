/* lock.c: per-object owner locks: flock() on <state dir>/locks/<id>, held
 * by the command that records an intent until it records the result. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "st.h"

/* a probe (st-doctor) holds a shared lock for a few microseconds: a taker
 * tries this often, 2 ms apart, before it calls the object busy */
#define TRIES 20

static char *
lock_path(struct st_db *db, const char *id, int make)
{
	char *dir = st_asprintf("%s/locks", db->dir), *p;

	if (make && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		free(dir);
		return NULL;
	}
	p = st_asprintf("%s/%s", dir, id);
	free(dir);
	return p;
}

/* "PID VERB [FROM]": who holds it, or who held it last and died */
static void
read_owner(int fd, struct st_lock *l)
{
	ssize_t n = pread(fd, l->note, sizeof l->note - 1, 0);
	int pid = 0;

	l->note[n > 0 ? n : 0] = '\0';
	l->pid = 0;
	l->verb[0] = l->from[0] = '\0';
	if (sscanf(l->note, "%d %15s %15s", &pid, l->verb, l->from) >= 2)
		l->pid = pid;
}

int
st_lock_take(struct st_db *db, const char *id, const char *verb, const char *from, struct st_lock *l)
{
	struct stat a, b;
	char buf[64];
	int fd, tries = 0, n;

	memset(l, 0, sizeof *l);
	l->fd = -1;
	snprintf(l->id, sizeof l->id, "%s", id);
	if ((l->path = lock_path(db, id, 1)) == NULL) {
		snprintf(l->err, sizeof l->err, "unable to make the lock directory beside '%s': %s", db->path, strerror(errno));
		return errno == EACCES || errno == EROFS ? ST_PERM : ST_TEMP;
	}
	for (;;) {
		if ((fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
			goto fail;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				goto fail;
			read_owner(fd, l);
			close(fd);
			if (++tries >= TRIES) {
				l->busy = 1;
				snprintf(l->err, sizeof l->err, "busy: %s", st_lock_owner(l));
				st_lock_drop(l);
				return ST_TEMP;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
			continue;
		}
		/* the previous owner unlinked the file after we opened it:
		 * that inode is no longer the lock */
		if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
	}
	/* a note left behind is a dead owner's: its intent is stale */
	read_owner(fd, l);
	l->fd = fd;
	n = snprintf(buf, sizeof buf, "%ld %s %s\n", (long)getpid(), verb, from ? from : "-");
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		fd = -1;
		goto fail;
	}
	return ST_OK;
fail:
	snprintf(l->err, sizeof l->err, "unable to lock '%s': %s", l->path, strerror(errno));
	if (fd >= 0)
		close(fd);
	st_lock_drop(l);
	return ST_TEMP;
}

int
st_lock_note(struct st_lock *l, const char *verb, const char *from)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%ld %s %s\n", (long)getpid(), verb, from ? from : "-");

	if (l->fd < 0 || ftruncate(l->fd, 0) < 0 || pwrite(l->fd, buf, (size_t)n, 0) != n)
		return ST_TEMP;
	return ST_OK;
}

void
st_lock_drop(struct st_lock *l)
{
	/* unlinked while held: a taker that opened it meanwhile sees the
	 * inode change and opens the path again */
	if (l->fd >= 0) {
		unlink(l->path);
		close(l->fd);
	}
	free(l->path);
	l->path = NULL;
	l->fd = -1;
}

int
st_lock_held(struct st_db *db, const char *id, struct st_lock *l)
{
	int fd, held = 0;

	memset(l, 0, sizeof *l);
	l->fd = -1;
	snprintf(l->id, sizeof l->id, "%s", id);
	if ((l->path = lock_path(db, id, 0)) == NULL)
		return 0;
	/* no file: no owner, and no note; never created by a probe */
	if ((fd = open(l->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		read_owner(fd, l);
		if (flock(fd, LOCK_SH | LOCK_NB) < 0)
			held = errno == EWOULDBLOCK;
		close(fd);
	}
	free(l->path);
	l->path = NULL;
	return held;
}

const char *
st_lock_owner(const struct st_lock *l)
{
	static char buf[96];
	const char *v = l->verb;
	size_t n = strlen(v);

	if (l->pid <= 0) {
		snprintf(buf, sizeof buf, "held by another command");
		return buf;
	}
	/* start -> started, stop -> stopped, remove -> removed */
	snprintf(buf, sizeof buf, "being %s%s by pid %d", v,
	    n && v[n - 1] == 'e' ? "d" : strcmp(v, "stop") == 0 ? "ped" : "ed", (int)l->pid);
	return buf;
}
