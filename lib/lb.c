/* lb.c: load balancers in the state file: listeners, targets in server
 * slots, the haproxy.cfg generated from them, and following instances. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "st.h"

#define LB_MIN_SLOTS 8

static json_t *
text_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : json_string((const char *)sqlite3_column_text(st, i));
}

/* --check PATH reaches haproxy.cfg: an absolute path of printable ASCII
 * without spaces, quotes, backslashes, '#', '$' or '%' */
int
st_lb_valid_check(const char *s, const char **why)
{
	const char *p;

	*why = "not an absolute HTTP path (/..., printable ASCII without spaces, quotes, '\\', '#', '$' or '%', at most 255 bytes)";
	if (*s != '/' || strlen(s) > 255)
		return -1;
	for (p = s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'\\#$%", *p))
			return -1;
	return 0;
}

/* --bind ADDR: an IPv4 or IPv6 address, canonical into out */
int
st_lb_valid_bind(const char *s, char out[64], const char **why)
{
	unsigned char b[16];

	*why = "not an IPv4 or IPv6 address";
	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, out, 64) ? 0 : -1;
	if (inet_pton(AF_INET6, s, b) == 1)
		return inet_ntop(AF_INET6, b, out, 64) ? 0 : -1;
	return -1;
}

/* can the port be bound on the machine now? (our own HAProxy holds the
 * ports of this host's other load balancers: the state checks those) */
static int
port_free(const char *addr, int port, const char **why)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1, v6 = addr && strchr(addr, ':'), rc;

	if (v6)
		inet_pton(AF_INET6, addr, &s6.sin6_addr);
	else if (addr)
		inet_pton(AF_INET, addr, &s4.sin_addr);
	if ((fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*why = "unable to make a socket to test the port";
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	rc = v6 ? bind(fd, (struct sockaddr *)&s6, sizeof s6) : bind(fd, (struct sockaddr *)&s4, sizeof s4);
	if (rc < 0)
		*why = errno == EADDRINUSE ? "the port is already in use on this machine" :
		    errno == EADDRNOTAVAIL ? "the --bind address is not an address of this machine" :
		    "the port cannot be bound on this machine";
	close(fd);
	return rc;
}

static int
step_done(struct st_db *db, sqlite3_stmt *st, const char **why)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	return ST_OK;
}

int
st_lb_insert(struct st_db *db, struct st_lb *lb, const char **why)
{
	sqlite3_stmt *st;
	json_t *sel = NULL;
	char *selj = NULL;
	int rc, taken;
	size_t i;

	if (lb->name && st_name_taken(db, ST_LB, lb->name)) {
		*why = "the name is taken";
		return ST_PERM;
	}
	if ((st = st_db_prep(db, "SELECT coalesce(name, id) FROM lbs WHERE host = ?1 AND port = ?2")) == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, lb->port);
	taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (taken) {
		*why = "the port is already used by another load balancer on that host";
		return ST_PERM;
	}
	if (port_free(lb->bind, lb->port, why) < 0)
		return ST_PERM;
	if (lb->sel && lb->sel->n > 0) {
		sel = json_object();
		for (i = 0; i < lb->sel->n; i++)
			json_object_set_new(sel, lb->sel->v[i].key, json_string(lb->sel->v[i].val));
		selj = json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(sel);
	}
	st_id_new(ST_LB, lb->id);
	st = st_db_prep(db, "INSERT INTO lbs (id, name, host, port, bind, mode, algo, check_path, inter, "
	    "target_port, slots, sel, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (st == NULL) {
		free(selj);
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lb->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, lb->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, lb->port);
	sqlite3_bind_text(st, 5, lb->bind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, lb->mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, lb->algo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, lb->check, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, lb->inter);
	sqlite3_bind_int(st, 10, lb->target_port);
	sqlite3_bind_int(st, 11, LB_MIN_SLOTS);
	sqlite3_bind_text(st, 12, selj, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 13, st_now());
	rc = step_done(db, st, why);
	free(selj);
	return rc;
}

