/* st.h: the one public header of libst, the library every st-* command uses.
 * A section per .c file; every symbol st_, every macro ST_. */
#ifndef ST_H
#define ST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "driver.h"

#define ST_VERSION "0.1.0"

/* exit codes (STYLE.md) */
#define ST_OK    0
#define ST_NO    1	/* negative answer, predicates only */
#define ST_USAGE 2
#define ST_PERM  100
#define ST_TEMP  111

static inline int st_max(int a, int b) { return a > b ? a : b; }
#define ST_MAX(a, b) st_max((a), (b))
#define ST_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* util.c */
extern const char *st_prog;
void st_init(int argc, char **argv);
void st_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* prints "prog: fatal: MSG" and returns code, for `return st_fail(...)` */
int st_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void st_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void *st_malloc(size_t n);
void *st_realloc(void *p, size_t n);
char *st_strdup(const char *s);
char *st_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t st_now(void);
void st_time_iso(int64_t t, char buf[32]);
int st_flush(void);	/* stdout write error -> ST_TEMP */
int st_isatty(int fd);
void st_version(void) __attribute__((noreturn));
/* common long options: --state, --version, -h/--help */
#define ST_OPT_STATE   0x1000
#define ST_OPT_VERSION 0x1001
#define ST_COMMON_LONGOPTS \
	{ "state", required_argument, NULL, ST_OPT_STATE }, \
	{ "state-file", required_argument, NULL, ST_OPT_STATE }, \
	{ "version", no_argument, NULL, ST_OPT_VERSION }, \
	{ "help", no_argument, NULL, 'h' }
extern const char *st_state_opt;	/* --state FILE, or NULL */
/* a setting from the config file ($ST_CONF, /etc/stampede/stampede.conf) */
const char *st_conf(const char *key);
/* handles the common options; returns 0 if c was not one of them */
int st_common_opt(int c, const char *arg, void (*usage)(int));

/* each.c: the loop over records from argv or stdin */
enum st_src { ST_SRC_ARGV, ST_SRC_STDIN };
extern enum st_src st_src;	/* where the current record came from */
/* exit code for a malformed record: 2 from argv, 100 from stdin */
int st_bad(void);
struct st_each_ops {
	int (*one)(const char *rec, void *ctx);
	/* optional: called before the first record of a batch, and after it
	 * when input stalls or ends; end() gets the batch's worst code and
	 * returns the code to keep (a failed commit fails the batch) */
	int (*begin)(void *ctx);
	int (*end)(void *ctx, int rc);
};
/* records are argv[0..argc), or stdin lines (first TAB field, blank and
 * '#' lines skipped); a terminal on stdin with no operands is a usage
 * error. Returns the highest code any record returned. */
int st_each(int argc, char **argv, int (*one)(const char *, void *), void *ctx);
int st_each_batch(int argc, char **argv, const struct st_each_ops *ops, void *ctx);

/* parse.c: bounded parsing; each returns 0 or -1 with *why set */
int st_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, const char **why);
int st_parse_size(const char *s, int64_t min, int64_t max, int64_t *out, const char **why);
int st_parse_cpu(const char *s, int64_t *millis, const char **why);	/* 0.001 .. 1024 */
void st_fmt_size(int64_t bytes, char buf[32]);
void st_fmt_cpu(int64_t millis, char buf[32]);
json_t *st_json_cpu(int64_t millis);
int st_valid_name(const char *s, const char **why);
int st_valid_utf8(const char *s, size_t n);
int st_valid_label_key(const char *s, const char **why);
int st_valid_label_value(const char *s, const char **why);
int st_valid_attr_value(const char *s, const char **why);
/* "k=v" split into key/value (pointers into a copy the caller frees) */
int st_parse_label(const char *s, char **key, char **val, const char **why);
int st_parse_attr(const char *s, char **key, char **val, const char **why);
int st_parse_env(const char *s, const char **why);
struct st_port { int host, port; char proto[4]; };
int st_parse_port(const char *s, struct st_port *p, const char **why);
int st_valid_image_ref(const char *s, const char **why);
/* quotes s for an error message: printable ASCII as is, the rest escaped,
 * long values cut; returns a static buffer (one of a few, rotating) */
