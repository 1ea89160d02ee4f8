-- pgmon's shared store (SPEC B7), schema 1. Created by the first pgmond to connect; every
-- replica checks `pgmon.meta` before it uses anything else.

CREATE TABLE pgmon.meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

-- The config dir's documents (users.json, servers.json, ssh_keys/keys.json and the encrypted
-- private keys, settings.json, the alerts' files), byte for byte as the files hold them: every
-- secret in them is Fernet-encrypted or a bcrypt hash, and the key file is not here. A removed
-- file keeps its row with no body, so a replica that was away learns of the removal.
CREATE SEQUENCE pgmon.document_version;
CREATE TABLE pgmon.document (
    path text PRIMARY KEY,
    body bytea,
    version bigint NOT NULL
);

-- Sessions and revocations, one change per row in the order they were made; a row goes once
-- the last token it concerns has expired.
CREATE TABLE pgmon.session_change (
    id bigserial PRIMARY KEY,
    until timestamptz NOT NULL,
    change jsonb NOT NULL
);

-- The audit trail of every replica.
CREATE TABLE pgmon.audit (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    entry jsonb NOT NULL
);
CREATE INDEX ON pgmon.audit (at);

-- Replicas alive (each writes `seen` every second) and which of them samples which server.
CREATE TABLE pgmon.replica (
    id text PRIMARY KEY,
    started timestamptz NOT NULL,
    seen timestamptz NOT NULL
);
CREATE TABLE pgmon.lease (
    server text PRIMARY KEY,
    holder text NOT NULL,
    until timestamptz NOT NULL
);

-- What the collectors sampled, one row per server per interval (`slot` is the interval's
-- start, so a sample cannot be stored twice), partitioned by month: retention drops a month.
-- `id` orders rows as they were committed (writers take a lock), for the replicas that copy
-- them into their own embedded store.
CREATE SEQUENCE pgmon.sample_id;
CREATE TABLE pgmon.sample (
    id bigint NOT NULL DEFAULT nextval('pgmon.sample_id'),
    server text NOT NULL,
    slot timestamptz NOT NULL,
    at timestamptz NOT NULL,
    replica text NOT NULL,
    body jsonb NOT NULL,
    PRIMARY KEY (server, slot)
) PARTITION BY RANGE (slot);
CREATE INDEX ON pgmon.sample (id);

-- Alert silences, one list for every replica: the replica that judges a server is not always
-- the one an operator silenced it on. Times in milliseconds since the epoch, as the embedded
-- store keeps them.
CREATE TABLE pgmon.silence (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server text,
    rule text,
    database text,
    created bigint NOT NULL,
    until bigint NOT NULL,
    author text NOT NULL,
    comment text NOT NULL
);