static int64_t
count_targets(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT count(*) FROM lb_targets WHERE lb = ?1");
	int64_t n = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

json_t *
st_lb_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT l.id, l.name, l.host, h.name, l.port, l.bind, l.mode, l.algo, "
	    "l.check_path, l.inter, l.target_port, l.slots, l.sel, l.created FROM lbs l JOIN hosts h ON h.id = l.host "
	    "WHERE l.id = ?1");
	json_t *o, *sel;
	char c[32], oid[ST_ID_LEN + 1];

	if (st == NULL)
		return NULL;
	snprintf(oid, sizeof oid, "%s", id);
	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	sel = sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : json_loads((const char *)sqlite3_column_text(st, 12), 0, NULL);
	st_time_iso(sqlite3_column_int64(st, 13), c);
	o = json_pack("{s:s, s:o, s:s, s:o, s:i, s:o, s:s, s:s, s:o, s:i, s:i, s:i, s:o, s:s}",
	    "id", oid,
	    "name", text_or_null(st, 1),
	    "host", (const char *)sqlite3_column_text(st, 2),
	    "host_name", text_or_null(st, 3),
	    "port", sqlite3_column_int(st, 4),
	    "bind", text_or_null(st, 5),
	    "mode", (const char *)sqlite3_column_text(st, 6),
	    "algo", (const char *)sqlite3_column_text(st, 7),
	    "check", text_or_null(st, 8),
	    "check_interval", sqlite3_column_int(st, 9),
	    "target_port", sqlite3_column_int(st, 10),
	    "slots", sqlite3_column_int(st, 11),
	    "select", sel ? sel : json_object(),
	    "created", c);
	sqlite3_reset(st);
	json_object_set_new(o, "targets", json_integer(count_targets(db, oid)));
	json_object_set_new(o, "labels", st_labels_json(db, oid));
	json_object_set_new(o, "attrs", st_attrs_json(db, oid));
	return o;
}

/* the IDs of a query's first column, as an array */
static json_t *
ids_of(struct st_db *db, const char *sql, const char *arg)
{
	sqlite3_stmt *st = st_db_prep(db, sql);
	json_t *a = json_array();

	if (st == NULL)
		return a;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	return a;
}

int
st_lb_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	json_t *ids = ids_of(db, "SELECT id FROM lbs ORDER BY created, id", NULL), *v, *o;
	int code = ST_OK;
	size_t i;

	json_array_foreach(ids, i, v) {
		if ((o = st_lb_json(db, json_string_value(v))) == NULL)
			continue;
		code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
	}
	json_decref(ids);
	return code;
}

int
st_lb_host(struct st_db *db, const char *lb, char host[ST_ID_LEN + 1])
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT host FROM lbs WHERE id = ?1");
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(host, ST_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ST_OK : ST_PERM;
}

/* the lowest free slot: max + 1 when slots are dense (an index seek),
 * else the first gap */
static int
free_slot(struct st_db *db, const char *lb)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT coalesce(max(slot), 0), count(*) FROM lb_targets WHERE lb = ?1");
	int max = 0, n = 0, slot;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		max = sqlite3_column_int(st, 0);
		n = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	if (n == max)
		return max + 1;
	st = st_db_prep(db, "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM lb_targets WHERE lb = ?1 AND slot = 1) THEN 1 "
	    "ELSE (SELECT t.slot + 1 FROM lb_targets t WHERE t.lb = ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM lb_targets u WHERE u.lb = ?1 AND u.slot = t.slot + 1) ORDER BY t.slot LIMIT 1) END");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	slot = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return slot;
}

int
st_lb_target_add(struct st_db *db, const char *lb, const char *inst, int selected, int *changed, const char **why)
{
	sqlite3_stmt *st;
	int rc, slot, have = -1, slots = 0;

	*changed = 0;
	if ((st = st_db_prep(db, "SELECT selected FROM lb_targets WHERE lb = ?1 AND instance = ?2")) == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inst, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (have >= 0) {
		/* added by hand, it stays when it stops */
		if (have && !selected) {
			st = st_db_prep(db, "UPDATE lb_targets SET selected = 0 WHERE lb = ?1 AND instance = ?2");
			sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, inst, -1, SQLITE_STATIC);
			return step_done(db, st, why);
		}
		return ST_OK;
	}
	if ((slot = free_slot(db, lb)) < 1) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	st = st_db_prep(db, "INSERT INTO lb_targets (lb, instance, slot, selected) VALUES (?1, ?2, ?3, ?4)");
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inst, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, slot);
	sqlite3_bind_int(st, 4, selected);
	if ((rc = step_done(db, st, why)) != ST_OK)
		return rc;
	*changed = 1;
	/* out of slots: twice as many, which takes a reload */
	st = st_db_prep(db, "SELECT slots FROM lbs WHERE id = ?1");
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		slots = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (slot <= slots)
		return ST_OK;
	while (slots < slot)
		slots = slots < LB_MIN_SLOTS ? LB_MIN_SLOTS : slots * 2;
	st = st_db_prep(db, "UPDATE lbs SET slots = ?2 WHERE id = ?1");
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, slots);
	return step_done(db, st, why);
}

