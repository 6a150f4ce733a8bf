/* st-image-pull: pull an image from a registry onto hosts. Credentials
 * come from ST_REGISTRY_USER and ST_REGISTRY_PASSWORD, or from a Docker
 * config.json-style file readable by its owner only; never from argv. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: st-image-pull [--auth-file FILE] [--host HOST]... [--state FILE] REF\n");
	exit(code);
}

static char *
b64url(const unsigned char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *o = st_malloc(n / 3 * 4 + 8), *p = o;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*p++ = t[s[i] >> 2];
		*p++ = t[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*p++ = t[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		*p++ = t[s[i + 2] & 63];
	}
	if (i < n) {
		*p++ = t[s[i] >> 2];
		*p++ = t[(s[i] & 3) << 4 | (i + 1 < n ? s[i + 1] >> 4 : 0)];
		*p++ = i + 1 < n ? t[(s[i + 1] & 15) << 2] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return o;
}

/* the registry a reference names: its domain, or Docker Hub */
static void
registry_of(const char *ref, char *out, size_t n)
{
	const char *slash = strchr(ref, '/');

	if (slash && (memchr(ref, '.', (size_t)(slash - ref)) || memchr(ref, ':', (size_t)(slash - ref)) ||
	    (slash - ref == 9 && strncmp(ref, "localhost", 9) == 0)))
		snprintf(out, n, "%.*s", (int)(slash - ref), ref);
	else
		snprintf(out, n, "docker.io");
}

/* X-Registry-Auth for the registry, or NULL for an anonymous pull */
static char *
auth_for(const char *ref, const char *file)
{
	const char *user = getenv("ST_REGISTRY_USER"), *pass = getenv("ST_REGISTRY_PASSWORD");
	char reg[256], *enc, *plain, *colon;
	json_t *cfg, *a, *o;
	struct stat sb;
	size_t n;

	registry_of(ref, reg, sizeof reg);
	if (!user != !pass)
		st_die(ST_USAGE, "ST_REGISTRY_USER and ST_REGISTRY_PASSWORD go together");
	/* an option overrides the environment */
	if (user && pass && file == NULL) {
		o = json_pack("{s:s, s:s, s:s}", "username", user, "password", pass, "serveraddress", reg);
		goto encode;
	}
	if (file == NULL && (file = getenv("ST_REGISTRY_AUTH")) == NULL && access("/etc/stampede/registry.json", F_OK) == 0)
		file = "/etc/stampede/registry.json";
	if (file == NULL)
		return NULL;
	if (stat(file, &sb) < 0)
		st_die(ST_PERM, "unable to read credentials '%s': %s", st_q(file), strerror(errno));
	if (sb.st_mode & 077)
		st_die(ST_PERM, "unable to use credentials '%s': readable by others (chmod 600)", st_q(file));
	if ((cfg = json_load_file(file, 0, NULL)) == NULL)
		st_die(ST_PERM, "unable to read credentials '%s': not JSON like Docker's config.json", st_q(file));
	a = json_object_get(json_object_get(json_object_get(cfg, "auths"), reg), "auth");
	/* docker login writes Docker Hub's entry under its v1 URL */
	if (a == NULL && strcmp(reg, "docker.io") == 0)
		a = json_object_get(json_object_get(json_object_get(cfg, "auths"), "https://index.docker.io/v1/"), "auth");
	if (!json_is_string(a)) {
		json_decref(cfg);
		return NULL;
	}
	/* "auth" is base64(user:password) */
	n = strlen(json_string_value(a));
	plain = st_malloc(n + 1);
	{
		const char *s = json_string_value(a);
		int v = 0, bits = 0;
		size_t k = 0;

		for (; *s && *s != '='; s++) {
			const char *p = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *s);
			if (p == NULL)
				st_die(ST_PERM, "unable to read credentials '%s': bad auth for '%s'", st_q(file), reg);
			v = v << 6 | (int)(p - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
			if ((bits += 6) >= 8) {
				plain[k++] = (char)(v >> (bits -= 8));
				v &= (1 << bits) - 1;
			}
		}
		plain[k] = '\0';
	}
	json_decref(cfg);
	if ((colon = strchr(plain, ':')) == NULL)
		st_die(ST_PERM, "unable to read credentials '%s': auth for '%s' is not user:password", st_q(file), reg);
	*colon = '\0';
	o = json_pack("{s:s, s:s, s:s}", "username", plain, "password", colon + 1, "serveraddress", reg);
	explicit_bzero(plain, n);
	free(plain);
encode:
	plain = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	enc = b64url((const unsigned char *)plain, strlen(plain));
	explicit_bzero(plain, strlen(plain));
	free(plain);
	return enc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "auth-file", required_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		ST_COMMON_LONGOPTS, { 0 } };
	const struct st_driver *d;
	struct st_drv_ctx c;
	json_t *hosts = json_array(), *names = json_array(), *x;
	const char *file = NULL, *why, *ref;
	char *auth;
	struct st_db db;
	int ch, rc, r;
	size_t i;

	st_init(argc, argv);
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == 'a')
			file = optarg;
		else if (ch == 'H')
			json_array_append_new(names, json_string(optarg));
		else
			st_common_opt(ch, optarg, usage);
	}
	if (argc - optind != 1)
		usage(ST_USAGE);
	ref = argv[optind];
	if (st_valid_image_ref(ref, &why) < 0)
		st_die(ST_USAGE, "bad image '%s': %s", st_q(ref), why);
	if ((rc = st_db_open(&db, 0)) != ST_OK)
		return rc;
	if ((rc = st_docker_hosts(&db, names, hosts)) != ST_OK)
		return rc;
	if ((d = st_driver_load("docker")) == NULL)
		return ST_PERM;
	auth = auth_for(ref, file);
	json_array_foreach(hosts, i, x) {
		if ((r = st_drv_ctx_host(&db, json_string_value(x), &c)) == ST_OK)
			r = d->image_pull(&c, ref, auth);
		if (r != ST_OK)
			st_fail(r, "unable to pull '%s' on host '%s': %s", ref, c.host ? c.host : json_string_value(x), c.err);
		else
			printf("%s\t%s\n", ref, c.host);
		rc = ST_MAX(rc, r);
		st_drv_ctx_free(&c);
	}
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	json_decref(hosts);
	json_decref(names);
	st_db_close(&db);
	return ST_MAX(rc, st_flush());
}
