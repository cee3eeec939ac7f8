-- Each user's object storage usage, kept up to date in the transaction that commits
-- or drops an object or a multipart part (so a quota check reads one row, locked,
-- instead of summing every object). `bytes` are the objects' bytes; `part_bytes` those
-- of the parts of unfinished multipart uploads, which count toward the quota too.
CREATE TABLE s3_usage (
    user_id    TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    objects    INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    part_bytes INTEGER NOT NULL
) STRICT;

-- Backfilled from what is stored now, for every user with a bucket.
INSERT INTO s3_usage (user_id, objects, bytes, part_bytes)
SELECT owners.owner_id,
       (SELECT COUNT(*) FROM objects o JOIN buckets b ON b.id = o.bucket_id
        WHERE b.owner_id = owners.owner_id),
       (SELECT CAST(COALESCE(SUM(o.size), 0) AS BIGINT) FROM objects o
        JOIN buckets b ON b.id = o.bucket_id WHERE b.owner_id = owners.owner_id),
       (SELECT CAST(COALESCE(SUM(p.size), 0) AS BIGINT) FROM multipart_parts p
        JOIN multipart_uploads u ON u.id = p.upload_id
        JOIN buckets b ON b.id = u.bucket_id WHERE b.owner_id = owners.owner_id)
FROM (SELECT DISTINCT owner_id FROM buckets) owners;
