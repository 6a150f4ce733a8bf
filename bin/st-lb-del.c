/* st-lb-del: instances stop being targets of a load balancer: HAProxy
 * drains their slots and puts them in maintenance. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_lb_targets_main(argc, argv, 0);
}
