/* sg.c: security groups: their rows, rules and members, and applying a
 * host's groups as one nftables table (nft.c writes the text). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

static char whybuf[512];

static int
exec1(struct st_db *db, const char *sql, const char *a, const char *b, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	return ST_OK;
}

static int64_t
count1(struct st_db *db, const char *sql, const char *a)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	int64_t n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
st_sg_insert(struct st_db *db, const char *name, char id[ST_ID_LEN + 1], const char **why)
{
	sqlite3_stmt *st;
	int rc, tries;

	for (tries = 0; tries < 8; tries++) {
		st_id_new(ST_SG, id);
		if ((st = st_db_prep(db, "INSERT INTO sgs (id, name, created) VALUES (?1, ?2, ?3)")) == NULL) {
			*why = st_db_err(db);
			return ST_PERM;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (name)
			sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, st_now());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return ST_OK;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
			continue;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another security group";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	*why = "no free ID after 8 draws";
	return ST_TEMP;
}

static json_t *
name_or_id(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT coalesce(name, id) FROM sgs WHERE id = ?1");
	json_t *o;

	if (st == NULL)
		return json_string(id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	o = json_string(sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : id);
	sqlite3_reset(st);
	return o;
}

/* "tcp 80 from 10.0.0.0/8", for lists */
static json_t *
rules_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT dir, proto, port_lo, port_hi, cidr, peer FROM sg_rules "
	    "WHERE sg = ?1 ORDER BY dir DESC, proto, port_lo, port_hi, cidr, peer");
	json_t *a = json_array(), *r;

	if (st == NULL)
		return a;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int lo = sqlite3_column_int(st, 2), hi = sqlite3_column_int(st, 3);
		char ports[16] = "";

		if (lo && lo == hi)
			snprintf(ports, sizeof ports, "%d", lo);
		else if (lo)
			snprintf(ports, sizeof ports, "%d-%d", lo, hi);
		r = json_pack("{s:s, s:s, s:o}", "dir", (const char *)sqlite3_column_text(st, 0),
		    "proto", (const char *)sqlite3_column_text(st, 1), "ports", lo ? json_string(ports) : json_null());
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(r, "cidr", json_string((const char *)sqlite3_column_text(st, 4)));
		else {
			json_object_set_new(r, "group", json_string((const char *)sqlite3_column_text(st, 5)));
			json_object_set_new(r, "group_name", name_or_id(db, (const char *)sqlite3_column_text(st, 5)));
		}
		json_array_append_new(a, r);
	}
	sqlite3_reset(st);
	return a;
}

json_t *
st_sg_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id, name, created FROM sgs WHERE id = ?1");
	json_t *o, *rules, *r;
	char t[32], oid[ST_ID_LEN + 1];
	int nin = 0, nout = 0;
	size_t i;

	if (st == NULL)
		return NULL;
	snprintf(oid, sizeof oid, "%s", id);
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	st_time_iso(sqlite3_column_int64(st, 2), t);
	o = json_pack("{s:s, s:o, s:s}", "id", oid,
	    "name", sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 1)),
	    "created", t);
	sqlite3_reset(st);
	rules = rules_json(db, oid);
	json_array_foreach(rules, i, r)
		if (strcmp(json_string_value(json_object_get(r, "dir")), "ingress") == 0)
			nin++;
		else
			nout++;
	json_object_set_new(o, "ingress", json_integer(nin));
	json_object_set_new(o, "egress", json_integer(nout));
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "members", json_integer(count1(db, "SELECT count(*) FROM sg_members WHERE sg = ?1", oid)));
	json_object_set_new(o, "labels", st_labels_json(db, oid));
	json_object_set_new(o, "attrs", st_attrs_json(db, oid));
	return o;
}

int
st_sg_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT id FROM sgs ORDER BY coalesce(name, id)");
	json_t *ids = json_array(), *v;
	size_t i;
	int code = ST_OK;

	if (st == NULL)
		return ST_PERM;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	json_array_foreach(ids, i, v) {
		json_t *o = st_sg_json(db, json_string_value(v));

		if (o)
			code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
	}
	json_decref(ids);
	return code;
}

