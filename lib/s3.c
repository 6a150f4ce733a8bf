/* s3.c: a small S3 client on libcurl's AWS SigV4: PUT (multipart above a
 * threshold), GET, HEAD, DELETE and ListObjectsV2, with retries for 5xx. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "st.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void
st_sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[64] = '\0';
}

static int
valid_bucket(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return 0;
	for (; *b; b++)
		if (!(islower((unsigned char)*b) || isdigit((unsigned char)*b) || *b == '-' || *b == '.'))
			return 0;
	return 1;
}

/* prefixes go into URLs and object keys unescaped: a safe alphabet, no
 * empty, "." or ".." segments */
static int
valid_prefix(const char *p)
{
	const char *s = p;

	if (strlen(p) > 512)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr("-_./", *s)))
			return 0;
	for (s = p; *s; ) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/' && *++s == '\0')
			break;	/* one trailing slash is allowed */
	}
	return 1;
}

int
st_s3_parse_url(const char *url, char **bucket, char **prefix, const char **why)
{
	const char *b, *sl;
	size_t n;

	if (strncmp(url, "s3://", 5) != 0) {
		*why = "not of the form s3://BUCKET[/PREFIX]";
		return -1;
	}
	b = url + 5;
	sl = strchr(b, '/');
	n = sl ? (size_t)(sl - b) : strlen(b);
	*bucket = strndup(b, n);
	if (*bucket == NULL)
		st_die(ST_TEMP, "out of memory");
	if (!valid_bucket(*bucket)) {
		free(*bucket);
		*why = "bad bucket name (3 to 63 of a-z, 0-9, '-', '.')";
		return -1;
	}
	*prefix = st_strdup(sl ? sl + 1 : "");
	if (**prefix && !valid_prefix(*prefix)) {
		free(*bucket);
		free(*prefix);
		*why = "bad prefix (A-Z, a-z, 0-9, '-', '_', '.', '/'; no empty, '.' or '..' parts)";
		return -1;
	}
	n = strlen(*prefix);
	if (n > 0 && (*prefix)[n - 1] == '/')
		(*prefix)[n - 1] = '\0';
	return 0;
}

/* credentials: the environment, or a 0600 file of key = value lines */
static int
load_creds(struct st_s3 *s, const char **why)
{
	const char *k = getenv("AWS_ACCESS_KEY_ID"), *v = getenv("AWS_SECRET_ACCESS_KEY");
	const char *path = getenv("ST_S3_CONF");
	static char msg[512];
	char line[1024], key[256] = "", sec[256] = "";
	struct stat sb;
	FILE *f;

	if (k && *k && v && *v) {
		s->cred = st_asprintf("%s:%s", k, v);
		return 0;
	}
	if (path == NULL || *path == '\0')
		path = "/etc/stampede/s3.conf";
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(msg, sizeof msg, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write %s (mode 0600): %s",
		    path, strerror(errno));
		*why = msg;
		return -1;
	}
	if (fstat(fileno(f), &sb) < 0 || (sb.st_mode & 077) != 0 || (sb.st_uid != geteuid() && sb.st_uid != 0)) {
		fclose(f);
		snprintf(msg, sizeof msg, "credentials file %s refused: it must be mode 0600 and owned by you or root", path);
		*why = msg;
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line, *e, *val;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || (e = strchr(p, '=')) == NULL)
			continue;
		val = e + 1;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		val[strcspn(val, " \t\r\n")] = '\0';
		if (strcmp(p, "access_key_id") == 0 || strcmp(p, "aws_access_key_id") == 0)
			snprintf(key, sizeof key, "%s", val);
		else if (strcmp(p, "secret_access_key") == 0 || strcmp(p, "aws_secret_access_key") == 0)
			snprintf(sec, sizeof sec, "%s", val);
	}
	fclose(f);
	if (!*key || !*sec) {
		snprintf(msg, sizeof msg, "credentials file %s lacks access_key_id or secret_access_key", path);
		*why = msg;
		return -1;
	}
	s->cred = st_asprintf("%s:%s", key, sec);
	explicit_bzero(sec, sizeof sec);
	explicit_bzero(line, sizeof line);
	return 0;
}

