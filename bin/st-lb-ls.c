/* st-lb-ls: list load balancers. */
#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "host", "host_name", ST_COL_STR },
	{ "host_id", "host", ST_COL_STR },
	{ "port", "port", ST_COL_INT },
	{ "bind", "bind", ST_COL_STR },
	{ "mode", "mode", ST_COL_STR },
	{ "algo", "algo", ST_COL_STR },
	{ "check", "check", ST_COL_STR },
	{ "check_interval", "check_interval", ST_COL_INT },
	{ "target_port", "target_port", ST_COL_INT },
	{ "targets", "targets", ST_COL_INT },
	{ "slots", "slots", ST_COL_INT },
	{ "select", "select", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "id,name,host,port,mode,algo,targets,select", st_lb_each);
}