int
st_sg_delete(struct st_db *db, const char *id, const char **why)
{
	int64_t m = count1(db, "SELECT count(*) FROM sg_members WHERE sg = ?1", id);
	int64_t r = count1(db, "SELECT count(*) FROM sg_rules WHERE peer = ?1 AND sg <> peer", id);
	int rc;

	if (m > 0) {
		snprintf(whybuf, sizeof whybuf, "in use: %lld instance%s in it (st-sg-detach them first)", (long long)m, m == 1 ? " is" : "s are");
		*why = whybuf;
		return ST_PERM;
	}
	if (r > 0) {
		snprintf(whybuf, sizeof whybuf, "in use: %lld rule%s of other groups name%s it (st-sg-rule-rm them first)",
		    (long long)r, r == 1 ? "" : "s", r == 1 ? "s" : "");
		*why = whybuf;
		return ST_PERM;
	}
	if ((rc = exec1(db, "DELETE FROM sg_rules WHERE sg = ?1", id, NULL, why)) != ST_OK ||
	    (rc = exec1(db, "DELETE FROM sgs WHERE id = ?1", id, NULL, why)) != ST_OK)
		return rc;
	st_obj_forget(db, id);
	return ST_OK;
}

int
st_sg_rule_set(struct st_db *db, const char *sg, const struct st_rule *r, int add, int *changed, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, add ?
	    "INSERT OR IGNORE INTO sg_rules (sg, dir, proto, port_lo, port_hi, cidr, peer, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)" :
	    "DELETE FROM sg_rules WHERE sg = ?1 AND dir = ?2 AND proto = ?3 AND port_lo = ?4 AND port_hi = ?5 "
	    "AND cidr IS ?6 AND peer IS ?7 AND ?8 IS NOT NULL");
	char c[20];
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, sg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->egress ? "egress" : "ingress", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->proto, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, r->lo);
	sqlite3_bind_int(st, 5, r->hi);
	if (r->peer[0] == '\0') {
		st_cidr_str(&r->cidr, c);
		sqlite3_bind_text(st, 6, c, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_text(st, 7, r->peer, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 8, st_now());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	*changed = sqlite3_changes(db->h);
	return ST_OK;
}

int
st_sg_member_set(struct st_db *db, const char *inst, const char *sg, int add, int *changed, const char **why)
{
	int rc = exec1(db, add ? "INSERT OR IGNORE INTO sg_members (instance, sg) VALUES (?1, ?2)" :
	    "DELETE FROM sg_members WHERE instance = ?1 AND sg = ?2", inst, sg, why);

	*changed = rc == ST_OK ? sqlite3_changes(db->h) : 0;
	return rc;
}

json_t *
st_inst_sgs_json(struct st_db *db, const char *inst)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT coalesce(g.name, g.id) FROM sg_members m JOIN sgs g ON g.id = m.sg "
	    "WHERE m.instance = ?1 ORDER BY 1");
	json_t *a = json_array();

	if (st == NULL)
		return a;
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	return a;
}

/* parses the options of st-sg-rule-add and -rm into r; dies on a usage
 * error (nothing reaches the state or nft but numbers and IDs) */
int
st_rule_parse_port(const char *s, int *lo, int *hi, const char **why)
{
	char a[8];
	const char *dash = strchr(s, '-');
	int64_t x, y;
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n == 0 || n >= sizeof a) {
		*why = "not a port (1 to 65535) or a range N-M";
		return -1;
	}
	memcpy(a, s, n);
	a[n] = '\0';
	if (st_parse_int(a, 1, 65535, &x, why) < 0 || (dash && st_parse_int(dash + 1, 1, 65535, &y, why) < 0)) {
		*why = "not a port (1 to 65535) or a range N-M";
		return -1;
	}
	if (!dash)
		y = x;
	if (y < x) {
		*why = "a reversed range (N-M needs N <= M)";
		return -1;
	}
	*lo = (int)x;
	*hi = (int)y;
	return 0;
}

/* ---- applying ---- */

/* blocking: one apply of a host at a time, from reading the state to
 * loading the table, so that the last loaded is the newest */
