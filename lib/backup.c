/* backup.c: the chunk store in S3: a stream cut in fixed-size chunks named
 * by SHA-256 (PREFIX/chunks/ab/abcd...), uploaded only when the bucket
 * lacks them, then the manifest (PREFIX/backups/ID.json), written last:
 * the commit point. Verify, restore (re-hashed), list and prune. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "st.h"

#define FORMAT "stampede-backup-1"

static int
is_hex64(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static char *
chunk_key(struct st_s3 *s, const char *sha)
{
	char rel[128];

	snprintf(rel, sizeof rel, "chunks/%.2s/%s", sha, sha);
	return st_s3_key(s, rel);
}

static void
hex(const unsigned char *md, char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = '\0';
}

/* reads up to n bytes, short only at the end of the stream */
static ssize_t
read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
write_full(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
progress(const char *what, int64_t n, int64_t total, int64_t a, const char *an, int64_t b, const char *bn)
{
	char tot[32] = "", y[64] = "";

	if (total > 0)
		snprintf(tot, sizeof tot, "/%lld", (long long)total);
	if (bn)
		snprintf(y, sizeof y, ", %.1f MiB %s", (double)b / 1048576, bn);
	fprintf(stderr, "\r%s: %s %lld%s, %.1f MiB %s%s   ", st_prog, what, (long long)n, tot, (double)a / 1048576, an, y);
}

struct have { struct st_s3 *s; json_t *set; size_t plen; };

/* PREFIX/chunks/ab/<sha> -> set[sha] = size */
static int
have_one(const char *key, int64_t size, void *arg)
{
	struct have *h = arg;
	const char *sha = strrchr(key, '/');

	if (sha && is_hex64(sha + 1) && size >= 0)
		json_object_set_new(h->set, sha + 1, json_integer(size));
	return 0;
}

/* the chunks the bucket holds under the prefix: one listing */
int
st_bk_chunks(struct st_s3 *s, json_t **set)
{
	struct have h = { .s = s, .set = json_object() };
	char *p = st_s3_key(s, "chunks/");
	int rc = st_s3_list(s, p, have_one, &h);

	free(p);
	if (rc != ST_OK) {
		json_decref(h.set);
		return rc;
	}
	*set = h.set;
	return ST_OK;
}

/* the upload pipeline: the main thread reads chunks into slots and
 * names them; one thread hashes the whole stream, in order; JOBS threads
 * upload the chunks the bucket lacks, each on its own connection. A slot
 * is read into again once both are done with it (refs 0). */
struct pipe_st {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;			/* slots */
	char **buf;
	size_t *len;
	char (*sha)[65];
	int *refs;
	int *hq, hh, hn;	/* hash queue (ring): slots in stream order */
	int *uq, uh, un;	/* upload queue (ring) */
	int end, failed, rc;
	char err[600];
	struct st_s3 *base;
	EVP_MD_CTX *ctx;
	int64_t uploaded, nuploaded, multipart, sent;
};

static void
pipe_put(struct pipe_st *p, int slot)
{
	pthread_mutex_lock(&p->mu);
	p->refs[slot]--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *
hasher_run(void *arg)
{
	struct pipe_st *p = arg;
	int slot;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->hn == 0 && !p->end)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->hn == 0) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		slot = p->hq[p->hh];
		p->hh = (p->hh + 1) % p->n;
		p->hn--;
		pthread_mutex_unlock(&p->mu);
		EVP_DigestUpdate(p->ctx, p->buf[slot], p->len[slot]);
		pipe_put(p, slot);
	}
}

/* an upload thread and its connection, made by the main thread */
struct uploader {
	struct pipe_st *p;
	struct st_s3 w;
	pthread_t t;
};

