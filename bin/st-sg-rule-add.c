/* st-sg-rule-add: add a rule to security groups and apply it on the
 * hosts of their members. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_sg_rule_main(argc, argv, 1);
}
