-- migrate-03.sql: schema version 3, networks and security groups (issue 9).
CREATE TABLE networks (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	subnet TEXT NOT NULL,
	gateway TEXT NOT NULL,
	created INTEGER NOT NULL
);
-- an instance's addresses, in order (idx 0 is its `ip`); net is NULL for
-- the address a driver reported on its own default network (a container
-- on Docker's bridge), which no Stampede network allocated
CREATE TABLE addresses (
	instance TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
	idx INTEGER NOT NULL,
	net TEXT REFERENCES networks (id),
	ip TEXT NOT NULL,
	PRIMARY KEY (instance, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX addresses_net_ip ON addresses (net, ip) WHERE net IS NOT NULL;

CREATE TABLE sgs (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
