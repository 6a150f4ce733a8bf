/* st-sg-attach: put an instance in security groups; their rules apply
 * to it at once on its host, and the groups' sets hold its addresses. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_sg_member_main(argc, argv, 1);
}
