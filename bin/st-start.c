/* st-start: start instances on their hosts: create the container if needed, then start it. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_life_main(argc, argv, ST_LIFE_START);
}
