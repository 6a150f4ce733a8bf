/* st-label: set, remove or read the labels that select objects. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_kvcmd_main(argc, argv, 1);
}
