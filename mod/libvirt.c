/* libvirt.c: the VM driver module: KVM/QEMU guests through the libvirt C
 * API (define, start, ACPI stop, undefine, storage pool volumes, console). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "driver.h"

/* the namespace of Stampede's <metadata> element in domain XML */
#define NS_URI "https://stampede.dev/xmlns/instance/1"
#define NS_PREFIX "stampede"
/* the pool of per-VM overlays and seeds on each host */
#define POOL_NAME "stampede"
#define POOL_DIR "/var/lib/stampede/vm"
#define LOG_DIR "/var/log/libvirt/qemu"

static virConnectPtr conn;
static char *conn_uri;

static void
quiet(void *u, virErrorPtr e)
{
	(void)u;
	(void)e;	/* messages go into c->err, not to stderr */
}

static int
fail(struct st_drv_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct st_drv_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return code;
}

/* libvirt's last error: 111 when the daemon or the host is out of reach,
 * 100 otherwise */
static int
lverr(struct st_drv_ctx *c, const char *what)
{
	virErrorPtr e = virGetLastError();
	int code = 100;

	if (e && (e->code == VIR_ERR_NO_CONNECT || e->code == VIR_ERR_RPC || e->code == VIR_ERR_SYSTEM_ERROR ||
	    e->code == VIR_ERR_OPERATION_TIMEOUT || e->code == VIR_ERR_AUTH_UNAVAILABLE || e->domain == VIR_FROM_RPC))
		code = 111;
	snprintf(c->err, sizeof c->err, "%s on host '%s': %s", what, c->host ? c->host : "-",
	    e && e->message ? e->message : "unknown libvirt error");
	/* one line: libvirt's XML errors point at the spot over three */
	for (char *p = c->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return code;
}

static int
no_such(int code)
{
	virErrorPtr e = virGetLastError();

	return e && e->code == code;
}

static int
lv_open(struct st_drv_ctx *c)
{
	if (conn && conn_uri && strcmp(conn_uri, c->endpoint) == 0 && virConnectIsAlive(conn) == 1)
		return 0;
	if (conn) {
		virConnectClose(conn);
		conn = NULL;
	}
	free(conn_uri);
	conn_uri = NULL;
	virSetErrorFunc(NULL, quiet);
	if ((conn = virConnectOpen(c->endpoint)) == NULL) {
		virErrorPtr e = virGetLastError();

		return fail(c, 111, "unable to connect to libvirt at '%s' (host '%s'): %s", c->endpoint,
		    c->host ? c->host : "-", e && e->message ? e->message : "unknown error");
	}
	conn_uri = strdup(c->endpoint);
	return 0;
}

/* a local URI (no host part): files such as the console log are ours to read */
static int
local(const char *uri)
{
	const char *p = strstr(uri, "://");

	return p && p[3] == '/';
}

/* --- growing strings and XML escaping --- */

struct str { char *p; size_t n, cap; };

static void
sadd(struct str *s, const char *d, size_t n)
{
	if (s->n + n + 1 > s->cap) {
		s->cap = (s->n + n + 1) * 2 + 256;
		if ((s->p = realloc(s->p, s->cap)) == NULL)
			abort();
	}
	memcpy(s->p + s->n, d, n);
	s->n += n;
	s->p[s->n] = '\0';
}

static void sf(struct str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sf(struct str *s, const char *fmt, ...)
{
	char buf[1024], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf) {
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0)
			abort();
		va_end(ap);
	}
	sadd(s, big ? big : buf, (size_t)n);
	free(big);
}

/* text escaped for XML content and attribute values */
static void
sx(struct str *s, const char *t)
{
	for (; t && *t; t++)
		switch (*t) {
		case '<': sadd(s, "&lt;", 4); break;
		case '>': sadd(s, "&gt;", 4); break;
		case '&': sadd(s, "&amp;", 5); break;
		case '"': sadd(s, "&quot;", 6); break;
		case '\'': sadd(s, "&apos;", 6); break;
		default: sadd(s, t, 1);
		}
}

/* --- what the instance JSON gives --- */

