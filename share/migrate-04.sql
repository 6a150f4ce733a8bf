-- migrate-04.sql: schema version 4, volumes and snapshots (issue 8).
CREATE TABLE volumes (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
CREATE TABLE snapshots (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
