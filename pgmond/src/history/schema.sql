-- pgmon history store, schema 1. Times are seconds since the epoch (UTC) unless the column
-- says microseconds; `us` holds the sub-second part of imported legacy rows (0, which SQLite
-- stores in no bytes at all, for the collector's own samples).
PRAGMA application_id = 1885826414; -- "pgmn"

CREATE TABLE server (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- Kept up to date on every write, so the collector's status never counts rows.
    samples INTEGER NOT NULL DEFAULT 0,
    db_rows INTEGER NOT NULL DEFAULT 0,
    -- Where the legacy import stands: the newest row taken (microseconds) and its id.
    legacy_ts INTEGER,
    legacy_id INTEGER
);

CREATE TABLE database (
    id INTEGER PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES server (id),
    datname TEXT NOT NULL,
    oid INTEGER,
    created INTEGER, -- microseconds
    first_seen INTEGER,
    last_seen INTEGER,
    dropped INTEGER, -- when the collector first found it gone
    UNIQUE (server_id, datname)
);

CREATE TABLE server_sample (
    server_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    error TEXT, -- null for a sample that succeeded
    active INTEGER,
    idle INTEGER,
    idle_in_transaction INTEGER,
    other INTEGER,
    max_connections INTEGER,
    disk_free INTEGER,
    disk_total INTEGER,
    PRIMARY KEY (server_id, ts)
) WITHOUT ROWID;

-- xact_commit is cumulative (the A5 answers sum it as the old backend did); the counters after
-- frozen_age are increases since the database's previous sample.
CREATE TABLE db_sample (
    db_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    us INTEGER NOT NULL,
    numbackends INTEGER,
    xact_commit INTEGER,
    size INTEGER,
    frozen_age INTEGER,
    rollbacks INTEGER,
    blks_read INTEGER,
    blks_hit INTEGER,
    tup_returned INTEGER,
    tup_fetched INTEGER,
    tup_inserted INTEGER,
    tup_updated INTEGER,
    tup_deleted INTEGER,
    temp_files INTEGER,
    temp_bytes INTEGER,
    deadlocks INTEGER,
    PRIMARY KEY (db_id, ts, us)
) WITHOUT ROWID;

-- Samples older than the raw retention, rolled up by hour: counts, sums, minimum and maximum,
-- so that averages and extremes over any window of whole hours stay exact.
CREATE TABLE db_hourly (
    db_id INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    nb_n INTEGER NOT NULL,
    nb_sum INTEGER NOT NULL,
    nb_min INTEGER,
    nb_max INTEGER,
    size_n INTEGER NOT NULL,
    size_sum INTEGER NOT NULL,
    size_max INTEGER,
    commit_n INTEGER NOT NULL,
    commit_sum INTEGER NOT NULL,
    age_max INTEGER,
    rollbacks INTEGER,
    blks_read INTEGER,
    blks_hit INTEGER,
    tup_returned INTEGER,
    tup_fetched INTEGER,
    tup_inserted INTEGER,
    tup_updated INTEGER,
    tup_deleted INTEGER,
    temp_files INTEGER,
    temp_bytes INTEGER,
    deadlocks INTEGER,
    PRIMARY KEY (db_id, hour)
) WITHOUT ROWID;

-- `raw_cutoff`: samples before it live only in db_hourly.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
