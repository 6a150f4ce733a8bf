/* net.c: networks and their addresses: IPv4 parsing, network rows, the
 * allocation of an instance's addresses inside the write transaction. */
#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static char whybuf[256];

int
st_parse_ip4(const char *s, uint32_t *a, const char **why)
{
	struct in_addr in;

	if (strlen(s) > 15 || inet_pton(AF_INET, s, &in) != 1) {
		*why = "not an IPv4 address (a.b.c.d)";
		return -1;
	}
	*a = ntohl(in.s_addr);
	return 0;
}

void
st_ip4_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static uint32_t
mask_of(int len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

int
st_parse_cidr(const char *s, struct st_cidr *c, const char **why)
{
	char ip[16];
	const char *slash = strchr(s, '/');
	int64_t len = 32;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof ip) {
		*why = "not a CIDR (a.b.c.d/len)";
		return -1;
	}
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (st_parse_ip4(ip, &c->addr, why) < 0) {
		*why = "not a CIDR (a.b.c.d/len)";
		return -1;
	}
	if (slash && st_parse_int(slash + 1, 0, 32, &len, why) < 0) {
		*why = "not a CIDR: the prefix length is 0 to 32";
		return -1;
	}
	c->len = (int)len;
	if (c->addr & ~mask_of(c->len)) {
		char b[16];

		st_ip4_str(c->addr & mask_of(c->len), b);
		snprintf(whybuf, sizeof whybuf, "host bits set in a CIDR (the network is %s/%d)", b, c->len);
		*why = whybuf;
		return -1;
	}
	return 0;
}

void
st_cidr_str(const struct st_cidr *c, char buf[20])
{
	char b[16];

	st_ip4_str(c->addr, b);
	snprintf(buf, 20, "%s/%d", b, c->len);
}

void
st_net_bridge(const char *netid, char br[16])
{
	/* "stb-" and 11 of the ID's 12 hex digits: IFNAMSIZ allows 15 */
	snprintf(br, 16, "stb-%.11s", netid + 2);
}

int
st_net_insert(struct st_db *db, const char *name, const struct st_cidr *sub, uint32_t gw, char id[ST_ID_LEN + 1], const char **why)
{
	sqlite3_stmt *st;
	char s[20], g[16];
	int rc, tries;

	/* subnets must not overlap: an address means one instance */
	st = st_db_prep(db, "SELECT subnet, coalesce(name, id) FROM networks");
	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct st_cidr o;
		const char *w;
		int len;

		if (st_parse_cidr((const char *)sqlite3_column_text(st, 0), &o, &w) < 0)
			continue;
		len = o.len < sub->len ? o.len : sub->len;
		if ((o.addr & mask_of(len)) == (sub->addr & mask_of(len))) {
			snprintf(whybuf, sizeof whybuf, "subnet overlaps network '%s' (%s)",
			    (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 0));
			sqlite3_reset(st);
			*why = whybuf;
			return ST_PERM;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	st_cidr_str(sub, s);
	st_ip4_str(gw, g);
	for (tries = 0; tries < 8; tries++) {
		st_id_new(ST_NETWORK, id);
		if ((st = st_db_prep(db, "INSERT INTO networks (id, name, subnet, gateway, created) VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL) {
			*why = st_db_err(db);
			return ST_PERM;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (name)
			sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, g, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, st_now());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return ST_OK;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
			continue;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another network";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	*why = "no free ID after 8 draws";
	return ST_TEMP;
}

json_t *
st_net_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT n.id, n.name, n.subnet, n.gateway, n.created, "
	    "(SELECT count(*) FROM addresses a WHERE a.net = n.id) FROM networks n WHERE n.id = ?1");
	struct st_cidr c = { 0, 0 };
	const char *why;
	char t[32], br[16], oid[ST_ID_LEN + 1];
	json_t *o;

	if (st == NULL)
		return NULL;
	snprintf(oid, sizeof oid, "%s", id);
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	st_parse_cidr((const char *)sqlite3_column_text(st, 2), &c, &why);
	st_time_iso(sqlite3_column_int64(st, 4), t);
	st_net_bridge(oid, br);
	o = json_pack("{s:s, s:o, s:s, s:s, s:i, s:s, s:I, s:I, s:s}",
	    "id", oid,
	    "name", sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 1)),
	    "subnet", (const char *)sqlite3_column_text(st, 2),
	    "gateway", (const char *)sqlite3_column_text(st, 3),
	    "prefix", c.len, "bridge", br,
	    "addresses", (json_int_t)sqlite3_column_int64(st, 5),
	    "size", (json_int_t)(((int64_t)1 << (32 - c.len)) - (c.len < 31 ? 3 : 1)),
	    "created", t);
	sqlite3_reset(st);
	json_object_set_new(o, "labels", st_labels_json(db, oid));
	json_object_set_new(o, "attrs", st_attrs_json(db, oid));
	return o;
}

