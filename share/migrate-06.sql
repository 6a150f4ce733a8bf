-- migrate-06.sql: schema version 6, backups in S3 (issue 8).
-- A row is written only once the backup's manifest is in the bucket (the
-- manifest is the commit point): a row is a complete backup. The volume
-- and snapshot are kept by ID and name, with no foreign key: a backup
-- outlives its volume. No credentials are ever stored here.
CREATE TABLE backups (
	id TEXT PRIMARY KEY,
	name TEXT UNIQUE,
	created INTEGER NOT NULL,
	volume TEXT,		-- the volume's ID when it was backed up
	volume_name TEXT,
	backend TEXT,
	snapshot TEXT,
	url TEXT NOT NULL,	-- s3://bucket/prefix
	endpoint TEXT,		-- as given (option, ST_S3_ENDPOINT, setting)
	region TEXT,
	stream TEXT NOT NULL,	-- tar or raw
	size INTEGER NOT NULL,	-- bytes in the stream
	chunk_size INTEGER NOT NULL,
	chunks INTEGER NOT NULL,
	uploaded INTEGER NOT NULL,	-- bytes this backup sent (the rest was deduplicated)
	sha256 TEXT NOT NULL	-- of the whole stream
);
CREATE INDEX backups_volume ON backups (volume, created);