const char *st_q(const char *s);

/* id.c */
enum st_type { ST_HOST, ST_IMAGE, ST_INSTANCE, ST_VOLUME, ST_SNAPSHOT,
	ST_BACKUP, ST_NETWORK, ST_SG, ST_LB, ST_NTYPES };
struct st_typeinfo { char prefix; const char *name, *table; };
extern const struct st_typeinfo st_types[ST_NTYPES];
#define ST_ID_LEN 14	/* "x-" + 12 hex */
void st_id_new(enum st_type t, char out[ST_ID_LEN + 1]);
int st_id_shape(const char *s);	/* looks like an ID or ID prefix: x-hex... */
int st_type_of_id(const char *id);	/* -1 if no known prefix */

/* db.c: the state file */
struct st_db {
	sqlite3 *h;
	char *path, *dir;
	char cluster[40];
	int in_tx;
};
const char *st_state_path(void);
/* st_db_open: refuses an uninitialized or newer-schema file (100) */
int st_db_open(struct st_db *db, int write);
int st_db_create(struct st_db *db, const char *path, int *created, int *migrated);
void st_db_close(struct st_db *db);
int st_db_begin(struct st_db *db);	/* BEGIN IMMEDIATE */
int st_db_read(struct st_db *db);	/* BEGIN DEFERRED: a snapshot to read */
int st_db_savepoint(struct st_db *db, int op);	/* 0 begin, 1 release, -1 undo */
int st_db_commit(struct st_db *db);
void st_db_rollback(struct st_db *db);
int st_db_code(struct st_db *db, int rc);	/* sqlite rc -> exit code */
const char *st_db_err(struct st_db *db);
sqlite3_stmt *st_db_prep(struct st_db *db, const char *sql);	/* cached */
int st_db_backup(struct st_db *db, const char *file, const char **why);
const char *st_db_cluster(struct st_db *db);	/* the uuid st-init made */
int st_event(struct st_db *db, const char *obj, const char *event, json_t *detail);
struct st_event_filter { int64_t since; };
int st_events_each(struct st_db *db, int64_t since, int (*cb)(json_t *, void *), void *ctx, int64_t *last);
int st_events_prune(struct st_db *db, int64_t before, int64_t *n);

/* obj.c: resolving names and IDs, labels, attributes */
/* resolves s (ID, name, unique ID prefix) to an object of type t, or of
 * any type when t < 0; prints the error itself, returns an exit code */
int st_resolve(struct st_db *db, int t, const char *s, char id[ST_ID_LEN + 1]);
int st_name_taken(struct st_db *db, enum st_type t, const char *name);
int st_labels_set(struct st_db *db, const char *obj, const char *key, const char *val);
int st_labels_del(struct st_db *db, const char *obj, const char *key);
json_t *st_labels_json(struct st_db *db, const char *obj);
int st_attrs_set(struct st_db *db, const char *obj, const char *key, const char *val);
int st_attrs_del(struct st_db *db, const char *obj, const char *key);
json_t *st_attrs_json(struct st_db *db, const char *obj);
void st_obj_forget(struct st_db *db, const char *obj);	/* labels + attrs */
int st_obj_exists(struct st_db *db, const char *id);
/* the object as JSON (st-inspect, hooks); NULL if it does not exist */
json_t *st_obj_json(struct st_db *db, const char *id);
/* a set of k=v labels to match */
struct st_kv { char *key, *val; };
struct st_kvs { struct st_kv *v; size_t n; };
void st_kvs_add(struct st_kvs *k, char *key, char *val);
void st_kvs_free(struct st_kvs *k);
int st_labels_match(struct st_db *db, const char *obj, const struct st_kvs *want);

