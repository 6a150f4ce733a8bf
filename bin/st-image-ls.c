/* st-image-ls: list the VM images, with how many instances use each. */
#include "st.h"

static const struct st_col cols[] = {
	{ "id", "id", ST_COL_STR },
	{ "name", "name", ST_COL_STR },
	{ "size", "size", ST_COL_SIZE },
	{ "instances", "instances", ST_COL_INT },
	{ "path", "path", ST_COL_STR },
	{ "kernel", "kernel", ST_COL_STR },
	{ "initrd", "initrd", ST_COL_STR },
	{ "cmdline", "cmdline", ST_COL_STR },
	{ "labels", "labels", ST_COL_KV },
	{ "created", "created", ST_COL_TIME },
};

int
main(int argc, char **argv)
{
	return st_ls_main(argc, argv, cols, ST_NELEM(cols), "id,name,size,instances,path,kernel", st_image_each);
}
