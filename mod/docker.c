/* docker.c: the Docker driver module: the Engine API over a unix socket,
 * or TCP with TLS client certificates, through libcurl and jansson. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver.h"

#define API "/v1.41"

struct buf {
	char *p;
	size_t n;
};

/* a stream writer: raw into a buffer, or Docker's multiplexed frames
 * (8-byte header: stream, 0, 0, 0, big-endian length) to two fds */
struct sink {
	struct buf b;
	int mux, outfd, errfd;
	unsigned char hdr[8];
	size_t hn, left;
	int stream;
	int failed;
	int progress;	/* image streams: status lines to stderr as they come */
	size_t shown;	/* how much of b has been looked at for them */
};

/* the complete JSON lines not yet shown: {"status", "progress"} */
static void
show_progress(struct sink *s)
{
	char *nl;

	while (s->b.p && (nl = memchr(s->b.p + s->shown, '\n', s->b.n - s->shown)) != NULL) {
		json_t *j;

		*nl = '\0';
		j = json_loads(s->b.p + s->shown, 0, NULL);
		*nl = '\n';
		s->shown = (size_t)(nl - s->b.p) + 1;
		if (json_is_string(json_object_get(j, "status")))
			fprintf(stderr, "%s %s%s\n", json_string_value(json_object_get(j, "status")),
			    json_is_string(json_object_get(j, "id")) ? json_string_value(json_object_get(j, "id")) : "",
			    json_is_string(json_object_get(j, "progress")) ? json_string_value(json_object_get(j, "progress")) : "");
		json_decref(j);
	}
}

static int
fail(struct st_drv_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return code;
}

static void
append(struct buf *b, const char *d, size_t n)
{
	char *p = realloc(b->p, b->n + n + 1);

	if (p == NULL)
		return;
	b->p = p;
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int
writeall(int fd, const char *d, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, d, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t
on_data(char *d, size_t sz, size_t nm, void *u)
{
	struct sink *s = u;
	size_t n = sz * nm, k;

	if (!s->mux) {
		if (s->outfd >= 0) {
			if (writeall(s->outfd, d, n) < 0) {
				s->failed = 1;
				return 0;
			}
		} else {
			append(&s->b, d, n);
			if (s->progress)
				show_progress(s);
		}
		return n;
	}
	for (size_t i = 0; i < n;) {
		if (s->left == 0) {
			s->hdr[s->hn++] = (unsigned char)d[i++];
			if (s->hn == 8) {
				s->stream = s->hdr[0];
				s->left = (size_t)s->hdr[4] << 24 | (size_t)s->hdr[5] << 16 | (size_t)s->hdr[6] << 8 | s->hdr[7];
				s->hn = 0;
			}
			continue;
		}
		k = n - i < s->left ? n - i : s->left;
		if (writeall(s->stream == 2 ? s->errfd : s->outfd, d + i, k) < 0) {
			s->failed = 1;
			return 0;
		}
		i += k;
		s->left -= k;
	}
	return n;
}

struct source {
	int fd;
};

static size_t
on_read(char *d, size_t sz, size_t nm, void *u)
{
	struct source *s = u;
	ssize_t r;

	do
		r = read(s->fd, d, sz * nm);
	while (r < 0 && errno == EINTR);
	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

/* one request; *status gets the HTTP status. Returns 0, or 111 when the
 * endpoint cannot be reached (c->err says why) */
static int
request(struct st_drv_ctx *c, const char *method, const char *path, const char *body,
    struct source *src, struct sink *out, const char *header, long *status)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	const char *ep = c->endpoint;
	CURL *cu;
	CURLcode rc;

	if ((cu = curl_easy_init()) == NULL)
		return fail(c, 111, "out of memory");
	if (strncmp(ep, "unix://", 7) == 0) {
		curl_easy_setopt(cu, CURLOPT_UNIX_SOCKET_PATH, ep + 7);
		snprintf(url, sizeof url, "http://docker%s%s", API, path);
	} else if (strncmp(ep, "tcp://", 6) == 0) {
		int tls = c->tls_cert && c->tls_key && c->tls_ca;

		if (!tls && !c->insecure) {
			curl_easy_cleanup(cu);
			return fail(c, 100, "docker endpoint '%s' is plain tcp:// without TLS client certificates (give --tls-ca, --tls-cert, --tls-key, or --insecure)", ep);
		}
		snprintf(url, sizeof url, "%s://%s%s%s", tls ? "https" : "http", ep + 6, API, path);
		if (tls) {
			curl_easy_setopt(cu, CURLOPT_CAINFO, c->tls_ca);
			curl_easy_setopt(cu, CURLOPT_SSLCERT, c->tls_cert);
			curl_easy_setopt(cu, CURLOPT_SSLKEY, c->tls_key);
		}
	} else {
		curl_easy_cleanup(cu);
		return fail(c, 100, "unknown docker endpoint '%s' (unix:///path or tcp://host:port)", ep);
	}
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, out);
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
	} else if (src) {
		h = curl_slist_append(h, "Content-Type: application/x-tar");
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(cu, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(cu, CURLOPT_READDATA, src);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, "");
	}
	if (header)
		h = curl_slist_append(h, header);
	if (h)
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(cu);
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(cu);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && out && out->failed)) {
		return fail(c, 111, "unable to reach docker at '%s' on host '%s': %s", ep, c->host,
		    *errbuf ? errbuf : curl_easy_strerror(rc));
	}
	return 0;
}

