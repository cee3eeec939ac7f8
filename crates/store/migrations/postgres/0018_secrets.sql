-- The secrets vault. A secret's value is never stored in the clear: each version holds
-- it sealed (AES-256-GCM under the master key, with the secret's id and the version as
-- associated data). `version` is the current one; older versions are kept up to a
-- configured number. Names are unique per owner (they become environment variables).
CREATE TABLE secrets (
    id          UUID        NOT NULL PRIMARY KEY,
    owner_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL,
    tags        JSONB       NOT NULL,
    version     BIGINT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX secrets_owner_id_name_key ON secrets (owner_id, name);

CREATE TABLE secret_versions (
    secret_id    UUID        NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    version      BIGINT      NOT NULL,
    value_sealed BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (secret_id, version)
);

-- Other users allowed to read a secret's value.
CREATE TABLE secret_grants (
    secret_id  UUID        NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (secret_id, user_id)
);
CREATE INDEX secret_grants_user_id ON secret_grants (user_id);

-- The secrets an instance receives as environment variables, and where applying them
-- stands (`applied`, `pending`, `unsupported` with a reason). `managed` names the
-- variables ProxiCloud last wrote, so a re-apply removes those and keeps the others.
CREATE TABLE guest_secrets (
    guest_id  UUID NOT NULL REFERENCES guests (id) ON DELETE CASCADE,
    secret_id UUID NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    PRIMARY KEY (guest_id, secret_id)
);
CREATE INDEX guest_secrets_secret_id ON guest_secrets (secret_id);

CREATE TABLE guest_secret_states (
    guest_id   UUID        NOT NULL PRIMARY KEY REFERENCES guests (id) ON DELETE CASCADE,
    status     TEXT        NOT NULL,
    reason     TEXT,
    managed    JSONB       NOT NULL DEFAULT '[]',
    updated_at TIMESTAMPTZ NOT NULL
);
