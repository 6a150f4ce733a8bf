/* st-hook-run: run an event's hooks for objects by hand, with the input a
 * real transition gives them, or list what would run (--dry-run). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static struct st_db db;
static const char *event;
static int dry;

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-hook-run [-n] [--state FILE] EVENT [OBJECT...]\n");
	exit(code);
}

/* object.action[.more].pre|post|filter, lowercase words */
static int
valid_event(const char *s)
{
	const char *dot = strrchr(s, '.'), *p;
	int words = 0, len = 0;

	if (dot == NULL || (strcmp(dot, ".pre") != 0 && strcmp(dot, ".post") != 0 && strcmp(dot, ".filter") != 0))
		return 0;
	for (p = s; p <= dot; p++) {
		if (*p == '.') {
			if (len == 0)
				return 0;
			words++;
			len = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (len > 0 && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))) {
			len++;
		} else {
			return 0;
		}
	}
	return words >= 2 && strlen(s) < 100;
}

static int
ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
list(const char *id)
{
	struct st_hook_list l;
	size_t i;
	int rc;

	if ((rc = st_hook_list(event, &l)) != ST_OK)
		return st_fail(rc, "unable to list hooks of '%s': %s", event, l.why);
	if (*l.why) {
		printf("%s\t%s.d\trefused\t%s\n", id, event, l.why);
		rc = ST_PERM;
	}
	for (i = 0; i < l.n; i++) {
		static const char *const verdict[] = { "run", "skip", "refused" };
		int v = *l.why && l.v[i].verdict == ST_HOOK_RUN ? ST_HOOK_REFUSE : l.v[i].verdict;

		printf("%s\t%s.d/%s\t%s\t%s\n", id, event, l.v[i].name, verdict[v],
		    l.v[i].why ? l.v[i].why : *l.why ? "its directory is refused" : "");
		if (v == ST_HOOK_REFUSE)
			rc = ST_PERM;
	}
	st_hook_list_free(&l);
	return rc;
}

/* the document container.create.filter gets: what the driver would send */
static int
create_doc(const char *id, json_t *obj, json_t **doc)
{
	const struct st_driver *drv;
	struct st_drv_ctx c = { .cluster = st_db_cluster(&db), .host = "-" };
	int rc;

	int vm = strcmp(event, "vm.domain.filter") == 0;

	if (strcmp(event, "container.create.filter") != 0 && !vm)
		return st_fail(ST_PERM, "unable to run '%s' for '%s': only container.create.filter and vm.domain.filter have a document", event, id);
	if (st_type_of_id(id) != ST_INSTANCE || strcmp(json_string_value(json_object_get(obj, "kind")), vm ? "vm" : "container") != 0)
		return st_fail(ST_PERM, "unable to run '%s' for '%s': not a %s instance", event, id, vm ? "VM" : "container");
	if ((drv = st_driver_load(vm ? "libvirt" : "docker")) == NULL)
		return ST_PERM;
	if (vm) {	/* the driver's view of a VM: its image, disk, user-data */
		json_t *full = st_vm_inst_json(&db, id);

		if (full)
			json_object_update(obj, full);
		json_decref(full);
	}
	if ((rc = drv->create_doc(&c, obj, doc)) != ST_OK)
		return st_fail(rc, "unable to run '%s' for '%s': %s", event, id, c.err);
	return ST_OK;
}

static int
one(const char *arg, void *ctx)
{
	struct st_hook_run h = { .event = event, .manual = 1 };
	char id[ST_ID_LEN + 1];
	int rc;

	(void)ctx;
	if ((rc = st_resolve(&db, -1, arg, id)) != ST_OK)
		return rc;
	if (dry)
		return ST_MAX(list(id), st_flush());
	if ((h.obj = st_obj_json(&db, id)) == NULL)
		return st_fail(ST_PERM, "unable to run '%s' for '%s': no such object", event, id);
	h.id = id;
	/* as the real transitions give it: before the object exists, no ID */
	if (ends(event, ".create.pre") || strcmp(event, "host.add.pre") == 0) {
		json_object_set_new(h.obj, "id", json_null());
		json_object_set_new(h.obj, "state", json_null());
		h.id = NULL;
	} else if (ends(event, ".remove.post")) {
		json_object_set_new(h.obj, "state", json_string("removed"));
	}
	if (ends(event, ".filter") && (rc = create_doc(id, h.obj, &h.doc)) != ST_OK)
		goto out;
	if ((rc = st_hook_run(&db, &h)) != ST_OK) {
		rc = st_fail(rc, "unable to run '%s' for '%s': %s", event, id, h.why);
		goto out;
	}
	if (json_is_string(h.doc)) {	/* an XML document, as it is */
		fputs(json_string_value(h.doc), stdout);
	} else if (h.doc) {
		char *s = json_dumps(h.doc, JSON_COMPACT);

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("%s\n", id);
	}
	rc = st_flush();
out:
	json_decref(h.obj);
	json_decref(h.doc);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		ST_COMMON_LONGOPTS, { 0 } };
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hn", lo, NULL)) != -1) {
		if (c == 'n')
			dry = 1;
		else
			st_common_opt(c, optarg, usage);
	}
	if (optind >= argc)
		usage(ST_USAGE);
	event = argv[optind++];
	if (!valid_event(event))
		st_die(ST_USAGE, "bad event '%s': not of the form object.action.pre, .post or .filter", st_q(event));
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	rc = st_each(argc - optind, argv + optind, one, NULL);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
