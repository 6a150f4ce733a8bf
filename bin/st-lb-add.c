/* st-lb-add: instances become targets of a load balancer, each in a
 * server slot that HAProxy takes in through its Runtime API. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_lb_targets_main(argc, argv, 1);
}