static void *
uploader_run(void *arg)
{
	struct uploader *u = arg;
	struct pipe_st *p = u->p;
	struct st_s3 *wp = &u->w;
	int slot, rc;

	for (;;) {
		char *key;

		pthread_mutex_lock(&p->mu);
		while (p->un == 0 && !p->end && !p->failed)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->un == 0 || p->failed) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		slot = p->uq[p->uh];
		p->uh = (p->uh + 1) % p->n;
		p->un--;
		pthread_mutex_unlock(&p->mu);
		key = chunk_key(wp, p->sha[slot]);
		rc = st_s3_put(wp, key, p->buf[slot], p->len[slot]);
		free(key);
		pthread_mutex_lock(&p->mu);
		if (rc != ST_OK && !p->failed) {
			p->failed = 1;
			p->rc = rc;
			memcpy(p->err, wp->err, sizeof p->err);
		} else if (rc == ST_OK) {
			p->uploaded += (int64_t)p->len[slot];
			p->nuploaded++;
		}
		p->refs[slot]--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->multipart += wp->multipart;
	p->sent += wp->sent;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
st_bk_upload(struct st_s3 *s, int fd, const struct st_bk_opts *o, struct st_bk_result *r)
{
	struct pipe_st p = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .base = s };
	struct uploader up[16];
	pthread_t hasher;
	json_t *have = NULL, *chunks = json_array(), *m;
	char t[32], *key, *text;
	const char *e;
	unsigned char md[32];
	unsigned int mdn;
	int64_t jobs = 4, queued = 0;
	ssize_t n = 0;
	int rc, i, nup = 0, hashing = 0;

	memset(r, 0, sizeof *r);
	if ((e = getenv("ST_S3_JOBS")) && st_parse_int(e, 1, 16, &jobs, &(const char *){ NULL }) < 0)
		jobs = 4;
	/* slots: one per upload in flight, one being read, one being
	 * hashed; no more than 256 MiB of them (at least 2) */
	p.n = (int)jobs + 2;
	if ((int64_t)p.n * o->chunk > (int64_t)256 << 20)
		p.n = (int)(((int64_t)256 << 20) / o->chunk);
	if (p.n < 2)
		p.n = 2;
	if (jobs > p.n - 1)
		jobs = p.n - 1;
	p.buf = st_malloc((size_t)p.n * sizeof *p.buf);
	p.len = st_malloc((size_t)p.n * sizeof *p.len);
	p.sha = st_malloc((size_t)p.n * sizeof *p.sha);
	p.refs = st_malloc((size_t)p.n * sizeof *p.refs);
	p.hq = st_malloc((size_t)p.n * sizeof *p.hq);
	p.uq = st_malloc((size_t)p.n * sizeof *p.uq);
	for (i = 0; i < p.n; i++) {
		p.buf[i] = st_malloc((size_t)o->chunk);
		p.refs[i] = 0;
	}
	p.ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(p.ctx, EVP_sha256(), NULL);
	if ((rc = st_bk_chunks(s, &have)) != ST_OK)
		goto out;
	if (pthread_create(&hasher, NULL, hasher_run, &p) != 0) {
		snprintf(s->err, sizeof s->err, "unable to start a thread");
		rc = ST_TEMP;
		goto out;
	}
	hashing = 1;
	for (nup = 0; nup < jobs; nup++) {
		up[nup].p = &p;
		if (st_s3_clone(s, &up[nup].w) != ST_OK)
			break;
		if (pthread_create(&up[nup].t, NULL, uploader_run, &up[nup]) != 0) {
			st_s3_unclone(&up[nup].w);
			break;
		}
	}
	if (nup == 0) {
		snprintf(s->err, sizeof s->err, "unable to start a thread");
		rc = ST_TEMP;
		goto out;
	}
	for (;;) {
		json_t *sz;
		int slot = -1, need;

		pthread_mutex_lock(&p.mu);
		while (!p.failed) {
			for (i = 0; i < p.n && p.refs[i] != 0; i++)
				;
			if (i < p.n) {
				slot = i;
				break;
			}
			pthread_cond_wait(&p.cv, &p.mu);
		}
		pthread_mutex_unlock(&p.mu);
		if (slot < 0)
			break;	/* an upload failed */
		if ((n = read_full(fd, p.buf[slot], (size_t)o->chunk)) <= 0)
			break;
		p.len[slot] = (size_t)n;
		st_sha256_hex(p.buf[slot], (size_t)n, p.sha[slot]);
		sz = json_object_get(have, p.sha[slot]);
		need = !(sz && json_integer_value(sz) == n);
		if (need) {
			/* a chunk met twice in the stream is uploaded once */
			json_object_set_new(have, p.sha[slot], json_integer(n));
			queued += n;
		} else
			r->skipped += n;
		pthread_mutex_lock(&p.mu);
		p.refs[slot] = 1 + need;
		p.hq[(p.hh + p.hn++) % p.n] = slot;
		if (need)
			p.uq[(p.uh + p.un++) % p.n] = slot;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		json_array_append_new(chunks, json_pack("{s:s, s:I}", "sha256", p.sha[slot], "size", (json_int_t)n));
		r->size += n;
		r->nchunks++;
		if (o->progress)
			progress("chunks", r->nchunks, o->total > 0 ? (o->total + o->chunk - 1) / o->chunk : 0,
			    queued, "uploaded", r->skipped, "already there");
	}
	if (o->progress)
		fputc('\n', stderr);
	if (n < 0) {
		snprintf(s->err, sizeof s->err, "unable to read the stream: %s", strerror(errno));
		rc = ST_TEMP;
		goto out;
	}
	/* every upload done (or one failed) */
	pthread_mutex_lock(&p.mu);
	p.end = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < nup; i++) {
		pthread_join(up[i].t, NULL);
		st_s3_unclone(&up[i].w);
	}
	nup = 0;
	pthread_join(hasher, NULL);
	hashing = 0;
	r->uploaded = p.uploaded;
	r->nuploaded = p.nuploaded;
	s->multipart += p.multipart;
	s->sent += p.sent;
	if (p.failed) {
		memcpy(s->err, p.err, sizeof s->err);
		rc = p.rc;
		goto out;
	}
	if (o->check && (rc = o->check(o->check_arg, s->err, sizeof s->err)) != ST_OK)
		goto out;	/* the producer failed: no manifest for a partial stream */
	EVP_DigestFinal_ex(p.ctx, md, &mdn);
	hex(md, r->sha);
	st_time_iso(o->created, t);
	m = json_pack("{s:s, s:s, s:O, s:s?, s:s, s:I, s:I, s:s, s:s, s:o}",
	    "format", FORMAT, "id", o->id, "volume", o->volume ? o->volume : json_null(),
	    "snapshot", o->snapshot, "stream", o->stream,
	    "chunk_size", (json_int_t)o->chunk, "size", (json_int_t)r->size, "sha256", r->sha,
	    "created", t, "chunks", chunks);
	chunks = NULL;
	if (o->name)
		json_object_set_new(m, "name", json_string(o->name));
	text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	{
		char rel[64];

		snprintf(rel, sizeof rel, "backups/%s.json", o->id);
		key = st_s3_key(s, rel);
	}
	st_fault("backup.before-manifest");
	rc = st_s3_put(s, key, text, strlen(text));
	if (rc == ST_OK)
		s->sent -= (int64_t)strlen(text);	/* chunk bytes only */
	free(text);
	if (rc == ST_OK)
		r->manifest_key = key;
	else
		free(key);
	json_decref(m);
