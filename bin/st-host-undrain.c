/* st-host-undrain: take drained hosts back into service: state drained ->
 * active. Compare-and-set; a host already there succeeds and says so. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_drain_main(argc, argv, 0);
}
