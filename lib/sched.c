/* sched.c: placement: hosts filtered and ranked through the free-capacity
 * indexes (a seek, O(log n) in hosts), capacity and host ports reserved and
 * released inside the caller's transaction, --explain, and host drain. */
#include <stdlib.h>
#include <string.h>

#include "st.h"

/* index entries the other filters may refuse before a label constraint
 * is walked instead (hosts with that label, through labels_kv) */
#define SCAN_MAX 256
/* fitting hosts looked at for one that holds none of the --spread-by group */
#define SOFT_MAX 64
#define NCLOSE 3

/* the filters, in the order --explain counts a host under the first one
 * that refuses it */
enum { F_FIT, F_STATE, F_KIND, F_EXCLUDE, F_CONSTRAINT, F_PORTS, F_CPU, F_MEM, F_N };
static const char *const fname[F_N] = { "fit", "state", "kind", "exclude",
	"constraint", "ports", "cpu", "mem" };
static const char *const fwhy[F_N] = { "",
	"not active (drained or unreachable)", "does not run this kind",
	"named by --exclude", "refused by --constraint", "a host port is taken",
	"not enough free cpu", "not enough free memory" };
static const char *const fbrief[F_N] = { "", "not active", "of another kind",
	"excluded", "refused by a constraint", "with a host port taken",
	"short of cpu", "short of memory" };

struct inst {
	char id[ST_ID_LEN + 1], state[16], host[ST_ID_LEN + 1], hname[64];
	int kind;			/* 1 container, 2 vm, as hosts.kinds */
	int64_t cpu, mem;
	struct st_port *ports;
	size_t nports;
	char group[64];			/* its value of the --spread-by label */
	int grouped;
	char vhost[ST_ID_LEN + 1];	/* its volumes' host (issue 8), or "" */
};

struct cand {
	char id[ST_ID_LEN + 1], name[64];
	int64_t cpu_free, mem_free, group;
	int ok;
};

/* hosts that take a kind, by free capacity: [vm][binpack] */
static const char *const sql_fit[2][2] = {
	{ "SELECT id, coalesce(name, id), cpu_free, mem_free FROM hosts WHERE state = 'active' AND kinds & 1 "
	    "AND cpu_free >= ?1 AND mem_free >= ?2 ORDER BY cpu_free DESC, mem_free DESC",
	  "SELECT id, coalesce(name, id), cpu_free, mem_free FROM hosts WHERE state = 'active' AND kinds & 1 "
	    "AND cpu_free >= ?1 AND mem_free >= ?2 ORDER BY cpu_free, mem_free" },
	{ "SELECT id, coalesce(name, id), cpu_free, mem_free FROM hosts WHERE state = 'active' AND kinds & 2 "
	    "AND cpu_free >= ?1 AND mem_free >= ?2 ORDER BY cpu_free DESC, mem_free DESC",
	  "SELECT id, coalesce(name, id), cpu_free, mem_free FROM hosts WHERE state = 'active' AND kinds & 2 "
	    "AND cpu_free >= ?1 AND mem_free >= ?2 ORDER BY cpu_free, mem_free" },
};

static const char sp_begin[] = "SAVEPOINT st_record";
static const char sp_release[] = "RELEASE st_record";
static const char sp_undo[] = "ROLLBACK TO st_record";

/* a statement that does not prepare means a broken state file or build */
static sqlite3_stmt *
prep(struct st_db *db, const char *sql)
{
	sqlite3_stmt *st = st_db_prep(db, sql);

	if (st == NULL)
		st_die(ST_PERM, "unable to use state '%s': %s", st_q(db->path), st_db_err(db));
	return st;
}

static int
exec(struct st_db *db, const char *sql)
{
	sqlite3_stmt *st = prep(db, sql);
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : st_db_code(db, rc);
}

/* a record's writes are all or nothing; the batch goes on */
static void
undo(struct st_db *db)
{
	exec(db, sp_undo);
	exec(db, sp_release);
}

