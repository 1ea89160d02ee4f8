-- pgmon history store, schema 2: the server's autovacuum_freeze_max_age as last sampled, for
-- the wraparound analysis.
ALTER TABLE server ADD COLUMN freeze_max_age INTEGER;