int
st_lb_target_del(struct st_db *db, const char *lb, const char *inst, int *changed, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "DELETE FROM lb_targets WHERE lb = ?1 AND instance = ?2");
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inst, -1, SQLITE_STATIC);
	rc = step_done(db, st, why);
	*changed = rc == ST_OK && sqlite3_changes(db->h) > 0;
	return rc;
}

int
st_lb_delete(struct st_db *db, const char *lb, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "DELETE FROM lbs WHERE id = ?1");
	int rc;

	if (st == NULL) {
		*why = st_db_err(db);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	if ((rc = step_done(db, st, why)) == ST_OK)
		st_obj_forget(db, lb);
	return rc;
}

/* the lb's --select labels; 0: it has none */
static int
sel_of(struct st_db *db, const char *lb, struct st_kvs *k)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT sel FROM lbs WHERE id = ?1 AND sel IS NOT NULL");
	json_t *o = NULL, *v;
	const char *key;

	memset(k, 0, sizeof *k);
	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	json_object_foreach(o, key, v) {
		/* st_kvs: the value lives in the key's block */
		const char *val = json_string_value(v) ? json_string_value(v) : "";
		size_t kl = strlen(key), vl = strlen(val);
		char *b = st_malloc(kl + vl + 2);

		memcpy(b, key, kl + 1);
		memcpy(b + kl + 1, val, vl + 1);
		st_kvs_add(k, b, b + kl + 1);
	}
	json_decref(o);
	return k->n > 0;
}

struct selctx { struct st_db *db; const char *lb; int rc; const char *why; };

static int
sel_one(json_t *o, void *ctx)
{
	struct selctx *s = ctx;
	int changed;

	if (s->rc == ST_OK)
		s->rc = st_lb_target_add(s->db, s->lb, json_string_value(json_object_get(o, "id")), 1, &changed, &s->why);
	return ST_OK;
}

int
st_lb_select(struct st_db *db, const char *lb, const char **why)
{
	struct st_inst_filter f = { .state = "running" };
	struct selctx s = { .db = db, .lb = lb, .rc = ST_OK };
	struct st_kvs k;
	int rc;

	if (!sel_of(db, lb, &k))
		return ST_OK;
	f.labels = &k;
	rc = st_inst_each(db, &f, sel_one, &s);
	st_kvs_free(&k);
	*why = s.why ? s.why : st_db_err(db);
	return ST_MAX(rc, s.rc);
}

/* a growing string */
struct str { char *p; size_t len, cap; };

static void
add(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct str *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < s->cap - s->len)
			break;
		s->cap = (s->cap + (size_t)n + 1) * 2;
		s->p = st_realloc(s->p, s->cap);
	}
	s->len += (size_t)n;
}

/* the backend's servers: sN is slot N, enabled when its instance runs
 * and has an address */
static void
servers(struct st_db *db, struct str *s, const char *lb, int slots, int tport)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT t.slot, i.state = 'running', "
	    "(SELECT ip FROM addresses a WHERE a.instance = t.instance ORDER BY idx LIMIT 1) "
	    "FROM lb_targets t LEFT JOIN instances i ON i.id = t.instance WHERE t.lb = ?1 ORDER BY t.slot");
	int next = 1, slot, rc;

	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	for (;;) {
		const char *ip = NULL;

		rc = sqlite3_step(st);
		slot = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : slots + 1;
		for (; next < slot && next <= slots; next++)
			add(s, "\tserver s%d 127.0.0.1:%d disabled\n", next, tport);
		if (rc != SQLITE_ROW)
			break;
		if (slot > slots)
			continue;
		if (sqlite3_column_int(st, 1) && sqlite3_column_type(st, 2) != SQLITE_NULL)
			ip = (const char *)sqlite3_column_text(st, 2);
		if (ip && strchr(ip, ':'))
			add(s, "\tserver s%d [%s]:%d\n", slot, ip, tport);
		else if (ip)
			add(s, "\tserver s%d %s:%d\n", slot, ip, tport);
		else
			add(s, "\tserver s%d 127.0.0.1:%d disabled\n", slot, tport);
		next = slot + 1;
	}
	sqlite3_reset(st);
}