static void
copy(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

int
st_constraint_parse(const char *s, struct st_constraint *c, const char **why)
{
	char *eq;

	c->key = st_strdup(s);
	if ((eq = strchr(c->key, '=')) == NULL) {
		*why = "not key=value or key!=value";
		goto bad;
	}
	c->val = eq + 1;
	c->neg = eq > c->key && eq[-1] == '!';
	eq[-c->neg] = '\0';
	if (st_valid_label_key(c->key, why) < 0 || st_valid_label_value(c->val, why) < 0)
		goto bad;
	return 0;
bad:
	free(c->key);
	c->key = c->val = NULL;
	return -1;
}

int
st_sched_exclude(struct st_db *db, struct st_sched *s, const char *host)
{
	char id[ST_ID_LEN + 1];
	int rc;

	if ((rc = st_resolve(db, ST_HOST, host, id)) != ST_OK)
		return rc;
	s->exclude = st_realloc(s->exclude, (s->nexclude + 1) * sizeof *s->exclude);
	memcpy(s->exclude[s->nexclude++], id, sizeof id);
	return ST_OK;
}

void
st_sched_free(struct st_sched *s)
{
	size_t i;

	for (i = 0; i < s->ncons; i++)
		free(s->cons[i].key);
	free(s->cons);
	free(s->exclude);
	s->cons = NULL;
	s->exclude = NULL;
	s->ncons = s->nexclude = 0;
}

void
st_sched_init(void)
{
	/* one thread per command: SQLite's mutexes and memory statistics
	 * cost a tenth of a placement and buy nothing */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* once per connection */
static void
tune(struct st_db *db)
{
	static sqlite3 *done;

	if (done == db->h)
		return;
	done = db->h;
	/* the host table and its indexes stay in the page cache (64 MiB at
	 * most, allocated as used): a seek stays flat at 100,000 hosts */
	sqlite3_exec(db->h, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	/* a stopped instance's savepoint journals the pages it changes in
	 * memory, not in a temporary file written page by page */
	sqlite3_exec(db->h, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
}

static int
label_get(struct st_db *db, const char *obj, const char *key, char val[64])
{
	sqlite3_stmt *st = prep(db, "SELECT value FROM labels WHERE obj = ?1 AND key = ?2");
	int found;

	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if ((found = sqlite3_step(st) == SQLITE_ROW))
		copy(val, 64, st, 0);
	sqlite3_reset(st);
	return found;
}

static int
port_taken(struct st_db *db, const char *host, const struct st_port *p)
{
	sqlite3_stmt *st = prep(db, "SELECT 1 FROM instance_ports WHERE host_of = ?1 AND proto = ?2 AND host_port = ?3");
	int taken;

	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->host);
	taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return taken;
}

static int64_t
group_count(struct st_db *db, const char *host, const char *key, const char *val)
{
	sqlite3_stmt *st = prep(db, "SELECT count(*) FROM instances i JOIN labels l ON l.obj = i.id "
	    "WHERE i.host = ?1 AND l.key = ?2 AND l.value = ?3");
	int64_t n = 0;

	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, val, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* the filters the indexes cannot apply; F_FIT when none refuses */
static int
refuse(struct st_db *db, const struct st_sched *s, const struct inst *in, const char *host)
{
	char v[64];
	size_t i;
	int match;

	for (i = 0; i < s->nexclude; i++)
		if (strcmp(s->exclude[i], host) == 0)
			return F_EXCLUDE;
	for (i = 0; i < s->ncons; i++) {
		match = label_get(db, host, s->cons[i].key, v) && strcmp(v, s->cons[i].val) == 0;
		if (match == s->cons[i].neg)
			return F_CONSTRAINT;
	}
	for (i = 0; i < in->nports; i++)
		if (port_taken(db, host, &in->ports[i]))
			return F_PORTS;
	return F_FIT;
}

static void
cand_row(sqlite3_stmt *st, struct cand *c)
{
	copy(c->id, sizeof c->id, st, 0);
	copy(c->name, sizeof c->name, st, 1);
	c->cpu_free = sqlite3_column_int64(st, 2);
	c->mem_free = sqlite3_column_int64(st, 3);
	c->group = 0;
	c->ok = 1;
}

/* a ranks before b: fewer of the group, then by the strategy */
static int
better(const struct st_sched *s, const struct cand *a, const struct cand *b)
{
	int sign = s->strategy == ST_SPREAD ? 1 : -1;

	if (!b->ok)
		return 1;
	if (a->group != b->group)
		return a->group < b->group;
	if (a->cpu_free != b->cpu_free)
		return sign * (a->cpu_free > b->cpu_free ? 1 : -1) > 0;
	return sign * (a->mem_free > b->mem_free ? 1 : a->mem_free < b->mem_free ? -1 : 0) > 0;
}

static int
scan_fail(struct st_db *db, int rc)
{
	return st_fail(st_db_code(db, rc), "unable to read hosts: %s", st_db_err(db));
}

/* every host with label key=value that fits: O(hosts with the label) */
static int
pick_labelled(struct st_db *db, const struct st_sched *s, const struct inst *in,
    const struct st_constraint *k, struct cand *best)
{
	sqlite3_stmt *st = prep(db, "SELECT h.id, coalesce(h.name, h.id), h.cpu_free, h.mem_free "
	    "FROM labels l JOIN hosts h ON h.id = l.obj WHERE l.key = ?1 AND l.value = ?2 "
	    "AND l.obj >= 'h-' AND l.obj < 'h.' AND h.state = 'active' AND h.kinds & ?3 "
	    "AND h.cpu_free >= ?4 AND h.mem_free >= ?5");
	struct cand c;
	int rc;

	sqlite3_bind_text(st, 1, k->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->val, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, in->kind);
	sqlite3_bind_int64(st, 4, in->cpu);
	sqlite3_bind_int64(st, 5, in->mem);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cand_row(st, &c);
		if (refuse(db, s, in, c.id) != F_FIT)
			continue;
		if (in->grouped)
			c.group = group_count(db, c.id, s->spread_by, in->group);
		if (better(s, &c, best))
			*best = c;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : scan_fail(db, rc);
}

/* an instance with volumes: their host, if it fits */
static int
pick_vhost(struct st_db *db, const struct st_sched *s, const struct inst *in, struct cand *best)
{
	sqlite3_stmt *st = prep(db, "SELECT id, coalesce(name, id), cpu_free, mem_free FROM hosts "
	    "WHERE id = ?1 AND state = 'active' AND kinds & ?2 AND cpu_free >= ?3 AND mem_free >= ?4");
	struct cand c;
	int rc;

	sqlite3_bind_text(st, 1, in->vhost, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, in->kind);
	sqlite3_bind_int64(st, 3, in->cpu);
	sqlite3_bind_int64(st, 4, in->mem);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cand_row(st, &c);
		if (refuse(db, s, in, c.id) == F_FIT)
			*best = c;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : scan_fail(db, rc);
}

/* the best host, or best->ok == 0: one index seek, then the first
 * candidates in strategy order until one passes the other filters */
static int
pick(struct st_db *db, const struct st_sched *s, const struct inst *in, struct cand *best)
{
	sqlite3_stmt *st = prep(db, sql_fit[in->kind == 2][s->strategy == ST_BINPACK]);
	const struct st_constraint *k = NULL;
	struct cand c;
	int rc, n = 0, nfit = 0;
	size_t i;

	best->ok = 0;
	if (*in->vhost)
		return pick_vhost(db, s, in, best);
	for (i = 0; i < s->ncons && k == NULL; i++)
		if (!s->cons[i].neg)
			k = &s->cons[i];
	sqlite3_bind_int64(st, 1, in->cpu);
	sqlite3_bind_int64(st, 2, in->mem);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		cand_row(st, &c);
		if (refuse(db, s, in, c.id) != F_FIT) {
			/* a rare label is cheaper to walk than the whole index */
			if (k && nfit == 0 && n >= SCAN_MAX) {
				sqlite3_reset(st);
				return pick_labelled(db, s, in, k, best);
			}
			continue;
		}
		nfit++;
		if (in->grouped)
			c.group = group_count(db, c.id, s->spread_by, in->group);
		if (!best->ok || c.group < best->group)
			*best = c;
		if (c.group == 0 || nfit >= SOFT_MAX)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : scan_fail(db, rc);
}

/* --explain: every host counted under the first filter that refuses it;
 * O(hosts), so only for --explain and for failures */
struct tally {
	int64_t n[F_N], total, grouped;
	struct { char name[64]; int64_t cpu, mem; double score; } close[NCLOSE];
	int nclose;
};

static void
closest(struct tally *t, const char *name, int64_t cpu, int64_t mem, double score)
{
	int i;

	if (t->nclose == NCLOSE && score >= t->close[NCLOSE - 1].score)
		return;
	if (t->nclose < NCLOSE)
		t->nclose++;
	for (i = t->nclose - 1; i > 0 && t->close[i - 1].score > score; i--)
		t->close[i] = t->close[i - 1];
	snprintf(t->close[i].name, sizeof t->close[i].name, "%s", name);
	t->close[i].cpu = cpu;
	t->close[i].mem = mem;
	t->close[i].score = score;
}

static int
tally(struct st_db *db, const struct st_sched *s, const struct inst *in, struct tally *t)
{
	sqlite3_stmt *st = prep(db, "SELECT id, coalesce(name, id), state, kinds, cpu_free, mem_free FROM hosts");
	char id[ST_ID_LEN + 1], name[64];
	int64_t cf, mf, cs, ms;
	int rc, f;

	memset(t, 0, sizeof *t);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		copy(id, sizeof id, st, 0);
		copy(name, sizeof name, st, 1);
		cf = sqlite3_column_int64(st, 4);
		mf = sqlite3_column_int64(st, 5);
		if (strcmp((const char *)sqlite3_column_text(st, 2), "active") != 0)
			f = F_STATE;
		else if (!(sqlite3_column_int(st, 3) & in->kind))
			f = F_KIND;
		else if ((f = refuse(db, s, in, id)) == F_FIT && (cf < in->cpu || mf < in->mem))
			f = cf < in->cpu ? F_CPU : F_MEM;
		t->total++;
		t->n[f]++;
		if (f == F_CPU || f == F_MEM) {
			cs = cf < in->cpu ? in->cpu - cf : 0;
			ms = mf < in->mem ? in->mem - mf : 0;
			closest(t, name, cs, ms, (double)cs / in->cpu > (double)ms / in->mem ?
			    (double)cs / in->cpu : (double)ms / in->mem);
		}
		if (f == F_FIT && in->grouped && group_count(db, id, s->spread_by, in->group) > 0)
			t->grouped++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : scan_fail(db, rc);
}

/* the summary in "no host fits (...)" */
static void
brief(const struct tally *t, char *buf, size_t n)
{
	size_t len = 0;
	int f;

	if (t->total == 0) {
		snprintf(buf, n, "no hosts registered");
		return;
	}
	len = snprintf(buf, n, "%lld host%s", (long long)t->total, t->total == 1 ? "" : "s");
	for (f = F_STATE; f < F_N && len < n; f++)
		if (t->n[f])
			len += snprintf(buf + len, n - len, ", %lld %s", (long long)t->n[f], fbrief[f]);
}

static void
explain(const struct st_sched *s, const struct inst *in, const struct tally *t, const struct cand *to)
{
	char *txt = NULL, c[32], m[32];
	size_t len = 0;
	FILE *f = open_memstream(&txt, &len);
	int i;

	if (f == NULL)
		return;
	st_fmt_cpu(in->cpu, c);
	st_fmt_size(in->mem, m);
	fprintf(f, "%s: explain '%s': %s, cpu %s, mem %s, %s: %lld hosts, %lld fit\n", st_prog, in->id,
	    in->kind == 2 ? "vm" : "container", c, m, s->strategy == ST_SPREAD ? "spread" : "binpack",
	    (long long)t->total, (long long)t->n[F_FIT]);
	for (i = F_STATE; i < F_N; i++)
		fprintf(f, "  %-11s %6lld  %s\n", fname[i], (long long)t->n[i], fwhy[i]);
	if (in->grouped)
		fprintf(f, "  %-11s %6lld  fitting hosts already hold %s=%s\n", "spread-by",
		    (long long)t->grouped, s->spread_by, in->group);
	for (i = 0; i < t->nclose; i++) {
		fprintf(f, "  %-11s %s:", "closest", t->close[i].name);
		if (t->close[i].cpu) {
			st_fmt_cpu(t->close[i].cpu, c);
			fprintf(f, " %s cpu short%s", c, t->close[i].mem ? "," : "");
		}
		if (t->close[i].mem) {
			st_fmt_size(t->close[i].mem, m);
			fprintf(f, " %s mem short", m);
		}
		fputc('\n', f);
	}
	if (to && to->ok)
		fprintf(f, "  %-11s %s\n", "placed", to->name);
	fclose(f);
	fflush(stdout);
	fwrite(txt, 1, len, stderr);	/* one write: parallel runs do not interleave */
	free(txt);
}

/* the instance row; *found = 0 when there is none */
static int
load(struct st_db *db, const char *id, struct inst *in, int *found)
{
	sqlite3_stmt *st = prep(db, "SELECT i.state, i.kind, i.cpu, i.mem, i.host, coalesce(h.name, h.id) "
	    "FROM instances i LEFT JOIN hosts h ON h.id = i.host WHERE i.id = ?1");
	int rc;

	*found = 0;
	snprintf(in->id, sizeof in->id, "%s", id);
	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*found = 1;
		copy(in->state, sizeof in->state, st, 0);
		in->kind = strcmp((const char *)sqlite3_column_text(st, 1), "vm") == 0 ? 2 : 1;
		in->cpu = sqlite3_column_int64(st, 2);
		in->mem = sqlite3_column_int64(st, 3);
		copy(in->host, sizeof in->host, st, 4);
		copy(in->hname, sizeof in->hname, st, 5);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st_db_code(db, rc), "unable to read instance '%s': %s", in->id, st_db_err(db));
	return ST_OK;
}

/* an exact ID first without st_resolve's extra statement: the common case */
static int
find(struct st_db *db, const char *arg, struct inst *in)
{
	char id[ST_ID_LEN + 1];
	int rc, found = 0;

	memset(in, 0, sizeof *in);
	if (strlen(arg) == ST_ID_LEN && st_type_of_id(arg) == ST_INSTANCE &&
	    ((rc = load(db, arg, in, &found)) != ST_OK || found))
		return rc;
	if ((rc = st_resolve(db, ST_INSTANCE, arg, id)) != ST_OK)
		return rc;
	if ((rc = load(db, id, in, &found)) != ST_OK)
		return rc;
	return found ? ST_OK : st_fail(ST_PERM, "unable to find instance '%s': no such instance", st_q(arg));
}

static int
load_ports(struct st_db *db, struct inst *in)
{
	sqlite3_stmt *st = prep(db, "SELECT proto, host_port FROM instance_ports WHERE instance = ?1");
	int rc;

	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		in->ports = st_realloc(in->ports, (in->nports + 1) * sizeof *in->ports);
		copy(in->ports[in->nports].proto, sizeof in->ports[0].proto, st, 0);
		in->ports[in->nports].host = sqlite3_column_int(st, 1);
		in->ports[in->nports++].port = 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : st_db_code(db, rc);
}

static int
step_changed(struct st_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(db->h);
}

/* gives back what the instance holds on its host: cpu, mem, host ports */
static int
release(struct st_db *db, const struct inst *in, const char **why)
{
	sqlite3_stmt *st;

	if (*in->host == '\0')
		return ST_OK;
	st = prep(db, "UPDATE hosts SET cpu_used = cpu_used - ?2, mem_used = mem_used - ?3, "
	    "ninst = ninst - 1 WHERE id = ?1");
	sqlite3_bind_text(st, 1, in->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in->cpu);
	sqlite3_bind_int64(st, 3, in->mem);
	if (step_changed(db, st) != 1)
		goto fail;
	st = prep(db, "UPDATE instance_ports SET host_of = NULL WHERE instance = ?1");
	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	if (step_changed(db, st) < 0)
		goto fail;
	st = prep(db, "UPDATE instances SET host = NULL, updated = ?3 WHERE id = ?1 AND host = ?2");
	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, st_now());
	if (step_changed(db, st) != 1)
		goto fail;
	return ST_OK;
fail:
	*why = st_db_err(db);
	return ST_PERM;
}

/* compare-and-set: the host still has room, the instance is still unplaced */
static int
reserve(struct st_db *db, const struct inst *in, const char *host, const char **why)
{
	sqlite3_stmt *st;
	int n;

	st = prep(db, "UPDATE hosts SET cpu_used = cpu_used + ?2, mem_used = mem_used + ?3, ninst = ninst + 1 "
	    "WHERE id = ?1 AND state = 'active' AND cpu_free >= ?2 AND mem_free >= ?3");
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, in->cpu);
	sqlite3_bind_int64(st, 3, in->mem);
	if ((n = step_changed(db, st)) != 1) {
		*why = n < 0 ? st_db_err(db) : "the host no longer has room";
		return n < 0 ? st_db_code(db, sqlite3_errcode(db->h)) : ST_PERM;
	}
	if (in->nports > 0) {
		st = prep(db, "UPDATE instance_ports SET host_of = ?2 WHERE instance = ?1");
		sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
		if (step_changed(db, st) < 0) {
			*why = "a host port is taken";
			return ST_PERM;
		}
	}
	/* the state as read: "state IN (...)" would build a temporary table */
	st = prep(db, "UPDATE instances SET state = 'scheduled', host = ?2, updated = ?3 "
	    "WHERE id = ?1 AND state = ?4 AND host IS NULL");
	sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, st_now());
	sqlite3_bind_text(st, 4, in->state, -1, SQLITE_STATIC);
	if ((n = step_changed(db, st)) != 1) {
		*why = n < 0 ? st_db_err(db) : "the instance changed state meanwhile";
		return n < 0 ? st_db_code(db, sqlite3_errcode(db->h)) : ST_PERM;
	}
	return ST_OK;
}

