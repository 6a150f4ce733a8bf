/* image.c: VM images (templates): a qcow2 file checked by its header,
 * optionally a kernel, initrd and command line; and the instance JSON a
 * VM driver needs, with its image and its VM-only spec (disk, user-data). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

int
st_valid_vm_path(const char *s, const char **why)
{
	const char *p;

	if (*s != '/') {
		*why = "not an absolute path";
		return -1;
	}
	if (strlen(s) > 1024) {
		*why = "path longer than 1024 characters";
		return -1;
	}
	/* paths reach domain XML and the hosts' shells: a safe alphabet */
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._+-", *p))) {
			*why = "path may hold only A-Z, a-z, 0-9 and / . _ + -";
			return -1;
		}
	if (strstr(s, "/../") || strstr(s, "/./") || strstr(s, "//") ||
	    (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0)) {
		*why = "path is not in its simplest form";
		return -1;
	}
	return 0;
}

int
st_valid_cmdline(const char *s, const char **why)
{
	const char *p;

	if (strlen(s) > 1024) {
		*why = "command line longer than 1024 characters";
		return -1;
	}
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			*why = "command line holds a character that is not printable ASCII";
			return -1;
		}
	return 0;
}

static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

int
st_qcow2_check(const char *path, int64_t *vsize, const char **why)
{
	unsigned char h[32];
	struct stat sb;
	uint64_t ver, size;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		*why = errno == ENOENT ? "no such file" : errno == ELOOP ? "a symbolic link (give the file itself)" : strerror(errno);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		*why = "not a regular file";
		return -1;
	}
	n = read(fd, h, sizeof h);
	close(fd);
	if (n != (ssize_t)sizeof h || memcmp(h, "QFI\xfb", 4) != 0) {
		*why = "not a qcow2 file (no QFI\\xfb magic)";
		return -1;
	}
	ver = be(h + 4, 4);
	size = be(h + 24, 8);
	if (ver != 2 && ver != 3) {
		*why = "qcow2 of an unknown version (not 2 or 3)";
		return -1;
	}
	if (size == 0 || size > ((uint64_t)1 << 50)) {
		*why = "qcow2 with a virtual size of 0 or beyond 1 PiB";
		return -1;
	}
	*vsize = (int64_t)size;
	return 0;
}

int
st_image_insert(struct st_db *db, struct st_image *m, const char **why)
{
	sqlite3_stmt *st;
	int rc, tries;

	for (tries = 0; tries < 8; tries++) {
		st_id_new(ST_IMAGE, m->id);
		st = st_db_prep(db, "INSERT INTO images (id, name, path, kernel, initrd, cmdline, size, created) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
		if (st == NULL)
			return ST_PERM;
		sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->path, -1, SQLITE_STATIC);
		if (m->kernel)
			sqlite3_bind_text(st, 4, m->kernel, -1, SQLITE_STATIC);
		if (m->initrd)
			sqlite3_bind_text(st, 5, m->initrd, -1, SQLITE_STATIC);
		if (m->cmdline)
			sqlite3_bind_text(st, 6, m->cmdline, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, m->size);
		sqlite3_bind_int64(st, 8, st_now());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return ST_OK;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_PRIMARYKEY)
			continue;
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
			*why = "name already taken by another image";
			return ST_PERM;
		}
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	*why = "no free ID after 8 draws";
	return ST_TEMP;
}

#define IMAGE_COLS "m.id, m.name, m.path, m.kernel, m.initrd, m.cmdline, m.size, m.created, " \
	"(SELECT count(*) FROM instances i WHERE i.kind = 'vm' AND i.image = m.id)"

static json_t *
text_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(st, col));
}

static json_t *
image_row(struct st_db *db, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	char t[32];

	st_time_iso(sqlite3_column_int64(st, 7), t);
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:s}",
	    "id", id, "name", (const char *)sqlite3_column_text(st, 1),
	    "path", (const char *)sqlite3_column_text(st, 2),
	    "kernel", text_or_null(st, 3), "initrd", text_or_null(st, 4), "cmdline", text_or_null(st, 5),
	    "size", (json_int_t)sqlite3_column_int64(st, 6), "instances", (json_int_t)sqlite3_column_int64(st, 8),
	    "labels", st_labels_json(db, id), "attrs", st_attrs_json(db, id), "created", t);
}

json_t *
st_image_json(struct st_db *db, const char *id)
{
	return st_db_one(db, "SELECT " IMAGE_COLS " FROM images m WHERE m.id = ?1", id, image_row);
}

int
st_image_each(struct st_db *db, int (*cb)(json_t *, void *), void *ctx)
{
	return st_db_rows(db, "SELECT " IMAGE_COLS " FROM images m ORDER BY m.name", "images", image_row, cb, ctx);
}

int
st_image_delete(struct st_db *db, const char *id, const char **why)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT count(*), min(id) FROM instances WHERE kind = 'vm' AND image = ?1");
	static char msg[128];
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && (n = sqlite3_column_int64(st, 0)) > 0)
		snprintf(msg, sizeof msg, "in use by %lld instance%s (%s%s)", (long long)n, n > 1 ? "s" : "",
		    (const char *)sqlite3_column_text(st, 1), n > 1 ? ", ..." : "");
	sqlite3_reset(st);
	if (n > 0) {
		*why = msg;
		return ST_PERM;
	}
	st = st_db_prep(db, "DELETE FROM images WHERE id = ?1");
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*why = st_db_err(db);
		return st_db_code(db, rc);
	}
	st_obj_forget(db, id);
	return ST_OK;
}

json_t *
st_vm_inst_json(struct st_db *db, const char *id)
{
	sqlite3_stmt *st;
	json_t *o = st_inst_json(db, id), *spec, *m;
	const char *img;

	if (o == NULL || strcmp(json_string_value(json_object_get(o, "kind")), "vm") != 0)
		return o;
	if ((st = st_db_prep(db, "SELECT spec FROM instances WHERE id = ?1")) != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (spec = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL)) != NULL) {
			json_object_set_new(o, "disk", json_integer(json_integer_value(json_object_get(spec, "disk"))));
			if (json_object_get(spec, "user_data"))
				json_object_set(o, "user_data", json_object_get(spec, "user_data"));
			json_decref(spec);
		}
		sqlite3_reset(st);
	}
	img = json_string_value(json_object_get(o, "image"));
	if (img && (m = st_image_json(db, img)) != NULL) {
		json_object_del(m, "instances");
		json_object_del(m, "labels");
		json_object_del(m, "attrs");
		json_object_set_new(o, "vm_image", m);
	}
	return o;
}

char *
st_vm_user_data(const char *file, const char **why)
{
	char *buf = st_malloc(65537);
	ssize_t n = 0, r;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = strerror(errno);
		free(buf);
		return NULL;
	}
	while (n <= 65536 && (r = read(fd, buf + n, (size_t)(65537 - n))) > 0)
		n += r;
	close(fd);
	if (n > 65536 || n == 0 || !st_valid_utf8(buf, (size_t)n) || memchr(buf, '\0', (size_t)n)) {
		*why = n == 0 ? "empty" : n > 65536 ? "larger than 64 KiB" : "not UTF-8 text";
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}
