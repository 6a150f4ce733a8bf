-- migrate-03.sql: schema version 3, networks and security groups (issue 9).
-- a network: an IPv4 subnet (canonical a.b.c.d/len) and its gateway; the
-- state file hands out its addresses (lib/net.c)
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
-- the backstop of allocation: an address of a network is held once
CREATE UNIQUE INDEX addresses_net_ip ON addresses (net, ip) WHERE net IS NOT NULL;

CREATE TABLE sgs (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
-- a rule: direction, protocol, ports (0 0: any), and a peer, either a
-- CIDR (canonical) or another group whose members' addresses match
CREATE TABLE sg_rules (
	sg TEXT NOT NULL REFERENCES sgs (id) ON DELETE CASCADE,
	dir TEXT NOT NULL CHECK (dir IN ('ingress', 'egress')),
	proto TEXT NOT NULL CHECK (proto IN ('tcp', 'udp', 'icmp', 'any')),
	port_lo INTEGER NOT NULL DEFAULT 0 CHECK (port_lo BETWEEN 0 AND 65535),
	port_hi INTEGER NOT NULL DEFAULT 0 CHECK (port_hi BETWEEN port_lo AND 65535),
	cidr TEXT,
	peer TEXT REFERENCES sgs (id),
	created INTEGER NOT NULL,
	CHECK ((cidr IS NULL) <> (peer IS NULL))
);
CREATE UNIQUE INDEX sg_rules_one ON sg_rules (sg, dir, proto, port_lo, port_hi, ifnull(cidr, ''), ifnull(peer, ''));
CREATE INDEX sg_rules_peer ON sg_rules (peer) WHERE peer IS NOT NULL;
-- which groups an instance is in
CREATE TABLE sg_members (
	instance TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
	sg TEXT NOT NULL REFERENCES sgs (id),
	PRIMARY KEY (instance, sg)
) WITHOUT ROWID;
CREATE INDEX sg_members_sg ON sg_members (sg, instance);
