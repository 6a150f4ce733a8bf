-- migrate-05.sql: schema version 5, load balancers (issue 10).
CREATE TABLE lbs (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL
);
