/* driver.h: the table of operations a driver module exports. Modules are
 * dlopen()ed only when an instance of their kind is touched (DESIGN.md 6). */
#ifndef ST_DRIVER_H
#define ST_DRIVER_H

#include <jansson.h>

#define ST_DRIVER_ABI 2

/* one call's view of a host endpoint; err receives a message on failure */
struct st_drv_ctx {
	const char *cluster;	/* the state file's uuid: labels, ownership */
	const char *host;	/* host name or ID, for messages */
	const char *endpoint;	/* unix:///path or tcp://host:port */
	const char *tls_ca, *tls_cert, *tls_key;
	int insecure;		/* tcp:// without TLS, asked for explicitly */
	int progress;		/* progress on stderr */
	char err[1024];
	/* filter hooks (stampede-hooks(5)): the driver hands its request
	 * document to filter, when set, before sending it; the callback
	 * replaces *doc, or fails with err set */
	int (*filter)(struct st_drv_ctx *, const char *event, json_t **doc);
	void *filter_arg;
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
	/* the containers of this cluster on the host: [{id (the instance's,
	 * absent without the label), name, cid, state, created (Unix s)}] */
	int (*list)(struct st_drv_ctx *, json_t **out);
	int (*logs)(struct st_drv_ctx *, const char *id, int follow, long tail, int outfd, int errfd);
	int (*exec)(struct st_drv_ctx *, const char *id, json_t *argv, int *status);
	int (*image_import)(struct st_drv_ctx *, int fd, const char *ref);
	int (*image_pull)(struct st_drv_ctx *, const char *ref, const char *auth);
	/* the create request create() would send for the instance, with no
	 * filter applied (st-hook-run container.create.filter) */
	int (*create_doc)(struct st_drv_ctx *, json_t *inst, json_t **doc);
};

/* the symbol a module exports */
#define ST_DRIVER_SYM "st_driver"

#endif
