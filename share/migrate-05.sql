-- migrate-05.sql: schema version 5, load balancers (issue 10).
-- A listener on a host, served by that host's HAProxy; its backend has
-- `slots` server slots, a power of two, so a target joins or leaves through
-- the Runtime API without a reload.
CREATE TABLE lbs (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	host TEXT NOT NULL REFERENCES hosts (id),
	port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	bind TEXT,			-- NULL: every address of the host
	mode TEXT NOT NULL CHECK (mode IN ('tcp', 'http')),
	algo TEXT NOT NULL CHECK (algo IN ('roundrobin', 'leastconn', 'source')),
	check_path TEXT,		-- http mode: option httpchk GET path
	inter INTEGER NOT NULL,		-- health check interval, ms
	target_port INTEGER NOT NULL CHECK (target_port BETWEEN 1 AND 65535),
	slots INTEGER NOT NULL,
	sel TEXT,			-- --select labels as a JSON object, or NULL
	created INTEGER NOT NULL
);
CREATE UNIQUE INDEX lbs_host_port ON lbs (host, port);
-- members of a backend: slot N is server sN of backend b-<lb id>. No
-- foreign key on instance: a removed instance's row is taken out by
-- st_follow after the removal commits, and until then matches nothing.
CREATE TABLE lb_targets (
	lb TEXT NOT NULL REFERENCES lbs (id) ON DELETE CASCADE,
	instance TEXT NOT NULL,
	slot INTEGER NOT NULL,
	selected INTEGER NOT NULL DEFAULT 0,	-- joined through --select
	PRIMARY KEY (lb, instance)
) WITHOUT ROWID;
CREATE UNIQUE INDEX lb_targets_slot ON lb_targets (lb, slot);
CREATE INDEX lb_targets_instance ON lb_targets (instance);