/* host.c */
struct st_host {
	char id[ST_ID_LEN + 1];
	const char *name;	/* NULL: none */
	int64_t cpu, mem;	/* millicpus, bytes */
	const char *docker, *libvirt;
	const char *tls_ca, *tls_cert, *tls_key, *version;
	int64_t cpu_cap, mem_cap;	/* 0: none */
	int insecure;
	const struct st_kvs *labels;
};
int st_host_insert(struct st_db *db, struct st_host *h, const char **why);
json_t *st_host_json(struct st_db *db, const char *id);
int st_host_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
int st_host_delete(struct st_db *db, const char *id, const char **why);
int st_host_set_state(struct st_db *db, const char *id, const char *state, const char *from, const char **why);
/* records what a probe found: capacity (never below what is reserved),
 * version, and state active (from unreachable) or unreachable */
int st_host_probed(struct st_db *db, const char *id, int ok, int64_t cpu, int64_t mem, const char *version, const char **why);

/* inst.c */
struct st_inst {
	char id[ST_ID_LEN + 1];
	const char *name, *kind, *image, *restart;
	int64_t cpu, mem;
	json_t *spec;	/* env, cmd, ports */
	const struct st_kvs *labels, *attrs;
	const struct st_port *ports;
	size_t nports;
};
int st_inst_insert(struct st_db *db, struct st_inst *in, const char **why);
json_t *st_inst_json(struct st_db *db, const char *id);
struct st_inst_filter {
	int all;
	const char *host, *state;
	const struct st_kvs *labels;
};
int st_inst_each(struct st_db *db, const struct st_inst_filter *f, int (*cb)(json_t *, void *), void *ctx);
/* compare-and-set of the state: ST_OK, ST_TEMP (silently) when it is no
 * longer from, or the code of a failed write (printed) */
int st_inst_cas(struct st_db *db, const char *id, const char *from, const char *to, const char *error);
/* {id: state} of the instances placed on host, into out */
int st_inst_on_host(struct st_db *db, const char *host, json_t *out);

/* out.c: lists as TSV, an aligned table on a TTY, or JSON Lines */
struct st_col {
	const char *name;	/* column name for -o and the header */
	const char *key;	/* JSON key it shows */
	int kind;		/* ST_COL_STR, _SIZE, _CPU, _KV, _TIME, _INT */
};
enum { ST_COL_STR, ST_COL_SIZE, ST_COL_CPU, ST_COL_KV, ST_COL_TIME, ST_COL_INT };
struct st_out;
/* mode: 'q' ids only, 'j' JSON Lines, 't' TSV/table; cols: -o list or
 * NULL for the defaults; returns NULL after printing an error on a bad -o */
struct st_out *st_out_new(int mode, const struct st_col *all, size_t nall, const char *defcols, const char *cols);
int st_out_row(struct st_out *o, json_t *obj);	/* steals nothing */
int st_out_end(struct st_out *o);	/* flushes the table; returns exit code */
int st_out_json(json_t *obj);	/* one compact JSON line on stdout */

/* kvcmd.c: st-attr and st-label, which differ only in what they store */
int st_kvcmd_main(int argc, char **argv, int labels);

/* sched.c: placement through the free-capacity indexes, reservation and
 * release of capacity and host ports, --explain, host drain */
enum { ST_SPREAD, ST_BINPACK };
struct st_constraint { char *key, *val; int neg; };	/* key=val, key!=val */
struct st_sched {
	int strategy;		/* ST_SPREAD, ST_BINPACK */
	char (*exclude)[ST_ID_LEN + 1];
	size_t nexclude;
	struct st_constraint *cons;
	size_t ncons;
	const char *spread_by;	/* label key, or NULL */
	int explain;		/* explain every record, not only failures */
};
int st_constraint_parse(const char *s, struct st_constraint *c, const char **why);
/* resolves HOST and adds it to s->exclude; prints its error */
int st_sched_exclude(struct st_db *db, struct st_sched *s, const char *host);
void st_sched_free(struct st_sched *s);
/* before st_db_open: process-wide SQLite settings for a fast placement */
void st_sched_init(void);
/* places instance arg (ID, name, prefix) inside the open transaction: a
 * requested or stopped one is (re)placed, a placed one reported as it is;
 * sets id and host (its name, else ID). Prints its own errors, and the
 * explanation for a failure, or for every record with s->explain. */
