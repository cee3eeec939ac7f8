-- Per-user object storage quotas (set by an administrator). A NULL limit is no limit;
-- a user without a row has none. Checked in the transaction that names an object
-- (put, copy, multipart completion), with this row locked, so two concurrent writes
-- cannot both pass the last byte.
CREATE TABLE s3_quotas (
    user_id     UUID        NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    max_bytes   BIGINT,
    max_objects BIGINT,
    updated_at  TIMESTAMPTZ NOT NULL
);