/* Docker's {"message": "..."} of an error reply */
static const char *
message(struct sink *s)
{
	json_t *j = s->b.p ? json_loads(s->b.p, 0, NULL) : NULL;
	static char m[512];

	snprintf(m, sizeof m, "%s", json_is_string(json_object_get(j, "message")) ?
	    json_string_value(json_object_get(j, "message")) : s->b.p ? s->b.p : "no reply");
	json_decref(j);
	m[strcspn(m, "\n")] = '\0';
	return m;
}

/* a simple call: JSON body in, JSON (or nothing) out */
static int
call(struct st_drv_ctx *c, const char *method, const char *path, json_t *body, json_t **reply, long *status)
{
	struct sink s = { .outfd = -1 };
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	rc = request(c, method, path, b, NULL, &s, NULL, status);
	free(b);
	if (rc != 0) {
		free(s.b.p);
		return rc;
	}
	if (*status >= 400) {
		fail(c, *status >= 500 ? 111 : 100, "%s", message(&s));
		free(s.b.p);
		return *status >= 500 ? 111 : 100;
	}
	if (reply)
		*reply = s.b.p ? json_loads(s.b.p, 0, NULL) : NULL;
	free(s.b.p);
	return 0;
}

static int
probe(struct st_drv_ctx *c, json_t **info)
{
	json_t *j = NULL;
	long st;
	int rc;

	if ((rc = call(c, "GET", "/info", NULL, &j, &st)) != 0)
		return rc;
	if (!json_is_integer(json_object_get(j, "NCPU")) || !json_is_integer(json_object_get(j, "MemTotal"))) {
		json_decref(j);
		return fail(c, 100, "docker at '%s' answered /info without NCPU and MemTotal", c->endpoint);
	}
	*info = json_pack("{s:I, s:I, s:s}", "cpus", json_integer_value(json_object_get(j, "NCPU")),
	    "mem", json_integer_value(json_object_get(j, "MemTotal")),
	    "version", json_is_string(json_object_get(j, "ServerVersion")) ? json_string_value(json_object_get(j, "ServerVersion")) : "");
	json_decref(j);
	return 0;
}

/* the state of instance id's container: "absent", "foreign" (a container
 * of that name that is not ours: c->err says whose), or Docker's state */
static int
owned(struct st_drv_ctx *c, const char *id, char state[32])
{
	char path[256];
	json_t *j = NULL, *labels;
	const char *cl, *iid, *s;
	long st;
	int rc;

	snprintf(path, sizeof path, "/containers/st-%s/json", id);
	rc = call(c, "GET", path, NULL, &j, &st);
	if (rc == 100 && st == 404) {
		snprintf(state, 32, "absent");
		return 0;
	}
	if (rc != 0)
		return rc;
	labels = json_object_get(json_object_get(j, "Config"), "Labels");
	cl = json_string_value(json_object_get(labels, "io.stampede.cluster"));
	iid = json_string_value(json_object_get(labels, "io.stampede.id"));
	if (cl == NULL || iid == NULL || strcmp(iid, id) != 0 || strcmp(cl, c->cluster) != 0) {
		if (cl == NULL || iid == NULL || strcmp(iid, id) != 0)
			fail(c, 100, "container 'st-%s' on host '%s' has no Stampede labels: not touching it", id, c->host);
		else
			fail(c, 100, "container 'st-%s' on host '%s' belongs to another cluster (%s): not touching it", id, c->host, cl);
		json_decref(j);
		snprintf(state, 32, "foreign");
		return 0;
	}
	s = json_string_value(json_object_get(json_object_get(j, "State"), "Status"));
	snprintf(state, 32, "%s", s ? s : "unknown");
	json_decref(j);
	return 0;
}

