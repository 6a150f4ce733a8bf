/* driver.c: finding and loading driver modules (dlopen, only when an
 * instance of their kind is touched), and a host's endpoint for a call. */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "st.h"

/* $ST_MODULES, the build tree beside the running binary, the installed
 * directory: in that order */
static void *
try_open(const char *dir, const char *name, char *errbuf, size_t n)
{
	char path[PATH_MAX + 64];
	void *h;

	snprintf(path, sizeof path, "%s/%s.so", dir, name);
	if (access(path, R_OK) != 0)
		return NULL;
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		snprintf(errbuf, n, "%s", dlerror());
	return h;
}

const struct st_driver *
st_driver_load(const char *name)
{
	static struct { const char *name; const struct st_driver *d; } loaded[4];
	char self[PATH_MAX], dir[PATH_MAX + 16], err[512] = "";
	const struct st_driver *d;
	const char *env = getenv("ST_MODULES");
	void *h = NULL;
	ssize_t n;
	size_t i;

	for (i = 0; i < ST_NELEM(loaded) && loaded[i].name; i++)
		if (strcmp(loaded[i].name, name) == 0)
			return loaded[i].d;
	if (env && *env)
		h = try_open(env, name, err, sizeof err);
	if (h == NULL && (n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		char *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(dir, sizeof dir, "%s/../mod", self);
			h = try_open(dir, name, err, sizeof err);
		}
	}
	if (h == NULL)
		h = try_open(ST_MODDIR, name, err, sizeof err);
	if (h == NULL) {
		st_warn("unable to load the %s driver: %s", name, *err ? err : "module not found (ST_MODULES, " ST_MODDIR ")");
		return NULL;
	}
	d = dlsym(h, ST_DRIVER_SYM);
	if (d == NULL || d->abi != ST_DRIVER_ABI) {
		st_warn("unable to load the %s driver: %s", name, d ? "wrong ABI version" : dlerror());
		return NULL;
	}
	if (i < ST_NELEM(loaded)) {
		loaded[i].name = name;
		loaded[i].d = d;
	}
	return d;
}

static char *
col(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : st_strdup((const char *)sqlite3_column_text(st, i));
}

int
st_drv_ctx_host(struct st_db *db, const char *hostid, struct st_drv_ctx *c)
{
	return st_drv_ctx_kind(db, hostid, "container", c);
}

const char *
st_kind_driver(const char *kind)
{
	return strcmp(kind, "vm") == 0 ? "libvirt" : "docker";
}

int
st_host_endpoints(struct st_db *db, const char *hostid)
{
	sqlite3_stmt *st = st_db_prep(db, "SELECT (docker IS NOT NULL) | ((libvirt IS NOT NULL) << 1) FROM hosts WHERE id = ?1");
	int k = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, hostid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		k = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return k;
}

