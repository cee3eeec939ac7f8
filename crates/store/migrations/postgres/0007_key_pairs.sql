-- SSH key pairs. Only the public half is kept: the private key of a generated pair is
-- handed to its owner once and never stored. Names are unique per owner.
CREATE TABLE key_pairs (
    id          UUID NOT NULL PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    key_type    TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX key_pairs_owner_id_name_key ON key_pairs (owner_id, name);

-- The key pairs an instance was launched with. Name and fingerprint are copies (and
-- key_pair_id has no foreign key) so the record outlives the key pair's deletion.
CREATE TABLE guest_key_pairs (
    guest_id    UUID NOT NULL REFERENCES guests (id) ON DELETE CASCADE,
    key_pair_id UUID NOT NULL,
    name        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (guest_id, key_pair_id)
);