static int
dstate(struct st_drv_ctx *c, const char *id, char state[32])
{
	return owned(c, id, state);
}

/* networks (issue 9): a Stampede network is a Docker bridge network
 * named st-<network ID> on each host, its bridge named as the instance
 * JSON says, labelled with the cluster; containers join it with their
 * static address */
static int
net_ensure(struct st_drv_ctx *c, json_t *n)
{
	const char *net = json_string_value(json_object_get(n, "net"));
	const char *cl;
	json_t *j = NULL, *body;
	char path[256];
	long st;
	int rc;

	snprintf(path, sizeof path, "/networks/st-%s", net);
	rc = call(c, "GET", path, NULL, &j, &st);
	if (rc == 0) {
		cl = json_string_value(json_object_get(json_object_get(j, "Labels"), "io.stampede.cluster"));
		rc = cl && strcmp(cl, c->cluster) == 0 ? 0 :
		    fail(c, 100, "docker network 'st-%s' on host '%s' is not this cluster's: not using it", net, c->host);
		json_decref(j);
		return rc;
	}
	if (!(rc == 100 && st == 404))
		return rc;
	body = json_pack("{s:s, s:s, s:b, s:{s:s, s:[{s:s, s:s}]}, s:{s:s}, s:{s:s, s:s}}",
	    "Name", path + strlen("/networks/"), "Driver", "bridge", "CheckDuplicate", 1,
	    "IPAM", "Driver", "default", "Config", "Subnet", json_string_value(json_object_get(n, "subnet")),
	    "Gateway", json_string_value(json_object_get(n, "gateway")),
	    "Options", "com.docker.network.bridge.name", json_string_value(json_object_get(n, "bridge")),
	    "Labels", "io.stampede.cluster", c->cluster, "io.stampede.net", net);
	if (body == NULL)
		return fail(c, 100, "unable to build the network request of '%s'", net);
	rc = call(c, "POST", "/networks/create", body, &j, &st);
	json_decref(body);
	json_decref(j);
	if (rc == 100 && st == 409)	/* made meanwhile by another start */
		return 0;
	if (rc != 0)
		return fail(c, rc, "unable to make docker network 'st-%s' on host '%s': %s", net, c->host, c->err);
	return 0;
}

static int
net_remove(struct st_drv_ctx *c, const char *net)
{
	json_t *j = NULL;
	const char *cl;
	char path[256];
	long st;
	int rc;

	snprintf(path, sizeof path, "/networks/st-%s", net);
	rc = call(c, "GET", path, NULL, &j, &st);
	if (rc == 100 && st == 404)
		return 0;
	if (rc != 0)
		return rc;
	cl = json_string_value(json_object_get(json_object_get(j, "Labels"), "io.stampede.cluster"));
	rc = cl && strcmp(cl, c->cluster) == 0;
	json_decref(j);
	if (!rc)
		return fail(c, 100, "docker network 'st-%s' on host '%s' is not this cluster's: not touching it", net, c->host);
	rc = call(c, "DELETE", path, NULL, NULL, &st);
	return rc == 100 && st == 404 ? 0 : rc;
}

static json_t *
endpoint(json_t *n)
{
	return json_pack("{s:{s:s}}", "IPAMConfig", "IPv4Address", json_string_value(json_object_get(n, "ip")));
}