/* qemu:///system, qemu+ssh://user@host/system, test:///default... */
int
st_valid_libvirt_uri(const char *s, const char **why)
{
	const char *p, *sep = strstr(s, "://");

	*why = "not a libvirt URI (driver[+transport]://[host]/path)";
	if (strlen(s) > 1024 || sep == NULL || sep == s)
		return -1;
	for (p = s; p < sep; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+'))
			return -1;
	for (p = sep + 3; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._:@-=?&[]%", *p))) {
			*why = "URI holds a character that is not allowed";
			return -1;
		}
	if (strchr(sep + 3, '/') == NULL)
		return -1;
	return 0;
}

int
st_drv_probe_libvirt(struct st_drv_ctx *c, int64_t *cpu, int64_t *mem, char version[64])
{
	const struct st_driver *d = st_driver_load("libvirt");
	json_t *info = NULL;
	int rc;

	if (d == NULL) {
		snprintf(c->err, sizeof c->err, "the libvirt driver module is missing");
		return ST_PERM;
	}
	if ((rc = d->probe(c, &info)) != ST_OK)
		return rc;
	*cpu = (int64_t)json_integer_value(json_object_get(info, "cpus")) * 1000;
	*mem = (int64_t)json_integer_value(json_object_get(info, "mem"));
	snprintf(version, 64, "%s", json_string_value(json_object_get(info, "version")));
	json_decref(info);
	return ST_OK;
}

int
st_drv_ctx_kind(struct st_db *db, const char *hostid, const char *kind, struct st_drv_ctx *c)
{
	int vm = strcmp(kind, "vm") == 0;
	sqlite3_stmt *st = st_db_prep(db, vm ? "SELECT coalesce(name, id), libvirt, NULL, NULL, NULL, 0 FROM hosts WHERE id = ?1" :
	    "SELECT coalesce(name, id), docker, tls_ca, tls_cert, tls_key, insecure FROM hosts WHERE id = ?1");
	int rc;

	memset(c, 0, sizeof *c);
	if (st == NULL)
		return ST_PERM;
	sqlite3_bind_text(st, 1, hostid, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		snprintf(c->err, sizeof c->err, "host '%s' is not in the state file", hostid);
		return rc == SQLITE_DONE ? ST_PERM : st_db_code(db, rc);
	}
	c->host = col(st, 0);
	c->endpoint = col(st, 1);
	c->tls_ca = col(st, 2);
	c->tls_cert = col(st, 3);
	c->tls_key = col(st, 4);
	c->insecure = sqlite3_column_int(st, 5);
	sqlite3_reset(st);
	c->cluster = st_strdup(st_db_cluster(db));
	c->progress = isatty(2);
	if (c->endpoint == NULL) {
		if (vm)
			snprintf(c->err, sizeof c->err, "host '%s' has no libvirt URI (st-host-add --libvirt URI)", c->host);
		else
			snprintf(c->err, sizeof c->err, "host '%s' has no docker endpoint (st-host-add --docker URL)", c->host);
		return ST_PERM;
	}
	return ST_OK;
}

void
st_drv_ctx_free(struct st_drv_ctx *c)
{
	free((char *)c->cluster);
	free((char *)c->host);
	free((char *)c->endpoint);
	free((char *)c->tls_ca);
	free((char *)c->tls_cert);
	free((char *)c->tls_key);
	memset(c, 0, sizeof *c);
}

int
st_valid_docker_url(const char *s, const char **why)
{
	const char *p;

	*why = "not unix:///path or tcp://host:port";
	if (strlen(s) > 1024)
		return -1;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || (*p & 0x80) || strchr("\"'\\`$;|&<>", *p)) {
			*why = "endpoint holds a character that is not allowed";
			return -1;
		}
	if (strncmp(s, "unix:///", 8) == 0)
		return strstr(s, "/../") || strstr(s, "/./") ? -1 : 0;
	if (strncmp(s, "tcp://", 6) == 0) {
		const char *colon = strrchr(s + 6, ':');
		char *end;
		long port;

		if (colon == NULL || colon == s + 6 || strchr(s + 6, '/'))
			return -1;
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			return -1;
		return 0;
	}
	return -1;
}

int
st_drv_probe(struct st_drv_ctx *c, int64_t *cpu, int64_t *mem, char version[64])
{
	const struct st_driver *d = st_driver_load("docker");
	json_t *info = NULL;
	int rc;

	if (d == NULL) {
		snprintf(c->err, sizeof c->err, "the docker driver module is missing");
		return ST_PERM;
	}
	if ((rc = d->probe(c, &info)) != ST_OK)
		return rc;
	*cpu = (int64_t)json_integer_value(json_object_get(info, "cpus")) * 1000;
	*mem = (int64_t)json_integer_value(json_object_get(info, "mem"));
	snprintf(version, 64, "%s", json_string_value(json_object_get(info, "version")));
	json_decref(info);
	return ST_OK;
}

static int
collect_docker(json_t *h, void *ctx)
{
	if (json_is_string(json_object_get(h, "docker")) && strcmp(json_string_value(json_object_get(h, "state")), "active") == 0)
		json_array_append_new(ctx, json_string(json_string_value(json_object_get(h, "id"))));
	return ST_OK;
}

int
st_docker_hosts(struct st_db *db, json_t *names, json_t *ids)
{
	char id[ST_ID_LEN + 1];
	json_t *x;
	size_t i;
	int rc;

	json_array_foreach(names, i, x) {
		if ((rc = st_resolve(db, ST_HOST, json_string_value(x), id)) != ST_OK)
			return rc;
		json_array_append_new(ids, json_string(id));
	}
	if (json_array_size(names) == 0 && (rc = st_host_each(db, collect_docker, ids)) != ST_OK)
		return rc;
	if (json_array_size(ids) == 0)
		return st_fail(ST_PERM, "unable to find a host: no active host with a docker endpoint");
	return ST_OK;
}