static int
placed(const char *state)
{
	return strcmp(state, "scheduled") == 0 || strcmp(state, "starting") == 0 ||
	    strcmp(state, "running") == 0 || strcmp(state, "stopping") == 0;
}

/* Only a stopped instance has a write to undo when it fits nowhere (the
 * release of its old place), so only it pays for a savepoint. A write
 * failing after the checks, all but impossible under the lock (I/O error,
 * out of memory), rolls the whole batch back: half a reservation is never
 * committed. */
static int
place(struct st_db *db, const struct st_sched *s, struct inst *in, struct cand *to)
{
	struct tally t;
	const char *why;
	char sum[256], old[ST_ID_LEN + 1];
	int rc, sp = *in->host != '\0';
	json_t *d;

	if ((rc = load_ports(db, in)) != ST_OK)
		return st_fail(rc, "unable to schedule '%s': %s", in->id, st_db_err(db));
	if (s->spread_by)
		in->grouped = label_get(db, in->id, s->spread_by, in->group);
	if (sp && (rc = exec(db, sp_begin)) != ST_OK)
		return st_fail(rc, "unable to schedule '%s': %s", in->id, st_db_err(db));
	/* a stopped instance gives its place back before it is placed again */
	memcpy(old, in->host, sizeof old);
	if ((rc = release(db, in, &why)) != ST_OK)
		goto abort;
	*in->host = '\0';
	if ((rc = pick(db, s, in, to)) == ST_OK && (s->explain || !to->ok))
		rc = tally(db, s, in, &t);
	if (rc != ST_OK || !to->ok) {
		if (sp)
			undo(db);
		if (rc != ST_OK)
			return rc;
		brief(&t, sum, sizeof sum);
		if (*in->vhost)
			rc = st_fail(ST_PERM, "unable to schedule '%s': its volumes' host '%s' does not fit it (%s)", in->id, in->vhost, sum);
		else
			rc = st_fail(ST_PERM, "unable to schedule '%s': no host fits (%s)", in->id, sum);
		explain(s, in, &t, NULL);
		return rc;
	}
	if (s->explain)
		explain(s, in, &t, to);
	if ((rc = reserve(db, in, to->id, &why)) != ST_OK)
		goto abort;
	d = sp ? json_pack("{s:s, s:s}", "host", to->id, "from", old) : json_pack("{s:s}", "host", to->id);
	rc = st_event(db, in->id, "instance.schedule", d);
	json_decref(d);
	if (rc != ST_OK || (sp && (rc = exec(db, sp_release)) != ST_OK)) {
		why = st_db_err(db);
		goto abort;
	}
	return ST_OK;
abort:
	st_db_rollback(db);
	return st_fail(rc, "unable to schedule '%s': %s (the batch was rolled back)", in->id, why);
}

