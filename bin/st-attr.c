/* st-attr: set, remove or read free-form attributes that hooks receive. */
#include "st.h"

int
main(int argc, char **argv)
{
	return st_kvcmd_main(argc, argv, 0);
}
