//! Time-series chunks of the metrics feature: the store keeps bytes the `tsdb` crate
//! encodes; which series exist and what a chunk spans is the domain's business.

use async_trait::async_trait;

use crate::Result;

/// A series: one measurement (`name`) of one resource (`resource`, e.g. `guest/<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub resource: String,
    pub name: String,
}

impl SeriesKey {
    pub fn new(resource: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            name: name.into(),
        }
    }
}

/// One stored chunk of one series at one resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricChunk {
    pub series_id: i64,
    /// Seconds between samples: 60 for raw data, 1800 for rollups.
    pub resolution: i64,
    /// Its key within the series and resolution; the domain aligns it.
    pub start: i64,
    /// The last sample's time.
    pub end: i64,
    pub count: i64,
    /// The values (a rollup's averages).
    pub data: Vec<u8>,
    /// A rollup's maxima.
    pub data_max: Option<Vec<u8>>,
}

/// What the chunks take, for benchmarks and the retention job's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricFootprint {
    pub chunks: i64,
    pub samples: i64,
    /// `data` and `data_max` bytes.
    pub bytes: i64,
}

#[async_trait]
pub trait MetricsRepo: Send + Sync {
    /// The ids of `keys` in their order, creating the series that do not exist.
    async fn ensure_series(&self, keys: &[SeriesKey]) -> Result<Vec<i64>>;
    /// The series of one resource: `(name, id)` by name.
    async fn series_of(&self, resource: &str) -> Result<Vec<(String, i64)>>;
    /// Inserts or replaces chunks (by series, resolution and start) in one transaction.
    async fn put_chunks(&self, chunks: &[MetricChunk]) -> Result<()>;
    /// The chunks of `series_ids` at `resolution` that overlap `[from, to]`, by series
    /// then start.
    async fn chunks(
        &self,
        series_ids: &[i64],
        resolution: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<MetricChunk>>;
    /// The newest chunk of each of `series_ids` at `resolution` that has one.
    async fn latest_chunks(&self, series_ids: &[i64], resolution: i64) -> Result<Vec<MetricChunk>>;
    /// Deletes at most `limit` chunks of `resolution` that end before `before`, oldest
    /// first; returns how many went. Bounded so that retention never holds the
    /// database for long. Series rows stay (a few bytes each), so ids a collector
    /// holds stay valid.
    async fn delete_chunks_before(&self, resolution: i64, before: i64, limit: i64) -> Result<u64>;
    async fn footprint(&self) -> Result<MetricFootprint>;
}
