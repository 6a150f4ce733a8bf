/* st-volume-detach: detach volumes from the instances (not running) that
 * have them. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_act_main(argc, argv, "VOLUME", st_vol_detach);
}
