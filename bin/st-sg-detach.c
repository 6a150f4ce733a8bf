/* st-sg-detach: take an instance out of security groups, applied at
 * once, and end the connections that only they allowed. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_sg_member_main(argc, argv, 0);
}
