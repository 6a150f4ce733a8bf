/* st-pool-ls: list the volume pools set with st-pool-add. */
#include "st.h"

static const struct st_col cols[] = {
	{ "host", "id", ST_COL_STR },
	{ "host_name", "host_name", ST_COL_STR },
	{ "backend", "backend", ST_COL_STR },
	{ "path", "path", ST_COL_STR },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "host,host_name,backend,path", st_pool_each);
}
