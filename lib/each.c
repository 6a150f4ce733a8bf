/* each.c: the one loop over input records, from argv or from stdin lines,
 * with batches that end when input stalls (group commit). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

enum st_src st_src = ST_SRC_ARGV;

int
st_bad(void)
{
	return st_src == ST_SRC_ARGV ? ST_USAGE : ST_PERM;
}

/* a line buffer over fd 0 that can tell "no whole line ready now" */
struct lines {
	char *buf;
	size_t len, cap, off;
	int eof;
};

/* returns 1 if more bytes arrived, 0 on EOF, -1 on error */
static int
fill(struct lines *l)
{
	ssize_t n;

	if (l->off > 0) {
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
	}
	if (l->cap - l->len < 65536) {
		l->cap = l->cap ? l->cap * 2 : 131072;
		l->buf = st_realloc(l->buf, l->cap);
	}
	do
		n = read(0, l->buf + l->len, l->cap - l->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		l->eof = 1;
		return 0;
	}
	l->len += (size_t)n;
	return 1;
}

/* next whole line, or the unterminated tail at EOF; NULL when none is
 * buffered (check eof) */
static char *
next_line(struct lines *l)
{
	char *s = l->buf + l->off, *nl;

	if (l->off >= l->len)
		return NULL;
	nl = memchr(s, '\n', l->len - l->off);
	if (nl == NULL) {
		if (!l->eof)
			return NULL;
		/* last line without newline: terminate it in place */
		if (l->len == l->cap)
			l->buf = st_realloc(l->buf, ++l->cap), s = l->buf + l->off;
		l->buf[l->len] = '\0';
		l->off = l->len;
		return s;
	}
	*nl = '\0';
	l->off = (size_t)(nl - l->buf) + 1;
	return s;
}

static int
ready(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int
run_one(const struct st_each_ops *ops, char *line, void *ctx)
{
	char *tab;

	if (strlen(line) > 0 && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	if ((tab = strchr(line, '\t')) != NULL)
		*tab = '\0';
	line += strspn(line, " ");
	if (*line == '\0' || *line == '#')
		return -1;
	return ops->one(line, ctx);
}

int
st_each_batch(int argc, char **argv, const struct st_each_ops *ops, void *ctx)
{
	struct lines l = { 0 };
	int rc = ST_OK, brc, r, inbatch = 0, i;
	char *line;

	if (argc > 0) {
		st_src = ST_SRC_ARGV;
		if (ops->begin && (brc = ops->begin(ctx)) != ST_OK)
			return brc;
		brc = ST_OK;
		for (i = 0; i < argc; i++)
			brc = ST_MAX(brc, ops->one(argv[i], ctx));
		if (ops->end)
			brc = ops->end(ctx, brc);
		return brc;
	}
	if (isatty(0))
		return st_fail(ST_USAGE, "no operands, and stdin is a terminal");
	st_src = ST_SRC_STDIN;
	brc = ST_OK;
	for (;;) {
		line = next_line(&l);
		if (line == NULL && !l.eof) {
			/* nothing whole buffered: a stall ends the batch */
			if (inbatch && !ready()) {
				if (ops->end)
					brc = ops->end(ctx, brc);
				rc = ST_MAX(rc, brc);
				brc = ST_OK;
				inbatch = 0;
			}
			r = fill(&l);
			if (r < 0) {
				rc = ST_MAX(rc, st_fail(ST_TEMP, "unable to read stdin: %s", strerror(errno)));
				break;
			}
			continue;
		}
		if (line == NULL)
			break;
		if (!inbatch) {
			if (ops->begin && (r = ops->begin(ctx)) != ST_OK) {
				rc = ST_MAX(rc, r);
				break;
			}
			inbatch = 1;
		}
		r = run_one(ops, line, ctx);
		if (r >= 0)
			brc = ST_MAX(brc, r);
	}
	if (inbatch) {
		if (ops->end)
			brc = ops->end(ctx, brc);
		rc = ST_MAX(rc, brc);
	}
	free(l.buf);
	return rc;
}

int
st_each(int argc, char **argv, int (*one)(const char *, void *), void *ctx)
{
	struct st_each_ops ops = { .one = one };

	return st_each_batch(argc, argv, &ops, ctx);
}

static struct st_db act_db;
static st_act_fn *act_fn;
static const char *act_operand;

static void
act_usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: %s [--state FILE] [%s...]\n", st_prog, act_operand);
	exit(code);
}

static int
act_one(const char *arg, void *ctx)
{
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = act_fn(&act_db, arg, id)) != ST_OK)
		return rc;
	printf("%s\n", id);
	return st_flush();
}

int
st_act_main(int argc, char **argv, const char *operand, st_act_fn *fn)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	act_fn = fn;
	act_operand = operand;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		st_common_opt(c, optarg, act_usage);
	if ((rc = st_db_open(&act_db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, act_one, NULL);
	st_db_close(&act_db);
	return ST_MAX(rc, st_flush());
}
