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
/* the whole main of a command that only runs fn on each record and prints
 * the IDs done (st-volume-rm, st-snapshot-rm, st-volume-detach); operand
 * names its records in the usage line */
struct st_db;
typedef int st_act_fn(struct st_db *, const char *arg, char id[]);
int st_act_main(int argc, char **argv, const char *operand, st_act_fn *fn);
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
/* an object by ID (the statement's ?1), or every row of a listing, each
 * made into JSON by row(); st_db_rows gives each object to cb, stops on
 * a 111 from it, and names `what` in its errors */
typedef json_t *st_row_fn(struct st_db *, sqlite3_stmt *);
json_t *st_db_one(struct st_db *db, const char *sql, const char *id, st_row_fn *row);
int st_db_rows(struct st_db *db, const char *sql, const char *what, st_row_fn *row,
    int (*cb)(json_t *, void *), void *ctx);
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
/* the whole main of a list command with no operands (st-host-ls,
 * st-net-ls, ...): -j, -q, -o and the common options; each() feeds the
 * rows, one JSON object per row, to the callback it is given */
typedef int st_each_fn(struct st_db *, int (*)(json_t *, void *), void *);
int st_ls_main(int argc, char **argv, const struct st_col *cols, size_t ncols, const char *defcols, st_each_fn *each);

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
struct st_image {
	char id[ST_ID_LEN + 1];
	const char *name, *path, *kernel, *initrd, *cmdline;
	int64_t size;
};
/* absolute, simplest form, a safe alphabet (it reaches domain XML) */
int st_valid_vm_path(const char *s, const char **why);
int st_valid_cmdline(const char *s, const char **why);
/* reads the header: magic QFI\xfb, version 2 or 3; its virtual size */
int st_qcow2_check(const char *path, int64_t *vsize, const char **why);
int st_image_insert(struct st_db *db, struct st_image *m, const char **why);
json_t *st_image_json(struct st_db *db, const char *id);
int st_image_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
/* refused while a VM instance uses it */
int st_image_delete(struct st_db *db, const char *id, const char **why);
/* st_inst_json, and for a VM its disk, user_data and vm_image (the
 * image row): what the libvirt driver and vm.domain.filter get */
json_t *st_vm_inst_json(struct st_db *db, const char *id);
/* the file of st-create --user-data: UTF-8 text up to 64 KiB, or NULL */
char *st_vm_user_data(const char *file, const char **why);
/* the driver module of a kind: "docker" for container, "libvirt" for vm */
const char *st_kind_driver(const char *kind);
/* like st_drv_ctx_host, for the endpoint of kind's driver: the docker
 * endpoint for containers, the libvirt URI for VMs */
int st_drv_ctx_kind(struct st_db *db, const char *hostid, const char *kind, struct st_drv_ctx *c);
/* which endpoints a host has: 1 docker, 2 libvirt (as hosts.kinds) */
int st_host_endpoints(struct st_db *db, const char *hostid);
int st_valid_libvirt_uri(const char *s, const char **why);
/* asks the libvirt URI in c->endpoint for its CPUs, memory, version */
int st_drv_probe_libvirt(struct st_drv_ctx *c, int64_t *cpu, int64_t *mem, char version[64]);
/* reconcile.c for VMs: a host's view of one kind's driver; the kinds a
 * host has endpoints for; here ({id: state}) cut to v's kind */
int st_view_kind(struct st_db *db, const char *host, const char *kind, struct st_view *v);
int st_view_kinds(struct st_db *db, const char *host, const char *kinds[2]);
void st_view_only(struct st_db *db, const struct st_view *v, json_t *here);

/* ---- networks and security groups (issue 9): net.c, sg.c, nft.c ---- */

/* net.c: IPv4 networks, and their addresses allocated in the state */
struct st_cidr { uint32_t addr; int len; };	/* addr in host order */
int st_parse_ip4(const char *s, uint32_t *a, const char **why);
void st_ip4_str(uint32_t a, char buf[16]);
/* a.b.c.d/len (a bare address is /32); host bits set is an error */
int st_parse_cidr(const char *s, struct st_cidr *c, const char **why);
void st_cidr_str(const struct st_cidr *c, char buf[20]);
void st_net_bridge(const char *netid, char br[16]);	/* "stb-" + 11 hex */
int st_net_insert(struct st_db *db, const char *name, const struct st_cidr *sub, uint32_t gw, char id[ST_ID_LEN + 1], const char **why);
json_t *st_net_json(struct st_db *db, const char *id);
int st_net_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
int st_net_delete(struct st_db *db, const char *id, const char **why);	/* refused in use */
/* inside the open write transaction: an address of net for instance
 * inst as its idx-th (want: that address, or 0 for the lowest free) */
