/* bkvol.c: volumes to and from the chunk store: a snapshot's export
 * (vol.c) feeds the upload, a download feeds a new volume's import, each
 * through a pipe with the producer in a thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "st.h"

/* a thread writing into a pipe gets EPIPE, not SIGPIPE, when the reader
 * gives up */
static void
no_sigpipe(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

struct exporter {
	struct st_db *db;
	const char *snap;
	int fd;
	char fmt[8];
	int rc, joined;
	pthread_t t;
};

static void *
export_run(void *arg)
{
	struct exporter *x = arg;

	no_sigpipe();
	x->rc = st_snap_export(x->db, x->snap, x->fd, x->fmt);
	close(x->fd);
	return NULL;
}

static int
export_start(struct exporter *x, struct st_db *db, const char *snap, int *rfd)
{
	int p[2];

	memset(x, 0, sizeof *x);
	if (pipe2(p, O_CLOEXEC) < 0)
		return ST_TEMP;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);	/* fewer switches; failing is harmless */
	x->db = db;
	x->snap = snap;
	x->fd = p[1];
	x->rc = ST_TEMP;
	if (pthread_create(&x->t, NULL, export_run, x) != 0) {
		close(p[0]);
		close(p[1]);
		return ST_TEMP;
	}
	*rfd = p[0];
	return ST_OK;
}

static int
export_join(struct exporter *x)
{
	if (!x->joined) {
		pthread_join(x->t, NULL);
		x->joined = 1;
	}
	return x->rc;
}

/* the upload's check at the end of the stream: the export's result */
static int
export_check(void *arg, char *err, size_t errsz)
{
	struct exporter *x = arg;
	int rc = export_join(x);

	if (rc != ST_OK)
		snprintf(err, errsz, "the snapshot's export failed");
	return rc;
}

int
st_bk_backup_snap(struct st_db *db, struct st_s3 *s, const char *snap, const struct st_bk_opts *o, struct st_bk_result *r)
{
	struct st_bk_opts oo = *o;
	struct exporter x;
	int rfd, rc;

	if ((rc = export_start(&x, db, snap, &rfd)) != ST_OK) {
		snprintf(s->err, sizeof s->err, "unable to start the export: %s", strerror(errno));
		return rc;
	}
	oo.stream = x.fmt;	/* set by the export before the manifest is made */
	oo.check = export_check;
	oo.check_arg = &x;
	rc = st_bk_upload(s, rfd, &oo, r);
	close(rfd);	/* an export still writing gets EPIPE */
	export_join(&x);
	return rc;
}

/* the SHA-256 and size of a snapshot's stream, for st-backup-drill */
int
st_bk_snap_sha(struct st_db *db, const char *snap, char sha[65], int64_t *size)
{
	struct exporter x;
	EVP_MD_CTX *c;
	unsigned char md[32];
	unsigned int mdn;
	char *buf;
	ssize_t n;
	int rfd, rc;

	if ((rc = export_start(&x, db, snap, &rfd)) != ST_OK)
		return rc;
	c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	buf = st_malloc(1 << 20);
	*size = 0;
	while ((n = read(rfd, buf, 1 << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		*size += n;
	}
	close(rfd);
	rc = export_join(&x);
	if (n < 0)
		rc = ST_TEMP;
	EVP_DigestFinal_ex(c, md, &mdn);
	EVP_MD_CTX_free(c);
	free(buf);
	for (int i = 0; i < 32; i++)
		sprintf(sha + 2 * i, "%02x", md[i]);
	sha[64] = '\0';
	return rc;
}

struct downloader {
	struct st_s3 *s;
	json_t *m;
	int fd, progress, rc;
	pthread_t t;
};

static void *
download_run(void *arg)
{
	struct downloader *d = arg;

	no_sigpipe();
	d->rc = st_bk_restore(d->s, d->m, d->fd, d->progress);
	close(d->fd);
	return NULL;
}

/* creates volume spec, fills it from backup m (every chunk checked
 * before it is written), and removes it again on any failure: a corrupt
 * volume is never left behind. Prints its own errors ("unable to restore
 * 'label'"), sets id. */
int
st_bk_restore_vol(struct st_db *db, struct st_s3 *s, json_t *m, const struct st_vol_spec *spec, int progress,
    const char *label, char id[ST_ID_LEN + 1])
{
	struct downloader d = { .s = s, .m = m, .progress = progress, .rc = ST_TEMP };
	const char *stream = json_string_value(json_object_get(m, "stream"));
	char why[ST_HOOK_WHY], gone[ST_ID_LEN + 1];
	json_t *o;
	int p[2], rc, irc;
	struct st_vol_spec sp = *spec;
	char vhost[ST_ID_LEN + 1];

	/* no --host: where the backed-up volume lives, while it does */
	if (sp.host == NULL) {
		sqlite3_stmt *st = st_db_prep(db, "SELECT host FROM volumes WHERE id = ?1");
		const char *vid = json_string_value(json_object_get(json_object_get(m, "volume"), "id"));

		if (st && vid) {
			sqlite3_bind_text(st, 1, vid, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
				snprintf(vhost, sizeof vhost, "%s", (const char *)sqlite3_column_text(st, 0));
				sp.host = vhost;
			}
			sqlite3_reset(st);
		}
	}
	if ((rc = st_vol_create(db, &sp, id)) != ST_OK)
		return rc;
	if (st_hook_has("volume.restore.pre")) {
		o = st_vol_json(db, id);
		if (o)
			json_object_set_new(o, "backup", json_string(json_string_value(json_object_get(m, "id"))));
		rc = st_hook_pre(db, "volume.restore.pre", id, o, why);
		json_decref(o);
		if (rc != ST_OK) {
			st_fail(rc, "unable to restore '%s': %s", label, why);
			st_vol_remove(db, id, gone);
			return rc;
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = st_fail(ST_TEMP, "unable to restore '%s': pipe: %s", label, strerror(errno));
		st_vol_remove(db, id, gone);
		return rc;
	}
	d.fd = p[1];
	if (pthread_create(&d.t, NULL, download_run, &d) != 0) {
		close(p[0]);
		close(p[1]);
		rc = st_fail(ST_TEMP, "unable to restore '%s': unable to start a thread", label);
		st_vol_remove(db, id, gone);
		return rc;
	}
	irc = st_vol_import(db, id, p[0], stream);
	close(p[0]);	/* a download still writing gets EPIPE */
	pthread_join(d.t, NULL);
	if (d.rc != ST_OK || irc != ST_OK) {
		/* the download's reason first: an import that failed because its
		 * stream stopped says less than the chunk that stopped it */
		if (d.rc != ST_OK && !(irc != ST_OK && strncmp(s->err, "unable to write the stream", 26) == 0))
			rc = st_fail(d.rc, "unable to restore '%s': %s; the new volume '%s' is removed", label, s->err, id);
		else
			rc = st_fail(irc, "unable to restore '%s': the import failed; the new volume '%s' is removed", label, id);
		if (st_vol_remove(db, id, gone) != ST_OK)
			st_warn("the volume '%s' could not be removed: remove it with st-volume-rm", id);
		return rc;
	}
	st_hook_post(db, "volume.restore.post", id, NULL);
	return ST_OK;
}
