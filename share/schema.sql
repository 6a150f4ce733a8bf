-- schema.sql: the Stampede state file, schema version 1.
-- st-init runs this on a new file; share/migrate-NN.sql takes it from
-- version NN-1 to NN (the Makefile builds them all into lib/schema.c).
-- Sizes in bytes, CPUs in thousandths (millicpus), times in Unix seconds.

CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE hosts (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	state TEXT NOT NULL DEFAULT 'active'
		CHECK (state IN ('active', 'drained', 'unreachable')),
	kinds INTEGER NOT NULL DEFAULT 3,	-- 1 container, 2 vm
	docker TEXT,		-- unix:///path or tcp://host:port
	libvirt TEXT,
	tls_ca TEXT,		-- paths of the TLS client files for tcp://
	tls_cert TEXT,
	tls_key TEXT,
	insecure INTEGER NOT NULL DEFAULT 0,	-- tcp:// without TLS, asked for
	cpu_cap INTEGER,	-- the most of a probed host's capacity to use
	mem_cap INTEGER,	-- (--cpu, --mem given with a probe; NULL: all)
	version TEXT,		-- what the last probe found
	probed INTEGER,		-- when
	cpu INTEGER NOT NULL CHECK (cpu > 0),
	mem INTEGER NOT NULL CHECK (mem > 0),
	cpu_used INTEGER NOT NULL DEFAULT 0 CHECK (cpu_used >= 0),
	mem_used INTEGER NOT NULL DEFAULT 0 CHECK (mem_used >= 0),
	ninst INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL,
	-- free capacity lives on the row, indexed, so placement seeks
	cpu_free INTEGER GENERATED ALWAYS AS (cpu - cpu_used) STORED,
	mem_free INTEGER GENERATED ALWAYS AS (mem - mem_used) STORED,
	CHECK (cpu_used <= cpu AND mem_used <= mem)
);
-- placement seeks these (lib/sched.c): the hosts that take new instances
-- of a kind, by free capacity; spread reads from the top, binpack seeks
-- the smallest that fits. Drained and unreachable hosts are not in them.
CREATE INDEX hosts_fit_container ON hosts (cpu_free, mem_free)
	WHERE state = 'active' AND kinds & 1;
CREATE INDEX hosts_fit_vm ON hosts (cpu_free, mem_free)
	WHERE state = 'active' AND kinds & 2;

CREATE TABLE instances (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	kind TEXT NOT NULL CHECK (kind IN ('container', 'vm')),
	state TEXT NOT NULL DEFAULT 'requested'
		CHECK (state IN ('requested', 'scheduled', 'starting', 'running',
		    'stopping', 'stopped', 'removing', 'error')),
	host TEXT REFERENCES hosts (id),
	image TEXT NOT NULL,
	cpu INTEGER NOT NULL CHECK (cpu > 0),
	mem INTEGER NOT NULL CHECK (mem > 0),
	restart TEXT NOT NULL DEFAULT 'no',
	spec TEXT NOT NULL DEFAULT '{}',	-- JSON: env, cmd
	error TEXT,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
CREATE INDEX instances_host ON instances (host);
-- no index on state: each one costs every transition a b-tree update,
-- and a listing by state reads the table anyway

-- published ports; host_of is set while the instance holds a host, and
-- the unique index makes a host port a resource no two instances share
CREATE TABLE instance_ports (
	instance TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
	proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
	host_port INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
	port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	host_of TEXT REFERENCES hosts (id),
	PRIMARY KEY (instance, proto, host_port)
) WITHOUT ROWID;
CREATE UNIQUE INDEX ports_on_host ON instance_ports (host_of, proto, host_port)
	WHERE host_of IS NOT NULL;

-- labels and attributes of any object, by ID
CREATE TABLE labels (
	obj TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (obj, key)
) WITHOUT ROWID;
CREATE INDEX labels_kv ON labels (key, value, obj);

CREATE TABLE attrs (
	obj TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (obj, key)
) WITHOUT ROWID;

CREATE TABLE events (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	time INTEGER NOT NULL,
	object TEXT NOT NULL,
	event TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '{}'
);
-- appended by every transition: no index but the key (pruning by time
-- is a rare full scan)