int st_net_alloc(struct st_db *db, const char *inst, int idx, const char *net, uint32_t want, char ip[16], const char **why);
/* [{net, name, ip, prefix, gateway, bridge}]; *first: idx 0's ip or null */
json_t *st_inst_nets_json(struct st_db *db, const char *inst, json_t **first);
/* host-side, before an instance is created: its host's security groups
 * when it is in one (it never runs unfiltered); for a VM the bridge of
 * each of its nets, as a Docker network on a docker host (so Docker's
 * forwarding rules admit it), else with ip link (a container's driver
 * makes its own) */
int st_net_host_prepare(struct st_db *db, const char *host, const char *kind, json_t *inst, char *err, size_t errn);
/* st-net-rm: the network's bridges on every host; failures are warnings */
void st_net_host_remove(struct st_db *db, const char *netid);

/* sg.c: security groups, their rules and members, applying them */
struct st_rule {
	int egress;		/* 0 ingress, 1 egress */
	char proto[8];		/* tcp udp icmp any */
	int lo, hi;		/* ports; 0 0: any */
	struct st_cidr cidr;	/* the peer: a CIDR, */
	char peer[ST_ID_LEN + 1];	/* or a group ("" for none) */
};
int st_rule_parse_port(const char *s, int *lo, int *hi, const char **why);
int st_sg_insert(struct st_db *db, const char *name, char id[ST_ID_LEN + 1], const char **why);
json_t *st_sg_json(struct st_db *db, const char *id);
int st_sg_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
int st_sg_delete(struct st_db *db, const char *id, const char **why);	/* refused in use */
int st_sg_rule_set(struct st_db *db, const char *sg, const struct st_rule *r, int add, int *changed, const char **why);
int st_sg_member_set(struct st_db *db, const char *inst, const char *sg, int add, int *changed, const char **why);
json_t *st_inst_sgs_json(struct st_db *db, const char *inst);	/* names (or IDs) */
json_t *st_sg_member_ips(struct st_db *db, const char *sg);	/* {ip: instance} */
json_t *st_inst_ips(struct st_db *db, const char *inst);	/* {ip: instance} */
struct st_sg_apply_opts {
	int if_changed;		/* only when the text or the live table differs */
	int dry_run, report;	/* st-reconcile: say what, or what was done */
	int *rules;		/* set: the number of rules loaded */
};
/* generates the host's table, checks it (nft -c), loads it (nft -f) in
 * one transaction; outside any transaction; prints its errors */
int st_sg_apply(struct st_db *db, const char *host, const struct st_sg_apply_opts *o);
json_t *st_sg_hosts(struct st_db *db, json_t *sgs);	/* {host: true} concerned */
int st_sg_apply_hosts(struct st_db *db, json_t *hosts);
/* conntrack -D of the flows to (dir 0), from (1) or both (2) the ips */
void st_sg_flows_forget(json_t *ips, int dir);
/* {ip: true} of the addresses of an instance in a security group, for
 * st_sg_flows_forget once it is removed; NULL when it is in none */
json_t *st_sg_flows_of(struct st_db *db, const char *inst);
void st_sg_follow(struct st_db *db, const char *id, const char *host, const char *what);
/* st-reconcile: applies again when the table is missing or differs from
 * the last applied, or the state changed; prints HOST<TAB>sg-apply<TAB>why */
int st_sg_reconcile(struct st_db *db, const char *host, int dry_run);
int st_sg_rule_main(int argc, char **argv, int add);	/* st-sg-rule-add, -rm */
int st_sg_member_main(int argc, char **argv, int add);	/* st-sg-attach, -detach */

/* nft.c: the text of a host's table; running tools */
const char *st_nft_table(void);	/* ST_NFT_TABLE, nft_table, "stampede"; NULL: bad */
char *st_nft_ruleset(struct st_db *db, const char *host, const char *table, int *nrules, int *ninst, const char **why);
/* fork/execvp argv; stdout to outfd (-1: /dev/null); stderr into err */
int st_run(const char *const argv[], int outfd, char *err, size_t errn);

/* ---- volumes, snapshots, backups (issue 8): vol.c, s3.c, chunk.c ---- */
/* vol.c, snap.c, pool.c (part A). Storage lives on the machine that runs
 * the command (the volume's host must be this machine: remote hosts are
 * not handled yet). Unless said otherwise these functions run their own
 * transactions (never call them inside one), run the volume.* hooks, and
 * print their own errors ("prog: fatal: unable to VERB 'X': why"),
 * returning ST_OK, ST_PERM or ST_TEMP. Signatures are stable. */
