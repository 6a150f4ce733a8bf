-- migrate-06.sql: schema version 6, backups in S3 (issue 8).
CREATE TABLE backups (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
