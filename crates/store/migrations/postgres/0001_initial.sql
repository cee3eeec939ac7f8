-- ProxiCloud schema, PostgreSQL dialect. Keep in step with ../sqlite/0001_initial.sql:
-- same tables, columns, constraint and index names; only the types differ.
-- Text columns that lists sort on use COLLATE "C" (byte order), so that keyset pages
-- come out in the same order as on SQLite whatever the cluster's locale.

CREATE TABLE users (
    id            UUID        NOT NULL PRIMARY KEY,
    username      TEXT        COLLATE "C" NOT NULL,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('admin', 'operator', 'readonly')),
    disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE refresh_tokens (
    id          UUID        NOT NULL PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT        NOT NULL,
    family_id   UUID        NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    replaced_by UUID
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE api_tokens (
    id           UUID        NOT NULL PRIMARY KEY,
    user_id      UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT        NOT NULL,
    prefix       TEXT        NOT NULL,
    token_hash   TEXT        NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Append-only. user_id has no foreign key on purpose: entries outlive their users.
CREATE TABLE audit_log (
    seq        BIGINT      NOT NULL PRIMARY KEY,
    id         UUID        NOT NULL UNIQUE,
    at         TIMESTAMPTZ NOT NULL,
    user_id    UUID,
    username   TEXT,
    source_ip  TEXT,
    action     TEXT        NOT NULL,
    resource   TEXT,
    outcome    TEXT        NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    request_id TEXT,
    details    JSONB       NOT NULL,
    prev_hash  TEXT,
    hash       TEXT        NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, seq);
CREATE INDEX audit_log_action_idx ON audit_log (action, seq);

-- The end of the chain, one row: appends lock it, so they are serialised.
CREATE TABLE audit_head (
    id        BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT NOT NULL,
    last_hash TEXT
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, NULL);

CREATE TABLE clusters (
    id                UUID        NOT NULL PRIMARY KEY,
    name              TEXT        COLLATE "C" NOT NULL,
    addresses         JSONB       NOT NULL,
    auth_kind         TEXT        NOT NULL CHECK (auth_kind IN ('token', 'password')),
    auth_id           TEXT        NOT NULL,
    secret_ciphertext BYTEA       NOT NULL,
    tls_fingerprint   TEXT,
    ca_pem            TEXT,
    verify_tls        BOOLEAN     NOT NULL,
    status            TEXT        NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline')),
    offline_since     TIMESTAMPTZ,
    last_seen_at      TIMESTAMPTZ,
    last_error        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX clusters_name_key ON clusters (name);

CREATE TABLE settings (
    key        TEXT        NOT NULL PRIMARY KEY,
    value      JSONB       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID        REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE nodes (
    cluster_id UUID             NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name       TEXT             COLLATE "C" NOT NULL,
    status     TEXT             NOT NULL,
    cpu        DOUBLE PRECISION NOT NULL,
    maxcpu     BIGINT           NOT NULL,
    mem        BIGINT           NOT NULL,
    maxmem     BIGINT           NOT NULL,
    uptime     BIGINT           NOT NULL,
    seen_at    TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE storages (
    cluster_id   UUID        NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    node         TEXT        COLLATE "C" NOT NULL,
    storage      TEXT        COLLATE "C" NOT NULL,
    storage_type TEXT        NOT NULL,
    content      TEXT        NOT NULL,
    total        BIGINT      NOT NULL,
    used         BIGINT      NOT NULL,
    avail        BIGINT      NOT NULL,
    shared       BOOLEAN     NOT NULL,
    status       TEXT        NOT NULL,
    seen_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cluster_id, node, storage)
);

CREATE TABLE jobs (
    id              UUID        NOT NULL PRIMARY KEY,
    kind            TEXT        NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    owner_id        UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_kind   TEXT,
    resource_id     TEXT,
    params          JSONB       NOT NULL,
    steps           JSONB       NOT NULL,
    current_step    BIGINT      NOT NULL DEFAULT 0,
    progress        BIGINT      NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error           TEXT,
    pve_upid        TEXT,
    idempotency_key TEXT,
    attempts        BIGINT      NOT NULL DEFAULT 0,
    claimed_by      TEXT,
    lease_until     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX jobs_owner_id_idempotency_key_key ON jobs (owner_id, idempotency_key);
-- claim_next scans only unfinished jobs, oldest first.
CREATE INDEX jobs_claimable_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at, id);
CREATE INDEX jobs_created_idx ON jobs (created_at, id);

CREATE TABLE guests (
    id             UUID             NOT NULL PRIMARY KEY,
    cluster_id     UUID             NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    vmid           BIGINT           NOT NULL,
    node           TEXT             COLLATE "C" NOT NULL,
    kind           TEXT             NOT NULL CHECK (kind IN ('lxc', 'qemu')),
    name           TEXT             COLLATE "C" NOT NULL,
    status         TEXT             COLLATE "C" NOT NULL,
    cpus           DOUBLE PRECISION NOT NULL,
    maxmem         BIGINT           NOT NULL,
    mem            BIGINT           NOT NULL,
    maxdisk        BIGINT           NOT NULL,
    disk           BIGINT           NOT NULL,
    uptime         BIGINT           NOT NULL,
    template       BOOLEAN          NOT NULL,
    lock           TEXT,
    tags           TEXT,
    owner_id       UUID             REFERENCES users (id) ON DELETE SET NULL,
    managed        BOOLEAN          NOT NULL,
    created_by_job UUID             REFERENCES jobs (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ      NOT NULL,
    seen_at        TIMESTAMPTZ,
    removed_at     TIMESTAMPTZ
);
-- A vmid names one live guest per cluster; removed rows are history.
CREATE UNIQUE INDEX guests_cluster_id_vmid_key ON guests (cluster_id, vmid) WHERE removed_at IS NULL;
CREATE INDEX guests_name_idx ON guests (name, id);
CREATE INDEX guests_created_idx ON guests (created_at, id);
CREATE INDEX guests_status_idx ON guests (status, id);
CREATE INDEX guests_node_idx ON guests (node, id);
CREATE INDEX guests_owner_idx ON guests (owner_id, name, id);
CREATE INDEX guests_job_idx ON guests (created_by_job);