int
st_sched_place(struct st_db *db, const struct st_sched *s, const char *arg,
    char id[ST_ID_LEN + 1], char host[64])
{
	struct inst in;
	struct cand to = { .ok = 0 };
	int rc;

	tune(db);
	if (!db->in_tx)	/* an earlier record of the batch rolled it back */
		return st_fail(ST_TEMP, "unable to schedule '%s': the batch was rolled back", st_q(arg));
	if ((rc = find(db, arg, &in)) != ST_OK)
		return rc;
	memcpy(id, in.id, ST_ID_LEN + 1);
	if (placed(in.state)) {
		/* never placed twice: reported where it is */
		if (s->explain)
			fprintf(stderr, "%s: explain '%s': already placed on %s (%s)\n", st_prog, in.id, in.hname, in.state);
		snprintf(host, 64, "%s", in.hname);
		return ST_OK;
	}
	if (strcmp(in.state, "requested") != 0 && strcmp(in.state, "stopped") != 0)
		return st_fail(ST_PERM, "unable to schedule '%s': instance is %s (only requested and stopped instances are placed)", in.id, in.state);
	if ((rc = st_vol_inst_host(db, in.id, in.vhost)) != ST_OK)	/* volumes: their host only */
		return rc;
	rc = place(db, s, &in, &to);
	free(in.ports);
	if (rc == ST_OK)
		snprintf(host, 64, "%s", to.name);
	return rc;
}

