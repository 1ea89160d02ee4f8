-- pgmon history store, schema 5: alerts (SPEC B9). An alert is one rule about one thing; it is
-- open (pending or firing) until it resolves, then stays as its history with the evidence kept
-- when it fired. A notification is one message to one channel about one server's alerts: the
-- outbox while undelivered, its record after. Times in milliseconds.
CREATE TABLE alert (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL, -- the rule and its labels: one open alert per key
    rule TEXT NOT NULL,
    server TEXT NOT NULL,
    severity TEXT NOT NULL,
    labels TEXT NOT NULL, -- a JSON object
    state TEXT NOT NULL, -- pending, firing, resolved
    since INTEGER NOT NULL,
    fired_at INTEGER,
    resolved_at INTEGER,
    value REAL NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT, -- JSON, bounded
    sent TEXT NOT NULL DEFAULT '{}' -- channel -> when last told (ms): what is owed survives a restart
);
CREATE UNIQUE INDEX alert_open ON alert (key) WHERE resolved_at IS NULL;
CREATE INDEX alert_since ON alert (since);

CREATE TABLE notification (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL, -- firing, repeat, resolved, test
    key TEXT NOT NULL UNIQUE, -- the idempotency key receivers see
    payload TEXT NOT NULL, -- what is told, as JSON; rendered per channel when sent
    created INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER, -- NULL once delivered or given up
    delivered INTEGER,
    last_error TEXT
);
CREATE INDEX notification_due ON notification (next_attempt) WHERE next_attempt IS NOT NULL;

-- Which alerts a notification told of, and as what.
CREATE TABLE notification_alert (
    notification_id INTEGER NOT NULL REFERENCES notification (id) ON DELETE CASCADE,
    alert_id INTEGER NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (alert_id, notification_id)
);

CREATE TABLE silence (
    id INTEGER PRIMARY KEY,
    server TEXT,
    rule TEXT,
    database TEXT,
    created INTEGER NOT NULL,
    until INTEGER NOT NULL,
    author TEXT NOT NULL,
    comment TEXT NOT NULL
);