static int
host_lock(struct st_db *db, const char *host, char **dir)
{
	char *p;
	int fd;

	*dir = st_asprintf("%s/nft", db->dir);
	if (mkdir(*dir, 0700) < 0 && errno != EEXIST)
		return -1;
	p = st_asprintf("%s/%s.lock", *dir, host);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(p);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_file(const char *path, const char *text)
{
	char *tmp = st_asprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int ok;

	if (f == NULL) {
		free(tmp);
		return -1;
	}
	fputs(text, f);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok && rename(tmp, path) == 0;
	free(tmp);
	return ok ? 0 : -1;
}

/* the table as nft lists it now, into the file path; 0, or -1 absent */
static int
list_table(const char *table, const char *path)
{
	const char *argv[] = { "nft", "list", "table", "inet", table, NULL };
	char err[256];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc;

	if (fd < 0)
		return -1;
	rc = st_run(argv, fd, err, sizeof err);
	close(fd);
	return rc == ST_OK ? 0 : -1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b = NULL;
	size_t n = 0;

	if (f == NULL)
		return NULL;
	if (getdelim(&b, &n, '\0', f) < 0) {
		free(b);
		b = st_strdup("");
	}
	fclose(f);
	return b;
}

/* host-side work runs here, on this machine, for now: a host whose
 * endpoints are all local (unix://, qemu:///, or none). A remote one
 * waits for the ssh transport (issue 11) */
static int
host_local(struct st_db *db, const char *host)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT coalesce(docker, ''), coalesce(libvirt, '') FROM hosts WHERE id = ?1");
	int local = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0), *l = (const char *)sqlite3_column_text(st, 1);
		const char *p = strstr(l, "://");

		local = (*d == '\0' || strncmp(d, "unix://", 7) == 0) && (*l == '\0' || (p && p[3] == '/' && !strchr(l, '+')));
	}
	sqlite3_reset(st);
	return local;
}

