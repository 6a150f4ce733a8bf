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

/* the body of POST /containers/create for the instance JSON */
static json_t *
body_of(struct st_drv_ctx *c, json_t *in)
{
	const char *id = json_string_value(json_object_get(in, "id"));
	const char *image = json_string_value(json_object_get(in, "image"));
	const char *restart = json_string_value(json_object_get(in, "restart"));
	json_t *labels = json_object(), *exposed = json_object(), *bind = json_object();
	json_t *p, *v;
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
	return json_pack("{s:s, s:O, s:O, s:o, s:o, s:{s:I, s:I, s:I, s:{s:s}, s:o}}",
	    "Image", image, "Env", json_object_get(in, "env"),
	    "Cmd", json_array_size(json_object_get(in, "cmd")) ? json_object_get(in, "cmd") : json_null(),
	    "Labels", labels, "ExposedPorts", exposed,
	    "HostConfig",
	    "NanoCpus", (json_int_t)(json_number_value(json_object_get(in, "cpu")) * 1e9 + 0.5),
	    "Memory", json_integer_value(json_object_get(in, "mem")),
	    "MemorySwap", json_integer_value(json_object_get(in, "mem")),
	    "RestartPolicy", "Name", restart && strcmp(restart, "no") != 0 ? restart : "no",
	    "PortBindings", bind);
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
	json_t *body, *labels, *reply = NULL;
	char path[256], state[32];
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
	snprintf(path, sizeof path, "/containers/create?name=st-%s", id);
	rc = call(c, "POST", path, body, &reply, &st);
	json_decref(reply);
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
};
