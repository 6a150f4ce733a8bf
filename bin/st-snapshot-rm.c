/* st-snapshot-rm: remove snapshots and their storage. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_act_main(argc, argv, "SNAPSHOT", st_snap_remove);
}