int
st_net_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	sqlite3_stmt *st;
	json_t *ids = json_array(), *v;
	size_t i;
	int rc, code = ST_OK;

	if ((st = st_db_prep(db, "SELECT id FROM networks ORDER BY coalesce(name, id)")) == NULL)
		return ST_PERM;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		code = st_fail(st_db_code(db, rc), "unable to read networks: %s", st_db_err(db));
	json_array_foreach(ids, i, v) {
		json_t *o = st_net_json(db, json_string_value(v));

		if (o)
			code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
	}
	json_decref(ids);
	return code;
}

int
st_net_delete(struct st_db *db, const char *id, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT count(*) FROM addresses WHERE net = ?1");
	int64_t n = 0;
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n > 0) {
		snprintf(whybuf, sizeof whybuf, "in use: %lld instance address%s on it (st-rm them first)",
		    (long long)n, n == 1 ? "" : "es");
		*why = whybuf;
		return ST_PERM;
	}
	if ((st = st_db_prep(db, "DELETE FROM networks WHERE id = ?1")) == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	st_obj_forget(db, id);
	return ST_OK;
}

int
st_net_alloc(struct st_db *db, const char *inst, int idx, const char *net, uint32_t want, char ip[16], const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT subnet, gateway, coalesce(name, id) FROM networks WHERE id = ?1");
	struct st_cidr c;
	uint32_t gw = 0, size, off, a;
	unsigned char *used;
	char name[80];
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		*why = rc == SQLITE_DONE ? "no such network" : st_db_err(db);
		return rc == SQLITE_DONE ? ST_PERM : st_db_code(db, rc);
	}
	rc = st_parse_cidr((const char *)sqlite3_column_text(st, 0), &c, why);
	if (rc == 0)
		rc = st_parse_ip4((const char *)sqlite3_column_text(st, 1), &gw, why);
	snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	if (rc < 0 || c.len < 8 || c.len > 30) {
		*why = "the network's subnet in the state file is malformed";
		return ST_PERM;
	}
	size = (uint32_t)1 << (32 - c.len);
	/* the network's addresses in use, as a bitmap: network, broadcast
	 * and gateway are never handed out */
	used = calloc(size / 8 + 1, 1);
	if (used == NULL) {
		*why = "out of memory";
		return ST_TEMP;
	}
#define USED(o) (used[(o) / 8] & (1u << ((o) % 8)))
#define MARK(o) (used[(o) / 8] |= (unsigned char)(1u << ((o) % 8)))
	MARK(0);
	MARK(size - 1);
	MARK(gw - c.addr);
	st = st_db_prep(db, "SELECT ip FROM addresses WHERE net = ?1");
	sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (st_parse_ip4((const char *)sqlite3_column_text(st, 0), &a, why) == 0 && (a & mask_of(c.len)) == c.addr)
			MARK(a - c.addr);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(used);
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	if (want) {
		char w[16];

		st_ip4_str(want, w);
		off = want - c.addr;
		if ((want & mask_of(c.len)) != c.addr) {
			char s[20];

			st_cidr_str(&c, s);
			snprintf(whybuf, sizeof whybuf, "address %s is not in network '%s' (%s)", w, name, s);
		} else if (off == 0 || off == size - 1 || want == gw) {
			snprintf(whybuf, sizeof whybuf, "address %s of network '%s' is reserved (%s)", w, name,
			    off == 0 ? "the network address" : off == size - 1 ? "the broadcast address" : "the gateway");
		} else if (USED(off)) {
			snprintf(whybuf, sizeof whybuf, "address %s of network '%s' is in use", w, name);
		} else {
			whybuf[0] = '\0';
		}
		if (whybuf[0]) {
			free(used);
			*why = whybuf;
			return ST_PERM;
		}
	} else {
		for (off = 1; off < size - 1 && USED(off); off++)
			;
		if (off >= size - 1) {
			free(used);
			snprintf(whybuf, sizeof whybuf, "network '%s' is full: no free address left in it", name);
			*why = whybuf;
			return ST_PERM;
		}
	}
