/* voldrv.h: the qcow2 storage module's table (mod/qcow2.c, libvirt's
 * storage API) and the helpers vol.c and snap.c share. Not for commands. */
#ifndef ST_VOLDRV_H
#define ST_VOLDRV_H

#include <limits.h>
#include <stdint.h>

#define ST_VOLDRV_ABI 1
#define ST_VOLDRV_SYM "st_voldrv"
#define ST_VOLDRV_ERR 2048

/* every operation returns 0, 100 or 111, with err set on failure; dir is
 * the pool directory (a libvirt dir pool is found by its target path, or
 * made transient for the call), files are names inside it */
struct st_voldrv {
	int abi;
	/* a new qcow2 volume of capacity size */
	int (*create)(const char *uri, const char *dir, const char *file, int64_t size, char err[ST_VOLDRV_ERR]);
	/* a full copy of from, as a new volume to */
	int (*clone)(const char *uri, const char *dir, const char *from, const char *to, char err[ST_VOLDRV_ERR]);
	int (*remove)(const char *uri, const char *dir, const char *file, char err[ST_VOLDRV_ERR]);
	/* a point-in-time copy of the disk of running domain dom whose
	 * source is the file src, into the new file dst (a libvirt push
	 * backup job, waited for); the guest's filesystems frozen through
	 * its agent when one answers (*frozen = 1); with need_frozen, no
	 * agent is an error (100) and nothing is copied */
	int (*live_snapshot)(const char *uri, const char *dom, const char *src, const char *dst,
	    int need_frozen, int *frozen, char err[ST_VOLDRV_ERR]);
	/* adds (attach 1) or removes (0) the qcow2 disk of file src in the
	 * persistent definition of domain dom, which must not run; a domain
	 * not defined yet gets its volumes when it is made: nothing to do */
	int (*domain_disk)(const char *uri, const char *dom, const char *src, const char *serial, int attach,
	    char err[ST_VOLDRV_ERR]);
};

/* a volume row, as vol.c and snap.c read it */
struct st_vrow {
	char id[16], name[64], host[16], backend[8], state[16];
	int64_t size;
	char pool[1024], source[1024];	/* pool paths are at most 900 bytes */
	char inst[16], istate[16], ikind[16], path[256];	/* attachment, or "" */
	char uri[256];	/* the host's libvirt URI, or qemu:///system */
};
struct st_db;
int st_vrow_load(struct st_db *db, const char *id, struct st_vrow *v);
/* storage work for a backend */
int st_vs_make(const struct st_vrow *v, char err[ST_VOLDRV_ERR]);
int st_vs_remove(const struct st_vrow *v, const char *path, char err[ST_VOLDRV_ERR]);
int st_vs_snapshot(const struct st_vrow *v, const char *dst, char err[ST_VOLDRV_ERR]);
/* replaces the volume's content with the snapshot's at src */
int st_vs_restore(const struct st_vrow *v, const char *src, char err[ST_VOLDRV_ERR]);
/* runs argv with stdin/stdout on fds (-1: /dev/null); stderr's start to err */
int st_vs_run(char *const argv[], int in, int out, char err[ST_VOLDRV_ERR]);
/* the same in two steps: the child's pid (-1 on failure, err set) and
 * its stderr, read and waited for by st_vs_wait */
#include <sys/types.h>
pid_t st_vs_spawn(char *const argv[], int in, int out, int *errfd, char err[ST_VOLDRV_ERR]);
int st_vs_wait(pid_t pid, int errfd, const char *what, char err[ST_VOLDRV_ERR]);
int st_vs_rmtree(const char *path, char err[ST_VOLDRV_ERR]);
const struct st_voldrv *st_voldrv_load(char err[ST_VOLDRV_ERR]);

#endif
