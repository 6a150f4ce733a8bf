/* parse.c: unit tests of lib/parse.c and lib/id.c, printing TAP: bounded
 * numbers, sizes, CPUs, names, UTF-8, image references, ports and IDs. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static int n, failed;

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		failed++;
}

/* a string for a test description: bytes outside printable ASCII escaped */
static const char *
esc(const char *s)
{
	return st_q(s);
}

static const struct { const char *s; int64_t want; } sizes_ok[] = {
	{ "0", 0 }, { "1", 1 }, { "1B", 1 }, { "1024", 1024 }, { "1K", 1024 },
	{ "1k", 1024 }, { "1KiB", 1024 }, { "1KB", 1024 }, { "1Ki", 1024 },
	{ "0.5K", 512 }, { "512M", 536870912 }, { "512m", 536870912 },
	{ "2G", 2147483648LL }, { "1.5G", 1610612736LL }, { "1.5T", 1649267441664LL },
	{ "1.125G", 1207959552LL }, { "1P", 1125899906842624LL }, { "8P", 9007199254740992LL },
	{ "1.500G", 1610612736LL }, { "1.5000G", 1610612736LL }, { ".5K", 512 },
	{ "999999999999999", 999999999999999LL },
};

static const char *const sizes_bad[] = {
	"", "-1", "-1G", "+1G", " 1G", "1G ", "1 G", "1X", "1KX", "1KiBx", "1iB", "1Bi",
	"1BB", "G", ".", "..5", "1..5G", "1.5.5G", "0x10", "1e3", "1,5G", "1.0005K",
	"abc", "9P", "99999P", "100000000000000000000",
	/* 18 and 17 digits: in milli-units they overflow int64 */
	"100000000000000000", "18447817815533552", "9300000000000000",
};

static const struct { const char *s; int64_t want; } cpus_ok[] = {
	{ "1", 1000 }, { "0.5", 500 }, { "0.001", 1 }, { "0.0010", 1 }, { ".5", 500 },
	{ "2.25", 2250 }, { "1024", 1024000 }, { "1024.000", 1024000 }, { "64", 64000 },
};

static const char *const cpus_bad[] = {
	"", "0", "0.0", "0.0001", "0.0005", "-1", "-0.5", "1025", "1024.001", "1e30", "1e3",
	"abc", "0x10", " 1", "1 ", "1,5", ".", "+1", "99999999999999999999",
	"18446744073709552", "9223372036854776",
};

static const char *const names_ok[] = {
	"web", "a", "0", "web-1", "1web", "beef", "cafe1", "abcdef123456", "x-1a2b",
	"i-1a2g", "i-", "a--b",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 63 */
};

static const char *const names_bad[] = {
	"", "-web", "Web", "WEB", "web_1", "web.1", "a b", "a;b", "a/b", "../x", "<x>",
	"a&b", "a\nb", "a\tb", "caf\xc3\xa9", "a\xff", "i-1a2b", "h-abcdef123456", "v-beef",
	"b-0", "i-0", "$(id)", "`id`", "a'b", "a\"b",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 64 */
};

static const char *const utf8_ok[] = {
	"", "abc", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf",
	"\xf4\x8f\xbf\xbf", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80", "\x7f",
};

static const char *const utf8_bad[] = {
	"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xf0\x80\x80\xaf",
	"\xf0\x8f\xbf\xbf",	/* overlong */
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xb0\x80",	/* surrogates */
	"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf",	/* beyond U+10FFFF */
	"\xc3", "\xe2\x82", "\xf0\x9f\x98", "a\xc3", "\xc3" "a",	/* truncated */
	"\x80", "\xbf", "\xff", "\xfe", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",
};

static const char *const refs_ok[] = {
	"busybox", "busybox:1.36", "busybox:latest", "library/busybox", "localhost:5000/a/b:tag",
	"localhost/a", "registry.example.com/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"registry.example.com:443/x/y:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"a/b/c/d", "a_b", "a__b", "a-b", "a---b", "a.b", "a0", "0a", "Foo/bar", "[::1]:5000/x",
	"x:_tag", "x:Tag.1-2_3", "my-registry.example.com:5000/team/app:2024.01",
};