int
st_sg_apply(struct st_db *db, const char *host, const struct st_sg_apply_opts *o)
{
	const char *table = st_nft_table(), *why;
	char *dir = NULL, *text = NULL, *file = NULL, *list = NULL, *now = NULL, *old = NULL, *applied = NULL;
	char err[1024], hwhy[ST_HOOK_WHY];
	int fd, rc, nrules, ninst;
	json_t *d;

	if (table == NULL)
		return st_fail(ST_USAGE, "unable to apply security groups on host '%s': bad ST_NFT_TABLE (a-z, 0-9, _, at most 32, a letter first)", host);
	if (!host_local(db, host)) {
		st_warn("security groups not applied on host '%s': a remote host (its tables come with the ssh transport)", host);
		return ST_OK;
	}
	if (st_hook_has("sg.apply.pre") && (rc = st_hook_pre(db, "sg.apply.pre", host, NULL, hwhy)) != ST_OK)	/* hooks */
		return st_fail(rc, "unable to apply security groups on host '%s': %s", host, hwhy);
	if ((fd = host_lock(db, host, &dir)) < 0) {
		rc = st_fail(ST_TEMP, "unable to apply security groups on host '%s': %s: %s", host, dir, strerror(errno));
		free(dir);
		return rc;
	}
	if ((rc = st_db_read(db)) != ST_OK)
		goto out;
	text = st_nft_ruleset(db, host, table, &nrules, &ninst, &why);
	st_db_rollback(db);
	if (text == NULL) {
		rc = st_fail(ST_PERM, "unable to apply security groups on host '%s': %s", host, why);
		goto out;
	}
	file = st_asprintf("%s/%s.nft", dir, host);
	list = st_asprintf("%s/%s.list", dir, host);
	applied = slurp(file);
	if (o->if_changed && applied && strcmp(applied, text) == 0) {
		/* the same text: load again only when the table is not as
		 * it was left (missing, flushed, edited by hand) */
		now = st_asprintf("%s/%s.now", dir, host);
		old = slurp(list);
		if (list_table(table, now) == 0 && old) {
			char *cur = slurp(now);
			int same = cur && strcmp(cur, old) == 0;

			free(cur);
			unlink(now);
			if (same) {
				rc = ST_OK;
				goto out;
			}
		}
		unlink(now);
		if (o->dry_run) {
			printf("%s\tsg-apply\tthe table is missing or differs from the last applied\n", host);
			rc = ST_OK;
			goto out;
		}
		if (o->report)
			printf("%s\tsg-apply\tthe table was missing or differed from the last applied\n", host);
	} else if (o->dry_run) {
		if (o->if_changed)
			printf("%s\tsg-apply\tthe state changed since the last apply\n", host);
		rc = ST_OK;
		goto out;
	} else if (o->if_changed && o->report) {
		printf("%s\tsg-apply\tthe state changed since the last apply\n", host);
	}
	{
		char *tmp = st_asprintf("%s/%s.new", dir, host);
		const char *check[] = { "nft", "-c", "-f", tmp, NULL }, *load[] = { "nft", "-f", tmp, NULL };

		if (write_file(tmp, text) < 0) {
			rc = st_fail(ST_TEMP, "unable to apply security groups on host '%s': %s: %s", host, tmp, strerror(errno));
		} else if ((rc = st_run(check, -1, err, sizeof err)) != ST_OK) {
			rc = st_fail(ST_PERM, "unable to apply security groups on host '%s': nft -c refused the ruleset (%s): %s", host, tmp, err);
		} else if ((rc = st_run(load, -1, err, sizeof err)) != ST_OK) {
			rc = st_fail(ST_TEMP, "unable to apply security groups on host '%s': nft -f: %s", host, err);
		} else {
			rename(tmp, file);
			list_table(table, list);
		}
		free(tmp);
	}
	if (rc != ST_OK)
		goto out;
	d = json_pack("{s:s, s:i, s:i}", "table", table, "rules", nrules, "instances", ninst);
	if ((rc = st_db_begin(db)) == ST_OK && (rc = st_event(db, host, "sg.apply", d)) == ST_OK)
		rc = st_db_commit(db);
	else if (db->in_tx)
		st_db_rollback(db);
	json_decref(d);
	if (o->rules)
		*o->rules = nrules;
	if (st_hook_has("sg.apply.post"))	/* hooks: after the load and the commit */
		st_hook_post(db, "sg.apply.post", host, NULL);
out:
	close(fd);
	free(dir);
	free(text);
	free(file);
	free(list);
	free(now);
	free(old);
	free(applied);
	return rc;
}

/* the hosts of every instance in the groups given, and in the groups
 * whose rules name them (their sets hold the members' addresses) */
json_t *
st_sg_hosts(struct st_db *db, json_t *sgs)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT DISTINCT i.host FROM sg_members m JOIN instances i ON i.id = m.instance "
	    "WHERE i.host IS NOT NULL AND (m.sg = ?1 OR m.sg IN (SELECT sg FROM sg_rules WHERE peer = ?1))");
	json_t *hosts = json_object(), *v;
	size_t i;

	if (st == NULL)
		return hosts;
	json_array_foreach(sgs, i, v) {
		sqlite3_bind_text(st, 1, json_string_value(v), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(hosts, (const char *)sqlite3_column_text(st, 0), json_true());
		sqlite3_reset(st);
	}
	return hosts;
}

int
st_sg_apply_hosts(struct st_db *db, json_t *hosts)
{
	struct st_sg_apply_opts o = { 0 };
	const char *h;
	json_t *v;
	int rc = ST_OK;

	json_object_foreach(hosts, h, v)
		rc = ST_MAX(rc, st_sg_apply(db, h, &o));
	return rc;
}

json_t *
st_sg_flows_of(struct st_db *db, const char *inst)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT a.ip FROM addresses a WHERE a.instance = ?1 AND a.net IS NOT NULL "
	    "AND EXISTS (SELECT 1 FROM sg_members m WHERE m.instance = ?1)");
	json_t *ips = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (ips == NULL)
			ips = json_object();
		json_object_set_new(ips, (const char *)sqlite3_column_text(st, 0), json_true());
	}
	sqlite3_reset(st);
	return ips;
}