/* the body of POST /containers/create for the instance JSON */
static json_t *
body_of(struct st_drv_ctx *c, json_t *in)
{
	const char *id = json_string_value(json_object_get(in, "id"));
	const char *image = json_string_value(json_object_get(in, "image"));
	const char *restart = json_string_value(json_object_get(in, "restart"));
	json_t *labels = json_object(), *exposed = json_object(), *bind = json_object();
	json_t *p, *v, *body, *nets;
	char key[32], hp[8];
	const char *k;
	size_t i;

	json_object_foreach(json_object_get(in, "labels"), k, v)
		json_object_set(labels, k, v);
	json_object_set_new(labels, "io.stampede.id", json_string(id));
	json_object_set_new(labels, "io.stampede.cluster", json_string(c->cluster));
	json_array_foreach(json_object_get(in, "ports"), i, p) {
		snprintf(key, sizeof key, "%d/%s", (int)json_integer_value(json_object_get(p, "port")),
		    json_string_value(json_object_get(p, "proto")));
		snprintf(hp, sizeof hp, "%d", (int)json_integer_value(json_object_get(p, "host_port")));
		json_object_set_new(exposed, key, json_object());
		if (json_object_get(bind, key) == NULL)
			json_object_set_new(bind, key, json_array());
		json_array_append_new(json_object_get(bind, key), json_pack("{s:s}", "HostPort", hp));
	}
	body = json_pack("{s:s, s:O, s:O, s:o, s:o, s:{s:I, s:I, s:I, s:{s:s}, s:o}}",
	    "Image", image, "Env", json_object_get(in, "env"),
	    "Cmd", json_array_size(json_object_get(in, "cmd")) ? json_object_get(in, "cmd") : json_null(),
	    "Labels", labels, "ExposedPorts", exposed,
	    "HostConfig",
	    "NanoCpus", (json_int_t)(json_number_value(json_object_get(in, "cpu")) * 1e9 + 0.5),
	    "Memory", json_integer_value(json_object_get(in, "mem")),
	    "MemorySwap", json_integer_value(json_object_get(in, "mem")),
	    "RestartPolicy", "Name", restart && strcmp(restart, "no") != 0 ? restart : "no",
	    "PortBindings", bind);
	/* the first network at create (API 1.41 takes one), the others
	 * connected before the start */
	if (body && json_array_size(nets = json_object_get(in, "nets")) > 0) {
		json_t *n = json_array_get(nets, 0);
		char name[64];

		snprintf(name, sizeof name, "st-%s", json_string_value(json_object_get(n, "net")));
		json_object_set_new(json_object_get(body, "HostConfig"), "NetworkMode", json_string(name));
		json_object_set_new(body, "NetworkingConfig", json_pack("{s:{s:o}}", "EndpointsConfig", name, endpoint(n)));
	}
	/* volumes (issue 8): a dir or btrfs volume is a bind mount; qcow2
	 * volumes (VM disks) are refused at attach time */
	if (body && json_array_size(json_object_get(in, "volumes")) > 0) {
		json_t *m = json_array(), *vol;

		json_array_foreach(json_object_get(in, "volumes"), i, vol)
			if (json_is_null(json_object_get(vol, "format")))
				json_array_append_new(m, json_pack("{s:s, s:O, s:O}", "Type", "bind",
				    "Source", json_object_get(vol, "source"), "Target", json_object_get(vol, "path")));
		json_object_set_new(json_object_get(body, "HostConfig"), "Mounts", m);
	}
	return body;
}

static int
create_doc(struct st_drv_ctx *c, json_t *in, json_t **doc)
{
	if ((*doc = body_of(c, in)) == NULL)
		return fail(c, 100, "unable to build the create request of '%s'", json_string_value(json_object_get(in, "id")));
	return 0;
}

