/* driver.h: the table of operations a driver module exports. Modules are
 * dlopen()ed only when an instance of their kind is touched (DESIGN.md 6). */
#ifndef ST_DRIVER_H
#define ST_DRIVER_H

#include <jansson.h>

#define ST_DRIVER_ABI 1

/* one call's view of a host endpoint; err receives a message on failure */
struct st_drv_ctx {
	const char *cluster;	/* the state file's uuid: labels, ownership */
	const char *host;	/* host name or ID, for messages */
	const char *endpoint;	/* unix:///path or tcp://host:port */
	const char *tls_ca, *tls_cert, *tls_key;
	int insecure;		/* tcp:// without TLS, asked for explicitly */
	int progress;		/* progress on stderr */
	char err[1024];
};

/* every operation returns 0, 100 (permanent) or 111 (temporary) */
struct st_driver {
	int abi;
	const char *name;
	/* {"cpus": N, "mem": bytes, "version": "..."} */
	int (*probe)(struct st_drv_ctx *, json_t **info);
	/* the instance JSON (st_inst_json) -> a stopped container */
	int (*create)(struct st_drv_ctx *, json_t *inst);
	int (*start)(struct st_drv_ctx *, const char *id);
	int (*stop)(struct st_drv_ctx *, const char *id, int timeout);
	int (*restart)(struct st_drv_ctx *, const char *id, int timeout);
	int (*remove)(struct st_drv_ctx *, const char *id);
	/* *state: "absent", "created", "running", "exited", ... */
	int (*state)(struct st_drv_ctx *, const char *id, char state[32]);
	/* the IDs of this cluster's instances the host runs: [{id, state}] */
	int (*list)(struct st_drv_ctx *, json_t **out);
	int (*logs)(struct st_drv_ctx *, const char *id, int follow, long tail, int outfd, int errfd);
	int (*exec)(struct st_drv_ctx *, const char *id, json_t *argv, int *status);
	int (*image_import)(struct st_drv_ctx *, int fd, const char *ref);
	int (*image_pull)(struct st_drv_ctx *, const char *ref, const char *auth);
};

/* the symbol a module exports */
#define ST_DRIVER_SYM "st_driver"

#endif
