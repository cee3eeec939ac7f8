-- Jobs for work nobody clicked: a job is started by a user or by the system (its
-- actor, with the name as it was at creation); its history outlives the user
-- (owner_id becomes NULL instead of the row being deleted); it may wait for a time
-- (run_after), be asked to stop (cancel_requested_at), and have child jobs
-- (parent_id, child_key; a parent waiting for them has status 'waiting').
ALTER TABLE jobs DROP CONSTRAINT jobs_owner_id_fkey;
ALTER TABLE jobs ALTER COLUMN owner_id DROP NOT NULL;
ALTER TABLE jobs ADD CONSTRAINT jobs_owner_id_fkey
    FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL;

ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'));

ALTER TABLE jobs
    ADD COLUMN actor_kind          TEXT NOT NULL DEFAULT 'user' CHECK (actor_kind IN ('user', 'system')),
    -- The user who started it, kept after they are deleted; NULL for the system.
    ADD COLUMN actor_id            UUID,
    -- The user's name when the job was created, or the system actor's name.
    ADD COLUMN actor_name          TEXT NOT NULL DEFAULT '',
    ADD COLUMN parent_id           UUID REFERENCES jobs (id) ON DELETE CASCADE,
    -- Names a child among its parent's children (spawning is idempotent per key).
    ADD COLUMN child_key           TEXT,
    ADD COLUMN run_after           TIMESTAMPTZ,
    ADD COLUMN cancel_requested_at TIMESTAMPTZ,
    ADD COLUMN cancel_reason       TEXT;

UPDATE jobs SET actor_id = owner_id,
                actor_name = COALESCE((SELECT username FROM users WHERE users.id = jobs.owner_id), '');

ALTER TABLE jobs ALTER COLUMN actor_kind DROP DEFAULT, ALTER COLUMN actor_name DROP DEFAULT;
ALTER TABLE jobs ADD CHECK ((actor_kind = 'user') = (actor_id IS NOT NULL));
ALTER TABLE jobs ADD CHECK ((parent_id IS NULL) = (child_key IS NULL));

-- A system actor's idempotency keys are unique per actor name, a child's key per parent.
CREATE UNIQUE INDEX jobs_system_idempotency_key_key ON jobs (actor_name, idempotency_key)
    WHERE actor_kind = 'system';
CREATE UNIQUE INDEX jobs_parent_id_child_key_key ON jobs (parent_id, child_key);
CREATE INDEX jobs_parent_idx ON jobs (parent_id, created_at, id);
-- An idle worker sleeps until the earliest run_after.
CREATE INDEX jobs_run_after_idx ON jobs (run_after) WHERE status = 'queued' AND run_after IS NOT NULL;
