/* volstream.c: the snapshot export and volume import streams that backups
 * use (st_snap_export, st_vol_import), tested on dir volumes, printing TAP.
 * With arguments it is the tests' tool: `volstream export SNAPSHOT` writes
 * the stream to stdout (its format on stderr), `volstream import VOLUME
 * FORMAT` reads one from stdin. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

static int n, failed;

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		failed++;
}

static int
tool(int argc, char **argv)
{
	struct st_db db;
	char fmt[8] = "", id[ST_ID_LEN + 1];
	int rc;

	if ((rc = st_db_open(&db, 1)) != ST_OK)
		return rc;
	if (strcmp(argv[1], "export") == 0 && argc == 3) {
		if ((rc = st_resolve(&db, ST_SNAPSHOT, argv[2], id)) == ST_OK &&
		    (rc = st_snap_export(&db, id, 1, fmt)) == ST_OK)
			fprintf(stderr, "%s\n", fmt);
	} else if (strcmp(argv[1], "import") == 0 && argc == 4) {
		if ((rc = st_resolve(&db, ST_VOLUME, argv[2], id)) == ST_OK)
			rc = st_vol_import(&db, id, 0, argv[3]);
	} else {
		fprintf(stderr, "usage: volstream [export SNAPSHOT | import VOLUME FORMAT]\n");
		rc = ST_USAGE;
	}
	st_db_close(&db);
	return rc;
}

static int
export_to(struct st_db *db, const char *snap, const char *file, char fmt[8])
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600), rc;

	rc = st_snap_export(db, snap, fd, fmt);
	close(fd);
	return rc;
}

static int
import_from(struct st_db *db, const char *vol, const char *file, const char *fmt)
{
	int fd = open(file, O_RDONLY), rc;

	rc = st_vol_import(db, vol, fd, fmt);
	close(fd);
	return rc;
}

static int
same_files(const char *a, const char *b)
{
	char *cmd = st_asprintf("diff -r --no-dereference '%s' '%s' >/dev/null", a, b);
	int rc = system(cmd);

	free(cmd);
	return rc == 0;
}

static int
run(const char *fmt, ...)
{
	va_list ap;
	char cmd[4096];

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/st-volstream-XXXXXX", path[512], fmt[8], v1[ST_ID_LEN + 1], v2[ST_ID_LEN + 1],
	    v3[ST_ID_LEN + 1], s1[ST_ID_LEN + 1], src[1200], dst[1200];
	struct st_host h = { .name = "h1", .cpu = 1000, .mem = 1 << 30 };
	struct st_vol_spec sp = { .name = "vs1", .size = 1 << 20 };
	struct st_kvs none = { 0 };
	struct st_db db;
	json_t *j;
	const char *why;
	int created, migrated, rc;

	st_init(argc, argv);
	if (argc > 1)
		return tool(argc, argv);
	printf("1..12\n");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/state.db", dir);
	setenv("ST_STATE", path, 1);
	snprintf(path, sizeof path, "%s/vols", dir);
	setenv("ST_VOLUMES", path, 1);
	snprintf(path, sizeof path, "%s/none.conf", dir);
	setenv("ST_CONF", path, 1);
	snprintf(path, sizeof path, "%s/hooks", dir);
	setenv("ST_HOOKS", path, 1);
	rc = st_db_create(&db, getenv("ST_STATE"), &created, &migrated);
	h.labels = &none;
	if (rc == ST_OK && (rc = st_db_begin(&db)) == ST_OK && (rc = st_host_insert(&db, &h, &why)) == ST_OK)
		rc = st_db_commit(&db);
	ok(rc == ST_OK, "a state file with a host");
	rc = st_vol_create(&db, &sp, v1);
	ok(rc == ST_OK, "a dir volume");
	j = st_vol_json(&db, v1);
	snprintf(src, sizeof src, "%s", json_string_value(json_object_get(j, "source")));
	json_decref(j);
	/* files, a subdirectory, a symbolic link inside, odd names */
	run("mkdir -p '%s/sub/deeper' && printf 'one' >'%s/a' && printf 'two' >'%s/sub/deeper/b' && "
	    "ln -s ../a '%s/sub/link' && printf x >'%s/sub/name with space' && touch -d @1000000000 '%s/a'",
	    src, src, src, src, src, src);
	rc = st_snap_create(&db, "vs1", "snap1", NULL, s1);
	ok(rc == ST_OK, "a snapshot");
	snprintf(path, sizeof path, "%s/e1.tar", dir);
	rc = export_to(&db, s1, path, fmt);
	ok(rc == ST_OK && strcmp(fmt, "tar") == 0, "export: a tar stream (%s)", fmt);
	/* the same snapshot exported again, after its volume changed */
	run("printf changed >'%s/a'", src);
	snprintf(path, sizeof path, "%s/e2.tar", dir);
	rc = export_to(&db, s1, path, fmt);
	ok(rc == ST_OK && run("cmp -s '%s/e1.tar' '%s/e2.tar'", dir, dir) == 0, "export: two exports are byte-identical");
	sp.name = "vs2";
	rc = st_vol_create(&db, &sp, v2);
	snprintf(path, sizeof path, "%s/e1.tar", dir);
	rc = rc == ST_OK ? import_from(&db, v2, path, "tar") : rc;
	j = st_vol_json(&db, v2);
	snprintf(dst, sizeof dst, "%s", json_string_value(json_object_get(j, "source")));
	json_decref(j);
	j = st_snap_json(&db, s1);
	snprintf(src, sizeof src, "%s", json_string_value(json_object_get(j, "source")));
	json_decref(j);
	ok(rc == ST_OK && same_files(src, dst), "import: the new volume holds the snapshot's files");
	ok(run("test \"$(readlink '%s/sub/link')\" = ../a && test \"$(stat -c %%Y '%s/a')\" = 1000000000", dst, dst) == 0,
	    "import: links and modification times kept");
	rc = import_from(&db, v2, path, "tar");
	ok(rc == ST_PERM, "import: refused into a volume that is not empty");
	rc = import_from(&db, v2, path, "raw");
	ok(rc == ST_PERM, "import: a raw stream refused for a dir volume");
	/* unsafe streams: nothing lands in the volume */
	sp.name = "vs3";
	rc = st_vol_create(&db, &sp, v3);
	j = st_vol_json(&db, v3);
	snprintf(dst, sizeof dst, "%s", json_string_value(json_object_get(j, "source")));
	json_decref(j);
	run("mkdir -p '%s/evil' && printf bad >'%s/evil/f' && tar -C '%s/evil' -cPf '%s/abs.tar' --format=posix '%s/evil/f' 2>/dev/null && "
	    "tar -C '%s/evil' -cf '%s/dotdot.tar' --format=posix --transform 's,^f,../../f,' f 2>/dev/null && "
	    "ln -s /etc '%s/evil/l' && tar -C '%s/evil' -cf '%s/link.tar' --format=posix l",
	    dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	snprintf(path, sizeof path, "%s/abs.tar", dir);
	rc = import_from(&db, v3, path, "tar");
	snprintf(path, sizeof path, "%s/dotdot.tar", dir);
	rc = rc == ST_PERM ? import_from(&db, v3, path, "tar") : -1;
	ok(rc == ST_PERM, "import: absolute and '..' member names refused");
	snprintf(path, sizeof path, "%s/link.tar", dir);
	rc = import_from(&db, v3, path, "tar");
	ok(rc == ST_PERM, "import: a symbolic link leaving the volume refused");
	ok(run("test -z \"$(ls -A '%s')\" && test ! -e '%s/../f' && test ! -e '%s/../../f'", dst, dst, dst) == 0,
	    "import: a refused stream leaves the volume empty, nothing outside it");
	st_db_close(&db);
	run("rm -rf '%s'", dir);
	return failed ? 1 : 0;
}
