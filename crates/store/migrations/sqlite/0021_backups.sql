-- Backups: one vzdump archive of an instance on a Proxmox VE storage with `backup`
-- content. The row is written `creating` before vzdump runs (so the job finds what it
-- made) and becomes `available` with the archive's volume id as the task log and the
-- storage's content name it — never a guessed file name. `config` is the instance's
-- configuration at backup time. The backup outlives its instance: `guest_id` is a
-- plain copy (no foreign key), with the name, type and vmid beside it.
CREATE TABLE backups (
    id          TEXT    NOT NULL PRIMARY KEY,
    cluster_id  TEXT    NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    owner_id    TEXT    REFERENCES users (id) ON DELETE SET NULL,
    guest_id    TEXT,
    guest_name  TEXT    NOT NULL,
    guest_kind  TEXT    NOT NULL CHECK (guest_kind IN ('lxc', 'qemu')),
    vmid        INTEGER NOT NULL,
    node        TEXT    NOT NULL,
    storage     TEXT    NOT NULL,
    mode        TEXT    NOT NULL CHECK (mode IN ('snapshot', 'suspend', 'stop')),
    status      TEXT    NOT NULL CHECK (status IN ('creating', 'available', 'error', 'deleting')),
    notes       TEXT    NOT NULL,
    protected   INTEGER NOT NULL,
    volid       TEXT,
    size_bytes  INTEGER,
    config      TEXT,
    error       TEXT,
    started_at  TEXT,
    finished_at TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX backups_created_idx ON backups (created_at, id);
CREATE INDEX backups_owner_idx ON backups (owner_id, created_at, id);
CREATE INDEX backups_guest_idx ON backups (guest_id, created_at, id);
