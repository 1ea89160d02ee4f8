-- Schema 2: alerts open on any replica, one list for every replica. The replica that judges a
-- server writes its pending and firing alerts here (the alert whole, as the engine keeps it,
-- with the channels it was told to) and removes them when they resolve; a replica that takes
-- the server over carries them on, so nothing fires or is told twice. `alerts_version` changes
-- with every write, so a replica reads the list again only when it changed.
CREATE TABLE pgmon.alert (
    server text NOT NULL,
    key text NOT NULL,
    alert jsonb NOT NULL,
    PRIMARY KEY (server, key)
);
INSERT INTO pgmon.meta VALUES ('alerts_version', '0');

-- Alert ids: each replica takes a block of a billion (block n: n × 10^9 + 1 and on), so ids
-- are unique over every replica without asking the store for each.
CREATE SEQUENCE pgmon.alert_block;

-- Each server's health-check findings as its last run left them (open findings, when it ran,
-- what could not be checked), written by the replica that ran it; `version` numbers the
-- writes in commit order, so a replica reads only what changed since it last looked.
CREATE SEQUENCE pgmon.checks_version;
CREATE TABLE pgmon.checks (
    server text PRIMARY KEY,
    version bigint NOT NULL,
    checks jsonb NOT NULL
);
