/* st-net-ls: list networks with their subnet, gateway, bridge and the
 * number of addresses in use. */
#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "subnet", "subnet", ST_COL_STR },
	{ "gateway", "gateway", ST_COL_STR },
	{ "bridge", "bridge", ST_COL_STR },
	{ "addresses", "addresses", ST_COL_INT },
	{ "size", "size", ST_COL_INT },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "id,name,subnet,gateway,bridge,addresses", st_net_each);
}