void
st_sg_flows_forget(json_t *ips, int dir)
{
	const char *ip;
	json_t *v;

	/* deleted, not flushed: a flow still allowed is tracked again by
	 * its next packet (nf_conntrack_tcp_loose), one no longer allowed
	 * is dropped by it */
	json_object_foreach(ips, ip, v) {
		const char *in[] = { "conntrack", "-D", "-d", ip, NULL }, *out[] = { "conntrack", "-D", "-s", ip, NULL };
		char err[256];

		if (dir != 1)
			st_run(in, -1, err, sizeof err);
		if (dir != 0)
			st_run(out, -1, err, sizeof err);
	}
}

void
st_sg_follow(struct st_db *db, const char *id, const char *host, const char *what)
{
	json_t *hosts;
	int n;

	/* no group anywhere: nothing to apply, and nft is not needed */
	if (st_db_read(db) != ST_OK)
		return;
	n = (int)count1(db, "SELECT count(*) FROM (SELECT 1 FROM sgs LIMIT 1)", "");
	if (n == 0) {
		st_db_rollback(db);
		return;
	}
	if (strcmp(what, "remove") != 0) {
		/* start, stop, restart change no table (placement and
		 * membership do): only an instance in a group is looked at,
		 * and its host's table loaded again if it is not as left */
		struct st_sg_apply_opts o = { .if_changed = 1 };

		n = (int)count1(db, "SELECT count(*) FROM sg_members WHERE instance = ?1", id);
		st_db_rollback(db);
		if (n > 0 && host)
			st_sg_apply(db, host, &o);
		return;
	}
	hosts = json_object();
	if (host)
		json_object_set_new(hosts, host, json_true());
	{
		/* its memberships are gone with its row: the hosts whose
		 * sets hold members' addresses may have had it */
		sqlite3_stmt *st = st_db_prep(db, "SELECT DISTINCT i.host FROM sg_rules r JOIN sg_members m ON m.sg = r.sg "
		    "JOIN instances i ON i.id = m.instance WHERE r.peer IS NOT NULL AND i.host IS NOT NULL");

		while (st && sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(hosts, (const char *)sqlite3_column_text(st, 0), json_true());
		if (st)
			sqlite3_reset(st);
	}
	st_db_rollback(db);
	st_sg_apply_hosts(db, hosts);
	json_decref(hosts);
}

/* ---- st-sg-rule-add, st-sg-rule-rm ---- */

static int rule_add;

static void
rule_usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-sg-rule-%s [--no-apply] --ingress|--egress --proto tcp|udp|icmp|any [--port N|N-M]\n"
	    "                  (--cidr CIDR | --group SG) [--state FILE] SG...\n", rule_add ? "add" : "rm");
	exit(code);
}

