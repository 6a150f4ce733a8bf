/* kvcmd.c: st-attr and st-label: set (k=v), remove (-k) or read (k) the
 * attributes or labels of objects, in one transaction per object. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

struct kvctx {
	struct st_db db;
	int labels, nops, writes;
	char **ops;
	const char *what;
};

static int
one(const char *arg, void *vctx)
{
	struct kvctx *c = vctx;
	char id[ST_ID_LEN + 1], *k, *v;
	const char *why, *ev;
	json_t *set = json_object(), *del = json_array(), *all = NULL, *d;
	int rc, i, code = ST_OK, changed = 0, t;

	/* reads only: no write lock, so a read never waits behind writers */
	if ((rc = c->writes ? st_db_begin(&c->db) : st_db_read(&c->db)) != ST_OK)
		goto out;
	if ((rc = st_resolve(&c->db, -1, arg, id)) != ST_OK)
		goto fail;
	if (c->nops == 0) {	/* list them */
		json_t *x;
		const char *key;

		all = c->labels ? st_labels_json(&c->db, id) : st_attrs_json(&c->db, id);
		st_db_rollback(&c->db);
		json_object_foreach(all, key, x)
			printf("%s\t%s\t%s\n", id, key, json_string_value(x));
		goto out;
	}
	for (i = 0; i < c->nops; i++) {
		const char *op = c->ops[i];

		if (op[0] == '-') {
			if (st_valid_label_key(op + 1, &why) < 0) {
				rc = st_fail(ST_PERM, "unable to remove %s '%s' of '%s': %s", c->what, st_q(op + 1), id, why);
				goto fail;
			}
			if ((rc = c->labels ? st_labels_del(&c->db, id, op + 1) : st_attrs_del(&c->db, id, op + 1)) != ST_OK)
				goto fail;
			/* removing what is not set changes nothing and logs nothing */
			if (sqlite3_changes(c->db.h) > 0) {
				json_array_append_new(del, json_string(op + 1));
				changed = 1;
			}
		} else if (strchr(op, '=')) {
			if ((c->labels ? st_parse_label(op, &k, &v, &why) : st_parse_attr(op, &k, &v, &why)) < 0) {
				rc = st_fail(ST_PERM, "unable to set %s '%s' of '%s': %s", c->what, st_q(op), id, why);
				goto fail;
			}
			rc = c->labels ? st_labels_set(&c->db, id, k, v) : st_attrs_set(&c->db, id, k, v);
			json_object_set_new(set, k, json_string(v));
			free(k);
			if (rc != ST_OK)
				goto fail;
			changed = 1;
		} else {
			json_t *x;

			/* read afresh: an earlier operand may have changed it */
			json_decref(all);
			all = c->labels ? st_labels_json(&c->db, id) : st_attrs_json(&c->db, id);
			/* a read is a query: one line per key asked, in order; a
			 * missing key prints an empty line and answers 1, like git config */
			if ((x = json_object_get(all, op)) == NULL) {
				code = ST_MAX(code, ST_NO);
				putchar('\n');
			} else {
				printf("%s\n", json_string_value(x));
			}
		}
	}
	if (changed) {
		t = st_type_of_id(id);
		ev = c->labels ? ".label" : ".attr";
		char *name = st_asprintf("%s%s", t == ST_INSTANCE ? "instance" : t == ST_HOST ? "host" : st_types[t].name, ev);
		d = json_pack("{s:O, s:O}", "set", set, "removed", del);
		rc = st_event(&c->db, id, name, d);
		json_decref(d);
		free(name);
		if (rc != ST_OK)
			goto fail;
		if ((rc = st_db_commit(&c->db)) != ST_OK)
			goto out;
		printf("%s\n", id);
	} else {
		st_db_rollback(&c->db);
	}
	rc = code;
	goto out;
fail:
	st_db_rollback(&c->db);
out:
	json_decref(set);
	json_decref(del);
	json_decref(all);
	return rc;
}

static const char *cmdname;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: %s [--state FILE] OBJ|- [key=value | -key | key]...\n", cmdname);
	exit(code);
}

int
st_kvcmd_main(int argc, char **argv, int labels)
{
	static const struct option lo[] = { ST_COMMON_LONGOPTS, { 0 } };
	struct kvctx c = { .labels = labels, .what = labels ? "label" : "attribute" };
	const char *why;
	char *k, *v;
	int ch, rc, i;

	st_init(argc, argv);
	cmdname = labels ? "st-label" : "st-attr";
	/* '+': options end at OBJ, so "-key" after it is an operand */
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1)
		st_common_opt(ch, optarg, usage);
	if (optind == argc)
		usage(ST_USAGE);
	c.ops = argv + optind + 1;
	c.nops = argc - optind - 1;
	for (i = 0; i < c.nops; i++) {
		const char *op = c.ops[i];

		if (op[0] == '-' || strchr(op, '='))
			c.writes = 1;
		if (op[0] == '-' ? st_valid_label_key(op + 1, &why) < 0 :
		    strchr(op, '=') ? (labels ? st_parse_label(op, &k, &v, &why) : st_parse_attr(op, &k, &v, &why)) < 0 || (free(k), 0) :
		    st_valid_label_key(op, &why) < 0)
			st_die(ST_USAGE, "bad %s '%s': %s", c.what, st_q(op), why);
	}
	if ((rc = st_db_open(&c.db, 1)) != ST_OK)
		return rc;
	if (strcmp(argv[optind], "-") == 0)
		rc = st_each(0, NULL, one, &c);
	else
		rc = st_each(1, argv + optind, one, &c);
	st_db_close(&c.db);
	return ST_MAX(rc, st_flush());
}
