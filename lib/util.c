/* util.c: messages, exit codes, allocation that dies on failure, time,
 * and the options every command shares. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "st.h"

const char *st_prog = "st";
const char *st_state_opt;
static char **st_argv;

void
st_init(int argc, char **argv)
{
	const char *p;

	(void)argc;
	st_argv = argv;
	/* our own message for a bad option: "prog: fatal: ...", like every error */
	opterr = 0;
	if (argv[0] != NULL) {
		p = strrchr(argv[0], '/');
		st_prog = p ? p + 1 : argv[0];
	}
}

static void
vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[4096];
	int n;

	n = snprintf(buf, sizeof buf, "%s: %s", st_prog, kind);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	/* one write, so messages from parallel commands do not interleave */
	fflush(stdout);
	fprintf(stderr, "%s\n", buf);
}

void
st_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int
st_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("fatal: ", fmt, ap);
	va_end(ap);
	return code;
}

void
st_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("fatal: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void *
st_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		st_die(ST_TEMP, "unable to allocate %zu bytes: out of memory", n);
	return p;
}

void *
st_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		st_die(ST_TEMP, "unable to allocate %zu bytes: out of memory", n);
	return p;
}

char *
st_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(st_malloc(n), s, n);
}

char *
st_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		st_die(ST_TEMP, "unable to format: out of memory");
	va_end(ap);
	return s;
}

int64_t
st_now(void)
{
	return (int64_t)time(NULL);
}

void
st_time_iso(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
st_flush(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return st_fail(ST_TEMP, "unable to write to stdout: %s", strerror(errno));
	return ST_OK;
}

int
st_isatty(int fd)
{
	return isatty(fd);
}

void
st_version(void)
{
	printf("%s (stampede) %s\n", st_prog, ST_VERSION);
	exit(st_flush());
}

int
st_common_opt(int c, const char *arg, void (*usage)(int))
{
	switch (c) {
	case ST_OPT_STATE:
		if (*arg == '\0')
			st_die(ST_USAGE, "--state needs a file name");
		st_state_opt = arg;
		return 1;
	case ST_OPT_VERSION:
		st_version();
	case 'h':
		usage(ST_OK);
		return 1;
	case '?':
	case ':':
	{
		const char *a = st_argv && optind > 0 ? st_argv[optind - 1] : NULL;

		if (a && strncmp(a, "--", 2) == 0)
			st_fail(ST_USAGE, "bad option '%s': unknown, or its value is missing (-h shows the usage)", st_q(a));
		else if (optopt > ' ' && optopt < 127)
			st_fail(ST_USAGE, "bad option '-%c': unknown, or its value is missing (-h shows the usage)", optopt);
		else
			st_fail(ST_USAGE, "bad option (-h shows the usage)");
	}
		/* one line, like every other error; -h shows the usage */
		exit(ST_USAGE);
	}
	return 0;
}

/* settings: `key = value` lines of $ST_CONF or /etc/stampede/stampede.conf,
 * read once; environment variables and options override them */
static char *conf;
static int conf_read;

const char *
st_conf(const char *key)
{
	static char val[1024];
	const char *path, *p, *e, *k, *ke, *v, *ve;
	size_t klen = strlen(key);
	FILE *f;
	long n;

	if (!conf_read) {
		conf_read = 1;
		path = getenv("ST_CONF");
		if (path == NULL || *path == '\0')
			path = "/etc/stampede/stampede.conf";
		if ((f = fopen(path, "re")) != NULL) {
			if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0) {
				conf = st_malloc((size_t)n + 1);
				n = (long)fread(conf, 1, (size_t)n, f);
				conf[n] = '\0';
			}
			fclose(f);
		}
	}
	for (p = conf; p && *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		for (k = p; k < e && (*k == ' ' || *k == '\t'); k++)
			;
		if (k == e || *k == '#')
			continue;
		for (ke = k; ke < e && *ke != '=' && *ke != ' ' && *ke != '\t'; ke++)
			;
		if ((size_t)(ke - k) != klen || memcmp(k, key, klen) != 0)
			continue;
		for (v = ke; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		if (v == e || *v != '=')
			continue;
		for (v++; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = e; ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'); ve--)
			;
		if ((size_t)(ve - v) >= sizeof val)
			continue;
		memcpy(val, v, (size_t)(ve - v));
		val[ve - v] = '\0';
		return val;
	}
	return NULL;
}