static int
create(struct st_drv_ctx *c, json_t *in)
{
	const char *id = json_string_value(json_object_get(in, "id"));
	json_t *body, *labels, *reply = NULL, *n;
	char path[256], state[32], cname[64];
	size_t i;
	const char *image;
	long st;
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 100;
	if (strcmp(state, "absent") != 0)
		return 0;	/* created before: a retried start */
	if ((rc = create_doc(c, in, &body)) != 0)
		return rc;
	if (c->filter && (rc = c->filter(c, "container.create.filter", &body)) != 0) {
		json_decref(body);
		return rc;
	}
	/* a filter may add to the labels, never take the container out of
	 * this cluster's hands */
	if (!json_is_object(labels = json_object_get(body, "Labels")))
		json_object_set_new(body, "Labels", labels = json_object());
	json_object_set_new(labels, "io.stampede.id", json_string(id));
	json_object_set_new(labels, "io.stampede.cluster", json_string(c->cluster));
	image = json_string_value(json_object_get(body, "Image"));
	json_array_foreach(json_object_get(in, "nets"), i, n)
		if ((rc = net_ensure(c, n)) != 0) {
			json_decref(body);
			return rc;
		}
	snprintf(path, sizeof path, "/containers/create?name=st-%s", id);
	rc = call(c, "POST", path, body, &reply, &st);
	json_decref(reply);
	json_array_foreach(json_object_get(in, "nets"), i, n) {
		json_t *b;

		if (rc != 0 || i == 0)
			continue;
		snprintf(path, sizeof path, "/networks/st-%s/connect", json_string_value(json_object_get(n, "net")));
		b = json_pack("{s:s, s:o}", "Container", id, "EndpointConfig", endpoint(n));
		snprintf(cname, sizeof cname, "st-%s", id);
		json_object_set_new(b, "Container", json_string(cname));
		rc = call(c, "POST", path, b, NULL, &st);
		json_decref(b);
	}
	if (rc == 100 && st == 404)
		rc = fail(c, 100, "image '%s' not found on host '%s' (st-image-import or st-image-pull it there)", image ? image : "?", c->host);
	else if (rc == 100 && st == 409)
		rc = fail(c, 100, "container name 'st-%s' is taken on host '%s' by a container that is not this instance's", id, c->host);
	json_decref(body);
	return rc;
}

static int
simple(struct st_drv_ctx *c, const char *id, const char *method, const char *fmt, int arg)
{
	char path[256], state[32];
	long st;
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 100;
	if (strcmp(state, "absent") == 0)
		return fail(c, 100, "no container for instance '%s' on host '%s'", id, c->host);
	snprintf(path, sizeof path, fmt, id, arg);
	rc = call(c, method, path, NULL, NULL, &st);
	return rc;
}

static int
start(struct st_drv_ctx *c, const char *id)
{
	return simple(c, id, "POST", "/containers/st-%s/start", 0);
}

static int
dpause(struct st_drv_ctx *c, const char *id, int pause)
{
	return simple(c, id, "POST", pause ? "/containers/st-%s/pause" : "/containers/st-%s/unpause", 0);
}

static int
stop(struct st_drv_ctx *c, const char *id, int timeout)
{
	char state[32];
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	/* nothing of ours runs: stopped (a foreign one is not ours to stop) */
	if (strcmp(state, "absent") == 0 || strcmp(state, "foreign") == 0)
		return 0;
	return simple(c, id, "POST", "/containers/st-%s/stop?t=%d", timeout);
}

static int
restart(struct st_drv_ctx *c, const char *id, int timeout)
{
	return simple(c, id, "POST", "/containers/st-%s/restart?t=%d", timeout);
}

static int
dremove(struct st_drv_ctx *c, const char *id)
{
	char state[32];
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	/* nothing of ours to remove; a foreign container stays untouched */
	if (strcmp(state, "absent") == 0 || strcmp(state, "foreign") == 0)
		return 0;
	return simple(c, id, "DELETE", "/containers/st-%s?force=1&v=1", 0);
}

static int
list(struct st_drv_ctx *c, json_t **out)
{
	char path[512], *enc;
	json_t *j = NULL, *x, *f;
	CURL *cu;
	size_t i;
	long st;
	int rc;

	f = json_pack("{s:[s]}", "label", "");
	json_array_set_new(json_object_get(f, "label"), 0, json_sprintf("io.stampede.cluster=%s", c->cluster));
	enc = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	cu = curl_easy_init();
	{
		char *e = curl_easy_escape(cu, enc, 0);

		snprintf(path, sizeof path, "/containers/json?all=1&filters=%s", e);
		curl_free(e);
	}
	curl_easy_cleanup(cu);
	free(enc);
	if ((rc = call(c, "GET", path, NULL, &j, &st)) != 0)
		return rc;
	*out = json_array();
	/* every container with the cluster label, also one without an
	 * instance ID: st-doctor reports what does not have our shape */
	json_array_foreach(j, i, x) {
		json_t *l = json_object_get(x, "Labels");
		const char *id = json_string_value(json_object_get(l, "io.stampede.id"));
		const char *name = json_string_value(json_array_get(json_object_get(x, "Names"), 0));
		const char *cid = json_string_value(json_object_get(x, "Id"));

		json_array_append_new(*out, json_pack("{s:s?, s:s, s:s, s:s, s:I}", "id", id,
		    "name", name ? name + (*name == '/') : "", "cid", cid ? cid : "",
		    "state", json_is_string(json_object_get(x, "State")) ? json_string_value(json_object_get(x, "State")) : "unknown",
		    "created", json_integer_value(json_object_get(x, "Created"))));
	}
	json_decref(j);
	return 0;
}