int
st_sched_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1])
{
	struct inst in;
	const char *why;
	sqlite3_stmt *st;
	json_t *d;
	int rc;

	tune(db);
	if ((rc = find(db, arg, &in)) != ST_OK)
		return rc;
	memcpy(id, in.id, ST_ID_LEN + 1);
	/* without a driver, only what never ran, or ran and stopped, goes */
	/* removing: the driver has taken the workload away (lib/life.c) */
	if (strcmp(in.state, "requested") != 0 && strcmp(in.state, "scheduled") != 0 && strcmp(in.state, "stopped") != 0 &&
	    strcmp(in.state, "error") != 0 && strcmp(in.state, "removing") != 0)
		return st_fail(ST_PERM, "unable to remove '%s': instance is %s; stop it first, or st-rm -f", in.id, in.state);
	if ((rc = exec(db, sp_begin)) != ST_OK)
		return st_fail(rc, "unable to remove '%s': %s", in.id, st_db_err(db));
	if ((rc = release(db, &in, &why)) != ST_OK)
		goto fail;
	/* compare-and-set on the state checked above */
	st = prep(db, "DELETE FROM instances WHERE id = ?1 AND state = ?2");
	sqlite3_bind_text(st, 1, in.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in.state, -1, SQLITE_STATIC);
	if ((rc = step_changed(db, st)) != 1) {
		why = rc < 0 ? st_db_err(db) : "the instance changed state meanwhile";
		rc = rc < 0 ? st_db_code(db, sqlite3_errcode(db->h)) : ST_PERM;
		goto fail;
	}
	st_obj_forget(db, in.id);
	d = json_pack("{s:s, s:s?}", "state", in.state, "host", *in.host ? in.host : NULL);
	rc = st_event(db, in.id, "instance.remove", d);
	json_decref(d);
	if (rc != ST_OK || (rc = exec(db, sp_release)) != ST_OK) {
		why = st_db_err(db);
		goto fail;
	}
	return ST_OK;
fail:
	undo(db);
	return st_fail(rc, "unable to remove '%s': %s", in.id, why);
}