out:
	if (nup > 0 || hashing) {
		pthread_mutex_lock(&p.mu);
		p.end = 1;
		p.failed = 1;	/* queued uploads are dropped */
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		for (i = 0; i < nup; i++) {
			pthread_join(up[i].t, NULL);
			st_s3_unclone(&up[i].w);
		}
		if (hashing)
			pthread_join(hasher, NULL);
	}
	json_decref(chunks);
	json_decref(have);
	for (i = 0; i < p.n; i++)
		free(p.buf[i]);
	free(p.buf);
	free(p.len);
	free(p.sha);
	free(p.refs);
	free(p.hq);
	free(p.uq);
	EVP_MD_CTX_free(p.ctx);
	return rc;
}

/* a manifest's shape: every field a reader relies on */
int
st_bk_check_manifest(json_t *m, const char **why)
{
	json_t *c, *v;
	size_t i;
	int64_t sum = 0, cs;
	const char *st;

	if (!json_is_object(m) || json_string_value(json_object_get(m, "format")) == NULL ||
	    strcmp(json_string_value(json_object_get(m, "format")), FORMAT) != 0) {
		*why = "not a " FORMAT " manifest";
		return -1;
	}
	st = json_string_value(json_object_get(m, "stream"));
	cs = json_integer_value(json_object_get(m, "chunk_size"));
	if (json_string_value(json_object_get(m, "id")) == NULL || st == NULL ||
	    (strcmp(st, "tar") != 0 && strcmp(st, "raw") != 0) || cs <= 0 ||
	    !is_hex64(json_string_value(json_object_get(m, "sha256"))) ||
	    !json_is_integer(json_object_get(m, "size")) || !json_is_array(c = json_object_get(m, "chunks"))) {
		*why = "manifest lacks id, stream, chunk_size, size, sha256 or chunks";
		return -1;
	}
	json_array_foreach(c, i, v) {
		int64_t n = json_integer_value(json_object_get(v, "size"));

		if (!is_hex64(json_string_value(json_object_get(v, "sha256"))) || n <= 0 || n > cs) {
			*why = "manifest has a malformed chunk entry";
			return -1;
		}
		sum += n;
	}
	if (sum != json_integer_value(json_object_get(m, "size"))) {
		*why = "manifest's chunk sizes do not add up to its size";
		return -1;
	}
	return 0;
}

