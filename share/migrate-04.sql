-- migrate-04.sql: schema version 4, volumes and snapshots (issue 8).
-- where a host keeps the volumes of a backend (st-pool-add); without a
-- row, the default pool: $ST_VOLUMES, setting volumes, /var/lib/stampede/volumes
CREATE TABLE pools (
	host TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	backend TEXT NOT NULL CHECK (backend IN ('dir', 'btrfs', 'qcow2')),
	path TEXT NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (host, backend)
) WITHOUT ROWID;
CREATE TABLE volumes (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL,
	host TEXT NOT NULL REFERENCES hosts (id),
	backend TEXT NOT NULL CHECK (backend IN ('dir', 'btrfs', 'qcow2')),
	size INTEGER NOT NULL CHECK (size > 0),
	pool TEXT NOT NULL,	-- the pool directory when it was made
	source TEXT NOT NULL,	-- the directory (dir, btrfs) or file (qcow2)
	state TEXT NOT NULL DEFAULT 'ready'
		CHECK (state IN ('creating', 'ready', 'restoring', 'removing', 'error'))
);
CREATE INDEX volumes_host ON volumes (host);
-- a volume is attached to at most one instance, at one path
CREATE TABLE attachments (
	volume TEXT PRIMARY KEY REFERENCES volumes (id),
	instance TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
	path TEXT NOT NULL,
	UNIQUE (instance, path)
) WITHOUT ROWID;
CREATE TABLE snapshots (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL,
	volume TEXT NOT NULL REFERENCES volumes (id),
	consistency TEXT NOT NULL CHECK (consistency IN ('crash', 'fs-frozen', 'app')),
	source TEXT NOT NULL	-- the snapshot's directory or file
);
CREATE INDEX snapshots_volume ON snapshots (volume);
