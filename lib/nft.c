/* nft.c: a host's security groups as the text of one nftables table,
 * and running nft and conntrack (fork/execvp with argv, never a shell). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "st.h"

const char *
st_nft_table(void)
{
	const char *t = getenv("ST_NFT_TABLE");
	size_t i;

	if (t == NULL || *t == '\0')
		t = st_conf("nft_table");
	if (t == NULL || *t == '\0')
		return "stampede";
	/* it reaches nft text: a strict alphabet, checked where it is read */
	if (strlen(t) > 32 || !islower((unsigned char)t[0]))
		return NULL;
	for (i = 0; t[i]; i++)
		if (!islower((unsigned char)t[i]) && !isdigit((unsigned char)t[i]) && t[i] != '_')
			return NULL;
	return t;
}

int
st_run(const char *const argv[], int outfd, char *err, size_t errn)
{
	int p[2], st, n;
	size_t got = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errn, "pipe: %s", strerror(errno));
		return ST_TEMP;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errn, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return ST_TEMP;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(outfd >= 0 ? outfd : null, 1);
		dup2(p[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "unable to run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	err[0] = '\0';
	for (;;) {
		char tmp[512];

		n = (int)read(p[0], tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got + 1 < errn) {
			size_t k = (size_t)n < errn - 1 - got ? (size_t)n : errn - 1 - got;

			memcpy(err + got, tmp, k);
			got += k;
			err[got] = '\0';
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* one line: nft's message without the trailing newline */
	while (got > 0 && (err[got - 1] == '\n' || err[got - 1] == ' '))
		err[--got] = '\0';
	for (size_t i = 0; i < got; i++)
		if (err[i] == '\n')
			err[i] = ' ';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return ST_OK;
	if (got == 0)
		snprintf(err, errn, "%s exited %d", argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return ST_PERM;
}

/* the 12 hex digits of an ID, or NULL: only these reach nft names */
static const char *
hex12(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != ST_ID_LEN || id[1] != '-')
		return NULL;
	for (i = 2; i < ST_ID_LEN; i++)
		if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
			return NULL;
	return id + 2;
}

/* one rule's match and verdict; every value printed from numbers */
static int
rule_text(FILE *f, sqlite3_stmt *r, const char *verdict, json_t *peers)
{
	const char *dir = (const char *)sqlite3_column_text(r, 0);
	const char *proto = (const char *)sqlite3_column_text(r, 1);
	int lo = sqlite3_column_int(r, 2), hi = sqlite3_column_int(r, 3);
	const char *cidr = (const char *)sqlite3_column_text(r, 4);
	const char *peer = (const char *)sqlite3_column_text(r, 5);
	const char *side = strcmp(dir, "egress") == 0 ? "daddr" : "saddr", *why;
	struct st_cidr c;
	char s[20];

	fputc('\t', f);
	fputc('\t', f);
	if (peer) {
		if (hex12(peer) == NULL)
			return -1;
		fprintf(f, "ip %s @g_%s ", side, hex12(peer));
		json_object_set_new(peers, peer, json_true());
	} else if (cidr) {
		if (st_parse_cidr(cidr, &c, &why) < 0)
			return -1;
		st_cidr_str(&c, s);
		if (c.len > 0)
			fprintf(f, "ip %s %s ", side, s);
	}
	if (lo < 0 || hi > 65535 || lo > hi)
		return -1;
	if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0) {
		if (lo == 0)
			fprintf(f, "meta l4proto %s ", proto);
		else if (lo == hi)
			fprintf(f, "%s dport %d ", proto, lo);
		else
			fprintf(f, "%s dport %d-%d ", proto, lo, hi);
	} else if (strcmp(proto, "icmp") == 0) {
		fprintf(f, "meta l4proto icmp ");
	} else if (strcmp(proto, "any") != 0) {
		return -1;
	}
	fprintf(f, "%s\n", verdict);
	return 0;
}

static int
rules_of(struct st_db *db, FILE *f, const char *sg, const char *dir, const char *verdict, json_t *peers, int *n)
{
	sqlite3_stmt *r = st_db_prep(db, "SELECT dir, proto, port_lo, port_hi, cidr, peer FROM sg_rules "
	    "WHERE sg = ?1 AND dir = ?2 ORDER BY proto, port_lo, port_hi, cidr, peer");
	int rc;

	if (r == NULL)
		return -1;
	sqlite3_bind_text(r, 1, sg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(r, 2, dir, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
		if (rule_text(f, r, verdict, peers) < 0) {
			sqlite3_reset(r);
			return -1;
		}
		(*n)++;
	}
	sqlite3_reset(r);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
count_rules(struct st_db *db, const char *sg, const char *dir)
{
	sqlite3_stmt *r = st_db_prep(db, "SELECT count(*) FROM sg_rules WHERE sg = ?1 AND dir = ?2");
	int n = 0;

	if (r == NULL)
		return 0;
	sqlite3_bind_text(r, 1, sg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(r, 2, dir, -1, SQLITE_STATIC);
	if (sqlite3_step(r) == SQLITE_ROW)
		n = sqlite3_column_int(r, 0);
	sqlite3_reset(r);
	return n;
}

/* the addresses (of Stampede networks) of an instance, or of a group's
 * members, into the object a (ip -> instance) */
static void
addrs(struct st_db *db, const char *sql, const char *arg, json_t *a)
{
	sqlite3_stmt *st = st_db_prep(db, sql);

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(a, (const char *)sqlite3_column_text(st, 0),
		    json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
}

#define SQL_INST_ADDRS "SELECT ip, instance FROM addresses WHERE instance = ?1 AND net IS NOT NULL ORDER BY idx"
#define SQL_SG_ADDRS "SELECT a.ip, a.instance FROM sg_members m JOIN addresses a ON a.instance = m.instance " \
	"WHERE m.sg = ?1 AND a.net IS NOT NULL ORDER BY a.ip"

json_t *
st_sg_member_ips(struct st_db *db, const char *sg)
{
	json_t *a = json_object();

	addrs(db, SQL_SG_ADDRS, sg, a);
	return a;
}

json_t *
st_inst_ips(struct st_db *db, const char *inst)
{
	json_t *a = json_object();

	addrs(db, SQL_INST_ADDRS, inst, a);
	return a;
}

static void
elements(FILE *f, json_t *ips)
{
	const char *ip;
	json_t *v;
	int first = 1;

	if (json_object_size(ips) == 0)
		return;
	fprintf(f, "\t\telements = { ");
	json_object_foreach(ips, ip, v) {
		uint32_t a;
		const char *why;
		char s[16];

		if (st_parse_ip4(ip, &a, &why) < 0)
			continue;
		st_ip4_str(a, s);
		fprintf(f, "%s%s", first ? "" : ", ", s);
		first = 0;
	}
	fprintf(f, " }\n");
}

char *
st_nft_ruleset(struct st_db *db, const char *host, const char *table, int *nrules, int *ninst, const char **why)
{
	sqlite3_stmt *st;
	json_t *insts = json_array(), *groups = json_object(), *peers = json_object();
	json_t *in_map = json_object(), *out_map = json_object(), *combos = json_object(), *v;
	char *text = NULL, *body = NULL;
	size_t len = 0, blen = 0;
	const char *k;
	size_t i;
	FILE *f, *b;
	int n = 0, rc;

	*nrules = *ninst = 0;
	*why = "unable to read the state";
	/* the instances placed on this host that are in a group */
	if ((st = st_db_prep(db, "SELECT DISTINCT m.instance FROM sg_members m JOIN instances i ON i.id = m.instance "
	    "WHERE i.host = ?1 ORDER BY m.instance")) == NULL)
		goto fail0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(insts, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail0;
	if ((b = open_memstream(&body, &blen)) == NULL)
		goto fail0;
	*why = "a malformed rule or ID in the state file";
	/* instance chains: ingress jumps to each group's chain, then drops;
	 * egress, when every group of the instance has egress rules, their
	 * rules inline (return: go on to the destination's ingress; an
	 * accept would skip it), then drops */
	json_array_foreach(insts, i, v) {
		const char *id = json_string_value(v), *h = hex12(id), *ch;
		json_t *ips = st_inst_ips(db, id), *sgs = json_array(), *g, *combo;
		int egress = 1;
		char *key = NULL;
		size_t j;

		if (h == NULL)
			goto fail;
		if (json_object_size(ips) == 0) {	/* no address of ours: nothing to match */
			json_decref(ips);
			json_decref(sgs);
			continue;
		}
		(*ninst)++;
		st = st_db_prep(db, "SELECT sg FROM sg_members WHERE instance = ?1 ORDER BY sg");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(sgs, json_string((const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
		/* instances in the same groups share their chains, named
		 * after the first of them: the table grows with the sets
		 * of groups in use, not with the instances */
		json_array_foreach(sgs, j, g) {
			char *k2 = st_asprintf("%s%s%s", key ? key : "", key ? "," : "", json_string_value(g));

			free(key);
			key = k2;
		}
		if ((combo = json_object_get(combos, key)) == NULL) {
			fprintf(b, "\tchain i_%s {\n\t\tct state invalid drop\n", h);
			n++;
			json_array_foreach(sgs, j, g) {
				if (hex12(json_string_value(g)) == NULL) {
					free(key);
					goto fail;
				}
				fprintf(b, "\t\tjump gi_%s\n", hex12(json_string_value(g)));
				json_object_set_new(groups, json_string_value(g), json_true());
				n++;
				if (count_rules(db, json_string_value(g), "egress") == 0)
					egress = 0;
			}
			fprintf(b, "\t\tdrop\n\t}\n");
			n++;
			if (egress) {
				fprintf(b, "\tchain o_%s {\n\t\tct state invalid drop\n", h);
				n++;
				json_array_foreach(sgs, j, g)
					if (rules_of(db, b, json_string_value(g), "egress", "return", peers, &n) < 0) {
						free(key);
						goto fail;
					}
				fprintf(b, "\t\tdrop\n\t}\n");
				n++;
			}
			combo = json_pack("{s:s, s:b}", "chain", h, "egress", egress);
			json_object_set_new(combos, key, combo);
		}
		free(key);
		ch = json_string_value(json_object_get(combo, "chain"));
		json_object_foreach(ips, k, g) {
			json_object_set_new(in_map, k, json_sprintf("jump i_%s", ch));
			if (json_is_true(json_object_get(combo, "egress")))
				json_object_set_new(out_map, k, json_sprintf("jump o_%s", ch));
		}
		json_decref(ips);
		json_decref(sgs);
		continue;
fail:
		json_decref(ips);
		json_decref(sgs);
		fclose(b);
		goto fail0;
	}
	fclose(b);
	if ((f = open_memstream(&text, &len)) == NULL)
		goto fail0;
	/* one transaction: the table made (if absent), deleted, made again */
	fprintf(f, "table inet %s {}\ndelete table inet %s\ntable inet %s {\n", table, table, table);
	/* group chains first so that their peers are known; then the sets
	 * they name, which nft needs before the chains: a second buffer */
	{
		char *gtext = NULL;
		size_t glen = 0;
		FILE *g = open_memstream(&gtext, &glen);

		json_object_foreach(groups, k, v) {
			fprintf(g, "\tchain gi_%s {\n", hex12(k));
			if (rules_of(db, g, k, "ingress", "accept", peers, &n) < 0) {
				fclose(g);
				free(gtext);
				fclose(f);
				goto fail0;
			}
			fprintf(g, "\t}\n");
		}
		fclose(g);
		json_object_foreach(peers, k, v) {
			json_t *ips = st_sg_member_ips(db, k);

			fprintf(f, "\tset g_%s {\n\t\ttype ipv4_addr\n", hex12(k));
			elements(f, ips);
			fprintf(f, "\t}\n");
			json_decref(ips);
		}
		fputs(gtext, f);
		free(gtext);
	}
	fputs(body, f);
	fprintf(f, "\tmap ingress {\n\t\ttype ipv4_addr : verdict\n");
	if (json_object_size(in_map)) {
		int first = 1;

		fprintf(f, "\t\telements = { ");
		json_object_foreach(in_map, k, v) {
			fprintf(f, "%s%s : %s", first ? "" : ", ", k, json_string_value(v));
			first = 0;
		}
		fprintf(f, " }\n");
	}
	fprintf(f, "\t}\n\tmap egress {\n\t\ttype ipv4_addr : verdict\n");
	if (json_object_size(out_map)) {
		int first = 1;

		fprintf(f, "\t\telements = { ");
		json_object_foreach(out_map, k, v) {
			fprintf(f, "%s%s : %s", first ? "" : ", ", k, json_string_value(v));
			first = 0;
		}
		fprintf(f, " }\n");
	}
	/* forward: routed traffic, and bridged traffic through br_netfilter
	 * (bridge-nf-call-iptables=1, which Docker sets); before Docker's
	 * iptables-nft FORWARD (priority filter): a drop here is final */
	fprintf(f, "\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter - 10; policy accept;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tip saddr vmap @egress\n"
	    "\t\tip daddr vmap @ingress\n\t}\n}\n");
	n += 3;
	fclose(f);
	free(body);
	json_decref(insts);
	json_decref(groups);
	json_decref(peers);
	json_decref(in_map);
	json_decref(out_map);
	json_decref(combos);
	*nrules = n;
	return text;
fail0:
	free(body);
	free(text);
	json_decref(insts);
	json_decref(groups);
	json_decref(peers);
	json_decref(in_map);
	json_decref(out_map);
	json_decref(combos);
	return NULL;
}
