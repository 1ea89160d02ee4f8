-- pgmon history store, schema 4: health-check findings (SPEC B10). A finding is what a run
-- found about one object; the next run that finds it again moves `last_seen`, one that no longer
-- does sets `resolved`, and the row stays as its history. Times in milliseconds.
CREATE TABLE check_finding (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES server (id),
    database TEXT NOT NULL, -- '' for a server-wide setting
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    severity TEXT NOT NULL,
    figures TEXT NOT NULL, -- a JSON object
    fix TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    resolved INTEGER
);
CREATE INDEX check_finding_open ON check_finding (server_id, database, kind, object)
    WHERE resolved IS NULL;

-- Each server's last run.
CREATE TABLE check_run (
    server_id INTEGER PRIMARY KEY REFERENCES server (id),
    ran_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    errors TEXT NOT NULL -- a JSON list of {database, check, message}
);