static const char *
jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* i- and 12 lowercase hex: the only thing that becomes a domain name */
static int
valid_id(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != 14 || strncmp(id, "i-", 2) != 0)
		return 0;
	for (i = 2; i < 14; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static int
safe(const char *s, const char *extra)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/* --- ownership: the domain st-ID and its metadata --- */

/* the text of element name in the metadata XML libvirt gives back */
static int
tagval(const char *xml, const char *name, char *out, size_t n)
{
	char open1[64], open2[64];
	const char *p, *e;

	snprintf(open1, sizeof open1, "<%s>", name);
	snprintf(open2, sizeof open2, ":%s>", name);
	if ((p = strstr(xml, open1)) != NULL)
		p += strlen(open1);
	else if ((p = strstr(xml, open2)) != NULL && p > xml && p[-1] != '/')
		p += strlen(open2);
	else
		return -1;
	if ((e = strchr(p, '<')) == NULL || (size_t)(e - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* the cluster and instance a domain's metadata names, "" when none */
static void
meta(virDomainPtr d, char id[32], char cluster[64], long long *created)
{
	char *x = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, NS_URI, 0);
	char t[32];

	*id = *cluster = '\0';
	if (created)
		*created = 0;
	if (x == NULL)
		return;
	if (tagval(x, "id", id, 32) < 0)
		*id = '\0';
	if (tagval(x, "cluster", cluster, 64) < 0)
		*cluster = '\0';
	if (created && tagval(x, "created", t, sizeof t) == 0)
		*created = strtoll(t, NULL, 10);
	free(x);
}

static const char *
state_name(virDomainPtr d)
{
	int st = VIR_DOMAIN_NOSTATE, reason;

	if (virDomainGetState(d, &st, &reason, 0) < 0)
		return "unknown";
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_SHUTDOWN:	/* being shut down: still up */
		return "running";
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return "paused";
	case VIR_DOMAIN_SHUTOFF:
	case VIR_DOMAIN_CRASHED:
		return "exited";
	default:
		return "unknown";
	}
}

/* instance id's domain: *dp set when it is ours; state "absent",
 * "foreign" (c->err says whose), or the domain's */
static int
owned(struct st_drv_ctx *c, const char *id, char state[32], virDomainPtr *dp)
{
	char name[32], mid[32], mcl[64];
	virDomainPtr d;
	int rc;

	*dp = NULL;
	if (!valid_id(id))
		return fail(c, 100, "'%s' is not an instance ID", id);
	if ((rc = lv_open(c)) != 0)
		return rc;
	snprintf(name, sizeof name, "st-%s", id);
	if ((d = virDomainLookupByName(conn, name)) == NULL) {
		if (no_such(VIR_ERR_NO_DOMAIN)) {
			snprintf(state, 32, "absent");
			return 0;
		}
		return lverr(c, "unable to look up the domain");
	}
	meta(d, mid, mcl, NULL);
	if (strcmp(mid, id) != 0 || strcmp(mcl, c->cluster) != 0) {
		if (*mcl == '\0' || strcmp(mid, id) != 0)
			fail(c, 100, "domain '%s' on host '%s' has no Stampede metadata: not touching it", name, c->host);
		else
			fail(c, 100, "domain '%s' on host '%s' belongs to another cluster (%s): not touching it", name, c->host, mcl);
		virDomainFree(d);
		snprintf(state, 32, "foreign");
		return 0;
	}
	snprintf(state, 32, "%s", state_name(d));
	*dp = d;
	return 0;
}

static int
dstate(struct st_drv_ctx *c, const char *id, char state[32])
{
	virDomainPtr d;
	int rc = owned(c, id, state, &d);

	if (d)
		virDomainFree(d);
	return rc;
}

/* --- storage: the pool, the overlay, the seed --- */

static virStoragePoolPtr
pool(struct st_drv_ctx *c, int create, int *rc)
{
	virStoragePoolPtr p;
	int tries;

	*rc = 0;
	for (tries = 0; tries < 3; tries++) {
		if ((p = virStoragePoolLookupByName(conn, POOL_NAME)) != NULL) {
			if (virStoragePoolIsActive(p) != 1 && virStoragePoolCreate(p, VIR_STORAGE_POOL_CREATE_WITH_BUILD) < 0 &&
			    (*rc = lverr(c, "unable to start storage pool '" POOL_NAME "'")) && virStoragePoolIsActive(p) != 1) {
				virStoragePoolFree(p);
				return NULL;
			}
			*rc = 0;
			return p;
		}
		if (!create)
			return NULL;
		/* the first VM on the host: a dir pool, built and started; a
		 * racing command may define it first, then it is looked up */
		p = virStoragePoolDefineXML(conn, "<pool type='dir'><name>" POOL_NAME "</name>"
		    "<target><path>" POOL_DIR "</path><permissions><mode>0711</mode></permissions></target></pool>", 0);
		if (p == NULL)
			continue;
		virStoragePoolSetAutostart(p, 1);
		virStoragePoolFree(p);
	}
	*rc = lverr(c, "unable to define storage pool '" POOL_NAME "'");
	return NULL;
}

/* the pool's directory on the host, from its XML */
static int
pool_dir(struct st_drv_ctx *c, virStoragePoolPtr p, char *out, size_t n)
{
	char *x = virStoragePoolGetXMLDesc(p, 0), *t, *a, *e;
	int rc = 0;

	if (x == NULL)
		return lverr(c, "unable to read storage pool '" POOL_NAME "'");
	if ((t = strstr(x, "<target>")) == NULL || (a = strstr(t, "<path>")) == NULL ||
	    (e = strstr(a, "</path>")) == NULL || (size_t)(e - a - 6) >= n || !safe((*e = '\0', a + 6), "/._+-"))
		rc = fail(c, 100, "storage pool '" POOL_NAME "' on host '%s' has no usable directory", c->host);
	else
		snprintf(out, n, "%s", a + 6);
	free(x);
	return rc;
}

/* a volume of the pool by name, deleted; 0 when there was none */
static int
vol_delete(struct st_drv_ctx *c, virStoragePoolPtr p, const char *name)
{
	virStorageVolPtr v;
	int rc = 0;

	if ((v = virStorageVolLookupByName(p, name)) == NULL)
		return no_such(VIR_ERR_NO_STORAGE_VOL) ? 0 : lverr(c, "unable to look up a volume");
	if (virStorageVolDelete(v, 0) < 0)
		rc = lverr(c, "unable to delete a volume");
	virStorageVolFree(v);
	return rc;
}

static char *
vol_path(virStoragePoolPtr p, const char *name)
{
	virStorageVolPtr v = virStorageVolLookupByName(p, name);
	char *path;

	if (v == NULL)
		return NULL;
	path = virStorageVolGetPath(v);
	virStorageVolFree(v);
	return path;
}

/* the VM's own disk: a qcow2 overlay on the template, at least its size */
static int
overlay(struct st_drv_ctx *c, virStoragePoolPtr p, const char *id, json_t *img, long long disk, char **path)
{
	char name[64];
	struct str x = { 0 };
	virStorageVolPtr v;
	long long cap = json_integer_value(json_object_get(img, "size"));

	snprintf(name, sizeof name, "st-%s.qcow2", id);
	if ((*path = vol_path(p, name)) != NULL)
		return 0;	/* made by an interrupted start: its data stays */
	if (disk > cap)
		cap = disk;
	sf(&x, "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity>"
	    "<target><format type='qcow2'/><permissions><mode>0600</mode></permissions></target>"
	    "<backingStore><path>", name, cap);
	sx(&x, jstr(img, "path"));
	sf(&x, "</path><format type='qcow2'/></backingStore></volume>");
	v = virStorageVolCreateXML(p, x.p, 0);
	free(x.p);
	if (v == NULL)
		return lverr(c, "unable to create the overlay disk");
	*path = virStorageVolGetPath(v);
	virStorageVolFree(v);
	return *path ? 0 : lverr(c, "unable to find the overlay disk");
}

static int
write_file(const char *dir, const char *name, const char *data)
{
	char path[512];
	size_t n = strlen(data);
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* a YAML scalar: a JSON string is one */
static void
syaml(struct str *s, const char *t)
{
	json_t *v = json_string(t ? t : "");
	char *j = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	sf(s, "%s", j ? j : "\"\"");
	free(j);
	json_decref(v);
}

static void
mac_of(const char *id, size_t i, char mac[18])
{
	/* 52:54:00 (QEMU's) then three bytes of the ID, the NIC's index mixed in */
	unsigned a = 0, b = 0, d = 0;

	sscanf(id + 8, "%2x%2x%2x", &a, &b, &d);
	snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", a, b, (d + (unsigned)i * 17) & 0xff);
}

/* the cloud-init NoCloud seed: meta-data, user-data, network-config, as
 * an ISO labelled cidata (genisoimage, argv only), uploaded to the pool */
static int
seed(struct st_drv_ctx *c, virStoragePoolPtr p, json_t *in, char **path)
{
	const char *id = jstr(in, "id"), *name = jstr(in, "name"), *ud = jstr(in, "user_data");
	const char *key = jstr(json_object_get(in, "attrs"), "ssh-key");
	char tmpl[] = "/tmp/st-seed-XXXXXX", iso[64], vname[64], buf[65536];
	struct str md = { 0 }, u = { 0 }, nc = { 0 };
	json_t *nets = json_object_get(in, "nets"), *n;
	virStorageVolPtr v = NULL;
	virStreamPtr s = NULL;
	struct stat sb;
	size_t i;
	pid_t pid;
	int rc = 0, fd = -1, status;
	ssize_t r;

	*path = NULL;
	if (mkdtemp(tmpl) == NULL)
		return fail(c, 111, "unable to make a directory for the seed: %s", strerror(errno));
	snprintf(iso, sizeof iso, "%s.iso", tmpl);
	sf(&md, "instance-id: %s\nlocal-hostname: %s\n", id, name ? name : id);
	if (ud) {
		sadd(&u, ud, strlen(ud));
	} else {
		sf(&u, "#cloud-config\nhostname: %s\n", name ? name : id);
		if (key) {
			sf(&u, "ssh_authorized_keys:\n  - ");
			syaml(&u, key);
			sf(&u, "\n");
		}
	}
	if (json_array_size(nets) > 0) {
		sf(&nc, "version: 2\nethernets:\n");
		json_array_foreach(nets, i, n) {
			char mac[18];
			const char *ip = jstr(n, "ip"), *gw = jstr(n, "gateway");

			mac_of(id, i, mac);
			sf(&nc, "  nic%zu:\n    match:\n      macaddress: \"%s\"\n    set-name: eth%zu\n", i, mac, i);
			if (safe(ip, ".:"))
				sf(&nc, "    addresses: [\"%s/%d\"]\n", ip, (int)json_integer_value(json_object_get(n, "prefix")));
			if (i == 0 && safe(gw, ".:"))
				sf(&nc, "    routes:\n      - to: default\n        via: \"%s\"\n", gw);
		}
	}
	if (write_file(tmpl, "meta-data", md.p) < 0 || write_file(tmpl, "user-data", u.p) < 0 ||
	    (nc.p && write_file(tmpl, "network-config", nc.p) < 0)) {
		rc = fail(c, 111, "unable to write the seed: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		rc = fail(c, 111, "unable to run genisoimage: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		char *argv[] = { "genisoimage", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock", tmpl, NULL };
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = fail(c, WIFEXITED(status) && WEXITSTATUS(status) == 127 ? 100 : 111,
		    "unable to make the cloud-init seed: genisoimage %s",
		    WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "is not installed" : "failed");
		goto out;
	}
	if ((fd = open(iso, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		rc = fail(c, 111, "unable to read the seed: %s", strerror(errno));
		goto out;
	}
	snprintf(vname, sizeof vname, "st-%s-seed.iso", id);
	if ((rc = vol_delete(c, p, vname)) != 0)
		goto out;
	{
		struct str x = { 0 };

		sf(&x, "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity>"
		    "<target><format type='raw'/><permissions><mode>0600</mode></permissions></target></volume>",
		    vname, (long long)sb.st_size);
		v = virStorageVolCreateXML(p, x.p, 0);
		free(x.p);
	}
	if (v == NULL || (s = virStreamNew(conn, 0)) == NULL ||
	    virStorageVolUpload(v, s, 0, (unsigned long long)sb.st_size, 0) < 0) {
		rc = lverr(c, "unable to upload the cloud-init seed");
		goto out;
	}
	while ((r = read(fd, buf, sizeof buf)) > 0)
		if (virStreamSend(s, buf, (size_t)r) < 0) {
			rc = lverr(c, "unable to upload the cloud-init seed");
			virStreamAbort(s);
			goto out;
		}
	if (r < 0 || virStreamFinish(s) < 0) {
		rc = r < 0 ? fail(c, 111, "unable to read the seed: %s", strerror(errno)) : lverr(c, "unable to upload the cloud-init seed");
		goto out;
	}
	if ((*path = virStorageVolGetPath(v)) == NULL)
		rc = lverr(c, "unable to find the seed volume");
out:
	if (rc != 0 && v)
		virStorageVolDelete(v, 0);
	if (s)
		virStreamFree(s);
	if (v)
		virStorageVolFree(v);
	if (fd >= 0)
		close(fd);
	unlink(iso);
	snprintf(buf, sizeof buf, "%s/meta-data", tmpl);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s/user-data", tmpl);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s/network-config", tmpl);
	unlink(buf);
	rmdir(tmpl);
	free(md.p);
	free(u.p);
	free(nc.p);
	return rc;
}

/* --- the domain XML --- */

static int
kvm_here(void)
{
	char *caps = virConnectGetCapabilities(conn);
	int yes = caps && strstr(caps, "<domain type='kvm'") != NULL;

	free(caps);
	return yes;
}

static void
log_path(const char *id, char *out, size_t n)
{
	snprintf(out, n, LOG_DIR "/st-%s-console.log", id);
}

/* the domain for the instance JSON; disk paths are filled in by create
 * (placeholders in create_doc: the filter sees where they will be) */
static int
domain_xml(struct st_drv_ctx *c, json_t *in, const char *disk, const char *seedp, struct str *x)
{
	const char *id = jstr(in, "id");
	json_t *img = json_object_get(in, "vm_image"), *n;
	double cpu = json_number_value(json_object_get(in, "cpu"));
	long long mem = json_integer_value(json_object_get(in, "mem"));
	int vcpus = (int)cpu, kvm;
	char logf[256], mac[18];
	const char *s;
	size_t i, dev = 1;

	if (!valid_id(id))
		return fail(c, 100, "'%s' is not an instance ID", id ? id : "?");
	if (img == NULL || jstr(img, "path") == NULL)
		return fail(c, 100, "instance '%s' has no VM image (st-image-ls)", id);
	if (vcpus < cpu)
		vcpus++;
	if (vcpus < 1)
		vcpus = 1;
	if (vcpus > 255 || mem < (16 << 20))
		return fail(c, 100, "instance '%s' asks for %d vCPUs and %lld bytes: out of what a VM can have", id, vcpus, mem);
	kvm = kvm_here();
	log_path(id, logf, sizeof logf);
	sf(x, "<domain type='%s'>\n  <name>st-%s</name>\n", kvm ? "kvm" : "qemu", id);
	sf(x, "  <metadata>\n    <" NS_PREFIX ":instance xmlns:" NS_PREFIX "='" NS_URI "'>"
	    "<" NS_PREFIX ":id>%s</" NS_PREFIX ":id><" NS_PREFIX ":cluster>", id);
	sx(x, c->cluster);
	sf(x, "</" NS_PREFIX ":cluster><" NS_PREFIX ":created>%lld</" NS_PREFIX ":created>", (long long)time(NULL));
	if ((s = jstr(in, "name")) != NULL) {
		sf(x, "<" NS_PREFIX ":name>");
		sx(x, s);
		sf(x, "</" NS_PREFIX ":name>");
	}
	sf(x, "</" NS_PREFIX ":instance>\n  </metadata>\n");
	sf(x, "  <memory unit='KiB'>%lld</memory>\n  <vcpu>%d</vcpu>\n", mem / 1024, vcpus);
	sf(x, "  <os>\n    <type arch='x86_64'>hvm</type>\n");
	if ((s = jstr(img, "kernel")) != NULL) {
		sf(x, "    <kernel>");
		sx(x, s);
		sf(x, "</kernel>\n");
		if ((s = jstr(img, "initrd")) != NULL) {
			sf(x, "    <initrd>");
			sx(x, s);
			sf(x, "</initrd>\n");
		}
		if ((s = jstr(img, "cmdline")) != NULL) {
			sf(x, "    <cmdline>");
			sx(x, s);
			sf(x, "</cmdline>\n");
		}
	} else {
		sf(x, "    <boot dev='hd'/>\n");
	}
	sf(x, "  </os>\n  <features><acpi/><apic/></features>\n");
	/* TCG: QEMU's default model, unchecked (a check costs the start
	 * QMP round trips and finds nothing on an emulated CPU) */
	sf(x, kvm ? "  <cpu mode='host-passthrough'/>\n" :
	    "  <cpu mode='custom' match='exact' check='none'><model fallback='allow'>qemu64</model></cpu>\n");
	sf(x, "  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
	    "  <on_crash>destroy</on_crash>\n  <devices>\n");
	sf(x, "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='");
	sx(x, disk);
	sf(x, "'/><target dev='vda' bus='virtio'/></disk>\n");
	/* volumes (issue 8): a file each, vdb, vdc...; dir and btrfs ones
	 * are for containers */
	json_array_foreach(json_object_get(in, "volumes"), i, n) {
		const char *src = jstr(n, "source"), *fmt = jstr(n, "format");
		const char *be = jstr(n, "backend");

		if (src == NULL || (be && strcmp(be, "qcow2") != 0 && !(fmt && strcmp(fmt, "raw") == 0)))
			continue;
		if (dev >= 24)
			return fail(c, 100, "instance '%s' has more volumes than a VM takes", id);
		sf(x, "    <disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='",
		    fmt && strcmp(fmt, "raw") == 0 ? "raw" : "qcow2");
		sx(x, src);
		sf(x, "'/><target dev='vd%c' bus='virtio'/>", (char)('a' + dev++));
		if ((s = jstr(n, "volume")) != NULL) {
			sf(x, "<serial>");
			sx(x, s);
			sf(x, "</serial>");
		}
		sf(x, "</disk>\n");
	}
	sf(x, "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='");
	sx(x, seedp);
	sf(x, "'/><target dev='vdz' bus='virtio'/><readonly/></disk>\n");
	json_array_foreach(json_object_get(in, "nets"), i, n) {
		const char *br = jstr(n, "bridge");

		if (!safe(br, "_.-"))
			return fail(c, 100, "instance '%s': network %s has no usable bridge name", id, jstr(n, "net") ? jstr(n, "net") : "?");
		mac_of(id, i, mac);
		sf(x, "    <interface type='bridge'><source bridge='");
		sx(x, br);
		sf(x, "'/><mac address='%s'/><model type='virtio'/></interface>\n", mac);
	}
	sf(x, "    <serial type='pty'><log file='");
	sx(x, logf);
	sf(x, "' append='on'/><target port='0'/></serial>\n"
	    "    <console type='pty'><target type='serial' port='0'/></console>\n"
	    "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n  </devices>\n</domain>\n");
	return 0;
}

static int
create_doc(struct st_drv_ctx *c, json_t *in, json_t **doc)
{
	const char *id = jstr(in, "id");
	char disk[256], seedp[256];
	struct str x = { 0 };
	int rc;

	if (c->endpoint && (rc = lv_open(c)) != 0)
		return rc;
	if (!valid_id(id))
		return fail(c, 100, "'%s' is not an instance ID", id ? id : "?");
	snprintf(disk, sizeof disk, POOL_DIR "/st-%s.qcow2", id);
	snprintf(seedp, sizeof seedp, POOL_DIR "/st-%s-seed.iso", id);
	if (conn == NULL) {
		/* no host to ask (st-hook-run): a local one */
		struct st_drv_ctx l = *c;

		l.endpoint = "qemu:///system";
		if ((rc = lv_open(&l)) != 0)
			return fail(c, rc, "%s", l.err);
	}
	if ((rc = domain_xml(c, in, disk, seedp, &x)) != 0) {
		free(x.p);
		return rc;
	}
	*doc = json_string(x.p);
	free(x.p);
	return 0;
}

/* a filter's output must stay this instance's domain of this cluster */
static int
still_ours(struct st_drv_ctx *c, const char *xml, const char *id)
{
	char name[64];

	snprintf(name, sizeof name, "<name>st-%s</name>", id);
	if (strstr(xml, name) == NULL || strstr(xml, NS_URI) == NULL || strstr(xml, c->cluster) == NULL)
		return fail(c, 100, "vm.domain.filter printed a domain without its name st-%s or its Stampede metadata: "
		    "a filter may add to the domain, never take it out of this cluster's hands", id);
	return 0;
}

static int
create(struct st_drv_ctx *c, json_t *in)
{
	const char *id = jstr(in, "id");
	char state[32], *disk = NULL, *seedp = NULL, oname[64], sname[64], dp[1100], sp[1100], dir[1024];
	struct str x = { 0 };
	virStoragePoolPtr p = NULL;
	virDomainPtr d;
	json_t *doc;
	int rc, made = 0;

	if ((rc = owned(c, id, state, &d)) != 0)
		return rc;
	if (d) {
		virDomainFree(d);
		return 0;	/* defined before: a retried start */
	}
	if (strcmp(state, "foreign") == 0)
		return 100;
	/* the XML first, through the filters: a failure leaves nothing */
	/* the pool first (made once per host): the XML names its files */
	if ((p = pool(c, 1, &rc)) == NULL || (rc = pool_dir(c, p, dir, sizeof dir)) != 0)
		goto out;
	snprintf(dp, sizeof dp, "%s/st-%s.qcow2", dir, id);
	snprintf(sp, sizeof sp, "%s/st-%s-seed.iso", dir, id);
	if ((rc = domain_xml(c, in, dp, sp, &x)) != 0)
		goto out;
	doc = json_string(x.p);
	if (c->filter && (rc = c->filter(c, "vm.domain.filter", &doc)) != 0) {
		json_decref(doc);
		goto out;
	}
	if (!json_is_string(doc)) {
		json_decref(doc);
		rc = fail(c, 100, "vm.domain.filter printed no XML document");
		goto out;
	}
	free(x.p);
	x.p = strdup(json_string_value(doc));
	json_decref(doc);
	if (x.p == NULL || (rc = still_ours(c, x.p, id)) != 0) {
		rc = x.p ? rc : 111;
		goto out;
	}
	snprintf(oname, sizeof oname, "st-%s.qcow2", id);
	snprintf(sname, sizeof sname, "st-%s-seed.iso", id);
	made = 1;
	if ((rc = overlay(c, p, id, json_object_get(in, "vm_image"), json_integer_value(json_object_get(in, "disk")), &disk)) != 0 ||
	    (rc = seed(c, p, in, &seedp)) != 0)
		goto out;
	/* the pool may live elsewhere than POOL_DIR on this host */
	if (strcmp(disk, dp) != 0 || strcmp(seedp, sp) != 0) {
		rc = fail(c, 100, "storage pool '" POOL_NAME "' on host '%s' put the disks elsewhere than in %s", c->host, dir);
		goto out;
	}
	if ((d = virDomainDefineXMLFlags(conn, x.p, VIR_DOMAIN_DEFINE_VALIDATE)) == NULL) {
		rc = lverr(c, c->filter ? "libvirt refused the domain XML (after vm.domain.filter)" : "libvirt refused the domain XML");
		rc = rc == 111 ? 111 : 100;
		goto out;
	}
	virDomainFree(d);
	made = 0;
out:
	if (made && p) {	/* nothing defined: no disk left behind */
		vol_delete(c, p, oname);
		vol_delete(c, p, sname);
	}
	if (p)
		virStoragePoolFree(p);
	free(disk);
	free(seedp);
	free(x.p);
	return rc;
}

static int
start(struct st_drv_ctx *c, const char *id)
{
	char state[32];
	virDomainPtr d;
	int rc;

	if ((rc = owned(c, id, state, &d)) != 0)
		return rc;
	if (d == NULL)
		return strcmp(state, "foreign") == 0 ? 100 : fail(c, 100, "no domain for instance '%s' on host '%s'", id, c->host);
	/* the error is taken before anything else is asked (it resets it) */
	if (virDomainIsActive(d) != 1 && virDomainCreate(d) < 0 && (rc = lverr(c, "unable to start the domain")) &&
	    virDomainIsActive(d) == 1)
		rc = 0;	/* started by another command meanwhile */
	virDomainFree(d);
	return rc;
}

static void
nap(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

/* ACPI power button, pressed again every 2 s (a guest still booting
 * misses it), then destroy after timeout seconds */
static int
stop(struct st_drv_ctx *c, const char *id, int timeout)
{
	char state[32];
	virDomainPtr d;
	int rc, ms;

	if ((rc = owned(c, id, state, &d)) != 0)
		return rc;
	if (d == NULL)
		return 0;	/* nothing of ours runs: stopped */
	for (ms = 0; ms < timeout * 1000 && virDomainIsActive(d) == 1; ms += 100) {
		if (ms % 2000 == 0)
			virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
		nap(100);
	}
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 && (rc = lverr(c, "unable to destroy the domain")) &&
	    virDomainIsActive(d) != 1)
		rc = 0;
	virDomainFree(d);
	return rc;
}

static int
restart(struct st_drv_ctx *c, const char *id, int timeout)
{
	int rc;

	if ((rc = stop(c, id, timeout)) != 0)
		return rc;
	return start(c, id);
}

static int
dremove(struct st_drv_ctx *c, const char *id)
{
	char state[32], name[64], logf[256];
	virStoragePoolPtr p;
	virDomainPtr d;
	int rc;

	if ((rc = owned(c, id, state, &d)) != 0)
		return rc;
	if (strcmp(state, "foreign") == 0)
		return 0;	/* not ours: untouched */
	if (d) {
		if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 && (rc = lverr(c, "unable to destroy the domain")) &&
		    virDomainIsActive(d) != 1)
			rc = 0;
		if (rc == 0 && (virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
		    VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0 &&
		    virDomainUndefine(d) < 0))
			rc = lverr(c, "unable to undefine the domain");
		virDomainFree(d);
		if (rc != 0)
			return rc;
	}
	/* its disks, also those of a start interrupted before the define */
	if ((p = pool(c, 0, &rc)) != NULL) {
		snprintf(name, sizeof name, "st-%s.qcow2", id);
		rc = vol_delete(c, p, name);
		snprintf(name, sizeof name, "st-%s-seed.iso", id);
		if (rc == 0)
			rc = vol_delete(c, p, name);
		virStoragePoolFree(p);
	}
	if (rc == 0 && local(c->endpoint)) {	/* the console's log and QEMU's */
		log_path(id, logf, sizeof logf);
		unlink(logf);
		snprintf(logf, sizeof logf, LOG_DIR "/st-%s.log", id);
		unlink(logf);
	}
	return rc;
}

static int
list(struct st_drv_ctx *c, json_t **out)
{
	virDomainPtr *doms = NULL;
	char id[32], cl[64], uuid[VIR_UUID_STRING_BUFLEN];
	long long created;
	int n, i, rc;

	if ((rc = lv_open(c)) != 0)
		return rc;
	if ((n = virConnectListAllDomains(conn, &doms, 0)) < 0)
		return lverr(c, "unable to list domains");
	*out = json_array();
	for (i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);

		meta(doms[i], id, cl, &created);
		/* the domains of this cluster: by their metadata, named or not */
		if (strcmp(cl, c->cluster) == 0) {
			if (virDomainGetUUIDString(doms[i], uuid) < 0)
				*uuid = '\0';
			json_array_append_new(*out, json_pack("{s:s?, s:s, s:s, s:s, s:I}", "id", *id ? id : NULL,
			    "name", name ? name : "", "cid", uuid, "state", state_name(doms[i]), "created", (json_int_t)created));
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

static int
probe(struct st_drv_ctx *c, json_t **info)
{
	virNodeInfo ni;
	unsigned long lib = 0, hv = 0;
	const char *type;
	char v[96];
	int rc;

	if ((rc = lv_open(c)) != 0)
		return rc;
	if (virNodeGetInfo(conn, &ni) < 0)
		return lverr(c, "unable to read node info");
	virConnectGetLibVersion(conn, &lib);
	virConnectGetVersion(conn, &hv);
	type = virConnectGetType(conn);
	snprintf(v, sizeof v, "libvirt %lu.%lu.%lu %s %lu.%lu.%lu", lib / 1000000, lib / 1000 % 1000, lib % 1000,
	    type ? type : "?", hv / 1000000, hv / 1000 % 1000, hv % 1000);
	*info = json_pack("{s:I, s:I, s:s}", "cpus", (json_int_t)ni.cpus, "mem", (json_int_t)ni.memory * 1024, "version", v);
	return 0;
}

/* --- the console: its log, and the live stream --- */

static int
copy_log(struct st_drv_ctx *c, const char *id, long tail, int follow, int outfd)
{
	char path[256], buf[65536], state[32];
	virDomainPtr d = NULL;
	off_t start = 0, size;
	ssize_t n;
	int fd, idle = 0;

	log_path(id, path, sizeof path);
	if (!local(c->endpoint))
		return fail(c, 100, "the console log of '%s' is on host '%s' (%s): read it there, or st-console attaches remotely",
		    id, c->host, path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;	/* it wrote nothing yet */
		return fail(c, 111, "unable to read the console log '%s': %s", path, strerror(errno));
	}
	size = lseek(fd, 0, SEEK_END);
	if (tail >= 0) {
		/* the last tail lines: read back from the end */
		long lines = 0;

		start = size;
		while (start > 0 && lines <= tail) {
			off_t at = start > (off_t)sizeof buf ? start - (off_t)sizeof buf : 0;

			if ((n = pread(fd, buf, (size_t)(start - at), at)) <= 0)
				break;
			while (n-- > 0)
				if (buf[n] == '\n' && ++lines > tail && !(at + n == size - 1)) {
					start = at + n + 1;
					goto found;
				}
			start = at;
		}
	}
found:
	lseek(fd, start, SEEK_SET);
	for (;;) {
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			idle = 0;
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(outfd, buf + off, (size_t)(n - off));

				if (w < 0) {
					close(fd);
					return errno == EPIPE ? 0 : fail(c, 111, "unable to write: %s", strerror(errno));
				}
				off += w;
			}
		}
		if (!follow)
			break;
		/* follow while the domain runs, and a little after */
		if (idle++ % 10 == 0) {
			if (d)
				virDomainFree(d);
			if (owned(c, id, state, &d) != 0 || d == NULL || (strcmp(state, "running") != 0 && idle > 20))
				break;
		}
		nap(100);
	}
	if (d)
		virDomainFree(d);
	close(fd);
	return 0;
}

static int
logs(struct st_drv_ctx *c, const char *id, int follow, long tail, int outfd, int errfd)
{
	(void)errfd;
	return copy_log(c, id, tail, follow, outfd);
}

/* the guest's output, by a thread blocked in virStreamRecv (the client
 * library serves threads; a non-blocking stream would need an event loop) */
struct rx {
	virStreamPtr s;
	int outfd;
	volatile int done;
	volatile long long last;	/* ms of the last output */
};

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *
receive(void *arg)
{
	struct rx *r = arg;
	char buf[4096];
	int n;

	while ((n = virStreamRecv(r->s, buf, sizeof buf)) > 0) {
		r->last = now_ms();
		if (write(r->outfd, buf, (size_t)n) < 0)
			break;
	}
	r->done = 1;
	return NULL;
}

static int
console(struct st_drv_ctx *c, const char *id, int log_only, int infd, int outfd)
{
	char state[32], buf[4096];
	struct termios saved, raw;
	struct rx *r;
	virDomainPtr d;
	pthread_t th;
	int rc, tty = isatty(infd), eof = 0;

	if (log_only)
		return copy_log(c, id, -1, 0, outfd);
	if ((rc = owned(c, id, state, &d)) != 0)
		return rc;
	if (d == NULL)
		return strcmp(state, "foreign") == 0 ? 100 : fail(c, 100, "no domain for instance '%s' on host '%s'", id, c->host);
	if (strcmp(state, "running") != 0) {
		virDomainFree(d);
		return fail(c, 100, "instance '%s' is not running (its domain is %s): st-console --log prints what it wrote", id, state);
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		virDomainFree(d);
		return fail(c, 111, "out of memory");
	}
	r->outfd = outfd;
	if ((r->s = virStreamNew(conn, 0)) == NULL || virDomainOpenConsole(d, NULL, r->s, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
		rc = lverr(c, "unable to open the console");
		if (r->s)
			virStreamFree(r->s);
		free(r);
		virDomainFree(d);
		return rc;
	}
	virDomainFree(d);
	r->last = now_ms();
	if (pthread_create(&th, NULL, receive, r) != 0) {
		virStreamAbort(r->s);
		virStreamFree(r->s);
		free(r);
		return fail(c, 111, "unable to start a thread: %s", strerror(errno));
	}
	if (tty) {
		tcgetattr(infd, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(infd, TCSAFLUSH, &raw);
		dprintf(2, "Connected to %s (escape: ^])\r\n", id);
	}
	while (!r->done) {
		struct pollfd pf = { .fd = infd, .events = POLLIN };

		if (eof) {
			/* a script's input ended: what the guest answers, until it is quiet */
			if (now_ms() - r->last >= 1500)
				break;
			nap(50);
			continue;
		}
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t n = read(infd, buf, sizeof buf);
		char *esc;

		if (n <= 0) {
			eof = 1;
			r->last = now_ms();
			continue;
		}
		if ((esc = memchr(buf, 0x1d, (size_t)n)) != NULL)
			n = esc - buf;
		if (n > 0 && virStreamSend(r->s, buf, (size_t)n) < 0) {
			rc = lverr(c, "unable to write to the console");
			break;
		}
		if (esc)
			break;
	}
	if (tty) {
		tcsetattr(infd, TCSAFLUSH, &saved);
		dprintf(2, "\r\n");
	}
	/* the abort wakes the receiver in virStreamRecv; one that does not
	 * end keeps its stream and state to the process's end, never freed
	 * under it */
	virStreamAbort(r->s);
	for (int i = 0; i < 200 && !r->done; i++)
		nap(10);
	if (r->done) {
		pthread_join(th, NULL);
		virStreamFree(r->s);
		free(r);
	} else {
		pthread_detach(th);
	}
	return rc;
}

const struct st_driver st_driver = {
	.abi = ST_DRIVER_ABI,
	.name = "libvirt",
	.probe = probe,
	.create = create,
	.start = start,
	.stop = stop,
	.restart = restart,
	.remove = dremove,
	.state = dstate,
	.list = list,
	.logs = logs,
	.exec = NULL,
	.image_import = NULL,
	.image_pull = NULL,
	.create_doc = create_doc,
	.addrs = NULL,
	.console = console,
};