struct st_vol_spec {
	const char *name;	/* required: st_valid_name */
	const char *backend;	/* "dir", "btrfs", "qcow2"; NULL: "dir" */
	const char *host;	/* ID, name or prefix; NULL: the only host */
	int64_t size;		/* bytes, 1M .. 64T (dir: advisory) */
};
/* creates the storage in the host's pool for the backend, then the row
 * (state "ready"); sets id */
int st_vol_create(struct st_db *db, const struct st_vol_spec *s, char id[ST_ID_LEN + 1]);
/* removes an unattached volume, its snapshots and its storage; sets id */
int st_vol_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1]);
/* {id, name, host, backend, size, state, source, format, pool, created,
 * instance, path, snapshots: N}; NULL if absent */
json_t *st_vol_json(struct st_db *db, const char *id);
/* a snapshot of volume arg (ID, name, prefix); name may be NULL; require
 * NULL or "crash", "fs-frozen", "app" (fails with 100 rather than take
 * less); sets id */
int st_snap_create(struct st_db *db, const char *vol, const char *name, const char *require, char id[ST_ID_LEN + 1]);
/* {id, name, volume, volume_name, host, backend, size, consistency,
 * source, format, created}; NULL if absent */
json_t *st_snap_json(struct st_db *db, const char *id);
/* writes snapshot snap_id's whole byte stream to fd, then returns; fmt
 * gets "tar" (dir, btrfs: a deterministic POSIX tar, byte-identical for
 * identical snapshots) or "raw" (qcow2: the disk's raw bytes, exactly the
 * volume's size). fd may be a pipe: read it from another thread/process;
 * the state is read only before the first byte is written. */
int st_snap_export(struct st_db *db, const char *snap_id, int fd, char fmt[8]);
/* fills volume vol_id (ready, not attached to a running instance) from
 * such a stream; a dir/btrfs volume must be empty; tar entries with
 * absolute paths, "..", or links leaving the volume are refused */
int st_vol_import(struct st_db *db, const char *vol_id, int fd, const char *fmt);
/* the rest of part A: st-volume-*, st-snapshot-*, st-pool-add */
int st_vol_each(struct st_db *db, const char *host, int (*cb)(json_t *, void *), void *ctx);
int st_snap_each(struct st_db *db, const char *vol, int (*cb)(json_t *, void *), void *ctx);
int st_snap_remove(struct st_db *db, const char *arg, char id[ST_ID_LEN + 1]);
/* restores snapshot snap into its volume (vol: NULL, or the volume it must
 * be of), or with to into a new volume named to; sets id (the volume) */
int st_vol_restore(struct st_db *db, const char *vol, const char *snap, const char *to, char id[ST_ID_LEN + 1]);
/* compare-and-set of a volume's state in its own transaction, with an
 * event when event is not NULL */
int st_vol_cas(struct st_db *db, const char *id, const char *from, const char *to, const char *event, json_t *d);
int st_vol_attach(struct st_db *db, const char *vol, const char *inst, const char *path, char id[ST_ID_LEN + 1]);
/* inside the caller's transaction (st-create --volume); sets vid */
int st_vol_attach_tx(struct st_db *db, const char *vol, const char *inst, const char *path, char vid[ST_ID_LEN + 1]);
int st_vol_detach(struct st_db *db, const char *vol, char id[ST_ID_LEN + 1]);
/* an instance's "volumes" (st_inst_json) */
json_t *st_vol_inst_json(struct st_db *db, const char *inst);
/* the host of an instance's volumes into host ("" if none); several
 * hosts: an error, printed */
int st_vol_inst_host(struct st_db *db, const char *inst, char host[ST_ID_LEN + 1]);
/* a host's pool directory for a backend (out: PATH_MAX bytes) */
int st_pool_path(struct st_db *db, const char *host, const char *backend, char *out);
int st_pool_add(struct st_db *db, const char *host, const char *backend, const char *path, char id[ST_ID_LEN + 1]);
int st_pool_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
/* st-doctor's checks of volumes and snapshots (lines as st_doctor_state) */
int st_vol_doctor(struct st_db *db, int *n);

/* s3.c, backup.c, bkdb.c (part B). s3.c and backup.c link libcurl and
 * libcrypto: only the st-backup-* commands and st-volume-backup use them.
 * S3 errors go to s->err, naming the bucket and S3's reason; codes are
 * ST_OK, ST_NO (a 404 of an object on GET/HEAD), ST_PERM (4xx), ST_TEMP
 * (5xx, network, after the retries) or ST_USAGE (a bad URL or option). */