static int
logs(struct st_drv_ctx *c, const char *id, int follow, long tail, int outfd, int errfd)
{
	struct sink s = { .mux = 1, .outfd = outfd, .errfd = errfd };
	char path[256], t[32], state[32];
	long st;
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 100;
	if (strcmp(state, "absent") == 0)
		return fail(c, 100, "no container for instance '%s' on host '%s'", id, c->host);
	if (tail >= 0)
		snprintf(t, sizeof t, "%ld", tail);
	else
		snprintf(t, sizeof t, "all");
	snprintf(path, sizeof path, "/containers/st-%s/logs?stdout=1&stderr=1&follow=%d&tail=%s", id, follow, t);
	if ((rc = request(c, "GET", path, NULL, NULL, &s, NULL, &st)) != 0)
		return rc;
	if (s.failed)
		return fail(c, 111, "unable to write logs: %s", strerror(errno));
	if (st >= 400)
		return fail(c, st >= 500 ? 111 : 100, "docker refused the logs (HTTP %ld)", st);
	return 0;
}

static int
dexec(struct st_drv_ctx *c, const char *id, json_t *argv, int *status)
{
	struct sink s = { .mux = 1, .outfd = 1, .errfd = 2 };
	char path[256], state[32];
	json_t *body, *reply = NULL;
	const char *eid;
	long st;
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 100;
	if (strcmp(state, "running") != 0)
		return fail(c, 100, "instance '%s' is not running on host '%s' (%s)", id, c->host, state);
	body = json_pack("{s:b, s:b, s:b, s:O}", "AttachStdout", 1, "AttachStderr", 1, "Tty", 0, "Cmd", argv);
	snprintf(path, sizeof path, "/containers/st-%s/exec", id);
	rc = call(c, "POST", path, body, &reply, &st);
	json_decref(body);
	if (rc != 0)
		return rc;
	eid = json_string_value(json_object_get(reply, "Id"));
	if (eid == NULL) {
		json_decref(reply);
		return fail(c, 111, "docker gave no exec ID");
	}
	snprintf(path, sizeof path, "/exec/%s/start", eid);
	rc = request(c, "POST", path, "{\"Detach\":false,\"Tty\":false}", NULL, &s, NULL, &st);
	if (rc == 0 && st >= 400)
		rc = fail(c, st >= 500 ? 111 : 100, "docker refused the exec (HTTP %ld)", st);
	if (rc == 0) {
		json_t *ins = NULL;

		snprintf(path, sizeof path, "/exec/%s/json", eid);
		if ((rc = call(c, "GET", path, NULL, &ins, &st)) == 0)
			*status = (int)json_integer_value(json_object_get(ins, "ExitCode"));
		json_decref(ins);
	}
	json_decref(reply);
	return rc;
}

/* registry errors come back as HTTP 500 or inside a 200 stream: what the
 * message says decides whether a retry can help */
static int
registry_code(const char *m, long st)
{
	static const char *const perm[] = { "unauthorized", "authentication required",
		"no basic auth credentials", "denied", "not found", "manifest unknown",
		"invalid reference", "no such host", "repository does not exist",
		"tar", "archive", "unexpected EOF" };
	size_t i;

	for (i = 0; i < sizeof perm / sizeof perm[0]; i++)
		if (strstr(m, perm[i]))
			return 100;
	return st >= 400 && st < 500 ? 100 : 111;
}

/* /images/create streams JSON progress lines; an error is a line with
 * "error", under HTTP 200 */
