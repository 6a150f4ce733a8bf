/* parse.c: bounded parsing of numbers, sizes, CPUs, and validation of
 * every user-supplied string that may reach a shell, XML, nft or a path. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

int
st_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, const char **why)
{
	char *end;
	long long v;

	if (*s == '\0' || isspace((unsigned char)*s)) {
		*why = "not a number";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*why = "not a number";
		return -1;
	}
	if (errno == ERANGE) {
		*why = "out of range";
		return -1;
	}
	if (v < min) {
		*why = "too small";
		return -1;
	}
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

/* a decimal with up to `frac` fractional digits, scaled by 10^frac;
 * returns the number of characters used, -1 if none */
static int
decimal(const char *s, int frac, int64_t *out)
{
	const char *p = s;
	int64_t v = 0;
	int digits = 0, f = 0;

	/* every step checked: the value is scaled by 10^frac after the
	 * integer part, and an unchecked scale wraps to a small number */
	while (isdigit((unsigned char)*p)) {
		if (v > (INT64_MAX - 9) / 10)
			return -2;
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (f < frac) {
				if (v > (INT64_MAX - 9) / 10)
					return -2;
				v = v * 10 + (*p - '0');
				f++;
			} else if (*p != '0')
				return -3;	/* finer than we keep */
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return -1;
	for (; f < frac; f++) {
		if (v > INT64_MAX / 10)
			return -2;
		v *= 10;
	}
	*out = v;
	return (int)(p - s);
}

int
st_parse_size(const char *s, int64_t min, int64_t max, int64_t *out, const char **why)
{
	static const char units[] = "BKMGTP";
	const char *u;
	int64_t v, mul = 1;
	int n;
	size_t i;

	n = decimal(s, 3, &v);	/* milli-units, so 1.5G works */
	if (n == -2 || n == -3) {
		*why = n == -2 ? "too large" : "too many decimals";
		return -1;
	}
	if (n < 0) {
		*why = "not a size (like 512M, 2G, 1.5T)";
		return -1;
	}
	u = s + n;
	if (*u != '\0') {
		const char *x = strchr(units, toupper((unsigned char)*u));
		const char *rest = u + 1;

		if (x == NULL || (*x != 'B' && *rest && strcmp(rest, "i") != 0 &&
		    strcmp(rest, "iB") != 0 && strcmp(rest, "B") != 0) || (*x == 'B' && *rest)) {
			*why = "unknown unit (use K, M, G, T, P)";
			return -1;
		}
		for (i = 0; units + i < x; i++)
			mul *= 1024;
	}
	if (v > INT64_MAX / mul) {
		*why = "too large";
		return -1;
	}
	v = v * mul / 1000;
	if (v < min) {
		*why = "too small";
		return -1;
	}
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
st_parse_cpu(const char *s, int64_t *millis, const char **why)
{
	int64_t v;
	int n;

	n = decimal(s, 3, &v);
	if (n == -3) {
		*why = "finer than 0.001 cpu";
		return -1;
	}
	if (n < 0 || s[n] != '\0') {
		*why = n == -2 ? "too large" : "not a cpu count (like 2 or 0.5)";
		return -1;
	}
	if (v <= 0) {
		*why = "must be more than 0";
		return -1;
	}
	if (v > 1024 * 1000) {
		*why = "too large (at most 1024)";
		return -1;
	}
	*millis = v;
	return 0;
}

void
st_fmt_size(int64_t b, char buf[32])
{
	static const char units[] = "KMGTP";
	int i, n;

	if (b < 1024 || b % 1024) {
		snprintf(buf, 32, "%lld", (long long)b);
		return;
	}
	/* the largest unit it divides exactly (1536M), or a fraction of the
	 * next one when exact in the 3 decimals st_parse_size reads (1.5G):
	 * sizes read back as typed, never rounded */
	for (i = -1; i < 4 && b >= 1024 && b % 1024 == 0; i++)
		b /= 1024;
	if (b >= 1024 && i < 4 && (b % 1024) * 1000 % 1024 == 0) {
		n = snprintf(buf, 32, "%lld.%03lld", (long long)(b / 1024), (long long)((b % 1024) * 1000 / 1024));
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		snprintf(buf + n, 32 - (size_t)n, "%c", units[i + 1]);
		return;
	}
	snprintf(buf, 32, "%lld%c", (long long)b, units[i]);
}

void
st_fmt_cpu(int64_t m, char buf[32])
{
	int n;

	n = snprintf(buf, 32, "%lld.%03lld", (long long)(m / 1000), (long long)(m % 1000));
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

json_t *
st_json_cpu(int64_t m)
{
	if (m % 1000 == 0)
		return json_integer(m / 1000);
	return json_real(m / 1000.0);
}

int
st_valid_name(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (n == 0) {
		*why = "empty name";
		return -1;
	}
	if (n > 63) {
		*why = "name longer than 63 characters";
		return -1;
	}
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0])) {
		*why = "name must start with a-z or 0-9";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !isdigit((unsigned char)s[i]) && s[i] != '-') {
			*why = "name may hold only a-z, 0-9 and '-'";
			return -1;
		}
	if (st_id_shape(s)) {
		*why = "name has the form of an ID";
		return -1;
	}
	return 0;
}