/* the manifest of backup id (b-...), fetched and checked */
int
st_bk_manifest(struct st_s3 *s, const char *id, json_t **m)
{
	char rel[128], *key, *buf;
	size_t len;
	json_error_t je;
	const char *why;
	int rc;

	snprintf(rel, sizeof rel, "backups/%s.json", id);
	key = st_s3_key(s, rel);
	rc = st_s3_get(s, key, 256 << 20, &buf, &len);
	if (rc == ST_NO) {
		snprintf(s->err, sizeof s->err, "no manifest '%s' in %s", key, s->url);
		free(key);
		return ST_PERM;
	}
	if (rc != ST_OK) {
		free(key);
		return rc;
	}
	*m = json_loadb(buf, len, 0, &je);
	free(buf);
	if (*m == NULL || st_bk_check_manifest(*m, &why) < 0) {
		snprintf(s->err, sizeof s->err, "manifest '%s': %s", key, *m ? why : je.text);
		json_decref(*m);
		*m = NULL;
		free(key);
		return ST_PERM;
	}
	if (strcmp(json_string_value(json_object_get(*m, "id")), id) != 0) {
		snprintf(s->err, sizeof s->err, "manifest '%s' names another backup", key);
		json_decref(*m);
		*m = NULL;
		free(key);
		return ST_PERM;
	}
	free(key);
	return ST_OK;
}

static void
chunk_err(struct st_s3 *s, json_t *m, size_t i, const char *what)
{
	json_t *c = json_array_get(json_object_get(m, "chunks"), i);
	const char *sha = json_string_value(json_object_get(c, "sha256"));
	char *key = chunk_key(s, sha);

	snprintf(s->err, sizeof s->err, "chunk %zu of %zu, '%s': %s", i + 1,
	    json_array_size(json_object_get(m, "chunks")), key, what);
	free(key);
}