int
st_sg_rule_main(int argc, char **argv, int add)
{
	enum { OPT_NOAPPLY = 1, OPT_IN, OPT_OUT };
	static const struct option lo[] = {
		{ "cidr", required_argument, NULL, 'c' },
		{ "egress", no_argument, NULL, OPT_OUT },
		{ "group", required_argument, NULL, 'g' },
		{ "ingress", no_argument, NULL, OPT_IN },
		{ "no-apply", no_argument, NULL, OPT_NOAPPLY },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_rule r = { .egress = -1 };
	struct st_db db;
	const char *why, *cidr = NULL, *group = NULL, *proto = NULL, *port = NULL;
	json_t *sgs = json_array(), *hosts, *v;
	char id[ST_ID_LEN + 1], d[20];
	int c, rc = ST_OK, noapply = 0, changed, i;
	size_t k;

	st_init(argc, argv);
	rule_add = add;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			cidr = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'P':
			proto = optarg;
			break;
		case OPT_IN:
		case OPT_OUT:
			if (r.egress >= 0 && r.egress != (c == OPT_OUT))
				st_die(ST_USAGE, "give one of --ingress and --egress");
			r.egress = c == OPT_OUT;
			break;
		case OPT_NOAPPLY:
			noapply = 1;
			break;
		default:
			st_common_opt(c, optarg, rule_usage);
		}
	}
	if (r.egress < 0)
		st_die(ST_USAGE, "give --ingress or --egress");
	if (proto == NULL)
		st_die(ST_USAGE, "give --proto tcp, udp, icmp or any");
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "icmp") != 0 && strcmp(proto, "any") != 0)
		st_die(ST_USAGE, "bad --proto '%s': must be tcp, udp, icmp or any", st_q(proto));
	snprintf(r.proto, sizeof r.proto, "%s", proto);
	if (port) {
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
			st_die(ST_USAGE, "bad --port '%s': ports go with --proto tcp or udp", st_q(port));
		if (st_rule_parse_port(port, &r.lo, &r.hi, &why) < 0)
			st_die(ST_USAGE, "bad --port '%s': %s", st_q(port), why);
	}
	if (!!cidr + !!group != 1)
		st_die(ST_USAGE, "give one of --cidr CIDR and --group SG");
	if (cidr && st_parse_cidr(cidr, &r.cidr, &why) < 0)
		st_die(ST_USAGE, "bad --cidr '%s': %s", st_q(cidr), why);
	if (group && st_valid_name(group, &why) < 0 && !st_id_shape(group))
		st_die(ST_USAGE, "bad --group '%s': %s", st_q(group), why);
	if (optind == argc)
		st_die(ST_USAGE, "give the security group(s) the rule goes %s", add ? "into" : "out of");
	for (i = optind; i < argc; i++)
		if (st_valid_name(argv[i], &why) < 0 && !st_id_shape(argv[i]))
			st_die(ST_USAGE, "unable to find security group '%s': %s", st_q(argv[i]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if (group && (rc = st_resolve(&db, ST_SG, group, r.peer)) != ST_OK) {
		st_db_rollback(&db);
		return rc;
	}
	/* all the groups or none */
	for (i = optind; i < argc; i++) {
		json_t *ev;

		if ((rc = st_resolve(&db, ST_SG, argv[i], id)) != ST_OK)
			break;
		if ((rc = st_sg_rule_set(&db, id, &r, add, &changed, &why)) != ST_OK) {
			st_fail(rc, "unable to %s rule of '%s': %s", add ? "add a" : "remove a", st_q(argv[i]), why);
			break;
		}
		if (!add && !changed) {
			rc = st_fail(ST_PERM, "unable to remove a rule of '%s': no such rule", st_q(argv[i]));
			break;
		}
		st_cidr_str(&r.cidr, d);
		ev = json_pack("{s:s, s:s, s:i, s:i, s:s?, s:s?}", "dir", r.egress ? "egress" : "ingress",
		    "proto", r.proto, "port_lo", r.lo, "port_hi", r.hi, "cidr", cidr ? d : NULL, "group", group ? r.peer : NULL);
		if (changed && (rc = st_event(&db, id, add ? "sg.rule.add" : "sg.rule.remove", ev)) != ST_OK) {
			json_decref(ev);
			st_fail(rc, "unable to record the rule: %s", st_db_err(&db));
			break;
		}
		json_decref(ev);
		json_array_append_new(sgs, json_string(id));
	}
	if (rc != ST_OK) {
		st_db_rollback(&db);
		json_decref(sgs);
		st_db_close(&db);
		return rc;
	}
	if ((rc = st_db_commit(&db)) != ST_OK)
		return rc;
	if (!noapply) {
		if ((rc = st_db_read(&db)) != ST_OK)
			return rc;
		hosts = st_sg_hosts(&db, sgs);
		st_db_rollback(&db);
		rc = st_sg_apply_hosts(&db, hosts);
		json_decref(hosts);
		/* a removed rule ends the flows it allowed */
		if (!add)
			json_array_foreach(sgs, k, v) {
				json_t *ips;

				if (st_db_read(&db) != ST_OK)
					break;
				ips = st_sg_member_ips(&db, json_string_value(v));
				st_db_rollback(&db);
				st_sg_flows_forget(ips, r.egress);
				json_decref(ips);
			}
	}
	json_array_foreach(sgs, k, v)
		printf("%s\n", json_string_value(v));
	json_decref(sgs);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}

/* ---- st-sg-attach, st-sg-detach ---- */

static int member_add;

static void
member_usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-sg-%s [--no-apply] [--state FILE] INSTANCE SG...\n",
	    member_add ? "attach" : "detach");
	exit(code);
}

