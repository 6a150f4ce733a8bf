/* driver.h: the table of operations a driver module exports. Modules are
 * dlopen()ed only when an instance of their kind is touched (DESIGN.md 6). */
#ifndef ST_DRIVER_H
#define ST_DRIVER_H

#include <jansson.h>

#define ST_DRIVER_ABI 5

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
	/* the IPv4 addresses of the instance's running container, as an
	 * array of strings (["172.17.0.2"]); may be NULL in a module that
	 * has none: callers check */
	int (*addrs)(struct st_drv_ctx *, const char *id, json_t **out);
	/* a VM's serial console (NULL in a module without one): with
	 * log_only, what it wrote so far to outfd; else attached to
	 * infd/outfd until the escape (^]) or the console closes */
	int (*console)(struct st_drv_ctx *, const char *id, int log_only, int infd, int outfd);
	/* removes what create() made on the host for a Stampede network
	 * (NULL in a module that makes nothing): unused, else refused */
	int (*net_remove)(struct st_drv_ctx *, const char *netid);
	/* makes the host's bridge of one entry of the instance's "nets"
	 * (NULL in a module that makes none): VMs on a docker host use it */
	int (*net_ensure)(struct st_drv_ctx *, json_t *net);
	/* freezes (pause 1) or thaws (0) the processes of the instance's
	 * running container, for a point-in-time copy of its volumes (NULL
	 * in a module without it) */
	int (*pause)(struct st_drv_ctx *, const char *id, int pause);
};

/* the symbol a module exports */
#define ST_DRIVER_SYM "st_driver"

#endif