/* fetches chunk i and checks its size and hash; ST_PERM names it */
static int
get_chunk(struct st_s3 *s, json_t *m, size_t i, char **buf, size_t *len)
{
	json_t *c = json_array_get(json_object_get(m, "chunks"), i);
	const char *sha = json_string_value(json_object_get(c, "sha256"));
	int64_t want = json_integer_value(json_object_get(c, "size"));
	char *key = chunk_key(s, sha), got[65], what[160];
	int rc = st_s3_get(s, key, (size_t)want + 1, buf, len);

	free(key);
	if (rc == ST_NO) {
		chunk_err(s, m, i, "missing");
		return ST_PERM;
	}
	if (rc == ST_PERM && s->over) {
		snprintf(what, sizeof what, "damaged: larger than the %lld bytes the manifest says", (long long)want);
		chunk_err(s, m, i, what);
		return ST_PERM;
	}
	if (rc != ST_OK)
		return rc;
	if ((int64_t)*len != want) {
		snprintf(what, sizeof what, "damaged: %zu bytes, the manifest says %lld", *len, (long long)want);
		chunk_err(s, m, i, what);
		free(*buf);
		return ST_PERM;
	}
	st_sha256_hex(*buf, *len, got);
	if (strcmp(got, sha) != 0) {
		snprintf(what, sizeof what, "damaged: its SHA-256 is %s", got);
		chunk_err(s, m, i, what);
		free(*buf);
		return ST_PERM;
	}
	return ST_OK;
}

/* every chunk present with its size (one listing); deep: every byte
 * fetched and re-hashed, and the whole stream's hash. Each bad chunk is
 * warned about; s->err holds the first. */
int
st_bk_verify(struct st_s3 *s, json_t *m, int deep, int prog, const char *label, int64_t *nbad)
{
	json_t *cs = json_object_get(m, "chunks"), *have = NULL, *c;
	EVP_MD_CTX *all = NULL;
	char first[sizeof s->err - 100] = "", sha[65];
	unsigned char md[32];
	unsigned int mdn;
	int64_t done = 0;
	size_t i;
	int rc = ST_OK;

	*nbad = 0;
	if (!deep && (rc = st_bk_chunks(s, &have)) != ST_OK)
		return rc;
	if (deep) {
		all = EVP_MD_CTX_new();
		EVP_DigestInit_ex(all, EVP_sha256(), NULL);
	}
	json_array_foreach(cs, i, c) {
		const char *h = json_string_value(json_object_get(c, "sha256"));
		int64_t want = json_integer_value(json_object_get(c, "size"));
		int bad = 0;

		if (!deep) {
			json_t *got = json_object_get(have, h);

			if (got == NULL)
				chunk_err(s, m, i, "missing"), bad = 1;
			else if (json_integer_value(got) != want) {
				char what[128];

				snprintf(what, sizeof what, "damaged: %lld bytes, the manifest says %lld",
				    (long long)json_integer_value(got), (long long)want);
				chunk_err(s, m, i, what);
				bad = 1;
			}
		} else {
			char *buf;
			size_t len;

			rc = get_chunk(s, m, i, &buf, &len);
			if (rc == ST_PERM)
				bad = 1;
			else if (rc != ST_OK)
				break;
			else {
				EVP_DigestUpdate(all, buf, len);
				free(buf);
			}
		}
		if (bad) {
			if (prog)
				fputc('\n', stderr);
			st_warn("backup '%s': %s", label, s->err);
			if (*nbad == 0)
				memcpy(first, s->err, sizeof first);
			(*nbad)++;
		}
		done += want;
		if (prog)
			progress("chunks", (int64_t)i + 1, (int64_t)json_array_size(cs), done, *nbad ? "checked, some bad" : "checked", 0, NULL);
		rc = ST_OK;
	}
	if (prog)
		fputc('\n', stderr);
	if (rc == ST_OK && deep && *nbad == 0) {
		EVP_DigestFinal_ex(all, md, &mdn);
		hex(md, sha);
		if (strcmp(sha, json_string_value(json_object_get(m, "sha256"))) != 0) {
			snprintf(first, sizeof first, "the stream's SHA-256 is %s, the manifest says %s", sha,
			    json_string_value(json_object_get(m, "sha256")));
			*nbad = 1;
		}
	}
	EVP_MD_CTX_free(all);
	json_decref(have);
	if (rc != ST_OK)
		return rc;
	if (*nbad > 0) {
		if (*nbad > 1)
			snprintf(s->err, sizeof s->err, "%lld of %zu chunks missing or damaged, the first: %s",
			    (long long)*nbad, json_array_size(cs), first);
		else
			memcpy(s->err, first, sizeof first);
		return ST_PERM;
	}
	return ST_OK;
}