int
st_sg_member_main(int argc, char **argv, int add)
{
	enum { OPT_NOAPPLY = 1 };
	static const struct option lo[] = {
		{ "no-apply", no_argument, NULL, OPT_NOAPPLY }, ST_COMMON_LONGOPTS, { 0 } };
	const char *verb = add ? "attach" : "detach", *why;
	char inst[ST_ID_LEN + 1], sg[ST_ID_LEN + 1], host[ST_ID_LEN + 1] = "";
	json_t *sgs = json_array(), *hosts, *ips;
	struct st_db db;
	sqlite3_stmt *st;
	int c, i, rc = ST_OK, noapply = 0, changed, any = 0;

	st_init(argc, argv);
	member_add = add;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == OPT_NOAPPLY)
			noapply = 1;
		else
			st_common_opt(c, optarg, member_usage);
	}
	if (argc - optind < 2)
		st_die(ST_USAGE, "give an instance and the security group(s) to %s", verb);
	for (i = optind; i < argc; i++)
		if (st_valid_name(argv[i], &why) < 0 && !st_id_shape(argv[i]))
			st_die(ST_USAGE, "unable to find %s '%s': %s", i == optind ? "instance" : "security group", st_q(argv[i]), why);
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_resolve(&db, ST_INSTANCE, argv[optind], inst)) != ST_OK) {
		st_db_rollback(&db);
		return rc;
	}
	for (i = optind + 1; i < argc; i++) {
		json_t *d;

		if ((rc = st_resolve(&db, ST_SG, argv[i], sg)) != ST_OK)
			break;
		if ((rc = st_sg_member_set(&db, inst, sg, add, &changed, &why)) != ST_OK) {
			st_fail(rc, "unable to %s '%s' to '%s': %s", verb, inst, st_q(argv[i]), why);
			break;
		}
		if (!add && !changed) {
			rc = st_fail(ST_PERM, "unable to detach '%s' from '%s': not attached", inst, st_q(argv[i]));
			break;
		}
		d = json_pack("{s:s}", "sg", sg);
		if (changed && (rc = st_event(&db, inst, add ? "instance.sg.attach" : "instance.sg.detach", d)) != ST_OK) {
			json_decref(d);
			break;
		}
		json_decref(d);
		any |= changed;
		json_array_append_new(sgs, json_string(sg));
	}
	if (rc != ST_OK) {
		st_db_rollback(&db);
		json_decref(sgs);
		st_db_close(&db);
		return rc;
	}
	if ((st = st_db_prep(&db, "SELECT host FROM instances WHERE id = ?1 AND host IS NOT NULL")) != NULL) {
		sqlite3_bind_text(st, 1, inst, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(host, sizeof host, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	if ((rc = st_db_commit(&db)) != ST_OK)
		return rc;
	if (!noapply && any) {
		if ((rc = st_db_read(&db)) != ST_OK)
			return rc;
		hosts = st_sg_hosts(&db, sgs);
		ips = st_inst_ips(&db, inst);
		st_db_rollback(&db);
		if (host[0])
			json_object_set_new(hosts, host, json_true());
		rc = st_sg_apply_hosts(&db, hosts);
		if (!add)	/* a detached group ends the flows it allowed */
			st_sg_flows_forget(ips, 2);
		json_decref(hosts);
		json_decref(ips);
	}
	printf("%s\n", inst);
	json_decref(sgs);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}

int
st_sg_reconcile(struct st_db *db, const char *host, int dry_run)
{
	struct st_sg_apply_opts o = { .if_changed = 1, .dry_run = dry_run, .report = 1 };
	int n, rc;

	/* no group anywhere: no table to keep */
	if ((rc = st_db_read(db)) != ST_OK)
		return rc;
	n = (int)count1(db, "SELECT count(*) FROM (SELECT 1 FROM sgs LIMIT 1)", "");
	st_db_rollback(db);
	return n ? st_sg_apply(db, host, &o) : ST_OK;
}
