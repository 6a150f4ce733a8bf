-- migrate-02.sql: schema version 2, virtual machines (issue 7).
-- VM templates: a qcow2 file, optionally a kernel, initrd and command
-- line; every path absolute, as the hosts that run VMs see it. A VM
-- instance's image column holds the image's ID.
CREATE TABLE images (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE NOT NULL,
	path TEXT NOT NULL,
	kernel TEXT,
	initrd TEXT,
	cmdline TEXT,
	size INTEGER,		-- virtual size of the qcow2, bytes
	created INTEGER NOT NULL
);
-- st-image-rm refuses an image in use: one seek
CREATE INDEX instances_vm_image ON instances (image) WHERE kind = 'vm';