struct st_s3 {
	char *endpoint, *region, *bucket, *prefix, *url;
	char *cred;		/* "KEY:SECRET", wiped on close */
	void *curl;
	int retries;		/* $ST_S3_RETRIES, default 5, backoff from 0.25 s */
	int64_t part;		/* multipart above this size ($ST_S3_PART_SIZE, 8M) */
	long status;		/* the last HTTP status */
	int over;		/* the last body was larger than allowed */
	int64_t sent, requests, multipart;	/* object bytes sent, counters */
	char err[600];
};
void st_sha256_hex(const void *buf, size_t len, char hex[65]);
int st_s3_parse_url(const char *url, char **bucket, char **prefix, const char **why);
/* url s3://BUCKET[/PREFIX]; endpoint, region NULL: $ST_S3_ENDPOINT,
 * $ST_S3_REGION, settings s3_endpoint, s3_region, AWS; credentials from
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or $ST_S3_CONF
 * (/etc/stampede/s3.conf, refused unless 0600) */
int st_s3_open(struct st_s3 *s, const char *url, const char *endpoint, const char *region, const char **why);
void st_s3_close(struct st_s3 *s);
/* another connection with s's settings, for another thread */
int st_s3_clone(const struct st_s3 *s, struct st_s3 *c);
void st_s3_unclone(struct st_s3 *c);
char *st_s3_key(const struct st_s3 *s, const char *rel);	/* PREFIX/rel */
int st_s3_put(struct st_s3 *s, const char *key, const void *buf, size_t len);
int st_s3_get(struct st_s3 *s, const char *key, size_t max, char **buf, size_t *len);
int st_s3_head(struct st_s3 *s, const char *key, int64_t *size);
int st_s3_delete(struct st_s3 *s, const char *key);
int st_s3_check(struct st_s3 *s);	/* the bucket answers to these credentials */
int st_s3_list(struct st_s3 *s, const char *prefix, int (*cb)(const char *key, int64_t size, void *ctx), void *ctx);

/* backup.c: the chunk store and manifests (stampede-backup(5)) */
struct st_bk_opts {
	const char *id, *name, *stream, *snapshot;
	json_t *volume;		/* {id, name, backend, size} or NULL */
	int64_t chunk, total, created;	/* total: expected bytes, for progress */
	int progress;
	/* called at the end of the stream, before the manifest: the
	 * producer's result (a failed export writes no manifest) */
	int (*check)(void *arg, char *err, size_t errsz);
	void *check_arg;
};
struct st_bk_result {
	int64_t size, uploaded, skipped, nchunks, nuploaded;
	char sha[65];
	char *manifest_key;
};
struct st_bk_keep { int last, daily, weekly; };
int st_bk_chunks(struct st_s3 *s, json_t **set);	/* {sha256: size} in the bucket */
int st_bk_upload(struct st_s3 *s, int fd, const struct st_bk_opts *o, struct st_bk_result *r);
int st_bk_check_manifest(json_t *m, const char **why);
int st_bk_manifest(struct st_s3 *s, const char *id, json_t **m);
int st_bk_verify(struct st_s3 *s, json_t *m, int deep, int progress, const char *label, int64_t *nbad);
int st_bk_restore(struct st_s3 *s, json_t *m, int fd, int progress);
int st_bk_ids(struct st_s3 *s, json_t **ids);	/* the manifests' IDs */
int st_bk_prune(struct st_s3 *s, const struct st_bk_keep *k, int dry, json_t *gone, int64_t *nchunks, int64_t *bytes);
/* a backup named by arg: in the state file (ID, name, prefix), or with
 * from, a manifest in that bucket (ID or unique prefix); opens s on its
 * bucket and fetches its manifest. Prints "unable to VERB 'arg': why". */
int st_bk_find(struct st_db *db, const char *arg, const char *from, const char *endpoint, const char *region,
    const char *verb, struct st_s3 *s, json_t **m, char id[ST_ID_LEN + 1]);

/* bkvol.c: volumes to and from the chunk store (vol.c's export, import) */
int st_bk_backup_snap(struct st_db *db, struct st_s3 *s, const char *snap, const struct st_bk_opts *o, struct st_bk_result *r);
int st_bk_snap_sha(struct st_db *db, const char *snap, char sha[65], int64_t *size);
/* a new volume filled from m, removed again on any failure; prints */
int st_bk_restore_vol(struct st_db *db, struct st_s3 *s, json_t *m, const struct st_vol_spec *spec, int progress,
    const char *label, char id[ST_ID_LEN + 1]);