/* writes the backup's stream to fd, each chunk checked before it is
 * written; a bad chunk stops it (ST_PERM naming the chunk) */
int
st_bk_restore(struct st_s3 *s, json_t *m, int fd, int prog)
{
	json_t *cs = json_object_get(m, "chunks");
	EVP_MD_CTX *all = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdn;
	char sha[65];
	int64_t done = 0;
	size_t i;
	int rc = ST_OK;

	EVP_DigestInit_ex(all, EVP_sha256(), NULL);
	for (i = 0; i < json_array_size(cs); i++) {
		char *buf;
		size_t len;

		if ((rc = get_chunk(s, m, i, &buf, &len)) != ST_OK)
			break;
		EVP_DigestUpdate(all, buf, len);
		if (write_full(fd, buf, len) < 0) {
			snprintf(s->err, sizeof s->err, "unable to write the stream: %s", strerror(errno));
			free(buf);
			rc = errno == EPIPE ? ST_PERM : ST_TEMP;
			break;
		}
		free(buf);
		done += (int64_t)len;
		if (prog)
			progress("chunks", (int64_t)i + 1, (int64_t)json_array_size(cs), done, "restored", 0, NULL);
	}
	if (prog)
		fputc('\n', stderr);
	EVP_DigestFinal_ex(all, md, &mdn);
	EVP_MD_CTX_free(all);
	if (rc != ST_OK)
		return rc;
	hex(md, sha);
	if (strcmp(sha, json_string_value(json_object_get(m, "sha256"))) != 0) {
		snprintf(s->err, sizeof s->err, "the stream's SHA-256 is %s, the manifest says %s", sha,
		    json_string_value(json_object_get(m, "sha256")));
		return ST_PERM;
	}
	return ST_OK;
}

struct mlist { json_t *ids; size_t plen; };

static int
mlist_one(const char *key, int64_t size, void *arg)
{
	struct mlist *l = arg;
	const char *b = strrchr(key, '/');
	size_t n;

	(void)size;
	b = b ? b + 1 : key;
	n = strlen(b);
	if (n == ST_ID_LEN + 5 && strcmp(b + ST_ID_LEN, ".json") == 0 && st_type_of_id(b) == ST_BACKUP)
		json_array_append_new(l->ids, json_stringn(b, ST_ID_LEN));
	return 0;
}

/* the IDs of the manifests under the prefix */
int
st_bk_ids(struct st_s3 *s, json_t **ids)
{
	struct mlist l = { .ids = json_array() };
	char *p = st_s3_key(s, "backups/");
	int rc = st_s3_list(s, p, mlist_one, &l);

	free(p);
	if (rc != ST_OK) {
		json_decref(l.ids);
		return rc;
	}
	*ids = l.ids;
	return ST_OK;
}

static int
by_created_desc(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(y, "created")), json_string_value(json_object_get(x, "created")));

	return c ? c : strcmp(json_string_value(json_object_get(y, "id")), json_string_value(json_object_get(x, "id")));
}

