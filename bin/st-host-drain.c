/* st-host-drain: stop new placements on hosts: state active -> drained.
 * Compare-and-set; a host already there succeeds and says so. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_drain_main(argc, argv, 1);
}