int st_sched_place(struct st_db *db, const struct st_sched *s, const char *arg,
    char id[ST_ID_LEN + 1], char host[64]);
/* removes an instance that holds no running workload (requested,
 * scheduled, stopped): releases its reservation, deletes it; prints its
 * own errors */
int st_sched_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1]);
/* st-host-drain (drain = 1) and st-host-undrain (0) for one host */
int st_sched_drain(struct st_db *db, const char *arg, int drain, char id[ST_ID_LEN + 1]);

/* driver.c: loading driver modules; a host's endpoint for a driver call */
const struct st_driver *st_driver_load(const char *name);	/* warns on failure */
/* fills c from the host row; c->err says why on failure */
int st_drv_ctx_host(struct st_db *db, const char *hostid, struct st_drv_ctx *c);
void st_drv_ctx_free(struct st_drv_ctx *c);
int st_valid_docker_url(const char *s, const char **why);
/* the IDs of the hosts named (resolved), or of every active docker host */
int st_docker_hosts(struct st_db *db, json_t *names, json_t *ids);
/* asks the docker endpoint in c for its CPUs (millicpus), memory, version */
int st_drv_probe(struct st_drv_ctx *c, int64_t *cpu, int64_t *mem, char version[64]);

/* life.c: start, stop, restart through the instance's driver */
enum st_life_act { ST_LIFE_START, ST_LIFE_STOP, ST_LIFE_RESTART };
struct st_life_opts { int timeout, quiet; };
/* one record; prints its own errors; sets id on success */
int st_life(struct st_db *db, enum st_life_act act, const char *arg, const struct st_life_opts *o, char id[ST_ID_LEN + 1]);
int st_life_main(int argc, char **argv, enum st_life_act act);	/* st-start, st-stop, st-restart */
/* st-rm: removes the container (running ones only with force), releases
 * the reservation, deletes the row; prints its own errors */
int st_life_remove(struct st_db *db, const char *arg, int force, char id[ST_ID_LEN + 1]);
/* the driver and endpoint of a placed instance; prints its own errors */
int st_inst_driver(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1], const struct st_driver **drv, struct st_drv_ctx *c);

/* lock.c: per-object owner locks (DESIGN.md 5): flock() on
 * <state dir>/locks/<id>, taken before an intent is recorded and held
 * until its result is. The file notes "PID VERB FROM" (FROM: the state
 * before the intent): a note under a free lock is a dead owner's. */
struct st_lock {
	int fd;
	char *path;
	char id[ST_ID_LEN + 1];
	int busy;		/* a live command holds it: pid, verb say who */
	int pid;		/* the holder, or the dead owner, as noted */
	char verb[16], from[16], note[64];
	char err[256];
};
/* non-blocking: ST_OK, or 111 with l->err ("busy: being started by pid N") */
int st_lock_take(struct st_db *db, const char *id, const char *verb, const char *from, struct st_lock *l);
int st_lock_note(struct st_lock *l, const char *verb, const char *from);
void st_lock_drop(struct st_lock *l);	/* released, the file unlinked */
/* read-only, creates nothing: 1 when a live command holds it; l tells
 * who, or who held it last */
int st_lock_held(struct st_db *db, const char *id, struct st_lock *l);
const char *st_lock_owner(const struct st_lock *l);	/* "being started by pid N" */

/* fault.c: ST_FAULT=NAME kills the command with SIGKILL at st_fault("NAME")
 * (the points are listed in stampede(7), FAULT POINTS) */
void st_fault(const char *name);

/* reconcile.c: a host's containers against the state file; the fixes of
 * st-reconcile, the findings of st-doctor */
struct st_view {
	char host[ST_ID_LEN + 1];
	struct st_drv_ctx c;
	const struct st_driver *drv;
	json_t *byid;		/* instance ID -> container named st-ID of that ID */
	json_t *odd;		/* the cluster's label without that shape */
};
/* lists what the host runs; 111 (or 100) with v->c.err when it cannot */
int st_view_host(struct st_db *db, const char *host, struct st_view *v);
void st_view_free(struct st_view *v);
const char *st_view_state(const struct st_view *v, const char *id);	/* "absent" or Docker's */
enum { ST_FIX_NONE, ST_FIX_RESOLVE, ST_FIX_REMOVE, ST_FIX_START, ST_FIX_STOP, ST_FIX_VANISHED };
/* what to do about an instance in state with its container in cstate;
 * prior: the state before a dead owner's intent, or "" */
