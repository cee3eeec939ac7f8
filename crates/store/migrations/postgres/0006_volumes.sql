-- Volumes (EBS-like data disks) and their snapshots. A volume lives on Proxmox VE as
-- the mount point of its own holder container (`holder_vmid`, see the README); the
-- attachment is a reference in an instance's config. `status` is the lifecycle
-- (creating, available, error, deleting); "in-use" is derived from the attachment.
-- Deleting the attached guest's row (termination) clears the attachment: the volume
-- outlives its instance.
CREATE TABLE volumes (
    id                UUID        NOT NULL PRIMARY KEY,
    cluster_id        UUID        NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    node              TEXT        COLLATE "C" NOT NULL,
    storage           TEXT        COLLATE "C" NOT NULL,
    name              TEXT        COLLATE "C" NOT NULL,
    size_bytes        BIGINT      NOT NULL,
    status            TEXT        NOT NULL CHECK (status IN ('creating', 'available', 'error', 'deleting')),
    holder_vmid       BIGINT,
    volid             TEXT,
    error             TEXT,
    owner_id          UUID        REFERENCES users (id) ON DELETE SET NULL,
    attached_guest_id UUID        REFERENCES guests (id) ON DELETE SET NULL,
    attachment_key    TEXT,
    mount_path        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX volumes_owner_idx ON volumes (owner_id, created_at, id);
CREATE INDEX volumes_created_idx ON volumes (created_at, id);
CREATE INDEX volumes_guest_idx ON volumes (attached_guest_id);
-- One holder per vmid and cluster.
CREATE UNIQUE INDEX volumes_cluster_id_holder_vmid_key ON volumes (cluster_id, holder_vmid) WHERE holder_vmid IS NOT NULL;
-- One attachment slot per guest.
CREATE UNIQUE INDEX volumes_attached_guest_id_attachment_key_key ON volumes (attached_guest_id, attachment_key) WHERE attached_guest_id IS NOT NULL;

CREATE TABLE volume_snapshots (
    id          UUID        NOT NULL PRIMARY KEY,
    volume_id   UUID        NOT NULL REFERENCES volumes (id) ON DELETE CASCADE,
    name        TEXT        COLLATE "C" NOT NULL,
    description TEXT        NOT NULL,
    size_bytes  BIGINT      NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('creating', 'available', 'error', 'deleting')),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX volume_snapshots_volume_id_name_key ON volume_snapshots (volume_id, name);