/* "2026-11-23T18:00:00Z" -> its ISO year-week, "2026-W47" */
static void
iso_week(const char *created, char out[16])
{
	struct tm tm = { 0 };
	time_t t;

	if (strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(out, 16, "?");
		return;
	}
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	strftime(out, 16, "%G-W%V", &tm);
}

/* marks which of one volume's manifests (newest first) to keep */
static void
keep_marks(json_t **v, size_t n, const struct st_bk_keep *k, char *keep)
{
	char last[16] = "";
	size_t i;
	int days = 0, weeks = 0;

	for (i = 0; i < n; i++)
		keep[i] = (int)i < k->last;
	for (i = 0; i < n && days < k->daily; i++) {
		const char *c = json_string_value(json_object_get(v[i], "created"));

		if (strncmp(c, last, 10) != 0) {
			snprintf(last, sizeof last, "%.10s", c);
			keep[i] = 1;
			days++;
		}
	}
	last[0] = '\0';
	for (i = 0; i < n && weeks < k->weekly; i++) {
		char w[16];

		iso_week(json_string_value(json_object_get(v[i], "created")), w);
		if (strcmp(w, last) != 0) {
			snprintf(last, sizeof last, "%s", w);
			keep[i] = 1;
			weeks++;
		}
	}
}

static int
chunk_del(const char *key, int64_t size, void *arg)
{
	json_t *a = arg, *set = json_array_get(a, 0);
	const char *sha = strrchr(key, '/');

	if (sha && is_hex64(sha + 1) && json_object_get(set, sha + 1) == NULL)
		json_array_append_new(json_array_get(a, 1), json_pack("{s:s, s:I}", "key", key, "size", (json_int_t)size));
	return 0;
}

/* per volume, keeps the --keep-* manifests and deletes the others, then
 * deletes the chunks no kept manifest references. A manifest that cannot
 * be read stops it before anything is deleted. gone: the pruned IDs. */
int
st_bk_prune(struct st_s3 *s, const struct st_bk_keep *k, int dry, json_t *gone, int64_t *nchunks, int64_t *bytes)
{
	json_t *ids = NULL, *all = json_array(), *vols = json_object(), *refs = json_object(), *v, *id, *a;
	const char *vk;
	size_t i;
	int rc;

	*nchunks = *bytes = 0;
	if ((rc = st_bk_ids(s, &ids)) != ST_OK)
		goto out;
	json_array_foreach(ids, i, id) {
		json_t *m, *grp;
		const char *vid;

		if ((rc = st_bk_manifest(s, json_string_value(id), &m)) != ST_OK)
			goto out;	/* unsure what a chunk is used by: delete nothing */
		if (json_string_value(json_object_get(m, "created")) == NULL)
			json_object_set_new(m, "created", json_string(""));
		vid = json_string_value(json_object_get(json_object_get(m, "volume"), "id"));
		if (vid == NULL)
			vid = "";
		if ((grp = json_object_get(vols, vid)) == NULL)
			json_object_set_new(vols, vid, grp = json_array());
		json_array_append(grp, m);
		json_array_append_new(all, m);
	}
	json_object_foreach(vols, vk, v) {
		size_t n = json_array_size(v);
		json_t **arr = st_malloc((n ? n : 1) * sizeof *arr);
		char *keep = st_malloc(n ? n : 1);

		for (i = 0; i < n; i++)
			arr[i] = json_array_get(v, i);
		qsort(arr, n, sizeof *arr, by_created_desc);
		keep_marks(arr, n, k, keep);
		for (i = 0; i < n; i++) {
			json_t *c, *cs = json_object_get(arr[i], "chunks");
			size_t j;

			if (keep[i]) {
				json_array_foreach(cs, j, c)
					json_object_set_new(refs, json_string_value(json_object_get(c, "sha256")), json_true());
				continue;
			}
			json_array_append_new(gone, json_string(json_string_value(json_object_get(arr[i], "id"))));
		}
		free(arr);
		free(keep);
	}
	json_array_foreach(gone, i, id) {
		char rel[64], *key;

		if (dry)
			continue;
		snprintf(rel, sizeof rel, "backups/%s.json", json_string_value(id));
		key = st_s3_key(s, rel);
		rc = st_s3_delete(s, key);
		free(key);
		if (rc != ST_OK)
			goto out;
	}
	{
		char *p = st_s3_key(s, "chunks/");

		a = json_pack("[O, []]", refs);
		rc = st_s3_list(s, p, chunk_del, a);
		free(p);
	}
	if (rc == ST_OK)
		json_array_foreach(json_array_get(a, 1), i, v) {
			if (!dry && (rc = st_s3_delete(s, json_string_value(json_object_get(v, "key")))) != ST_OK)
				break;
			(*nchunks)++;
			*bytes += json_integer_value(json_object_get(v, "size"));
		}
	json_decref(a);
out:
	json_decref(ids);
	json_decref(all);
	json_decref(vols);
	json_decref(refs);
	return rc;
}

