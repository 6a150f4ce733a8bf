/* st-stop: stop instances; they keep their host and reservation. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_life_main(argc, argv, ST_LIFE_STOP);
}
