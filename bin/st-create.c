/* st-create: record new instances in state requested and print their IDs.
 * Everything is validated before the state is touched; the instances of
 * one call are recorded in one transaction, all or none. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-create --image REF [--kind container|vm] [--name NAME] [-n COUNT]\n"
	    "                 [--cpu N] [--mem SIZE] [--label k=v]... [--attr k=v]...\n"
	    "                 [--env K=V]... [--port HOSTPORT:PORT[/udp]]...\n"
	    "                 [--restart no|always|unless-stopped] [--state FILE] [-- CMD ARG...]\n");
	exit(code);
}

/* hooks: instance.create.pre gets the instance as it will be recorded,
 * before it exists: no ID, no state; a veto fails the whole call, which
 * records all of its instances or none */
static int
create_pre(struct st_db *db, const struct st_inst *in, const char *name, int64_t count, int64_t i)
{
	char why[ST_HOOK_WHY], *n = NULL;
	json_t *o, *ports = json_array(), *labels = json_object(), *attrs = json_object();
	size_t j;
	int rc;

	if (name)
		n = count > 1 ? st_asprintf("%s-%lld", name, (long long)(i + 1)) : st_strdup(name);
	for (j = 0; j < in->nports; j++)
		json_array_append_new(ports, json_pack("{s:i, s:i, s:s}", "host_port", in->ports[j].host,
		    "port", in->ports[j].port, "proto", in->ports[j].proto));
	for (j = 0; j < in->labels->n; j++)
		json_object_set_new(labels, in->labels->v[j].key, json_string(in->labels->v[j].val));
	for (j = 0; j < in->attrs->n; j++)
		json_object_set_new(attrs, in->attrs->v[j].key, json_string(in->attrs->v[j].val));
	o = json_pack("{s:n, s:s?, s:s, s:n, s:n, s:n, s:s, s:o, s:I, s:s, s:O, s:O, s:o, s:o, s:o}",
	    "id", "name", n, "kind", in->kind, "state", "host", "host_name", "image", in->image,
	    "cpu", st_json_cpu(in->cpu), "mem", (json_int_t)in->mem, "restart", in->restart,
	    "env", json_object_get(in->spec, "env"), "cmd", json_object_get(in->spec, "cmd"),
	    "ports", ports, "labels", labels, "attrs", attrs);
	rc = st_hook_pre(db, "instance.create.pre", NULL, o, why);
	if (rc != ST_OK)
		st_fail(rc, "unable to create instance '%s': %s", n ? n : in->image, why);
	json_decref(o);
	free(n);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "attr", required_argument, NULL, 'a' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "image", required_argument, NULL, 'i' },
		{ "kind", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'l' },
		{ "mem", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'N' },
		{ "port", required_argument, NULL, 'p' },
		{ "restart", required_argument, NULL, 'r' },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_kvs labels = { 0 }, attrs = { 0 };
	struct st_port *ports = NULL;
	struct st_inst in = { .kind = "container", .restart = "no", .cpu = 1000, .mem = 256 << 20 };
	struct st_db db;
	json_t *env = json_array(), *cmd = json_array(), *d;
	const char *why, *name = NULL;
	char *k, *v, **ids;
	int64_t count = 1, i;
	size_t nports = 0, j, cmdlen = 0;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "hn:", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (st_parse_attr(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --attr '%s': %s", st_q(optarg), why);
			st_kvs_add(&attrs, k, v);
			break;
		case 'c':
			if (st_parse_cpu(optarg, &in.cpu, &why) < 0)
				st_die(ST_USAGE, "bad --cpu '%s': %s", st_q(optarg), why);
			break;
		case 'e':
			if (st_parse_env(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --env '%s': %s", st_q(optarg), why);
			json_array_append_new(env, json_string(optarg));
			break;
		case 'i':
			in.image = optarg;
			break;
		case 'k':
			if (strcmp(optarg, "container") != 0 && strcmp(optarg, "vm") != 0)
				st_die(ST_USAGE, "bad --kind '%s': must be container or vm", st_q(optarg));
			in.kind = optarg;
			break;
		case 'l':
			if (st_parse_label(optarg, &k, &v, &why) < 0)
				st_die(ST_USAGE, "bad --label '%s': %s", st_q(optarg), why);
			st_kvs_add(&labels, k, v);
			break;
		case 'm':
			if (st_parse_size(optarg, 6 << 20, (int64_t)1 << 50, &in.mem, &why) < 0)
				st_die(ST_USAGE, "bad --mem '%s': %s (6M to 1P)", st_q(optarg), why);
			break;
		case 'n':
			if (st_parse_int(optarg, 1, 100000, &count, &why) < 0)
				st_die(ST_USAGE, "bad -n '%s': %s (1 to 100000)", st_q(optarg), why);
			break;
		case 'N':
			if (st_valid_name(optarg, &why) < 0)
				st_die(ST_USAGE, "bad --name '%s': %s", st_q(optarg), why);
			name = optarg;
			break;
		case 'p':
			ports = st_realloc(ports, (nports + 1) * sizeof *ports);
			if (st_parse_port(optarg, &ports[nports], &why) < 0)
				st_die(ST_USAGE, "bad --port '%s': %s", st_q(optarg), why);
			for (j = 0; j < nports; j++)
				if (ports[j].host == ports[nports].host && strcmp(ports[j].proto, ports[nports].proto) == 0)
					st_die(ST_USAGE, "bad --port '%s': host port %d/%s is published twice", st_q(optarg), ports[j].host, ports[j].proto);
			nports++;
			break;
		case 'r':
			if (strcmp(optarg, "no") != 0 && strcmp(optarg, "always") != 0 && strcmp(optarg, "unless-stopped") != 0)
				st_die(ST_USAGE, "bad --restart '%s': must be no, always or unless-stopped", st_q(optarg));
			in.restart = optarg;
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (in.image == NULL)
		st_die(ST_USAGE, "--image is required");
	if (strcmp(in.kind, "container") == 0) {
		if (st_valid_image_ref(in.image, &why) < 0)
			st_die(ST_USAGE, "bad --image '%s': %s", st_q(in.image), why);
	} else if (st_valid_name(in.image, &why) < 0 && !st_id_shape(in.image)) {
		st_die(ST_USAGE, "bad --image '%s': %s", st_q(in.image), why);
	}
	for (i = optind; i < argc; i++) {
		cmdlen += strlen(argv[i]) + 1;
		if (!st_valid_utf8(argv[i], strlen(argv[i])))
			st_die(ST_USAGE, "bad command argument '%s': not valid UTF-8", st_q(argv[i]));
		json_array_append_new(cmd, json_string(argv[i]));
	}
	if (cmdlen > 131072)
		st_die(ST_USAGE, "command longer than 128 KiB");
	if (name && count > 1 && strlen(name) + 1 + snprintf(NULL, 0, "%lld", (long long)count) > 63)
		st_die(ST_USAGE, "bad --name '%s': too long for -n %lld", name, (long long)count);
	in.spec = json_pack("{s:o, s:o}", "env", env, "cmd", cmd);
	in.labels = &labels;
	in.attrs = &attrs;
	in.ports = ports;
	in.nports = nports;

	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (st_hook_has("instance.create.pre"))	/* hooks: before the transaction */
		for (i = 0; i < count; i++)
			if ((rc = create_pre(&db, &in, name, count, i)) != ST_OK)
				return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	ids = st_malloc((size_t)count * sizeof *ids);
	for (i = 0; i < count; i++) {
		char *n = NULL;

		if (name)
			n = count > 1 ? st_asprintf("%s-%lld", name, (long long)(i + 1)) : st_strdup(name);
		if (n && st_valid_name(n, &why) < 0)
			st_die(ST_USAGE, "bad --name '%s': %s", st_q(n), why);
		in.name = n;
		if ((rc = st_inst_insert(&db, &in, &why)) != ST_OK) {
			st_db_rollback(&db);
			return st_fail(rc, "unable to create instance '%s': %s", n ? n : in.image, why);
		}
		d = json_pack("{s:s, s:s}", "kind", in.kind, "image", in.image);
		rc = st_event(&db, in.id, "instance.create", d);
		json_decref(d);
		if (rc != ST_OK) {
			st_db_rollback(&db);
			return st_fail(rc, "unable to create instance: %s", st_db_err(&db));
		}
		ids[i] = st_strdup(in.id);
		free(n);
	}
	st_fault("create.before-commit");
	if ((rc = st_db_commit(&db)) != ST_OK)
		return rc;
	if (st_hook_has("instance.create.post"))	/* hooks: after the commit */
		for (i = 0; i < count; i++)
			st_hook_post(&db, "instance.create.post", ids[i], NULL);
	for (i = 0; i < count; i++) {
		printf("%s\n", ids[i]);
		free(ids[i]);
	}
	free(ids);
	free(ports);
	json_decref(in.spec);
	st_kvs_free(&labels);
	st_kvs_free(&attrs);
	st_db_close(&db);
	return st_flush();
}
