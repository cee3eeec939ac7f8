-- ProxiCloud schema, SQLite dialect. Keep in step with ../postgres/0001_initial.sql:
-- same tables, columns, constraint and index names; only the types differ.
-- Ids: UUID text. Times: RFC 3339 text with 6 fractional digits, UTC ('…Z').
-- JSON: text. Booleans: 0/1. STRICT makes SQLite enforce the declared types.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'readonly')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE refresh_tokens (
    id          TEXT NOT NULL PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    family_id   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    replaced_by TEXT
) STRICT;
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE api_tokens (
    id           TEXT NOT NULL PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT,
    created_at   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Append-only. user_id has no foreign key on purpose: entries outlive their users.
CREATE TABLE audit_log (
    seq        INTEGER NOT NULL PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    at         TEXT    NOT NULL,
    user_id    TEXT,
    username   TEXT,
    source_ip  TEXT,
    action     TEXT    NOT NULL,
    resource   TEXT,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    request_id TEXT,
    details    TEXT    NOT NULL,
    prev_hash  TEXT,
    hash       TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);

-- The end of the chain, one row: appends lock it, so they are serialised.
CREATE TABLE audit_head (
    id        INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL,
    last_hash TEXT
) STRICT;
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, NULL);

CREATE TABLE clusters (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    addresses         TEXT    NOT NULL,
    auth_kind         TEXT    NOT NULL CHECK (auth_kind IN ('token', 'password')),
    auth_id           TEXT    NOT NULL,
    secret_ciphertext BLOB    NOT NULL,
    tls_fingerprint   TEXT,
    ca_pem            TEXT,
    verify_tls        INTEGER NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
    offline_since     TEXT,
    last_seen_at      TEXT,
    last_error        TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX clusters_name_key ON clusters (name);

CREATE TABLE settings (
    key        TEXT NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL
) STRICT;

CREATE TABLE nodes (
    cluster_id TEXT    NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    cpu        REAL    NOT NULL,
    maxcpu     INTEGER NOT NULL,
    mem        INTEGER NOT NULL,
    maxmem     INTEGER NOT NULL,
    uptime     INTEGER NOT NULL,
    seen_at    TEXT    NOT NULL,
    PRIMARY KEY (cluster_id, name)
) STRICT;

CREATE TABLE storages (
    cluster_id   TEXT    NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    node         TEXT    NOT NULL,
    storage      TEXT    NOT NULL,
    storage_type TEXT    NOT NULL,
    content      TEXT    NOT NULL,
    total        INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    avail        INTEGER NOT NULL,
    shared       INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    seen_at      TEXT    NOT NULL,
    PRIMARY KEY (cluster_id, node, storage)
) STRICT;

CREATE TABLE jobs (
    id              TEXT    NOT NULL PRIMARY KEY,
    kind            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    owner_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_kind   TEXT,
    resource_id     TEXT,
    params          TEXT    NOT NULL,
    steps           TEXT    NOT NULL,
    current_step    INTEGER NOT NULL DEFAULT 0,
    progress        INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error           TEXT,
    pve_upid        TEXT,
    idempotency_key TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_by      TEXT,
    lease_until     TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    finished_at     TEXT
) STRICT;
CREATE UNIQUE INDEX jobs_owner_id_idempotency_key_key ON jobs (owner_id, idempotency_key);
-- claim_next scans only unfinished jobs, oldest first.
CREATE INDEX jobs_claimable_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at, id);
CREATE INDEX jobs_created_idx ON jobs (created_at, id);

CREATE TABLE guests (
    id             TEXT    NOT NULL PRIMARY KEY,
    cluster_id     TEXT    NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    vmid           INTEGER NOT NULL,
    node           TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('lxc', 'qemu')),
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    cpus           REAL    NOT NULL,
    maxmem         INTEGER NOT NULL,
    mem            INTEGER NOT NULL,
    maxdisk        INTEGER NOT NULL,
    disk           INTEGER NOT NULL,
    uptime         INTEGER NOT NULL,
    template       INTEGER NOT NULL,
    lock           TEXT,
    tags           TEXT,
    owner_id       TEXT    REFERENCES users (id) ON DELETE SET NULL,
    managed        INTEGER NOT NULL,
    created_by_job TEXT    REFERENCES jobs (id) ON DELETE SET NULL,
    created_at     TEXT    NOT NULL,
    seen_at        TEXT,
    removed_at     TEXT
) STRICT;
-- A vmid names one live guest per cluster; removed rows are history.
CREATE UNIQUE INDEX guests_cluster_id_vmid_key ON guests (cluster_id, vmid) WHERE removed_at IS NULL;
CREATE INDEX guests_name_idx ON guests (name, id);
CREATE INDEX guests_created_idx ON guests (created_at, id);
CREATE INDEX guests_status_idx ON guests (status, id);
CREATE INDEX guests_node_idx ON guests (node, id);
CREATE INDEX guests_owner_idx ON guests (owner_id, name, id);
CREATE INDEX guests_job_idx ON guests (created_by_job);
