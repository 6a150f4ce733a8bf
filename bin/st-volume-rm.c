/* st-volume-rm: remove volumes that no instance has attached, with their
 * snapshots and their storage. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_act_main(argc, argv, "VOLUME", st_vol_remove);
}
