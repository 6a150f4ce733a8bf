/* st-sg-ls: list security groups with the number of their rules and
 * members; --json gives the rules. */
#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "ingress", "ingress", ST_COL_INT },
	{ "egress", "egress", ST_COL_INT },
	{ "members", "members", ST_COL_INT },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "id,name,ingress,egress,members", st_sg_each);
}
