//! [`MetricsRepo`] for both backends. Lists of series are sent in batches so that a
//! statement stays well under either backend's limit of bound values.

use std::collections::HashMap;

use async_trait::async_trait;

use super::SqlStore;
use super::args::{Arg, Sql};
use super::connect::BeginWrite;
use crate::Result;
use crate::repo::metrics::{MetricChunk, MetricFootprint, MetricsRepo, SeriesKey};

/// Series per statement (two values each when inserting).
const SERIES_BATCH: usize = 400;
/// Chunks per statement (seven values each).
const CHUNK_BATCH: usize = 200;
const CHUNK_COLUMNS: &str = "series_id, resolution, start_ts, end_ts, count, data, data_max";

#[derive(sqlx::FromRow)]
struct ChunkRecord {
    series_id: i64,
    resolution: i64,
    start_ts: i64,
    end_ts: i64,
    count: i64,
    data: Vec<u8>,
    data_max: Option<Vec<u8>>,
}

impl From<ChunkRecord> for MetricChunk {
    fn from(r: ChunkRecord) -> Self {
        Self {
            series_id: r.series_id,
            resolution: r.resolution,
            start: r.start_ts,
            end: r.end_ts,
            count: r.count,
            data: r.data,
            data_max: r.data_max,
        }
    }
}

impl SqlStore {
    async fn fetch_chunks(&self, sql: Sql) -> Result<Vec<MetricChunk>> {
        let (sql, args) = sql.into_parts();
        let records: Vec<ChunkRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&sql), args).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }
}

#[async_trait]
impl MetricsRepo for SqlStore {
    async fn ensure_series(&self, keys: &[SeriesKey]) -> Result<Vec<i64>> {
        let mut ids: HashMap<(&str, &str), i64> = HashMap::with_capacity(keys.len());
        for batch in keys.chunks(SERIES_BATCH) {
            let mut insert = Sql::new(
                self.dialect(),
                "INSERT INTO metric_series (resource, name) VALUES ",
            );
            for (i, key) in batch.iter().enumerate() {
                insert.push(if i == 0 { "(" } else { ", (" });
                insert.bind(key.resource.as_str()).push(", ");
                insert.bind(key.name.as_str()).push(")");
            }
            insert.push(" ON CONFLICT (resource, name) DO NOTHING");
            let mut select = Sql::new(
                self.dialect(),
                "SELECT id, resource, name FROM metric_series WHERE resource IN (",
            );
            select
                .bind_list(batch.iter().map(|k| Arg::from(k.resource.as_str())))
                .push(")");
            let (insert, insert_args) = insert.into_parts();
            let (select, select_args) = select.into_parts();
            let rows: Vec<(i64, String, String)> = on_writer!(&self.db, pool => {
                let mut tx = pool.begin_write().await?;
                bind_args!(sqlx::query(&insert), insert_args).execute(&mut *tx).await?;
                let rows = bind_args!(sqlx::query_as(&select), select_args)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            });
            for (id, resource, name) in rows {
                if let Some(key) = batch
                    .iter()
                    .find(|k| k.resource == resource && k.name == name)
                {
                    ids.insert((key.resource.as_str(), key.name.as_str()), id);
                }
            }
        }
        Ok(keys
            .iter()
            .map(|k| ids[&(k.resource.as_str(), k.name.as_str())])
            .collect())
    }

    async fn series_of(&self, resource: &str) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT name, id FROM metric_series WHERE resource = $1 ORDER BY name";
        Ok(on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(resource).fetch_all(pool).await?
        }))
    }

    async fn put_chunks(&self, chunks: &[MetricChunk]) -> Result<()> {
        let statements: Vec<(String, Vec<Arg>)> = chunks
            .chunks(CHUNK_BATCH)
            .map(|batch| {
                let mut sql = Sql::new(
                    self.dialect(),
                    format!("INSERT INTO metric_chunks ({CHUNK_COLUMNS}) VALUES "),
                );
                for (i, c) in batch.iter().enumerate() {
                    sql.push(if i == 0 { "(" } else { ", (" });
                    sql.bind_list([
                        Arg::from(c.series_id),
                        Arg::from(c.resolution),
                        Arg::from(c.start),
                        Arg::from(c.end),
                        Arg::from(c.count),
                        Arg::from(c.data.clone()),
                        Arg::from(c.data_max.clone()),
                    ])
                    .push(")");
                }
                sql.push(
                    " ON CONFLICT (series_id, resolution, start_ts) DO UPDATE SET \
                     end_ts = excluded.end_ts, count = excluded.count, \
                     data = excluded.data, data_max = excluded.data_max",
                );
                sql.into_parts()
            })
            .collect();
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            for (sql, args) in statements {
                bind_args!(sqlx::query(&sql), args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn chunks(
        &self,
        series_ids: &[i64],
        resolution: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<MetricChunk>> {
        let mut out = Vec::new();
        for batch in series_ids.chunks(SERIES_BATCH) {
            let mut sql = Sql::new(
                self.dialect(),
                format!("SELECT {CHUNK_COLUMNS} FROM metric_chunks WHERE resolution = "),
            );
            // `+end_ts`: not an index column here, so SQLite reads the few chunks of these
            // series through the primary key rather than every series' recent chunks
            // through the retention index (PostgreSQL plans this right either way).
            sql.bind(resolution).push(" AND +end_ts >= ").bind(from);
            sql.push(" AND start_ts <= ").bind(to);
            sql.push(" AND series_id IN (")
                .bind_list(batch.iter().map(|id| Arg::from(*id)))
                .push(") ORDER BY series_id, start_ts");
            out.extend(self.fetch_chunks(sql).await?);
        }
        out.sort_by_key(|c| (c.series_id, c.start));
        Ok(out)
    }

    async fn latest_chunks(&self, series_ids: &[i64], resolution: i64) -> Result<Vec<MetricChunk>> {
        let mut out = Vec::new();
        for batch in series_ids.chunks(SERIES_BATCH) {
            let mut sql = Sql::new(
                self.dialect(),
                format!("SELECT {CHUNK_COLUMNS} FROM metric_chunks c WHERE resolution = "),
            );
            sql.bind(resolution);
            sql.push(
                " AND start_ts = (SELECT MAX(start_ts) FROM metric_chunks l \
                      WHERE l.series_id = c.series_id AND l.resolution = c.resolution)",
            );
            sql.push(" AND series_id IN (")
                .bind_list(batch.iter().map(|id| Arg::from(*id)))
                .push(")");
            out.extend(self.fetch_chunks(sql).await?);
        }
        out.sort_by_key(|c| c.series_id);
        Ok(out)
    }

    async fn delete_chunks_before(&self, resolution: i64, before: i64, limit: i64) -> Result<u64> {
        let sql = "DELETE FROM metric_chunks WHERE (series_id, resolution, start_ts) IN \
                   (SELECT series_id, resolution, start_ts FROM metric_chunks \
                    WHERE resolution = $1 AND end_ts < $2 ORDER BY end_ts LIMIT $3)";
        Ok(on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(resolution)
                .bind(before)
                .bind(limit)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    async fn footprint(&self) -> Result<MetricFootprint> {
        let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(count), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(LENGTH(data) + COALESCE(LENGTH(data_max), 0)), 0) AS BIGINT) \
                   FROM metric_chunks";
        let (chunks, samples, bytes): (i64, i64, i64) = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).fetch_one(pool).await?
        });
        Ok(MetricFootprint {
            chunks,
            samples,
            bytes,
        })
    }
}
