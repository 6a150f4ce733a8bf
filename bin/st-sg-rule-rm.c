/* st-sg-rule-rm: remove a rule (given as to st-sg-rule-add) from
 * security groups, apply, and end the connections it allowed. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_sg_rule_main(argc, argv, 0);
}