int
st_s3_open(struct st_s3 *s, const char *url, const char *endpoint, const char *region, const char **why)
{
	static int inited;
	const char *e;
	int64_t n;

	memset(s, 0, sizeof *s);
	if (st_s3_parse_url(url, &s->bucket, &s->prefix, why) < 0)
		return ST_USAGE;
	s->url = st_asprintf("s3://%s%s%s", s->bucket, *s->prefix ? "/" : "", s->prefix);
	/* st_conf() answers in one static buffer: each value is copied
	 * before the next is asked for */
	if (region == NULL && (region = getenv("ST_S3_REGION")) == NULL && (region = st_conf("s3_region")) == NULL)
		region = "us-east-1";
	for (e = region; *e; e++)
		if (!(islower((unsigned char)*e) || isdigit((unsigned char)*e) || *e == '-'))
			break;
	if (*region == '\0' || *e || strlen(region) > 32) {
		*why = "bad region (a-z, 0-9, '-')";
		return ST_USAGE;
	}
	s->region = st_strdup(region);
	if (endpoint == NULL && (endpoint = getenv("ST_S3_ENDPOINT")) == NULL)
		endpoint = st_conf("s3_endpoint");
	if (endpoint && *endpoint) {
		if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) {
			*why = "bad endpoint: not an http:// or https:// URL";
			return ST_USAGE;
		}
		for (e = endpoint; *e; e++)
			if (*e <= ' ' || *e >= 127 || strchr("\"<>\\^`{|}?#", *e)) {
				*why = "bad endpoint: a character that does not belong in a URL";
				return ST_USAGE;
			}
		s->endpoint = st_strdup(endpoint);
		n = (int64_t)strlen(s->endpoint);
		while (n > 0 && s->endpoint[n - 1] == '/')
			s->endpoint[--n] = '\0';
	} else
		s->endpoint = st_asprintf("https://s3.%s.amazonaws.com", s->region);
	s->retries = 5;
	if ((e = getenv("ST_S3_RETRIES")) && st_parse_int(e, 0, 20, &n, why) == 0)
		s->retries = (int)n;
	s->part = 8 << 20;
	if ((e = getenv("ST_S3_PART_SIZE")) && st_parse_size(e, 5 << 20, (int64_t)1 << 30, &n, why) == 0)
		s->part = n;
	if (load_creds(s, why) < 0)
		return ST_PERM;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		*why = "unable to start libcurl";
		return ST_TEMP;
	}
	return ST_OK;
}

void
st_s3_close(struct st_s3 *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->cred) {
		explicit_bzero(s->cred, strlen(s->cred));
		free(s->cred);
	}
	free(s->endpoint);
	free(s->region);
	free(s->bucket);
	free(s->prefix);
	free(s->url);
	memset(s, 0, sizeof *s);
}

/* a copy of s with a connection of its own, for another thread; its
 * strings are s's: s outlives it */
int
st_s3_clone(const struct st_s3 *s, struct st_s3 *c)
{
	*c = *s;
	c->sent = c->requests = c->multipart = 0;
	c->err[0] = '\0';
	return (c->curl = curl_easy_init()) ? ST_OK : ST_TEMP;
}