int
st_valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	uint32_t c;
	int k;

	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			k = 1, c = *p & 0x1f;
		else if ((*p & 0xf0) == 0xe0)
			k = 2, c = *p & 0x0f;
		else if ((*p & 0xf8) == 0xf0)
			k = 3, c = *p & 0x07;
		else
			return 0;
		if (e - p <= k)
			return 0;
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i] & 0x3f);
		}
		/* overlong, surrogates, beyond Unicode */
		if ((k == 1 && c < 0x80) || (k == 2 && c < 0x800) || (k == 3 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return 0;
		p += k + 1;
	}
	return 1;
}

int
st_valid_label_key(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (n == 0) {
		*why = "empty key";
		return -1;
	}
	if (n > 63) {
		*why = "key longer than 63 characters";
		return -1;
	}
	if (!isalnum((unsigned char)s[0]) || (s[0] & 0x80)) {
		*why = "key must start with a letter or digit";
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((s[i] & 0x80) || (!isalnum((unsigned char)s[i]) && !strchr("._-/", s[i]))) {
			*why = "key may hold only A-Z, a-z, 0-9, '.', '_', '-' and '/'";
			return -1;
		}
	if (strncmp(s, "io.stampede.", 12) == 0) {
		*why = "keys under io.stampede. are reserved";
		return -1;
	}
	return 0;
}

int
st_valid_label_value(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (n > 63) {
		*why = "value longer than 63 characters";
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((s[i] & 0x80) || (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))) {
			*why = "label value may hold only A-Z, a-z, 0-9, '.', '_' and '-'";
			return -1;
		}
	return 0;
}

int
st_valid_attr_value(const char *s, const char **why)
{
	size_t i, n = strlen(s);

	if (n > 4096) {
		*why = "value longer than 4096 bytes";
		return -1;
	}
	if (!st_valid_utf8(s, n)) {
		*why = "value is not valid UTF-8";
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*why = "value holds a control character";
			return -1;
		}
	return 0;
}

static int
split_kv(const char *s, char **key, char **val, const char **why)
{
	char *eq, *k;

	if ((eq = strchr(s, '=')) == NULL) {
		*why = "not of the form key=value";
		return -1;
	}
	k = st_strdup(s);
	k[eq - s] = '\0';
	*key = k;
	*val = k + (eq - s) + 1;
	return 0;
}

int
st_parse_label(const char *s, char **key, char **val, const char **why)
{
	if (split_kv(s, key, val, why) < 0)
		return -1;
	if (st_valid_label_key(*key, why) < 0 || st_valid_label_value(*val, why) < 0) {
		free(*key);
		return -1;
	}
	return 0;
}

int
st_parse_attr(const char *s, char **key, char **val, const char **why)
{
	if (split_kv(s, key, val, why) < 0)
		return -1;
	if (st_valid_label_key(*key, why) < 0 || st_valid_attr_value(*val, why) < 0) {
		free(*key);
		return -1;
	}
	return 0;
}

int
st_parse_env(const char *s, const char **why)
{
	const char *p = s, *v;
	size_t n;

	if (!isalpha((unsigned char)*p) && *p != '_') {
		*why = "variable name must start with a letter or '_'";
		return -1;
	}
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (*p != '=') {
		*why = "not of the form NAME=value (NAME of A-Z, a-z, 0-9, '_')";
		return -1;
	}
	if (p - s > 255) {
		*why = "variable name too long";
		return -1;
	}
	v = p + 1;
	n = strlen(v);
	if (n > 32768) {
		*why = "value longer than 32 KiB";
		return -1;
	}
	if (!st_valid_utf8(v, n)) {
		*why = "value is not valid UTF-8";
		return -1;
	}
	for (; *v; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f) {
			*why = "value holds a control character";
			return -1;
		}
	return 0;
}

int
st_parse_port(const char *s, struct st_port *p, const char **why)
{
	char buf[32], *colon, *slash;
	int64_t v;

	if (strlen(s) >= sizeof buf) {
		*why = "not of the form HOSTPORT:PORT[/tcp|/udp]";
		return -1;
	}
	strcpy(buf, s);
	strcpy(p->proto, "tcp");
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "tcp") != 0 && strcmp(slash, "udp") != 0) {
			*why = "protocol must be tcp or udp";
			return -1;
		}
		strcpy(p->proto, slash);
	}
	if ((colon = strchr(buf, ':')) == NULL) {
		*why = "not of the form HOSTPORT:PORT[/tcp|/udp]";
		return -1;
	}
	*colon++ = '\0';
	if (st_parse_int(buf, 1, 65535, &v, why) < 0 || buf[0] == '+' || buf[0] == '-') {
		*why = "host port must be 1-65535";
		return -1;
	}
	p->host = (int)v;
	if (st_parse_int(colon, 1, 65535, &v, why) < 0 || colon[0] == '+' || colon[0] == '-') {
		*why = "port must be 1-65535";
		return -1;
	}
	p->port = (int)v;
	return 0;
}

