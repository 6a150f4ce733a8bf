/* st-host-ls: list hosts with their capacity, use and state. */
#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "state", "state", ST_COL_STR },
	{ "kinds", "kinds", ST_COL_KV },
	{ "cpu", "cpu", ST_COL_CPU },
	{ "cpu_used", "cpu_used", ST_COL_CPU },
	{ "cpu_free", "cpu_free", ST_COL_CPU },
	{ "mem", "mem", ST_COL_SIZE },
	{ "mem_used", "mem_used", ST_COL_SIZE },
	{ "mem_free", "mem_free", ST_COL_SIZE },
	{ "instances", "instances", ST_COL_INT },
	{ "docker", "docker", ST_COL_STR },
	{ "libvirt", "libvirt", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "id,name,state,cpu,cpu_used,mem,mem_used,instances,labels", st_host_each);
}
