-- Time series of the metrics feature. A series is one measurement of one resource
-- (resource `guest/<id>`, `node/<cluster>/<node>`, `storage/<cluster>/<node>/<storage>`,
-- name `cpu`, `netin`, …). No foreign key to the resource: history outlives a
-- deleted guest until retention removes it.
CREATE TABLE metric_series (
    id       INTEGER NOT NULL PRIMARY KEY,
    resource TEXT NOT NULL,
    name     TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX metric_series_resource_name_key ON metric_series (resource, name);

-- Gorilla-compressed chunks (crates/tsdb) of one series at one resolution in seconds
-- (60: raw, 1800: rollups). Covers [start_ts, end_ts], both unix seconds. `data` holds
-- the values (a rollup's averages), `data_max` a rollup's maxima (NULL for raw).
CREATE TABLE metric_chunks (
    series_id  INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL,
    start_ts   INTEGER NOT NULL,
    end_ts     INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    data       BLOB NOT NULL,
    data_max   BLOB,
    PRIMARY KEY (series_id, resolution, start_ts)
) STRICT;
-- Retention deletes the oldest chunks of a resolution first.
CREATE INDEX metric_chunks_resolution_end_ts ON metric_chunks (resolution, end_ts);