int
st_sched_drain(struct st_db *db, const char *arg, int drain, char id[ST_ID_LEN + 1])
{
	const char *to = drain ? "drained" : "active", *verb = drain ? "drain" : "undrain", *why, *now;
	json_t *h;
	int rc;

	if ((rc = st_resolve(db, ST_HOST, arg, id)) != ST_OK)
		return rc;
	rc = st_host_set_state(db, id, to, drain ? "active" : "drained", &why);
	if (rc == ST_OK) {
		if ((rc = st_event(db, id, drain ? "host.drain" : "host.undrain", NULL)) != ST_OK)
			return st_fail(rc, "unable to %s host '%s': %s", verb, st_q(arg), st_db_err(db));
		return ST_OK;
	}
	if (rc != ST_PERM || (h = st_host_json(db, id)) == NULL)
		return st_fail(rc, "unable to %s host '%s': %s", verb, st_q(arg), why);
	now = json_string_value(json_object_get(h, "state"));
	if (now && strcmp(now, to) == 0) {
		/* idempotent: the host is where it was asked to be */
		fflush(stdout);
		fprintf(stderr, "%s: host '%s' is already %s\n", st_prog, id, to);
		rc = ST_OK;
	} else {
		rc = st_fail(ST_PERM, "unable to %s host '%s': host is %s", verb, st_q(arg), now ? now : "gone");
	}
	json_decref(h);
	return rc;
}
