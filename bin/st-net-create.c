/* st-net-create: record a network: an IPv4 subnet whose addresses the
 * state file hands out, and its gateway. Bridges are made on the hosts
 * when an instance on the network is started there. */
#include <getopt.h>
#include <stdlib.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout, "usage: st-net-create --subnet CIDR [--gateway IP] [--state FILE] NAME\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "subnet", required_argument, NULL, 's' },
		ST_COMMON_LONGOPTS, { 0 } };
	struct st_cidr sub = { 0, -1 };
	uint32_t gw = 0, size;
	const char *why, *name, *gwarg = NULL;
	char id[ST_ID_LEN + 1], hwhy[ST_HOOK_WHY], s[20], g[16];
	struct st_db db;
	json_t *o;
	int c, rc;

	st_init(argc, argv);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (st_parse_ip4(optarg, &gw, &why) < 0)
				st_die(ST_USAGE, "bad --gateway '%s': %s", st_q(optarg), why);
			gwarg = optarg;
			break;
		case 's':
			if (st_parse_cidr(optarg, &sub, &why) < 0)
				st_die(ST_USAGE, "bad --subnet '%s': %s", st_q(optarg), why);
			if (sub.len < 8 || sub.len > 30)
				st_die(ST_USAGE, "bad --subnet '%s': the prefix length is 8 to 30", st_q(optarg));
			break;
		default:
			st_common_opt(c, optarg, usage);
		}
	}
	if (sub.len < 0)
		st_die(ST_USAGE, "--subnet is required");
	if (argc - optind != 1)
		st_die(ST_USAGE, "give one NAME");
	name = argv[optind];
	if (st_valid_name(name, &why) < 0)
		st_die(ST_USAGE, "unable to create network '%s': %s", st_q(name), why);
	size = (uint32_t)1 << (32 - sub.len);
	if (gwarg == NULL)
		gw = sub.addr + 1;
	else if ((gw & (0xffffffffu << (32 - sub.len))) != sub.addr || gw == sub.addr || gw == sub.addr + size - 1)
		st_die(ST_USAGE, "bad --gateway '%s': not a host address of the subnet", st_q(gwarg));
	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	st_cidr_str(&sub, s);
	st_ip4_str(gw, g);
	if (st_hook_has("net.create.pre")) {	/* hooks: before it exists */
		o = json_pack("{s:n, s:s, s:s, s:s}", "id", "name", name, "subnet", s, "gateway", g);
		rc = st_hook_pre(&db, "net.create.pre", NULL, o, hwhy);
		json_decref(o);
		if (rc != ST_OK)
			return st_fail(rc, "unable to create network '%s': %s", name, hwhy);
	}
	if ((rc = st_db_begin(&db)) != ST_OK)
		return rc;
	if ((rc = st_net_insert(&db, name, &sub, gw, id, &why)) != ST_OK) {
		st_db_rollback(&db);
		return st_fail(rc, "unable to create network '%s': %s", name, why);
	}
	o = json_pack("{s:s, s:s, s:s}", "name", name, "subnet", s, "gateway", g);
	rc = st_event(&db, id, "net.create", o);
	json_decref(o);
	if (rc != ST_OK || (rc = st_db_commit(&db)) != ST_OK) {
		if (db.in_tx)
			st_db_rollback(&db);
		return st_fail(rc, "unable to create network '%s': %s", name, st_db_err(&db));
	}
	if (st_hook_has("net.create.post"))	/* hooks: after the commit */
		st_hook_post(&db, "net.create.post", id, NULL);
	printf("%s\n", id);
	st_db_close(&db);
	return st_flush();
}