char *
st_lb_config(struct st_db *db, const char *host, const char *dir, int *nlbs)
{
	sqlite3_stmt *st;
	struct str s = { 0 };
	json_t *ids;
	size_t i;
	json_t *v;

	*nlbs = 0;
	add(&s, "# haproxy.cfg: generated by Stampede from the state file in %s/../.. for host %s;\n"
	    "# st-lb-* commands rewrite it: edits here are lost\n"
	    "global\n"
	    "\tmaster-worker\n"
	    "\tstats socket %s/admin.sock mode 600 level admin expose-fd listeners\n"
	    "\tstats timeout 30s\n"
	    "\thard-stop-after 30s\n"
	    "\n"
	    "defaults\n"
	    "\ttimeout connect 2s\n"
	    "\ttimeout client 60s\n"
	    "\ttimeout server 60s\n"
	    "\ttimeout check 2s\n"
	    "\tretries 3\n"
	    "\toption redispatch 1\n",
	    dir, host, dir);
	ids = ids_of(db, "SELECT id FROM lbs WHERE host = ?1 ORDER BY id", host);
	st = NULL;
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v), *mode, *algo, *bind, *check;
		int port, tport, inter, slots;

		if ((st = st_db_prep(db, "SELECT port, bind, mode, algo, check_path, inter, target_port, slots "
		    "FROM lbs WHERE id = ?1")) == NULL)
			break;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			continue;
		}
		port = sqlite3_column_int(st, 0);
		bind = (const char *)sqlite3_column_text(st, 1);
		mode = (const char *)sqlite3_column_text(st, 2);
		algo = (const char *)sqlite3_column_text(st, 3);
		check = (const char *)sqlite3_column_text(st, 4);
		inter = sqlite3_column_int(st, 5);
		tport = sqlite3_column_int(st, 6);
		slots = sqlite3_column_int(st, 7);
		add(&s, "\nfrontend f-%s\n\tmode %s\n", id, mode);
		if (bind && strchr(bind, ':'))
			add(&s, "\tbind [%s]:%d\n", bind, port);
		else
			add(&s, "\tbind %s:%d\n", bind ? bind : "", port);
		add(&s, "\tdefault_backend b-%s\n\nbackend b-%s\n\tmode %s\n\tbalance %s\n", id, id, mode, algo);
		if (check)
			add(&s, "\toption httpchk GET %s\n", check);
		add(&s, "\tdefault-server check inter %d fall 2 rise 1\n", inter);
		sqlite3_reset(st);
		servers(db, &s, id, slots, tport);
		(*nlbs)++;
	}
	json_decref(ids);
	return s.p;
}

static const char *const how_s[] = { "unchanged", "runtime", "reload", "start" };

static int
apply_how(struct st_db *db, const char *host, json_t *lbs, int warn, int *hp)
{
	struct st_hap h;
	char *cfg;
	json_t *v, *d;
	size_t i;
	int rc, n, how = ST_HAP_NOOP;

	if ((rc = st_hap_open(db, host, &h)) != ST_OK)
		goto fail;
	/* read under the host's lock: the latest state wins */
	if ((rc = st_db_read(db)) != ST_OK) {
		st_hap_close(&h);
		return rc;
	}
	cfg = st_lb_config(db, host, h.dir, &n);
	st_db_rollback(db);
	if (n == 0) {
		rc = st_hap_stop(&h);
		how = ST_HAP_NOOP;
	} else {
		rc = st_hap_apply(&h, cfg, &how);
	}
	free(cfg);
	if (rc != ST_OK)
		goto fail;
	st_hap_close(&h);
	if (hp)
		*hp = how;
	json_array_foreach(lbs, i, v) {
		const char *id = json_string_value(v);
		char lh[ST_ID_LEN + 1];

		if (st_lb_host(db, id, lh) != ST_OK || strcmp(lh, host) != 0)
			continue;

		d = json_pack("{s:s, s:s}", "host", host, "how", how_s[how]);
		st_event(db, id, "lb.apply", d);
		json_decref(d);
		if (st_hook_has("lb.apply.post") && st_obj_exists(db, id))
			st_hook_post(db, "lb.apply.post", id, NULL);
	}
	return ST_OK;
fail:
	st_hap_close(&h);
	if (warn) {
		st_warn("unable to apply the load balancers of host '%s': %s", host, h.err);
		return rc;
	}
	return st_fail(rc, "unable to apply the load balancers of host '%s': %s", host, h.err);
}

