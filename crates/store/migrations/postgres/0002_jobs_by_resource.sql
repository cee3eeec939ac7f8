-- An instance's detail page lists the jobs about it, newest first.
CREATE INDEX jobs_resource_idx ON jobs (resource_kind, resource_id, created_at, id);

-- Create jobs now record their instance's id once they reserve it; give the ones that
-- ran before this the id of the guest they reserved.
UPDATE jobs
SET resource_id = (SELECT guests.id::text FROM guests WHERE guests.created_by_job = jobs.id
                   ORDER BY guests.created_at DESC LIMIT 1)
WHERE kind = 'instance.create' AND resource_id IS NULL;