int
st_bk_find(struct st_db *db, const char *arg, const char *from, const char *endpoint, const char *region,
    const char *verb, struct st_s3 *s, json_t **m, char id[ST_ID_LEN + 1])
{
	const char *why, *url = from;
	json_t *row = NULL, *ids, *v;
	int rc;
	size_t i, n = 0;

	*m = NULL;
	if (from == NULL) {
		if ((rc = st_resolve(db, ST_BACKUP, arg, id)) != ST_OK)
			return rc;
		row = st_backup_json(db, id);
		if (row == NULL)
			return st_fail(ST_PERM, "unable to %s '%s': no such backup", verb, st_q(arg));
		url = json_string_value(json_object_get(row, "url"));
		if (endpoint == NULL)
			endpoint = json_string_value(json_object_get(row, "endpoint"));
		if (region == NULL)
			region = json_string_value(json_object_get(row, "region"));
	}
	if ((rc = st_s3_open(s, url, endpoint, region, &why)) != ST_OK) {
		st_fail(rc, "unable to %s '%s': %s", verb, st_q(arg), why);
		json_decref(row);
		st_s3_close(s);
		return rc;
	}
	json_decref(row);
	if (from) {
		size_t len = strlen(arg);
		char pfx[ST_ID_LEN + 1];

		/* a manifest's ID or unique prefix; else a backup the state
		 * file knows by name */
		if (!st_id_shape(arg) || st_type_of_id(arg) != ST_BACKUP) {
			if (st_valid_name(arg, &why) < 0 || st_resolve(db, ST_BACKUP, arg, id) != ST_OK) {
				rc = st_fail(st_bad(), "unable to %s '%s': not a backup ID or the name of one", verb, st_q(arg));
				st_s3_close(s);
				return rc;
			}
		} else if (len == ST_ID_LEN) {
			memcpy(id, arg, ST_ID_LEN + 1);
		} else {
			if ((rc = st_bk_ids(s, &ids)) != ST_OK) {
				st_fail(rc, "unable to %s '%s': %s", verb, st_q(arg), s->err);
				st_s3_close(s);
				return rc;
			}
			snprintf(pfx, sizeof pfx, "%s", arg);
			json_array_foreach(ids, i, v)
				if (strncmp(json_string_value(v), pfx, len) == 0 && n++ == 0)
					memcpy(id, json_string_value(v), ST_ID_LEN + 1);
			json_decref(ids);
			if (n != 1) {
				rc = st_fail(ST_PERM, "unable to %s '%s': %s in %s", verb, st_q(arg),
				    n ? "ambiguous ID prefix" : "no such backup", s->url);
				st_s3_close(s);
				return rc;
			}
		}
	}
	if ((rc = st_bk_manifest(s, id, m)) != ST_OK) {
		st_fail(rc, "unable to %s '%s': %s", verb, st_q(arg), s->err);
		st_s3_close(s);
		return rc;
	}
	return ST_OK;
}