static int
image_stream(struct st_drv_ctx *c, struct sink *s, long st)
{
	char *line, *save = NULL;
	int rc = 0;

	if (st >= 400) {
		const char *m = message(s);

		rc = fail(c, registry_code(m, st), "%s", m);
		free(s->b.p);
		return rc;
	}
	for (line = s->b.p ? strtok_r(s->b.p, "\r\n", &save) : NULL; line; line = strtok_r(NULL, "\r\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *e = json_string_value(json_object_get(j, "error"));

		if (e) {
			rc = fail(c, registry_code(e, 200), "%s", e);
		}
		json_decref(j);
	}
	free(s->b.p);
	return rc;
}

static void
split_ref(const char *ref, char *repo, size_t rn, char *tag, size_t tn)
{
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':'), *at = strchr(ref, '@');

	/* the API takes a digest where a tag goes */
	if (at) {
		snprintf(repo, rn, "%.*s", (int)(at - ref), ref);
		snprintf(tag, tn, "%s", at + 1);
	} else if (colon && (!slash || colon > slash)) {
		snprintf(repo, rn, "%.*s", (int)(colon - ref), ref);
		snprintf(tag, tn, "%s", colon + 1);
	} else {
		snprintf(repo, rn, "%s", ref);
		snprintf(tag, tn, "latest");
	}
}

/* POST /images/create: an import (src: the tarball) or a pull (auth: the
 * X-Registry-Auth value), its progress stream read for errors */
static int
image_create(struct st_drv_ctx *c, const char *ref, struct source *src, const char *auth)
{
	struct sink s = { .outfd = -1, .progress = c->progress };
	char repo[512], tag[160], path[1024], *er, *et, *hdr = NULL;
	CURL *cu = curl_easy_init();
	long st;
	int rc;

	if (cu == NULL)
		return fail(c, 111, "out of memory");
	split_ref(ref, repo, sizeof repo, tag, sizeof tag);
	er = curl_easy_escape(cu, repo, 0);
	et = curl_easy_escape(cu, tag, 0);
	snprintf(path, sizeof path, src ? "/images/create?fromSrc=-&repo=%s&tag=%s" :
	    "/images/create?fromImage=%s&tag=%s", er, et);
	curl_free(er);
	curl_free(et);
	curl_easy_cleanup(cu);
	if (auth && asprintf(&hdr, "X-Registry-Auth: %s", auth) < 0)
		return fail(c, 111, "out of memory");
	rc = request(c, "POST", path, NULL, src, &s, hdr, &st);
	if (hdr) {
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
	}
	if (rc != 0) {
		free(s.b.p);
		return rc;
	}
	return image_stream(c, &s, st);
}

static int
image_import(struct st_drv_ctx *c, int fd, const char *ref)
{
	struct source src = { .fd = fd };

	return image_create(c, ref, &src, NULL);
}

static int
image_pull(struct st_drv_ctx *c, const char *ref, const char *auth)
{
	return image_create(c, ref, NULL, auth);
}

/* the IPv4 addresses Docker gave the container (load balancer targets):
 * NetworkSettings.IPAddress and each network's, without duplicates */
static int
addrs(struct st_drv_ctx *c, const char *id, json_t **out)
{
	char path[256], state[32];
	json_t *j = NULL, *ns, *net, *a;
	const char *ip, *k;
	size_t i;
	long st;
	int rc;

	if ((rc = owned(c, id, state)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 100;
	*out = json_array();
	if (strcmp(state, "absent") == 0)
		return 0;
	snprintf(path, sizeof path, "/containers/st-%s/json", id);
	if ((rc = call(c, "GET", path, NULL, &j, &st)) != 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	ns = json_object_get(j, "NetworkSettings");
	if ((ip = json_string_value(json_object_get(ns, "IPAddress"))) != NULL && *ip)
		json_array_append_new(*out, json_string(ip));
	json_object_foreach(json_object_get(ns, "Networks"), k, net) {
		if ((ip = json_string_value(json_object_get(net, "IPAddress"))) == NULL || *ip == '\0')
			continue;
		json_array_foreach(*out, i, a)
			if (strcmp(json_string_value(a), ip) == 0)
				break;
		if (i == json_array_size(*out))
			json_array_append_new(*out, json_string(ip));
	}
	json_decref(j);
	return 0;
}

const struct st_driver st_driver = {
	.abi = ST_DRIVER_ABI,
	.name = "docker",
	.probe = probe,
	.create = create,
	.start = start,
	.stop = stop,
	.restart = restart,
	.remove = dremove,
	.state = dstate,
	.list = list,
	.logs = logs,
	.exec = dexec,
	.image_import = image_import,
	.image_pull = image_pull,
	.create_doc = create_doc,
	.addrs = addrs,
	.net_remove = net_remove,
	.net_ensure = net_ensure,
	.pause = dpause,
};