static int
apply(struct st_db *db, const char *host, json_t *lbs, int warn)
{
	return apply_how(db, host, lbs, warn, NULL);
}

int
st_lb_apply(struct st_db *db, const char *host, json_t *lbs)
{
	return apply(db, host, lbs, 0);
}

int
st_lb_reconcile(struct st_db *db, const char *host, int dry_run)
{
	json_t *ids = ids_of(db, "SELECT id FROM lbs WHERE host = ?1 ORDER BY id", host), *v;
	int rc = ST_OK, how = ST_HAP_NOOP;
	size_t i;

	if (json_array_size(ids) > 0 && !dry_run && (rc = apply_how(db, host, ids, 0, &how)) == ST_OK && how != ST_HAP_NOOP)
		json_array_foreach(ids, i, v)
			printf("%s\tlb-applied\t%s\n", json_string_value(v), how_s[how]);
	json_decref(ids);
	return rc;
}

/* `show stat` CSV: the index of each column by name */
static int
col_index(char *header, const char *name)
{
	char *p = header, *e;
	int i = 0;
	size_t n = strlen(name);

	if (*p == '#')
		p += strspn(p + 1, " ") + 1;
	for (; p; p = e ? e + 1 : NULL, i++) {
		e = strchr(p, ',');
		if ((e ? (size_t)(e - p) : strlen(p)) == n && strncmp(p, name, n) == 0)
			return i;
	}
	return -1;
}

static const char *
field(char *line, int idx, char *buf, size_t n)
{
	char *p = line, *e;
	int i;

	*buf = '\0';
	for (i = 0; p && i < idx; i++)
		p = (e = strchr(p, ',')) ? e + 1 : NULL;
	if (p == NULL || idx < 0)
		return buf;
	e = strchr(p, ',');
	snprintf(buf, n, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
	return buf;
}

int
st_lb_stats(struct st_db *db, const char *lb, int (*cb)(json_t *, void *), void *ctx)
{
	struct st_hap h;
	sqlite3_stmt *st;
	char host[ST_ID_LEN + 1], *rep = NULL, *l, *save = NULL, *header = NULL, be[32];
	int rc, code = ST_OK, ipx = -1, isv = -1, ist = -1, iscur = -1, istot = -1, ibin = -1, ibout = -1, ichk = -1;
	json_t *stats = json_object(), *o;

	if ((rc = st_lb_host(db, lb, host)) != ST_OK)
		return st_fail(rc, "unable to read load balancer '%s': %s", lb, st_db_err(db));
	if ((rc = st_hap_open(db, host, &h)) == ST_OK)
		rc = st_hap_cmd(&h, "show stat -1 4 -1\n", &rep);
	st_hap_close(&h);
	if (rc != ST_OK) {
		json_decref(stats);
		return st_fail(rc, "unable to read the statistics of '%s': %s", lb, h.err);
	}
	snprintf(be, sizeof be, "b-%s", lb);
	for (l = strtok_r(rep, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char f[8][64];

		if (*l == '#') {
			header = l;
			ipx = col_index(header, "pxname");
			isv = col_index(header, "svname");
			ist = col_index(header, "status");
			iscur = col_index(header, "scur");
			istot = col_index(header, "stot");
			ibin = col_index(header, "bin");
			ibout = col_index(header, "bout");
			ichk = col_index(header, "check_status");
			continue;
		}
		if (header == NULL || strcmp(field(l, ipx, f[0], sizeof f[0]), be) != 0)
			continue;
		field(l, isv, f[0], sizeof f[0]);
		o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}",
		    "status", field(l, ist, f[1], sizeof f[1]),
		    "sessions", (json_int_t)strtoll(field(l, iscur, f[2], sizeof f[2]), NULL, 10),
		    "sessions_total", (json_int_t)strtoll(field(l, istot, f[3], sizeof f[3]), NULL, 10),
		    "bytes_in", (json_int_t)strtoll(field(l, ibin, f[4], sizeof f[4]), NULL, 10),
		    "bytes_out", (json_int_t)strtoll(field(l, ibout, f[5], sizeof f[5]), NULL, 10),
		    "check", field(l, ichk, f[6], sizeof f[6]));
		json_object_set_new(stats, f[0], o);
	}
	free(rep);
	st = st_db_prep(db, "SELECT t.instance, i.name, t.slot, i.state, "
	    "(SELECT ip FROM addresses a WHERE a.instance = t.instance ORDER BY idx LIMIT 1) "
	    "FROM lb_targets t LEFT JOIN instances i ON i.id = t.instance WHERE t.lb = ?1 ORDER BY t.slot");
	if (st == NULL) {
		json_decref(stats);
		return ST_PERM;
	}
	sqlite3_bind_text(st, 1, lb, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char sv[32];
		json_t *s;

		snprintf(sv, sizeof sv, "s%d", sqlite3_column_int(st, 2));
		s = json_object_get(stats, sv);
		o = json_pack("{s:s, s:o, s:i, s:o, s:o}",
		    "id", (const char *)sqlite3_column_text(st, 0),
		    "name", text_or_null(st, 1),
		    "slot", sqlite3_column_int(st, 2),
		    "instance_state", text_or_null(st, 3),
		    "addr", text_or_null(st, 4));
		if (s)
			json_object_update(o, s);
		else
			json_object_set_new(o, "status", json_string("absent"));
		code = ST_MAX(code, cb(o, ctx));
		json_decref(o);
	}
	sqlite3_reset(st);
	json_decref(stats);
	return code;
}