/* Docker's reference grammar (distribution/reference):
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port]; a first component is a domain when it
 *                holds '.' or ':', is "localhost", or has uppercase
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.]|__|[-]+
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algo ":" hex{32,} */
static int
path_component(const char *s, size_t n)
{
	size_t i = 0, sep;

	if (n == 0)
		return 0;
	for (;;) {
		if (i >= n || !(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
			return 0;
		while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
			i++;
		if (i == n)
			return 1;
		sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		if (i == sep)
			return 0;
	}
}

static int
domain_part(const char *s, size_t n)
{
	size_t i = 0, c;
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;

	if (hn == 0)
		return 0;
	if (s[0] == '[') {	/* IPv6 literal */
		if (s[hn - 1] != ']' && !(colon && memchr(s, ']', n)))
			return 0;
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
				return 0;
		if (i >= n)
			return 0;
		i++;
		if (i == n)
			return 1;
		if (s[i] != ':' || i + 1 == n)
			return 0;
		for (i++; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	while (i < hn) {
		c = i;
		while (i < hn && (isalnum((unsigned char)s[i]) || s[i] == '-'))
			i++;
		if (i == c || s[c] == '-' || s[i - 1] == '-')
			return 0;
		if (i < hn) {
			if (s[i] != '.' || i + 1 == hn)
				return 0;
			i++;
		}
	}
	if (colon) {
		if (colon + 1 == s + n)
			return 0;
		for (i = hn + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
	}
	return 1;
}

int
st_valid_image_ref(const char *s, const char **why)
{
	const char *at, *p, *slash, *tag = NULL, *end, *c;
	size_t n = strlen(s), namelen;

	*why = "not a valid Docker image reference";
	if (n == 0) {
		*why = "empty image reference";
		return -1;
	}
	if (n > 512)
		return -1;
	end = s + n;
	if ((at = strchr(s, '@')) != NULL) {
		/* digest: algo components [A-Za-z][A-Za-z0-9]* joined by [+._-] */
		const char *d = at + 1, *hex = strchr(d, ':');

		if (hex == NULL || hex == d || !isalpha((unsigned char)*d))
			return -1;
		for (c = d; c < hex; c++)
			if (!isalnum((unsigned char)*c) && !(strchr("+._-", *c) && c[1] != ':' && isalpha((unsigned char)c[1])))
				return -1;
		if (strlen(hex + 1) < 32)
			return -1;
		for (c = hex + 1; *c; c++)
			if (!isxdigit((unsigned char)*c))
				return -1;
		end = at;
	}
	/* a tag is after the last ':' that follows the last '/' */
	slash = NULL;
	for (p = s; p < end; p++)
		if (*p == '/')
			slash = p;
	for (p = slash ? slash : s; p < end; p++)
		if (*p == ':')
			tag = p;
	if (tag) {
		size_t tl = (size_t)(end - tag - 1);

		if (tl == 0 || tl > 128)
			return -1;
		if (!isalnum((unsigned char)tag[1]) && tag[1] != '_')
			return -1;
		for (c = tag + 1; c < end; c++)
			if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
				return -1;
		end = tag;
	}
	namelen = (size_t)(end - s);
	if (namelen == 0 || namelen > 255) {
		if (namelen > 255)
			*why = "image name longer than 255 characters";
		return -1;
	}
	/* components */
	p = s;
	slash = memchr(s, '/', namelen);
	if (slash != NULL) {
		size_t fl = (size_t)(slash - s);
		int isdom = memchr(s, '.', fl) || memchr(s, ':', fl) ||
		    (fl == 9 && memcmp(s, "localhost", 9) == 0);

		for (c = s; c < slash; c++)
			if (isupper((unsigned char)*c))
				isdom = 1;
		if (isdom) {
			if (!domain_part(s, fl))
				return -1;
			p = slash + 1;
		}
	}
	while (p < end) {
		slash = memchr(p, '/', (size_t)(end - p));
		c = slash ? slash : end;
		if (!path_component(p, (size_t)(c - p)))
			return -1;
		if (slash && slash + 1 == end)
			return -1;
		p = slash ? slash + 1 : end;
	}
	return 0;
}

const char *
st_q(const char *s)
{
	static char bufs[4][160];
	static int k;
	char *b = bufs[k++ % 4];
	size_t i = 0;
	const unsigned char *p = (const unsigned char *)s;

	for (; *p && i < 140; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '\'') {
			b[i++] = (char)*p;
		} else {
			snprintf(b + i, 8, "\\x%02x", *p);
			i += 4;
		}
	}
	if (*p)
		memcpy(b + i, "...", 4), i += 3;
	b[i] = '\0';
	return b;
}
