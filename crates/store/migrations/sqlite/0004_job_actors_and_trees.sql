-- Jobs for work nobody clicked: a job is started by a user or by the system (its
-- actor, with the name as it was at creation); its history outlives the user
-- (owner_id becomes NULL instead of the row being deleted); it may wait for a time
-- (run_after), be asked to stop (cancel_requested_at), and have child jobs
-- (parent_id, child_key; a parent waiting for them has status 'waiting').
--
-- SQLite cannot change a foreign key in place, so the table is rebuilt
-- (https://www.sqlite.org/lang_altertable.html#otheralter). The documented recipe
-- turns foreign keys off first, but that pragma does nothing inside a transaction
-- and sqlx runs every SQLite migration in one. With them on, `DROP TABLE jobs`
-- deletes every job first, which runs guests.created_by_job's ON DELETE SET NULL
-- (the only reference to jobs; jobs_new.parent_id is NULL everywhere): so the links
-- are saved before and restored after. No constraint is violated on the way.
CREATE TEMP TABLE guest_jobs AS
    SELECT id, created_by_job FROM guests WHERE created_by_job IS NOT NULL;

CREATE TABLE jobs_new (
    id                  TEXT    NOT NULL PRIMARY KEY,
    kind                TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
    actor_kind          TEXT    NOT NULL CHECK (actor_kind IN ('user', 'system')),
    -- The user who started it, kept after they are deleted; NULL for the system.
    actor_id            TEXT,
    -- The user's name when the job was created, or the system actor's name.
    actor_name          TEXT    NOT NULL,
    -- The same user while they exist: NULL once deleted (and for system jobs).
    owner_id            TEXT    REFERENCES users (id) ON DELETE SET NULL,
    parent_id           TEXT    REFERENCES jobs (id) ON DELETE CASCADE,
    -- Names a child among its parent's children (spawning is idempotent per key).
    child_key           TEXT,
    resource_kind       TEXT,
    resource_id         TEXT,
    params              TEXT    NOT NULL,
    steps               TEXT    NOT NULL,
    current_step        INTEGER NOT NULL DEFAULT 0,
    progress            INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error               TEXT,
    pve_upid            TEXT,
    idempotency_key     TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    claimed_by          TEXT,
    lease_until         TEXT,
    run_after           TEXT,
    cancel_requested_at TEXT,
    cancel_reason       TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    finished_at         TEXT,
    CHECK ((actor_kind = 'user') = (actor_id IS NOT NULL)),
    CHECK ((parent_id IS NULL) = (child_key IS NULL))
) STRICT;

INSERT INTO jobs_new (id, kind, status, actor_kind, actor_id, actor_name, owner_id, resource_kind,
                      resource_id, params, steps, current_step, progress, error, pve_upid,
                      idempotency_key, attempts, claimed_by, lease_until, created_at, updated_at,
                      finished_at)
SELECT jobs.id, kind, status, 'user', owner_id, COALESCE(users.username, ''), owner_id,
       resource_kind, resource_id, params, steps, current_step, progress, error, pve_upid,
       idempotency_key, attempts, claimed_by, lease_until, jobs.created_at, jobs.updated_at,
       finished_at
FROM jobs LEFT JOIN users ON users.id = jobs.owner_id;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

UPDATE guests
SET created_by_job = (SELECT g.created_by_job FROM temp.guest_jobs g WHERE g.id = guests.id)
WHERE id IN (SELECT id FROM temp.guest_jobs);
DROP TABLE temp.guest_jobs;

-- The indexes of 0001 and 0002, as they were.
CREATE UNIQUE INDEX jobs_owner_id_idempotency_key_key ON jobs (owner_id, idempotency_key);
CREATE INDEX jobs_claimable_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at, id);
CREATE INDEX jobs_created_idx ON jobs (created_at, id);
CREATE INDEX jobs_resource_idx ON jobs (resource_kind, resource_id, created_at, id);
-- New: a system actor's idempotency keys are unique per actor name, a child's key per parent.
CREATE UNIQUE INDEX jobs_system_idempotency_key_key ON jobs (actor_name, idempotency_key)
    WHERE actor_kind = 'system';
CREATE UNIQUE INDEX jobs_parent_id_child_key_key ON jobs (parent_id, child_key);
CREATE INDEX jobs_parent_idx ON jobs (parent_id, created_at, id);
-- An idle worker sleeps until the earliest run_after.
CREATE INDEX jobs_run_after_idx ON jobs (run_after) WHERE status = 'queued' AND run_after IS NOT NULL;