int st_fix_decide(const char *state, const char *cstate, const char *prior, const char **to);
struct st_reconcile { int dry_run; int64_t grace; };
/* one host: prints ID<TAB>action<TAB>detail per action, and its errors */
int st_reconcile_host(struct st_db *db, const struct st_reconcile *o, const char *host);
/* the hosts with a docker endpoint, as an array of IDs */
json_t *st_reconcile_hosts(struct st_db *db);

/* doctor.c: st-doctor's checks, read-only; each prints one line per
 * problem (OBJECT<TAB>check<TAB>detail) and counts it in *n */
int st_doctor_state(struct st_db *db, int *n);
int st_doctor_host(struct st_db *db, const char *host, int *n);

/* hook.c: the one runner of hooks, $ST_HOOKS/EVENT.d/NAME (stampede-hooks(5)).
 * Never called inside a write transaction: a hook may call st-* commands. */
#define ST_HOOK_WHY 1024
const char *st_hook_dir(void);	/* $ST_HOOKS, setting hooks, /etc/stampede/hooks */
int st_hook_has(const char *event);	/* EVENT.d exists: one stat */
enum { ST_HOOK_RUN, ST_HOOK_SKIP, ST_HOOK_REFUSE };
struct st_hook_ent { char *name, *why; int verdict; };
struct st_hook_list {
	char dir[4200];
	char why[ST_HOOK_WHY];	/* set: the directories are refused */
	struct st_hook_ent *v;	/* in C-locale order */
	size_t n;
};
/* every entry of EVENT.d and what a run would do with it */
int st_hook_list(const char *event, struct st_hook_list *l);
void st_hook_list_free(struct st_hook_list *l);
struct st_hook_run {
	const char *event;	/* "instance.start.pre", ".post", ".filter" */
	const char *id;		/* NULL before the object exists */
	json_t *obj;		/* stdin; NULL: st_obj_json(db, id) */
	json_t *doc;		/* a filter's document, replaced by the chain's */
	int manual;		/* st-hook-run: post failures returned, not recorded */
	char why[ST_HOOK_WHY];
};
/* pre: 0, or 100 (veto, refused) / 111 (timeout) with why; filter:
 * likewise; post: failures warned and recorded as event hook.failed */
int st_hook_run(struct st_db *db, struct st_hook_run *h);
int st_hook_pre(struct st_db *db, const char *event, const char *id, json_t *obj, char why[ST_HOOK_WHY]);
void st_hook_post(struct st_db *db, const char *event, const char *id, json_t *obj);
/* st_drv_ctx.filter; filter_arg points to a struct st_hook_drv */
struct st_hook_drv { struct st_db *db; const char *id; json_t *obj; int failed; };
int st_hook_drv_filter(struct st_drv_ctx *c, const char *event, json_t **doc);
/* st-host-drain (drain 1) and st-host-undrain (0): the transaction of
 * st_sched_drain between host.drain.pre and .post; prints its errors */
int st_hook_drain(struct st_db *db, const char *arg, int drain, char id[ST_ID_LEN + 1]);
int st_drain_main(int argc, char **argv, int drain);	/* st-host-drain, st-host-undrain */

/* follow.c: after an instance's transition is committed (start, stop,
 * restart, remove): security groups and load balancers follow it; host
 * may be NULL (never placed) */
void st_follow(struct st_db *, const char *id, const char *host, const char *what);

/* ---- VMs (issue 7): image.c, the libvirt driver's helpers ---- */

/* ---- networks and security groups (issue 9): net.c, sg.c, nft.c ---- */

/* ---- volumes, snapshots, backups (issue 8): vol.c, s3.c, chunk.c ---- */

/* ---- load balancers (issue 10): lb.c, haproxy.c ---- */

#endif