#undef USED
#undef MARK
	free(used);
	st_ip4_str(c.addr + off, ip);
	if ((st = st_db_prep(db, "INSERT INTO addresses (instance, idx, net, ip) VALUES (?1, ?2, ?3, ?4)")) == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, idx);
	sqlite3_bind_text(st, 3, net, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ip, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE ?
		    "address taken meanwhile (retry)" : st_db_err(db);
		return sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY ? ST_PERM : st_db_code(db, rc);
	}
	return ST_OK;
}

json_t *
st_inst_nets_json(struct st_db *db, const char *inst, json_t **first)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT a.net, n.name, a.ip, n.subnet, n.gateway FROM addresses a "
	    "LEFT JOIN networks n ON n.id = a.net WHERE a.instance = ?1 ORDER BY a.idx");
	json_t *a = json_array();
	const char *why;

	*first = NULL;
	if (st == NULL)
		return a;
	sqlite3_bind_text(st, 1, inst, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct st_cidr c = { 0, 0 };
		const char *net = (const char *)sqlite3_column_text(st, 0);
		char br[16];

		if (*first == NULL)
			*first = json_string((const char *)sqlite3_column_text(st, 2));
		if (net == NULL)	/* a driver's own address: no network of ours */
			continue;
		st_parse_cidr((const char *)sqlite3_column_text(st, 3), &c, &why);
		st_net_bridge(net, br);
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:i, s:s, s:s, s:s}", "net", net,
		    "name", sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, 1)),
		    "ip", (const char *)sqlite3_column_text(st, 2), "prefix", c.len,
		    "gateway", (const char *)sqlite3_column_text(st, 4), "bridge", br,
		    "subnet", (const char *)sqlite3_column_text(st, 3)));
	}
	sqlite3_reset(st);
	if (*first == NULL)
		*first = json_null();
	return a;
}

/* a bridge made with ip(8), on a host without Docker */
static int
bridge_ip(json_t *n, char *err, size_t errn)
{
	const char *br = json_string_value(json_object_get(n, "bridge"));
	const char *gw = json_string_value(json_object_get(n, "gateway"));
	char path[64], addr[24];
	uint32_t a;
	const char *w;
	int prefix = (int)json_integer_value(json_object_get(n, "prefix"));

	/* only what this file printed reaches argv: stb- + hex, an address */
	if (br == NULL || strncmp(br, "stb-", 4) != 0 || strlen(br) > 15 || strspn(br + 4, "0123456789abcdef") != strlen(br + 4) ||
	    gw == NULL || st_parse_ip4(gw, &a, &w) < 0 || prefix < 8 || prefix > 30) {
		snprintf(err, errn, "a malformed network entry in the instance");
		return ST_PERM;
	}
	snprintf(path, sizeof path, "/sys/class/net/%s", br);
	if (access(path, F_OK) == 0)
		return ST_OK;
	st_ip4_str(a, addr);
	snprintf(addr + strlen(addr), sizeof addr - strlen(addr), "/%d", prefix);
	{
		const char *add[] = { "ip", "link", "add", br, "type", "bridge", NULL };
		const char *ad[] = { "ip", "addr", "add", addr, "dev", br, NULL };
		const char *up[] = { "ip", "link", "set", br, "up", NULL };
		char e[256];

		if (st_run(add, -1, e, sizeof e) != ST_OK || st_run(ad, -1, e, sizeof e) != ST_OK ||
		    st_run(up, -1, e, sizeof e) != ST_OK) {
			snprintf(err, errn, "unable to make bridge %s: %s", br, e);
			return ST_TEMP;
		}
	}
	return ST_OK;
}