void
st_s3_unclone(struct st_s3 *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

char *
st_s3_key(const struct st_s3 *s, const char *rel)
{
	return st_asprintf("%s%s%s", s->prefix, *s->prefix ? "/" : "", rel);
}

/* a response body, kept up to a limit */
struct body {
	char *p;
	size_t n, cap, max;
	int over;
};

static size_t
body_write(char *d, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nm;

	if (b->n + n > b->max) {
		b->over = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if (b->cap > b->max + 1)
			b->cap = b->max + 1;
		b->p = st_realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* the text of the first <tag> in xml, or "" */
static void
xml_get(const char *xml, const char *tag, char *out, size_t outsz)
{
	char open[64], close[64];
	const char *a, *z;
	size_t n;

	*out = '\0';
	if (xml == NULL)
		return;
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if ((a = strstr(xml, open)) == NULL || (z = strstr(a, close)) == NULL)
		return;
	a += strlen(open);
	n = (size_t)(z - a);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, a, n);
	out[n] = '\0';
}

/* &amp; and friends, in place */
static void
xml_unescape(char *s)
{
	static const struct { const char *e; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };
	char *w = s;

	while (*s) {
		size_t i;

		for (i = 0; i < ST_NELEM(ents); i++)
			if (strncmp(s, ents[i].e, strlen(ents[i].e)) == 0)
				break;
		if (i < ST_NELEM(ents)) {
			*w++ = ents[i].c;
			s += strlen(ents[i].e);
		} else
			*w++ = *s++;
	}
	*w = '\0';
}

struct req {
	const char *method;
	const char *key;	/* full object key, or NULL for the bucket */
	const char *query;	/* sorted, encoded, or NULL */
	const void *data;	/* PUT/POST body */
	size_t len;
	struct body *out;	/* response body (error bodies are kept apart) */
	int64_t *length;	/* HEAD: Content-Length */
	char *etag;		/* 128 bytes: the ETag header */
};

static size_t
hdr_cb(char *d, size_t sz, size_t nm, void *arg)
{
	struct req *r = arg;
	size_t n = sz * nm;

	if (r->etag && n > 5 && strncasecmp(d, "etag:", 5) == 0) {
		const char *v = d + 5;
		size_t m = n - 5;

		while (m && (*v == ' ' || *v == '\t'))
			v++, m--;
		while (m && (v[m - 1] == '\r' || v[m - 1] == '\n' || v[m - 1] == ' '))
			m--;
		if (m > 127)
			m = 127;
		memcpy(r->etag, v, m);
		r->etag[m] = '\0';
	}
	return n;
}

static int
transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* one request with retries: ST_OK for 2xx, ST_NO for 404 on a HEAD or a
 * GET of a missing key (s->status says), otherwise 100 or 111 with s->err
 * naming the bucket and S3's reason */
static int
request(struct st_s3 *s, struct req *r)
{
	CURL *h = s->curl;
	struct curl_slist *hd = NULL;
	struct body eb = { .max = r->out ? r->out->max : 1 << 16 };
	char *url, sigv4[64], sha[65], hv[100], code[64], msg[256];
	CURLcode cc = CURLE_OK;
	int attempt, rc = ST_TEMP;

	url = st_asprintf("%s/%s%s%s%s%s", s->endpoint, s->bucket, r->key ? "/" : "", r->key ? r->key : "",
	    r->query ? "?" : "", r->query ? r->query : "");
	/* libcurl 7.88 signs the hash of POSTFIELDS (an empty body otherwise):
	 * bodies go as POSTFIELDS, and S3 gets the same hash in its header */
	if (r->data)
		st_sha256_hex(r->data, r->len, sha);
	else
		strcpy(sha, EMPTY_SHA);
	snprintf(hv, sizeof hv, "x-amz-content-sha256: %s", sha);
	hd = curl_slist_append(hd, hv);
	hd = curl_slist_append(hd, "Expect:");
	if (r->data)
		hd = curl_slist_append(hd, "Content-Type: application/octet-stream");
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", s->region);
	for (attempt = 0; attempt <= s->retries; attempt++) {
		if (attempt > 0) {
			/* 0.25 s, 0.5 s, 1 s, ... capped at 8 s */
			long ms = 250L << (attempt - 1 < 5 ? attempt - 1 : 5);
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		curl_easy_reset(h);
		eb.n = 0;
		eb.over = 0;
		if (r->out) {
			r->out->n = 0;
			r->out->over = 0;
		}
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(h, CURLOPT_USERPWD, s->cred);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
		/* a stalled transfer (server gone, no RST) counts as a timeout */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hdr_cb);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &eb);
		if (strcmp(r->method, "HEAD") == 0)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		else if (r->data || strcmp(r->method, "POST") == 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->data ? r->data : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
			if (strcmp(r->method, "POST") != 0)
				curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		} else if (strcmp(r->method, "GET") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		cc = curl_easy_perform(h);
		s->requests++;
		s->status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &s->status);
		s->over = eb.over;
		if (cc != CURLE_OK) {
			if (eb.over && r->out) {
				snprintf(s->err, sizeof s->err, "bucket '%s': response larger than %zu bytes", s->bucket, eb.max);
				rc = ST_PERM;
				break;
			}
			snprintf(s->err, sizeof s->err, "bucket '%s' at %s: %s", s->bucket, s->endpoint, curl_easy_strerror(cc));
			rc = ST_TEMP;
			if (transient(cc))
				continue;
			break;
		}
		if (s->status >= 200 && s->status < 300) {
			if (r->data)
				s->sent += (int64_t)r->len;
			if (r->length) {
				curl_off_t cl = -1;

				curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
				*r->length = cl;
			}
			if (r->out) {
				free(r->out->p);
				r->out->p = eb.p;
				r->out->n = eb.n;
				r->out->cap = eb.cap;
				eb.p = NULL;
				eb.cap = 0;
			}
			rc = ST_OK;
			break;
		}
		xml_get(eb.p, "Code", code, sizeof code);
		xml_get(eb.p, "Message", msg, sizeof msg);
		xml_unescape(msg);
		if (!*code)
			snprintf(code, sizeof code, "HTTP %ld", s->status);
		if ((strcmp(r->method, "HEAD") == 0 || strcmp(r->method, "GET") == 0) && s->status == 404 &&
		    strcmp(code, "NoSuchBucket") != 0) {
			snprintf(s->err, sizeof s->err, "bucket '%s': no object '%s'", s->bucket, r->key ? r->key : "");
			rc = ST_NO;
			break;
		}
		if (strcmp(r->method, "HEAD") == 0 && s->status == 404) {
			snprintf(code, sizeof code, "NoSuchBucket");
			snprintf(msg, sizeof msg, "The specified bucket does not exist");
		} else if (strcmp(r->method, "HEAD") == 0 && s->status == 403 && !*msg)
			snprintf(msg, sizeof msg, "access denied (wrong credentials?)");
		snprintf(s->err, sizeof s->err, "bucket '%s': %s%s%s (HTTP %ld)", s->bucket, code, *msg ? ": " : "", msg, s->status);
		if (s->status >= 500 || s->status == 429 || s->status == 408) {
			rc = ST_TEMP;
			continue;
		}
		rc = ST_PERM;
		break;
	}
	free(eb.p);
	free(url);
	curl_slist_free_all(hd);
	return rc;
}

static int
put_single(struct st_s3 *s, const char *key, const void *buf, size_t len)
{
	struct req r = { .method = "PUT", .key = key, .data = buf, .len = len };

	/* an empty body must still be a PUT with a body of 0 bytes */
	if (len == 0)
		r.data = "";
	return request(s, &r);
}

/* CreateMultipartUpload, UploadPart for each s->part bytes, then
 * CompleteMultipartUpload; an upload that fails is aborted */
static int
put_multipart(struct st_s3 *s, const char *key, const char *buf, size_t len)
{
	struct body b = { .max = 1 << 20 }, cb = { .max = 1 << 20 };
	struct req r = { .method = "POST", .key = key, .query = "uploads=", .out = &b };
	char upload[512], etag[128], *q, *x;
	size_t off, cap, xl;
	int rc, part;

	if ((rc = request(s, &r)) != ST_OK)
		return rc;
	xml_get(b.p, "UploadId", upload, sizeof upload);
	free(b.p);
	if (!*upload) {
		snprintf(s->err, sizeof s->err, "bucket '%s': no UploadId in the answer to CreateMultipartUpload", s->bucket);
		return ST_PERM;
	}
	for (q = upload; *q; q++)	/* it goes into a query string as is */
		if (!(isalnum((unsigned char)*q) || strchr("-_.~", *q))) {
			snprintf(s->err, sizeof s->err, "bucket '%s': an UploadId that needs escaping", s->bucket);
			return ST_PERM;
		}
	cap = 256;
	x = st_malloc(cap);
	xl = (size_t)snprintf(x, cap, "<CompleteMultipartUpload>");
	for (off = 0, part = 1; off < len; off += (size_t)s->part, part++) {
		size_t n = len - off < (size_t)s->part ? len - off : (size_t)s->part;
		struct req pr = { .method = "PUT", .key = key, .data = buf + off, .len = n, .etag = etag };

		etag[0] = '\0';
		q = st_asprintf("partNumber=%d&uploadId=%s", part, upload);
		pr.query = q;
		rc = request(s, &pr);
		free(q);
		if (rc != ST_OK)
			goto abort;
		if (xl + strlen(etag) + 128 > cap) {
			cap = (xl + strlen(etag) + 128) * 2;
			x = st_realloc(x, cap);
		}
		xl += (size_t)snprintf(x + xl, cap - xl, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", part, etag);
	}
	if (xl + 64 > cap)
		x = st_realloc(x, cap = xl + 64);
	xl += (size_t)snprintf(x + xl, cap - xl, "</CompleteMultipartUpload>");
	q = st_asprintf("uploadId=%s", upload);
	{
		struct req cr = { .method = "POST", .key = key, .query = q, .data = x, .len = xl, .out = &cb };

		rc = request(s, &cr);
		if (rc == ST_OK)
			s->sent -= (int64_t)xl;	/* only object bytes count as sent */
	}
	free(q);
	/* S3 may answer 200 with an <Error> body */
	if (rc == ST_OK && cb.p && strstr(cb.p, "<Error>")) {
		char code[64];

		xml_get(cb.p, "Code", code, sizeof code);
		snprintf(s->err, sizeof s->err, "bucket '%s': CompleteMultipartUpload failed: %s", s->bucket, code);
		rc = ST_TEMP;
	}
	free(cb.p);
	free(x);
	if (rc == ST_OK)
		s->multipart++;
	return rc;
abort:
	free(x);
	q = st_asprintf("uploadId=%s", upload);
	{
		struct req ar = { .method = "DELETE", .key = key, .query = q };
		char keep[sizeof s->err];

		memcpy(keep, s->err, sizeof keep);
		request(s, &ar);
		memcpy(s->err, keep, sizeof keep);
	}
	free(q);
	return rc;
}

int
st_s3_put(struct st_s3 *s, const char *key, const void *buf, size_t len)
{
	if ((int64_t)len > s->part)
		return put_multipart(s, key, buf, len);
	return put_single(s, key, buf, len);
}

int
st_s3_get(struct st_s3 *s, const char *key, size_t max, char **buf, size_t *len)
{
	struct body b = { .max = max };
	struct req r = { .method = "GET", .key = key, .out = &b };
	int rc = request(s, &r);

	if (rc != ST_OK) {
		free(b.p);
		return rc;
	}
	if (b.p == NULL)
		b.p = st_strdup("");
	*buf = b.p;
	*len = b.n;
	return ST_OK;
}

int
st_s3_head(struct st_s3 *s, const char *key, int64_t *size)
{
	struct req r = { .method = "HEAD", .key = key, .length = size };

	return request(s, &r);
}

int
st_s3_delete(struct st_s3 *s, const char *key)
{
	struct req r = { .method = "DELETE", .key = key };

	return request(s, &r);
}

static void
uri_encode(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s && n + 4 < outsz; s++) {
		if (isalnum((unsigned char)*s) || strchr("-_.~", *s))
			out[n++] = *s;
		else
			n += (size_t)snprintf(out + n, outsz - n, "%%%02X", (unsigned char)*s);
	}
	out[n] = '\0';
}

/* the bucket exists and the credentials open it: a listing of one key
 * (unlike a HEAD, its error has a body that says why) */
int
st_s3_check(struct st_s3 *s)
{
	struct body b = { .max = 1 << 20 };
	char epre[2048], *q;
	int rc;

	uri_encode(s->prefix, epre, sizeof epre);
	q = st_asprintf("list-type=2&max-keys=1&prefix=%s", epre);
	{
		struct req r = { .method = "GET", .query = q, .out = &b };

		rc = request(s, &r);
	}
	free(q);
	free(b.p);
	return rc == ST_NO ? ST_PERM : rc;
}

/* ListObjectsV2 of everything under prefix (a full key prefix), page by
 * page; cb gets each key and size, and stops the walk with non-zero */
int
st_s3_list(struct st_s3 *s, const char *prefix, int (*cb)(const char *key, int64_t size, void *ctx), void *ctx)
{
	char token[1024] = "", etok[3200], epre[2048], key[1200], num[32], trunc[16];
	struct body b = { .max = 64 << 20 };
	int rc = ST_OK;

	uri_encode(prefix, epre, sizeof epre);
	do {
		char *q, *p;

		uri_encode(token, etok, sizeof etok);
		/* parameters sorted, as SigV4's canonical query wants them */
		if (*token)
			q = st_asprintf("continuation-token=%s&list-type=2&prefix=%s", etok, epre);
		else
			q = st_asprintf("list-type=2&prefix=%s", epre);
		{
			struct req r = { .method = "GET", .query = q, .out = &b };

			rc = request(s, &r);
		}
		free(q);
		if (rc != ST_OK) {
			if (rc == ST_NO)
				rc = ST_PERM;
			break;
		}
		for (p = b.p ? strstr(b.p, "<Contents>") : NULL; p; p = strstr(p + 10, "<Contents>")) {
			char *e = strstr(p, "</Contents>");
			int64_t sz;
			const char *why;

			if (e == NULL)
				break;
			*e = '\0';
			xml_get(p, "Key", key, sizeof key);
			xml_get(p, "Size", num, sizeof num);
			*e = '<';
			xml_unescape(key);
			if (st_parse_int(num, 0, INT64_MAX, &sz, &why) < 0)
				sz = -1;
			if (cb(key, sz, ctx) != 0) {
				free(b.p);
				return ST_OK;
			}
		}
		xml_get(b.p, "IsTruncated", trunc, sizeof trunc);
		xml_get(b.p, "NextContinuationToken", token, sizeof token);
		xml_unescape(token);
		if (strcmp(trunc, "true") != 0)
			break;
		if (!*token) {
			snprintf(s->err, sizeof s->err, "bucket '%s': a truncated listing without NextContinuationToken", s->bucket);
			rc = ST_PERM;
			break;
		}
	} while (1);
	free(b.p);
	return rc;
}