void
st_lb_follow(struct st_db *db, const char *id, const char *host, const char *what)
{
	sqlite3_stmt *st;
	json_t *lbs, *hosts, *v;
	const char *why = NULL;
	int any = 0, rc = ST_OK, up = strcmp(what, "start") == 0 || strcmp(what, "restart") == 0;
	size_t i;

	(void)host;
	/* no load balancer, no cost but this one query */
	if ((st = st_db_prep(db, "SELECT 1 FROM lbs LIMIT 1")) == NULL)
		return;
	any = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!any || st_db_begin(db) != ST_OK)
		return;
	if (up) {
		/* it joins the load balancers that select it */
		json_t *sel = ids_of(db, "SELECT id FROM lbs WHERE sel IS NOT NULL", NULL);

		json_array_foreach(sel, i, v) {
			struct st_kvs k;
			int changed;

			if (rc == ST_OK && sel_of(db, json_string_value(v), &k) && st_labels_match(db, id, &k))
				rc = st_lb_target_add(db, json_string_value(v), id, 1, &changed, &why);
			st_kvs_free(&k);
		}
		json_decref(sel);
	}
	lbs = ids_of(db, "SELECT lb FROM lb_targets WHERE instance = ?1", id);
	hosts = ids_of(db, "SELECT DISTINCT l.host FROM lb_targets t JOIN lbs l ON l.id = t.lb WHERE t.instance = ?1", id);
	if (rc == ST_OK && strcmp(what, "remove") == 0) {
		st = st_db_prep(db, "DELETE FROM lb_targets WHERE instance = ?1");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = step_done(db, st, &why);
	} else if (rc == ST_OK && strcmp(what, "stop") == 0) {
		/* selected ones leave; added by hand, they wait disabled */
		st = st_db_prep(db, "DELETE FROM lb_targets WHERE instance = ?1 AND selected");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = step_done(db, st, &why);
	}
	if (rc == ST_OK)
		rc = st_db_commit(db);
	else
		st_db_rollback(db);
	if (rc != ST_OK)
		st_warn("unable to update the load balancers of '%s': %s", id, why ? why : st_db_err(db));
	else
		json_array_foreach(hosts, i, v)
			apply(db, json_string_value(v), lbs, 1);
	json_decref(lbs);
	json_decref(hosts);
}
