/* qcow2.c: the qcow2 volume module: volumes in a libvirt dir pool, made,
 * copied and deleted through libvirt's storage API (lib/voldrv.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "voldrv.h"

static void
quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static int
fail(char err[ST_VOLDRV_ERR], int code, const char *what)
{
	virErrorPtr e = virGetLastError();

	snprintf(err, ST_VOLDRV_ERR, "%s: %s", what, e && e->message ? e->message : "libvirt error");
	return code;
}

/* XML text: the names are ours (IDs), the pool path an admin's */
static void
esc(char *out, size_t n, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < n; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
		    *s == '\'' ? "&apos;" : *s == '"' ? "&quot;" : NULL;

		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

struct pool {
	virConnectPtr conn;
	virStoragePoolPtr p;
	int made;	/* transient, made for this call: destroyed after it */
	int lockfd;	/* the pool directory, flock()ed for the call */
};

static int
pool_open(struct pool *pl, const char *uri, const char *dir, char err[ST_VOLDRV_ERR])
{
	char xml[8192], e[6200];
	unsigned long h = 5381;
	const char *s;
	int tries;

	memset(pl, 0, sizeof *pl);
	/* one command at a time in a pool: a transient pool one made is
	 * never destroyed under another */
	if ((pl->lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(pl->lockfd, LOCK_EX) < 0) {
		snprintf(err, ST_VOLDRV_ERR, "unable to lock the pool directory: %s", strerror(errno));
		return 111;
	}
	virSetErrorFunc(NULL, quiet);
	if ((pl->conn = virConnectOpen(uri)) == NULL)
		return fail(err, 111, "unable to connect to libvirt");
	for (tries = 0; tries < 5; tries++) {
		if ((pl->p = virStoragePoolLookupByTargetPath(pl->conn, dir)) != NULL) {
			if (!virStoragePoolIsActive(pl->p) && virStoragePoolCreate(pl->p, 0) < 0)
				return fail(err, 111, "unable to start the storage pool");
			if (virStoragePoolRefresh(pl->p, 0) < 0)
				return fail(err, 111, "unable to refresh the storage pool");
			return 0;
		}
		for (s = dir; *s; s++)
			h = h * 33 + (unsigned char)*s;
		esc(e, sizeof e, dir);
		snprintf(xml, sizeof xml, "<pool type='dir'><name>st-%08lx-%d</name><target><path>%s</path></target></pool>",
		    h & 0xffffffffUL, (int)getpid(), e);
		if ((pl->p = virStoragePoolCreateXML(pl->conn, xml, 0)) != NULL) {
			pl->made = 1;
			return 0;
		}
		usleep(100000);	/* another command's transient pool: use it */
	}
	return fail(err, 111, "unable to make a storage pool");
}

static void
pool_close(struct pool *pl)
{
	if (pl->p) {
		if (pl->made)
			virStoragePoolDestroy(pl->p);
		virStoragePoolFree(pl->p);
	}
	if (pl->conn)
		virConnectClose(pl->conn);
	if (pl->lockfd >= 0)
		close(pl->lockfd);
}

static int
vcreate(const char *uri, const char *dir, const char *file, int64_t size, char err[ST_VOLDRV_ERR])
{
	struct pool pl;
	virStorageVolPtr v;
	char xml[1024], n[600];
	int rc = 0;

	if ((rc = pool_open(&pl, uri, dir, err)) == 0) {
		esc(n, sizeof n, file);
		snprintf(xml, sizeof xml, "<volume><name>%s</name><capacity unit='bytes'>%lld</capacity>"
		    "<target><format type='qcow2'/></target></volume>", n, (long long)size);
		if ((v = virStorageVolCreateXML(pl.p, xml, 0)) == NULL)
			rc = fail(err, 100, "unable to create the qcow2 volume");
		else
			virStorageVolFree(v);
	}
	pool_close(&pl);
	return rc;
}

static int
vclone(const char *uri, const char *dir, const char *from, const char *to, char err[ST_VOLDRV_ERR])
{
	struct pool pl;
	virStorageVolPtr f, v;
	virStorageVolInfo info;
	char xml[1024], n[600];
	int rc;

	if ((rc = pool_open(&pl, uri, dir, err)) == 0) {
		if ((f = virStorageVolLookupByName(pl.p, from)) == NULL || virStorageVolGetInfo(f, &info) < 0) {
			rc = fail(err, 100, "unable to find the qcow2 volume");
		} else {
			esc(n, sizeof n, to);
			snprintf(xml, sizeof xml, "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
			    "<target><format type='qcow2'/></target></volume>", n, info.capacity);
			if ((v = virStorageVolCreateXMLFrom(pl.p, xml, f, 0)) == NULL)
				rc = fail(err, 100, "unable to copy the qcow2 volume");
			else
				virStorageVolFree(v);
		}
		if (f)
			virStorageVolFree(f);
	}
	pool_close(&pl);
	return rc;
}

static int
vremove(const char *uri, const char *dir, const char *file, char err[ST_VOLDRV_ERR])
{
	struct pool pl;
	virStorageVolPtr v;
	int rc;

	if ((rc = pool_open(&pl, uri, dir, err)) == 0) {
		if ((v = virStorageVolLookupByName(pl.p, file)) == NULL) {
			rc = fail(err, 100, "unable to find the qcow2 volume");
		} else {
			if (virStorageVolDelete(v, 0) < 0)
				rc = fail(err, 100, "unable to delete the qcow2 volume");
			virStorageVolFree(v);
		}
	}
	pool_close(&pl);
	return rc;
}

/* the disks of the domain: ours (source file src) backed up into dst,
 * every other one left out */
static int
backup_xml(const char *dxml, const char *src, const char *dst, char *out, size_t n)
{
	char esrc[6200], edst[6200], want[6300], name[64];
	const char *p, *end, *t;
	size_t o;
	int found = 0;

	esc(esrc, sizeof esrc, src);
	esc(edst, sizeof edst, dst);
	snprintf(want, sizeof want, "<source file='%s'", esrc);
	o = (size_t)snprintf(out, n, "<domainbackup mode='push'><disks>");
	for (p = strstr(dxml, "<disk "); p && o < n; p = strstr(end, "<disk ")) {
		if ((end = strstr(p, "</disk>")) == NULL)
			break;
		if ((t = strstr(p, "<target dev='")) == NULL || t > end)
			continue;
		t += strlen("<target dev='");
		snprintf(name, sizeof name, "%.*s", (int)strcspn(t, "'"), t);
		if (!found && (t = strstr(p, want)) != NULL && t < end) {
			found = 1;
			o += (size_t)snprintf(out + o, n - o, "<disk name='%s' backup='yes' type='file'>"
			    "<target file='%s'/><driver type='qcow2'/></disk>", name, edst);
		} else {
			o += (size_t)snprintf(out + o, n - o, "<disk name='%s' backup='no'/>", name);
		}
	}
	if (o < n)
		snprintf(out + o, n - o, "</disks></domainbackup>");
	return found && o < n ? 0 : -1;
}

static int
vlive(const char *uri, const char *dname, const char *src, const char *dst, int need_frozen, int *frozen,
    char err[ST_VOLDRV_ERR])
{
	virConnectPtr conn;
	virDomainPtr dom = NULL;
	virDomainJobInfo info;
	virTypedParameterPtr params = NULL;
	char *dxml = NULL, bxml[16384];
	int rc = 0, type, np = 0, waited;

	*frozen = 0;
	virSetErrorFunc(NULL, quiet);
	if ((conn = virConnectOpen(uri)) == NULL)
		return fail(err, 111, "unable to connect to libvirt");
	if ((dom = virDomainLookupByName(conn, dname)) == NULL) {
		rc = fail(err, 100, "unable to find the domain");
		goto out;
	}
	if ((dxml = virDomainGetXMLDesc(dom, 0)) == NULL || backup_xml(dxml, src, dst, bxml, sizeof bxml) < 0) {
		rc = dxml ? (snprintf(err, ST_VOLDRV_ERR, "the domain has no disk '%s'", src), 100) :
		    fail(err, 100, "unable to read the domain");
		goto out;
	}
	/* the copy is of the moment the job starts: thawed right after */
	if (virDomainFSFreeze(dom, NULL, 0, 0) >= 0)
		*frozen = 1;
	else if (need_frozen) {
		rc = fail(err, 100, "no guest agent froze the filesystems");
		goto out;
	}
	if (virDomainBackupBegin(dom, bxml, NULL, 0) < 0)
		rc = fail(err, 100, "unable to start the backup job");
	if (*frozen && virDomainFSThaw(dom, NULL, 0, 0) < 0)
		fprintf(stderr, "warning: unable to thaw the guest's filesystems of '%s'\n", dname);
	if (rc != 0)
		goto out;
	for (waited = 0; ; waited++) {
		if (virDomainGetJobInfo(dom, &info) < 0) {
			rc = fail(err, 111, "unable to follow the backup job");
			goto out;
		}
		if (info.type == VIR_DOMAIN_JOB_NONE)
			break;
		if (waited > 36000) {	/* an hour */
			virDomainAbortJob(dom);
			snprintf(err, ST_VOLDRV_ERR, "the backup job did not end within an hour");
			rc = 111;
			goto out;
		}
		usleep(100000);
	}
	if (virDomainGetJobStats(dom, &type, &params, &np, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
	    type != VIR_DOMAIN_JOB_COMPLETED) {
		snprintf(err, ST_VOLDRV_ERR, "the backup job failed");
		rc = 100;
	} else if (access(dst, R_OK) != 0) {
		snprintf(err, ST_VOLDRV_ERR, "the backup job left no copy");
		rc = 100;
	}
	virTypedParamsFree(params, np);
out:
	free(dxml);
	if (dom)
		virDomainFree(dom);
	virConnectClose(conn);
	return rc;
}

static int
vdisk(const char *uri, const char *dname, const char *src, const char *serial, int attach, char err[ST_VOLDRV_ERR])
{
	virConnectPtr conn;
	virDomainPtr dom;
	char *x = NULL, want[6300], esrc[6200], eser[64], dev[32], dxml[8192];
	const char *p, *b, *e;
	int rc = 0, l;

	virSetErrorFunc(NULL, quiet);
	if ((conn = virConnectOpen(uri)) == NULL)
		return fail(err, 111, "unable to connect to libvirt");
	if ((dom = virDomainLookupByName(conn, dname)) == NULL) {
		virConnectClose(conn);
		return 0;	/* not defined yet: made with its volumes */
	}
	if (virDomainIsActive(dom) == 1) {
		snprintf(err, ST_VOLDRV_ERR, "domain '%s' runs", dname);
		rc = 100;
		goto out;
	}
	if ((x = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE)) == NULL) {
		rc = fail(err, 111, "unable to read the domain");
		goto out;
	}
	esc(esrc, sizeof esrc, src);
	snprintf(want, sizeof want, "<source file='%s'", esrc);
	p = strstr(x, want);
	if (attach) {
		if (p)
			goto out;	/* there already */
		for (l = 'b'; l <= 'y'; l++) {
			snprintf(dev, sizeof dev, "<target dev='vd%c'", l);
			if (strstr(x, dev) == NULL)
				break;
		}
		if (l > 'y') {
			snprintf(err, ST_VOLDRV_ERR, "the domain has no free virtio disk name");
			rc = 100;
			goto out;
		}
		esc(eser, sizeof eser, serial);
		snprintf(dxml, sizeof dxml, "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
		    "<source file='%s'/><target dev='vd%c' bus='virtio'/><serial>%s</serial></disk>", esrc, l, eser);
		if (virDomainAttachDeviceFlags(dom, dxml, VIR_DOMAIN_AFFECT_CONFIG) < 0)
			rc = fail(err, 100, "unable to add the disk to the domain");
		goto out;
	}
	if (p == NULL)
		goto out;	/* not there */
	/* the <disk> element around the source */
	for (b = p; b > x && strncmp(b, "<disk ", 6) != 0; b--)
		;
	if ((e = strstr(p, "</disk>")) == NULL || (size_t)(e + 7 - b) >= sizeof dxml) {
		snprintf(err, ST_VOLDRV_ERR, "unable to read the disk of the domain");
		rc = 100;
		goto out;
	}
	snprintf(dxml, sizeof dxml, "%.*s", (int)(e + 7 - b), b);
	if (virDomainDetachDeviceFlags(dom, dxml, VIR_DOMAIN_AFFECT_CONFIG) < 0)
		rc = fail(err, 100, "unable to remove the disk from the domain");
out:
	free(x);
	virDomainFree(dom);
	virConnectClose(conn);
	return rc;
}

const struct st_voldrv st_voldrv = {
	.abi = ST_VOLDRV_ABI,
	.create = vcreate,
	.clone = vclone,
	.remove = vremove,
	.live_snapshot = vlive,
	.domain_disk = vdisk,
};