int
st_net_host_prepare(struct st_db *db, const char *host, const char *kind, json_t *inst, char *err, size_t errn)
{
	const struct st_driver *drv = NULL;
	struct st_drv_ctx c;
	json_t *n;
	size_t i;
	int rc = ST_OK, docker;

	/* in a group: its host's table holds it before it runs (the table
	 * covers the instances placed there); failing closed */
	if (json_array_size(json_object_get(inst, "sgs")) > 0) {
		struct st_sg_apply_opts o = { .if_changed = 1 };

		if ((rc = st_sg_apply(db, host, &o)) != ST_OK) {
			snprintf(err, errn, "its security groups could not be applied on its host");
			return rc;
		}
	}
	if (strcmp(kind, "vm") != 0 || json_array_size(json_object_get(inst, "nets")) == 0)
		return ST_OK;
	/* one place for host-side work: local today, over ssh later */
	docker = (st_host_endpoints(db, host) & 1) && (drv = st_driver_load("docker")) != NULL && drv->net_ensure;
	if (docker && (rc = st_drv_ctx_host(db, host, &c)) != ST_OK) {
		snprintf(err, errn, "%s", c.err);
		st_drv_ctx_free(&c);
		return rc;
	}
	json_array_foreach(json_object_get(inst, "nets"), i, n) {
		if (docker) {
			if ((rc = drv->net_ensure(&c, n)) != ST_OK)
				snprintf(err, errn, "%s", c.err);
		} else {
			rc = bridge_ip(n, err, errn);
		}
		if (rc != ST_OK)
			break;
	}
	if (docker)
		st_drv_ctx_free(&c);
	return rc;
}

/* a bridge made with ip(8), once nothing is plugged into it */
static void
unbridge_ip(const char *netid)
{
	char br[16], path[64];
	const char *del[] = { "ip", "link", "del", br, NULL };
	char e[256];
	DIR *d;
	struct dirent *ent;
	int ports = 0;

	st_net_bridge(netid, br);
	snprintf(path, sizeof path, "/sys/class/net/%s/brif", br);
	if ((d = opendir(path)) == NULL)
		return;
	while ((ent = readdir(d)) != NULL)
		if (ent->d_name[0] != '.')
			ports++;
	closedir(d);
	if (ports > 0)
		st_warn("unable to remove bridge %s of network '%s': %d interface%s still on it", br, netid, ports, ports == 1 ? "" : "s");
	else if (st_run(del, -1, e, sizeof e) != ST_OK)
		st_warn("unable to remove bridge %s of network '%s': %s", br, netid, e);
}

void
st_net_host_remove(struct st_db *db, const char *netid)
{
	const struct st_driver *drv = st_driver_load("docker");
	json_t *hosts = st_reconcile_hosts(db), *h;
	size_t i;
	int ipbr = 0;

	/* every host: its Docker network (with the bridge), else the bridge
	 * ip(8) made for VMs; a host that cannot be reached keeps them */
	json_array_foreach(hosts, i, h) {
		const char *id = json_string_value(h);
		struct st_drv_ctx c;

		if (!(st_host_endpoints(db, id) & 1)) {
			ipbr = 1;
			continue;
		}
		if (drv == NULL || drv->net_remove == NULL)
			continue;
		if (st_drv_ctx_host(db, id, &c) == ST_OK && drv->net_remove(&c, netid) != ST_OK)
			st_warn("unable to remove the bridge of network '%s' on host '%s': %s", netid, c.host, c.err);
		st_drv_ctx_free(&c);
	}
	if (ipbr)
		unbridge_ip(netid);
	json_decref(hosts);
}