static const char *const refs_bad[] = {
	"", "Busybox", "library/Busybox", "a//b", ":tag", "a:", "a/", "/a", "busy box",
	"../x", "./x", "a..b", "a___b", "a-", "-a", "_a", "a_", ".a", "busybox:-x", "busybox:.x",
	"busybox:a b", "busybox::1", "a@sha256:abc", "a@:0123456789abcdef0123456789abcdef",
	"a@sha256:0123456789abcdef0123456789abcdefg", "a@", "@sha256:0123456789abcdef0123456789abcdef",
	"a;id", "a\nb", "a\xff", "a$b", "a:b/c", "-host.com/a", "host-.com/a", "host..com/a",
	"localhost:/a", "localhost:x/a", "[::1/x", "a/B",
};

static const struct { const char *s; int host, port; const char *proto; } ports_ok[] = {
	{ "80:8080", 80, 8080, "tcp" }, { "53:53/udp", 53, 53, "udp" }, { "1:65535", 1, 65535, "tcp" },
	{ "65535:1/tcp", 65535, 1, "tcp" }, { "08:09", 8, 9, "tcp" },
};

static const char *const ports_bad[] = {
	"", "80", "0:80", "80:0", "65536:80", "80:65536", "-1:80", "+80:80", "80:+80", "a:b",
	":80", "80:", "80:80/sctp", "80:80/", "80:80/TCP", "80:80 ", " 80:80", "1:2:3", "0x50:80",
	"80:80/udp/tcp", "99999999999999999999:80", "80:80aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

int
main(void)
{
	char big[300], buf[32], id[ST_ID_LEN + 1];
	const char *why;
	int64_t v;
	size_t i;
	int t, j, good;
	struct st_port p;

	/* st_parse_size */
	for (i = 0; i < ST_NELEM(sizes_ok); i++) {
		v = -7;
		t = st_parse_size(sizes_ok[i].s, 0, INT64_MAX, &v, &why);
		ok(t == 0 && v == sizes_ok[i].want, "size '%s' is %lld (got %lld)", sizes_ok[i].s,
		    (long long)sizes_ok[i].want, (long long)v);
	}
	for (i = 0; i < ST_NELEM(sizes_bad); i++) {
		v = -7;
		why = NULL;
		t = st_parse_size(sizes_bad[i], 0, INT64_MAX, &v, &why);
		ok(t < 0 && why && *why && v == -7, "size '%s' refused (%s)", esc(sizes_bad[i]), t < 0 ? why : "accepted");
	}
	ok(st_parse_size("6M", 6 << 20, 1LL << 50, &v, &why) == 0 && v == 6 << 20, "size at the lower bound");
	ok(st_parse_size("1P", 6 << 20, 1LL << 50, &v, &why) == 0 && v == 1LL << 50, "size at the upper bound");
	ok(st_parse_size("5M", 6 << 20, 1LL << 50, &v, &why) < 0 && strstr(why, "small"), "size under the bound: too small");
	ok(st_parse_size("1025T", 6 << 20, 1LL << 50, &v, &why) < 0 && strstr(why, "large"), "size over the bound: too large");

	/* st_parse_cpu */
	for (i = 0; i < ST_NELEM(cpus_ok); i++) {
		v = -7;
		t = st_parse_cpu(cpus_ok[i].s, &v, &why);
		ok(t == 0 && v == cpus_ok[i].want, "cpu '%s' is %lld millicpus (got %lld)", cpus_ok[i].s,
		    (long long)cpus_ok[i].want, (long long)v);
	}
	for (i = 0; i < ST_NELEM(cpus_bad); i++) {
		v = -7;
		why = NULL;
		t = st_parse_cpu(cpus_bad[i], &v, &why);
		ok(t < 0 && why && *why && v == -7, "cpu '%s' refused (%s)", esc(cpus_bad[i]), t < 0 ? why : "accepted");
	}

	/* st_parse_int */
	ok(st_parse_int("5", 1, 10, &v, &why) == 0 && v == 5, "int 5 in 1..10");
	ok(st_parse_int("1", 1, 10, &v, &why) == 0 && v == 1, "int at the lower bound");
	ok(st_parse_int("10", 1, 10, &v, &why) == 0 && v == 10, "int at the upper bound");
	ok(st_parse_int("0", 1, 10, &v, &why) < 0 && strstr(why, "small"), "int under the bound: too small");
	ok(st_parse_int("11", 1, 10, &v, &why) < 0 && strstr(why, "large"), "int over the bound: too large");
	ok(st_parse_int("-5", -10, -1, &v, &why) == 0 && v == -5, "negative int in a negative range");
	ok(st_parse_int("-9223372036854775808", INT64_MIN, INT64_MAX, &v, &why) == 0 && v == INT64_MIN, "INT64_MIN");
	ok(st_parse_int("9223372036854775807", INT64_MIN, INT64_MAX, &v, &why) == 0 && v == INT64_MAX, "INT64_MAX");
	ok(st_parse_int("9223372036854775808", INT64_MIN, INT64_MAX, &v, &why) < 0, "INT64_MAX + 1 refused");
	ok(st_parse_int("-9223372036854775809", INT64_MIN, INT64_MAX, &v, &why) < 0, "INT64_MIN - 1 refused");
	ok(st_parse_int("99999999999999999999", 0, INT64_MAX, &v, &why) < 0, "20 digits refused");
	{
		static const char *const bad[] = { "", " 1", "1 ", "\t1", "0x10", "1e3", "1.5", "abc", "1a", "--1" };

		for (i = 0; i < ST_NELEM(bad); i++) {
			v = -7;
			ok(st_parse_int(bad[i], INT64_MIN, INT64_MAX, &v, &why) < 0 && v == -7, "int '%s' refused", esc(bad[i]));
		}
	}

	/* st_valid_name */
	for (i = 0; i < ST_NELEM(names_ok); i++)
		ok(st_valid_name(names_ok[i], &why) == 0, "name '%s' valid", names_ok[i]);
	for (i = 0; i < ST_NELEM(names_bad); i++) {
		why = NULL;
		ok(st_valid_name(names_bad[i], &why) < 0 && why, "name '%s' refused (%s)", esc(names_bad[i]), why ? why : "accepted");
	}
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ok(st_valid_name(big, &why) < 0, "a 299-character name refused");

	/* st_valid_utf8 */
	for (i = 0; i < ST_NELEM(utf8_ok); i++)
		ok(st_valid_utf8(utf8_ok[i], strlen(utf8_ok[i])) == 1, "utf-8 '%s' valid", esc(utf8_ok[i]));
	for (i = 0; i < ST_NELEM(utf8_bad); i++)
		ok(st_valid_utf8(utf8_bad[i], strlen(utf8_bad[i])) == 0, "utf-8 '%s' refused", esc(utf8_bad[i]));
	ok(st_valid_utf8("\xe2\x82\xac", 2) == 0, "a sequence cut by the length is refused");

	/* labels, attributes, environment */
	{
		char *k, *val;

		t = st_parse_label("app=web", &k, &val, &why);
		ok(t == 0 && strcmp(k, "app") == 0 && strcmp(val, "web") == 0, "label app=web");
		if (t == 0)
			free(k);
		t = st_parse_label("k=", &k, &val, &why);
		ok(t == 0 && *val == '\0', "label with an empty value");
		if (t == 0)
			free(k);
		t = st_parse_label("example.com/tier=front-1", &k, &val, &why);
		ok(t == 0, "label key with '.' and '/'");
		if (t == 0)
			free(k);
		ok(st_parse_label("k=a=b", &k, &val, &why) < 0, "label value with '=' refused");
		ok(st_parse_label("novalue", &k, &val, &why) < 0, "label without '=' refused");
		ok(st_parse_label("=v", &k, &val, &why) < 0, "label with an empty key refused");
		ok(st_parse_label("io.stampede.id=x", &k, &val, &why) < 0 && strstr(why, "reserved"), "io.stampede. keys reserved");
		ok(st_parse_label("k=a b", &k, &val, &why) < 0, "label value with a space refused");
		t = st_parse_attr("k=a b=c", &k, &val, &why);
		ok(t == 0 && strcmp(val, "a b=c") == 0, "attribute value with space and '='");
		if (t == 0)
			free(k);
		t = st_parse_attr("k=caf\xc3\xa9", &k, &val, &why);
		ok(t == 0, "attribute value in UTF-8");
		if (t == 0)
			free(k);
		ok(st_parse_attr("k=a\x01", &k, &val, &why) < 0, "attribute value with a control character refused");
		ok(st_parse_attr("k=a\xff", &k, &val, &why) < 0, "attribute value not UTF-8 refused");
		ok(st_parse_attr("io.stampede.x=1", &k, &val, &why) < 0, "attribute key io.stampede. reserved");
		{
			char *a = malloc(4200);

			memcpy(a, "k=", 2);
			memset(a + 2, 'x', 4096);
			a[4098] = '\0';
			t = st_parse_attr(a, &k, &val, &why);
			ok(t == 0, "attribute value of 4096 bytes");
			if (t == 0)
				free(k);
			a[4098] = 'x';
			a[4099] = '\0';
			ok(st_parse_attr(a, &k, &val, &why) < 0, "attribute value of 4097 bytes refused");
			free(a);
		}
		ok(st_parse_env("A=1", &why) == 0, "env A=1");
		ok(st_parse_env("_a1=x y\tz", &why) == 0, "env value with space and tab");
		ok(st_parse_env("A=", &why) == 0, "env with an empty value");
		ok(st_parse_env("1A=x", &why) < 0, "env name starting with a digit refused");
		ok(st_parse_env("A-B=x", &why) < 0, "env name with '-' refused");
		ok(st_parse_env("A", &why) < 0, "env without '=' refused");
		ok(st_parse_env("=x", &why) < 0, "env with an empty name refused");
		ok(st_parse_env("A=a\nb", &why) < 0, "env value with a newline refused");
		ok(st_parse_env("A=\xff", &why) < 0, "env value not UTF-8 refused");
	}

	/* st_parse_port */
	for (i = 0; i < ST_NELEM(ports_ok); i++) {
		memset(&p, 0, sizeof p);
		t = st_parse_port(ports_ok[i].s, &p, &why);
		ok(t == 0 && p.host == ports_ok[i].host && p.port == ports_ok[i].port && strcmp(p.proto, ports_ok[i].proto) == 0,
		    "port '%s'", ports_ok[i].s);
	}
	for (i = 0; i < ST_NELEM(ports_bad); i++) {
		why = NULL;
		ok(st_parse_port(ports_bad[i], &p, &why) < 0 && why, "port '%s' refused", esc(ports_bad[i]));
	}

	/* st_valid_image_ref */
	for (i = 0; i < ST_NELEM(refs_ok); i++)
		ok(st_valid_image_ref(refs_ok[i], &why) == 0, "image '%s' valid", refs_ok[i]);
	for (i = 0; i < ST_NELEM(refs_bad); i++)
		ok(st_valid_image_ref(refs_bad[i], &why) < 0, "image '%s' refused", esc(refs_bad[i]));
	memset(big, 'a', 255);
	big[255] = '\0';
	ok(st_valid_image_ref(big, &why) == 0, "image name of 255 characters valid");
	memset(big, 'a', 256);
	big[256] = '\0';
	ok(st_valid_image_ref(big, &why) < 0, "image name of 256 characters refused");
	memset(big, 't', 131);
	memcpy(big, "xy:", 3);
	big[131] = '\0';
	ok(st_valid_image_ref(big, &why) == 0, "tag of 128 characters valid");
	big[131] = 't';
	big[132] = '\0';
	ok(st_valid_image_ref(big, &why) < 0, "tag of 129 characters refused");

	/* st_id_shape */
	ok(st_id_shape("i-1a2b") && st_id_shape("h-abcdef123456") && st_id_shape("i-0") && st_id_shape("v-beef"),
	    "ID shapes: i-1a2b, h-abcdef123456, i-0, v-beef");
	ok(!st_id_shape("h-abcdef1234567"), "13 hex digits is not an ID shape");
	ok(!st_id_shape("x-1a2b"), "an unknown type prefix is not an ID shape");
	ok(!st_id_shape("i-") && !st_id_shape("i") && !st_id_shape(""), "no hex digits: not an ID shape");
	ok(!st_id_shape("i-1A2B"), "uppercase hex is not an ID shape");
	ok(!st_id_shape("i-1a2g") && !st_id_shape("beef") && !st_id_shape("i_1a2b"), "i-1a2g, beef, i_1a2b are not ID shapes");

	/* st_id_new: every type, the format, and no repeats in 20,000 draws */
	good = 1;
	for (t = 0; t < ST_NTYPES; t++) {
		st_id_new(t, id);
		if (strlen(id) != ST_ID_LEN || id[0] != st_types[t].prefix || id[1] != '-' ||
		    strspn(id + 2, "0123456789abcdef") != 12 || !st_id_shape(id) || st_type_of_id(id) != t) {
			good = 0;
			printf("# bad ID %s for type %d\n", esc(id), t);
		}
	}
	ok(good, "st_id_new: prefix, '-', 12 lowercase hex, of its type, for every type");
	{
		enum { N = 20000 };
		static char ids[N][ST_ID_LEN + 1];
		unsigned seen[16] = { 0 };

		for (j = 0; j < N; j++)
			st_id_new(ST_INSTANCE, ids[j]);
		qsort(ids, N, sizeof ids[0], (int (*)(const void *, const void *))strcmp);
		for (good = 1, j = 1; j < N; j++)
			if (strcmp(ids[j - 1], ids[j]) == 0)
				good = 0;
		ok(good, "20,000 new IDs are distinct");
		for (j = 0; j < N; j++)
			for (i = 2; i < ST_ID_LEN; i++)
				seen[ids[j][i] <= '9' ? ids[j][i] - '0' : ids[j][i] - 'a' + 10]++;
		for (good = 1, i = 0; i < 16; i++)	/* 15,000 expected each */
			if (seen[i] < 13500 || seen[i] > 16500)
				good = 0;
		ok(good, "every hex digit is about equally frequent");
	}

	/* st_fmt_size reads back as it was given, through st_parse_size */
	{
		static const int64_t b[] = { 0, 1, 1000, 1023, 1024, 1025, 1536, 4096, 1049600, 123456789,
			536870912, 1610612736LL, 2147483648LL, 1207959552LL, 1649267441664LL,
			1125899906842624LL, 3377699720527872LL, 1395864371LL, 1099511627776LL + 1024,
			(1LL << 50) + (1LL << 40), 9007199254740992LL };
		static const struct { int64_t b; const char *s; } shown[] = {
			{ 0, "0" }, { 1023, "1023" }, { 1024, "1K" }, { 1536, "1536" }, { 1207959552LL, "1.125G" }, { 1572864, "1.5M" }, { 536870912, "512M" },
			{ 1610612736LL, "1.5G" }, { 2147483648LL, "2G" }, { 1649267441664LL, "1.5T" },
			{ 1125899906842624LL, "1P" }, { 1025, "1025" },
		};

		for (i = 0; i < ST_NELEM(b); i++) {
			st_fmt_size(b[i], buf);
			v = -7;
			t = st_parse_size(buf, 0, INT64_MAX, &v, &why);
			ok(t == 0 && v == b[i], "size %lld shown as %s reads back (got %lld)",
			    (long long)b[i], buf, (long long)v);
		}
		for (i = 0; i < ST_NELEM(shown); i++) {
			st_fmt_size(shown[i].b, buf);
			ok(strcmp(buf, shown[i].s) == 0, "size %lld shown as %s (got %s)", (long long)shown[i].b, shown[i].s, buf);
		}
	}
	/* st_fmt_cpu */
	st_fmt_cpu(500, buf);
	ok(strcmp(buf, "0.5") == 0, "cpu 500 shown as 0.5 (got %s)", buf);
	st_fmt_cpu(2000, buf);
	ok(strcmp(buf, "2") == 0, "cpu 2000 shown as 2 (got %s)", buf);
	st_fmt_cpu(1, buf);
	ok(strcmp(buf, "0.001") == 0, "cpu 1 shown as 0.001 (got %s)", buf);

	/* st_q: one line, escaped, cut */
	ok(strcmp(st_q("a\nb'c\\\xff"), "a\\x0ab\\x27c\\x5c\\xff") == 0, "st_q escapes newline, quote, backslash, high bytes");
	memset(big, 'a', 299);
	big[299] = '\0';
	ok(strlen(st_q(big)) < 160 && strstr(st_q(big), "...") != NULL, "st_q cuts a long value");

	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
