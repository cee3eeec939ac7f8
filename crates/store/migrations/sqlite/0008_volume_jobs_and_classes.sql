-- One unfinished job per volume: two jobs on one volume at once (an attach racing a
-- grow, a delete racing a snapshot) would act on the same holder container and
-- record contradicting results. The unique index makes a second one's insert a
-- conflict (the store reports `jobs_volume_active_key`), atomically on both backends.
--
-- Before the index can exist, later duplicates that are already queued or running
-- end as cancelled (as a cancel of a job nobody started ends it); the oldest runs.
UPDATE jobs
SET status = 'cancelled',
    error = 'cancelled on upgrade: another job was already running on this volume',
    cancel_reason = 'cancelled on upgrade: another job was already running on this volume',
    claimed_by = NULL,
    lease_until = NULL,
    finished_at = updated_at
WHERE resource_kind = 'volume'
  AND status IN ('queued', 'running', 'waiting')
  AND EXISTS (
      SELECT 1 FROM jobs AS older
      WHERE older.resource_kind = 'volume'
        AND older.resource_id = jobs.resource_id
        AND older.status IN ('queued', 'running', 'waiting')
        AND (older.created_at < jobs.created_at
             OR (older.created_at = jobs.created_at AND older.id < jobs.id)));

CREATE UNIQUE INDEX jobs_volume_active_key ON jobs (resource_id)
    WHERE resource_kind = 'volume' AND status IN ('queued', 'running', 'waiting');

-- The volume class (`ssd`, `hdd`, … mapped by an admin onto storages) a volume was
-- created in; NULL when it was created on an explicit storage.
ALTER TABLE volumes ADD COLUMN class TEXT;