/* bkdb.c: backup rows (no libcurl: st-inspect and hooks use it) */
json_t *st_backup_json(struct st_db *db, const char *id);
int st_backup_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
int st_backup_insert(struct st_db *db, json_t *rec, const char **why);
int st_backup_delete(struct st_db *db, const char *id, const char **why);

/* ---- load balancers (issue 10): lb.c, haproxy.c ---- */
/* lbtargets.c: st-lb-add (add = 1) and st-lb-del (0) */
int st_lb_targets_main(int argc, char **argv, int add);

/* addr.c: the addresses a driver gave an instance on its own default
 * network (a container on Docker's bridge), kept in `addresses` with net
 * NULL after the allocated ones: recorded after a start, dropped after a
 * stop; warns on failure */
void st_addr_follow(struct st_db *db, const char *id, const char *host, const char *what);
/* the instance's first address (load balancer targets), or NULL */
char *st_addr_first(struct st_db *db, const char *id);

/* haproxy.c: the host side; one HAProxy (master-worker) per state file and
 * host, in <state dir>/haproxy/<host id>/; local hosts only, for now */
struct st_hap {
	char host[ST_ID_LEN + 1];
	char dir[4096];
	int lockfd;		/* held from open to close: one command at a time */
	char err[1024];
};
enum { ST_HAP_NOOP, ST_HAP_RUNTIME, ST_HAP_RELOAD, ST_HAP_START };
/* checks the host is local, makes the directory, takes its lock */
int st_hap_open(struct st_db *db, const char *host, struct st_hap *h);
void st_hap_close(struct st_hap *h);
/* haproxy -c on a config file */
int st_hap_check(struct st_hap *h, const char *cfgfile);
int st_hap_check_cfg(struct st_hap *h, const char *cfg);	/* the same on a string */
/* brings HAProxy to cfg: Runtime API when only server addresses and
 * states change, else checked, written atomically, reloaded (or started);
 * *how says which */
int st_hap_apply(struct st_hap *h, const char *cfg, int *how);
int st_hap_running(struct st_hap *h);
/* one command on the stats socket (Runtime API); *reply is malloc'ed */
int st_hap_cmd(struct st_hap *h, const char *cmd, char **reply);
int st_hap_stop(struct st_hap *h);	/* soft stop, files removed */

/* lb.c: load balancers in the state file */
struct st_lb {
	char id[ST_ID_LEN + 1];
	const char *name, *bind, *mode, *algo, *check;
	char host[ST_ID_LEN + 1];
	int port, target_port, inter;
	const struct st_kvs *sel;
};
int st_lb_valid_check(const char *s, const char **why);	/* --check PATH */
int st_lb_valid_bind(const char *s, char out[64], const char **why);	/* --bind ADDR */
/* checks the port is free (state and bind()), inserts */
int st_lb_insert(struct st_db *db, struct st_lb *lb, const char **why);
json_t *st_lb_json(struct st_db *db, const char *id);
int st_lb_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx);
int st_lb_host(struct st_db *db, const char *lb, char host[ST_ID_LEN + 1]);
/* target membership, inside a transaction; *changed: 0 when it already was */
int st_lb_target_add(struct st_db *db, const char *lb, const char *inst, int selected, int *changed, const char **why);
int st_lb_target_del(struct st_db *db, const char *lb, const char *inst, int *changed, const char **why);
int st_lb_delete(struct st_db *db, const char *lb, const char **why);
/* the running instances with the lb's --select labels join it */
int st_lb_select(struct st_db *db, const char *lb, const char **why);
/* the haproxy.cfg of a host, from the state file (malloc'ed) */
char *st_lb_config(struct st_db *db, const char *host, const char *dir, int *nlbs);
/* HAProxy on host brought to the state file; hooks lb.apply.post for
 * each of lbs (NULL: none); prints its errors, returns an exit code */
int st_lb_apply(struct st_db *db, const char *host, json_t *lbs);
/* per target of lb: {id, name, slot, addr, status, sessions, ...} */
int st_lb_stats(struct st_db *db, const char *lb, int (*cb)(json_t *, void *), void *ctx);
/* st-reconcile: HAProxy on host brought to the state file again (started
 * after a reboot or a crash); prints ID<TAB>lb-applied<TAB>how */
int st_lb_reconcile(struct st_db *db, const char *host, int dry_run);
/* st_follow: targets join when their instance starts, leave when it stops */
void st_lb_follow(struct st_db *db, const char *id, const char *host, const char *what);

#endif
