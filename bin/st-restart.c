/* st-restart: restart running instances, or start stopped ones. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_life_main(argc, argv, ST_LIFE_RESTART);
}
