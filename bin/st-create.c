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
	    "                 [--net NAME[:IP]]... [--sg SG]... [--volume VOL:PATH]...\n"
	    "                 [--restart no|always|unless-stopped] [--disk SIZE] [--user-data FILE]\n"
	    "                 [--state FILE] [-- CMD ARG...]\n");
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
		{ "disk", required_argument, NULL, 'D' },
		{ "env", required_argument, NULL, 'e' },
		{ "image", required_argument, NULL, 'i' },
		{ "kind", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'l' },
		{ "mem", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'N' },
		{ "net", required_argument, NULL, 'T' },
		{ "port", required_argument, NULL, 'p' },
		{ "restart", required_argument, NULL, 'r' },
		{ "user-data", required_argument, NULL, 'U' },
		{ "sg", required_argument, NULL, 'G' },
		{ "volume", required_argument, NULL, 'V' },
		ST_COMMON_LONGOPTS, { 0 } };
	/* networks and security groups (issue 9): resolved and allocated
	 * inside the transaction of the instance rows */
	char **netarg = NULL, **sgarg = NULL, (*netid)[ST_ID_LEN + 1] = NULL, (*sgid)[ST_ID_LEN + 1] = NULL;
	uint32_t *netip = NULL;
	size_t nnet = 0, nsg = 0;
	char **volarg = NULL;	/* --volume VOL:PATH (issue 8), split at the ':' */
	size_t nvol = 0;
	struct st_kvs labels = { 0 }, attrs = { 0 };
	struct st_port *ports = NULL;
	struct st_inst in = { .kind = "container", .restart = "no", .cpu = 1000, .mem = 256 << 20 };
	struct st_db db;
	json_t *env = json_array(), *cmd = json_array(), *d;
	const char *why, *name = NULL, *udfile = NULL;
	char *k, *v, **ids, *ud = NULL, image[ST_ID_LEN + 1];
	int64_t count = 1, i, disk = 0;
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
		case 'D':
			if (st_parse_size(optarg, 1 << 20, (int64_t)1 << 50, &disk, &why) < 0)
				st_die(ST_USAGE, "bad --disk '%s': %s (1M to 1P)", st_q(optarg), why);
			break;
		case 'U':
			udfile = optarg;
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
		case 'T': {
			char *colon = strchr(optarg, ':');

			netarg = st_realloc(netarg, (nnet + 1) * sizeof *netarg);
			netip = st_realloc(netip, (nnet + 1) * sizeof *netip);
			netarg[nnet] = st_strdup(optarg);
			netip[nnet] = 0;
			if (colon) {
				netarg[nnet][colon - optarg] = '\0';
				if (st_parse_ip4(colon + 1, &netip[nnet], &why) < 0)
					st_die(ST_USAGE, "bad --net '%s': %s", st_q(optarg), why);
			}
			if (st_valid_name(netarg[nnet], &why) < 0 && !st_id_shape(netarg[nnet]))
				st_die(ST_USAGE, "bad --net '%s': %s", st_q(optarg), why);
			nnet++;
			break;
		}
		case 'V': {
			char *colon = strchr(optarg, ':');

			if (colon == NULL || colon == optarg || colon[1] != '/')
				st_die(ST_USAGE, "bad --volume '%s': must be VOLUME:/PATH", st_q(optarg));
			volarg = st_realloc(volarg, (nvol + 1) * sizeof *volarg);
			volarg[nvol] = st_strdup(optarg);
			volarg[nvol++][colon - optarg] = '\0';
			break;
		}
		case 'G':
			if (st_valid_name(optarg, &why) < 0 && !st_id_shape(optarg))
				st_die(ST_USAGE, "bad --sg '%s': %s", st_q(optarg), why);
			sgarg = st_realloc(sgarg, (nsg + 1) * sizeof *sgarg);
			sgarg[nsg++] = optarg;
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
	for (j = 0; j < nnet; j++)
		if (netip[j] && count > 1)
			st_die(ST_USAGE, "bad --net '%s:...': one address cannot go to %lld instances", st_q(netarg[j]), (long long)count);
	if (nvol > 0 && count > 1)
		st_die(ST_USAGE, "--volume attaches a volume to one instance: not with -n %lld", (long long)count);
	if (cmdlen > 131072)
		st_die(ST_USAGE, "command longer than 128 KiB");
	if (name && count > 1 && strlen(name) + 1 + snprintf(NULL, 0, "%lld", (long long)count) > 63)
		st_die(ST_USAGE, "bad --name '%s': too long for -n %lld", name, (long long)count);
	in.spec = json_pack("{s:o, s:o}", "env", env, "cmd", cmd);
	if (strcmp(in.kind, "vm") == 0) {	/* VMs: sizes a guest can have, its disk, its user-data */
		if (nports || json_array_size(env) || json_array_size(cmd))
			st_die(ST_USAGE, "--port, --env and a command are for containers (a VM gets its configuration through --user-data)");
		if (in.cpu > 256000)
			st_die(ST_USAGE, "bad --cpu: a VM has at most 256 vCPUs");
		if (in.mem < (32 << 20) || in.mem > ((int64_t)16 << 40))
			st_die(ST_USAGE, "bad --mem: a VM has 32M to 16T");
		if (udfile && (ud = st_vm_user_data(udfile, &why)) == NULL)
			st_die(ST_USAGE, "bad --user-data '%s': %s", st_q(udfile), why);
		json_object_set_new(in.spec, "disk", json_integer(disk));
		if (ud)
			json_object_set_new(in.spec, "user_data", json_string(ud));
		free(ud);
	} else if (disk || udfile) {
		st_die(ST_USAGE, "--disk and --user-data are for --kind vm");
	}
	in.labels = &labels;
	in.attrs = &attrs;
	in.ports = ports;
	in.nports = nports;

	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (strcmp(in.kind, "vm") == 0) {	/* a VM's image is a registered one, by ID */
		if ((rc = st_resolve(&db, ST_IMAGE, in.image, image)) != ST_OK)
			return rc;
		in.image = image;
	}
	if (st_hook_has("instance.create.pre"))	/* hooks: before the transaction */
		for (i = 0; i < count; i++)
			if ((rc = create_pre(&db, &in, name, count, i)) != ST_OK)
				return rc;
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	ids = st_malloc((size_t)count * sizeof *ids);
	netid = st_malloc((nnet + 1) * sizeof *netid);
	sgid = st_malloc((nsg + 1) * sizeof *sgid);
	for (j = 0; j < nnet; j++) {
		size_t k;

		if ((rc = st_resolve(&db, ST_NETWORK, netarg[j], netid[j])) != ST_OK) {
			st_db_rollback(&db);
			return rc;
		}
		for (k = 0; k < j; k++)
			if (strcmp(netid[k], netid[j]) == 0) {
				st_db_rollback(&db);
				return st_fail(ST_USAGE, "bad --net '%s': the instance is on network '%s' once", st_q(netarg[j]), netid[j]);
			}
	}
	for (j = 0; j < nsg; j++)
		if ((rc = st_resolve(&db, ST_SG, sgarg[j], sgid[j])) != ST_OK) {
			st_db_rollback(&db);
			return rc;
		}
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
		for (j = 0; j < nnet; j++) {
			char ip[16];

			if ((rc = st_net_alloc(&db, in.id, (int)j, netid[j], netip[j], ip, &why)) != ST_OK) {
				st_db_rollback(&db);
				return st_fail(rc, "unable to create instance '%s': %s", n ? n : in.image, why);
			}
		}
		for (j = 0; j < nsg; j++) {
			int changed;

			if ((rc = st_sg_member_set(&db, in.id, sgid[j], 1, &changed, &why)) != ST_OK) {
				st_db_rollback(&db);
				return st_fail(rc, "unable to create instance '%s': %s", n ? n : in.image, why);
			}
		}
		for (j = 0; j < nvol; j++) {	/* volumes (issue 8) */
			char vid[ST_ID_LEN + 1];

			if ((rc = st_vol_attach_tx(&db, volarg[j], in.id, volarg[j] + strlen(volarg[j]) + 1, vid)) != ST_OK) {
				st_db_rollback(&db);
				return rc;
			}
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
	for (j = 0; j < nnet; j++)
		free(netarg[j]);
	free(netarg);
	free(netip);
	free(netid);
	free(sgarg);
	free(sgid);
	for (j = 0; j < nvol; j++)
		free(volarg[j]);
	free(volarg);
	json_decref(in.spec);
	st_kvs_free(&labels);
	st_kvs_free(&attrs);
	st_db_close(&db);
	return st_flush();
}
