/* nft.c: unit tests of what reaches nft text, printing TAP: IPv4
 * addresses and CIDRs parsed and printed again, port ranges, bridge
 * names, and the table name taken from the environment. */
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

static const struct { const char *in, *out; } cidr_ok[] = {
	{ "10.0.0.0/8", "10.0.0.0/8" }, { "0.0.0.0/0", "0.0.0.0/0" },
	{ "192.168.1.7", "192.168.1.7/32" }, { "192.168.1.7/32", "192.168.1.7/32" },
	{ "172.16.0.0/12", "172.16.0.0/12" }, { "255.255.255.255/32", "255.255.255.255/32" },
};
static const char *const cidr_bad[] = {
	"", "/", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.1/8", "10.0.0/8",
	"10.0.0.0.0/8", "256.0.0.0/8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8;",
	"10.0.0.0/8}", "010.0.0.0/8", "10.0.0.0/08x", "0x0a.0.0.0/8", "::1/128",
	"10.0.0.0/8\naccept", "10.0.0.0\"/8", "1.2.3.4/32/1",
};
static const struct { const char *in; int lo, hi; } port_ok[] = {
	{ "1", 1, 1 }, { "80", 80, 80 }, { "65535", 65535, 65535 }, { "80-90", 80, 90 },
	{ "1-65535", 1, 65535 }, { "443-443", 443, 443 },
};
static const char *const port_bad[] = {
	"0", "70000", "65536", "-1", "90-80", "80-", "-80", "80-90-100", "", "8o",
	"80 ", "0x50", "1e3", "80-0", "80,90", "80;drop",
};

int
main(void)
{
	struct st_cidr c;
	const char *why;
	char buf[20], br[16];
	size_t i;
	int lo, hi;

	for (i = 0; i < ST_NELEM(cidr_ok); i++) {
		buf[0] = '\0';
		if (st_parse_cidr(cidr_ok[i].in, &c, &why) == 0)
			st_cidr_str(&c, buf);
		ok(strcmp(buf, cidr_ok[i].out) == 0, "CIDR %s prints as %s", cidr_ok[i].in, cidr_ok[i].out);
	}
	for (i = 0; i < ST_NELEM(cidr_bad); i++)
		ok(st_parse_cidr(cidr_bad[i], &c, &why) < 0 && why && *why, "CIDR %s refused", st_q(cidr_bad[i]));
	for (i = 0; i < ST_NELEM(port_ok); i++)
		ok(st_rule_parse_port(port_ok[i].in, &lo, &hi, &why) == 0 && lo == port_ok[i].lo && hi == port_ok[i].hi,
		    "port %s is %d-%d", port_ok[i].in, port_ok[i].lo, port_ok[i].hi);
	for (i = 0; i < ST_NELEM(port_bad); i++)
		ok(st_rule_parse_port(port_bad[i], &lo, &hi, &why) < 0 && why && *why, "port %s refused", st_q(port_bad[i]));
	st_net_bridge("n-0123456789ab", br);
	ok(strcmp(br, "stb-0123456789a") == 0 && strlen(br) == 15, "bridge name stb- and 11 hex, 15 characters");
	unsetenv("ST_NFT_TABLE");
	setenv("ST_CONF", "/nonexistent", 1);
	ok(st_nft_table() && strcmp(st_nft_table(), "stampede") == 0, "table name: stampede by default");
	setenv("ST_NFT_TABLE", "st_t1", 1);
	ok(st_nft_table() && strcmp(st_nft_table(), "st_t1") == 0, "table name from ST_NFT_TABLE");
	setenv("ST_NFT_TABLE", "x; flush ruleset", 1);
	ok(st_nft_table() == NULL, "a table name with nft syntax refused");
	setenv("ST_NFT_TABLE", "Upper", 1);
	ok(st_nft_table() == NULL, "a table name with capitals refused");
	setenv("ST_NFT_TABLE", "abcdefghijklmnopqrstuvwxyzabcdefg", 1);
	ok(st_nft_table() == NULL, "a table name longer than 32 refused");
	printf("1..%d\n", n);
	return failed != 0;
}
