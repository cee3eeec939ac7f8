-- S3-compatible object storage: access keys, buckets, objects and multipart uploads.
-- Object data lives outside the database (the `objects` crate's blob store); a row
-- names its blob and is committed only after the blob is durable, so a row always
-- points at complete data. Keys compare as bytes (S3 lists in UTF-8 binary order;
-- SQLite's default BINARY collation already does).

-- Per-user S3 access keys. The secret is sealed with the master key (SigV4 needs it
-- in the clear to check a signature, so it cannot be a one-way hash).
CREATE TABLE s3_access_keys (
    id             TEXT    NOT NULL PRIMARY KEY,
    owner_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_key_id  TEXT    NOT NULL,
    secret_sealed  BLOB    NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL
) STRICT;
CREATE UNIQUE INDEX s3_access_keys_access_key_id_key ON s3_access_keys (access_key_id);
CREATE INDEX s3_access_keys_owner_id ON s3_access_keys (owner_id);

-- Bucket names are unique system-wide, like S3's.
CREATE TABLE buckets (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX buckets_name_key ON buckets (name);
CREATE INDEX buckets_owner_id ON buckets (owner_id);

-- headers: JSON of the content headers and user metadata stored with the object.
CREATE TABLE objects (
    bucket_id   TEXT    NOT NULL REFERENCES buckets (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    blob        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT    NOT NULL,
    headers     TEXT    NOT NULL,
    modified_at TEXT    NOT NULL,
    PRIMARY KEY (bucket_id, key)
) STRICT;
CREATE INDEX objects_blob ON objects (blob);

CREATE TABLE multipart_uploads (
    id           TEXT NOT NULL PRIMARY KEY,
    bucket_id    TEXT NOT NULL REFERENCES buckets (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    headers      TEXT NOT NULL,
    initiated_at TEXT NOT NULL
) STRICT;
CREATE INDEX multipart_uploads_bucket_id_key ON multipart_uploads (bucket_id, key, id);

CREATE TABLE multipart_parts (
    upload_id   TEXT    NOT NULL REFERENCES multipart_uploads (id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    blob        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT    NOT NULL,
    modified_at TEXT    NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) STRICT;
CREATE INDEX multipart_parts_blob ON multipart_parts (blob);
