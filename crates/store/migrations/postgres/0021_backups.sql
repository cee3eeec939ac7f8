-- Backups: one vzdump archive of an instance on a Proxmox VE storage with `backup`
-- content. The row is written `creating` before vzdump runs (so the job finds what it
-- made) and becomes `available` with the archive's volume id as the task log and the
-- storage's content name it — never a guessed file name. `config` is the instance's
-- configuration at backup time. The backup outlives its instance: `guest_id` is a
-- plain copy (no foreign key), with the name, type and vmid beside it.
CREATE TABLE backups (
    id          UUID        NOT NULL PRIMARY KEY,
    cluster_id  UUID        NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    owner_id    UUID        REFERENCES users (id) ON DELETE SET NULL,
    guest_id    UUID,
    guest_name  TEXT    NOT NULL,
    guest_kind  TEXT    NOT NULL CHECK (guest_kind IN ('lxc', 'qemu')),
    vmid        BIGINT      NOT NULL,
    node        TEXT    NOT NULL,
    storage     TEXT    NOT NULL,
    mode        TEXT    NOT NULL CHECK (mode IN ('snapshot', 'suspend', 'stop')),
    status      TEXT    NOT NULL CHECK (status IN ('creating', 'available', 'error', 'deleting')),
    notes       TEXT    NOT NULL,
    protected   BOOLEAN     NOT NULL,
    volid       TEXT,
    size_bytes  BIGINT,
    config      JSONB,
    error       TEXT,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX backups_created_idx ON backups (created_at, id);
CREATE INDEX backups_owner_idx ON backups (owner_id, created_at, id);
CREATE INDEX backups_guest_idx ON backups (guest_id, created_at, id);
