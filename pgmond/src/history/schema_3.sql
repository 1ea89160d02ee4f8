-- pgmon history store, schema 3: database samples packed in blocks (block.rs), a row per about
-- 480 bytes of a database's consecutive samples, keyed by the first one's second. The rows of
-- schema 2's `db_sample` are moved in by the migration, which then drops that table.
CREATE TABLE db_block (
    db_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    n INTEGER NOT NULL, -- samples in the block
    data BLOB NOT NULL,
    PRIMARY KEY (db_id, ts)
) WITHOUT ROWID;
