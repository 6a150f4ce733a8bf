-- migrate-04.sql: schema version 4, volumes, snapshots, backups (issue 8).
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
CREATE TABLE backups (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
