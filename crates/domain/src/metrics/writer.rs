//! [`SeriesWriter`]: the open ("head") chunks of every series this process writes,
//! and the 30-minute rollups made from them as each bucket closes.
//!
//! Raw samples (one a minute) go into chunks spanning two hours; a sample in a new
//! 30-minute bucket closes the previous bucket, whose raw samples become one rollup
//! sample (average and maximum) in a chunk spanning a day. Heads are loaded from the
//! newest stored chunks the first time a series is touched, so a restart continues
//! where the last process stopped, and written back by [`SeriesWriter::flush`].

use std::collections::HashMap;
use std::sync::Arc;

use proxicloud_store::{MetricChunk, Store};
use proxicloud_tsdb::{Chunk, Sample, chunk, quantize, rollup};

use crate::error::{DomainError, DomainResult};

/// Seconds between raw samples.
pub const RAW: i64 = 60;
/// Seconds per rollup sample.
pub const ROLLUP: i64 = 1800;
/// Raw chunks span two hours (120 samples, ≈ 250 bytes).
pub const RAW_SPAN: i64 = 7200;
/// Rollup chunks span a day (48 samples each of averages and maxima).
pub const ROLLUP_SPAN: i64 = 86_400;
/// Mantissa bits kept (see `proxicloud_tsdb::quantize`): 0.012 % relative error.
const MANTISSA_BITS: u32 = 12;

fn span_start(t: i64, span: i64) -> i64 {
    t - t.rem_euclid(span)
}

fn codec(error: chunk::ChunkError) -> DomainError {
    DomainError::Internal(format!("metrics chunk: {error}"))
}

struct Head {
    raw_start: i64,
    raw: Chunk,
    raw_dirty: bool,
    rollup_start: i64,
    avg: Chunk,
    max: Chunk,
    rollup_dirty: bool,
}

impl Head {
    fn load(raw: Option<&MetricChunk>, rollup: Option<&MetricChunk>) -> DomainResult<Self> {
        let open = |c: Option<&[u8]>| c.map_or(Ok(Chunk::new()), Chunk::from_bytes);
        Ok(Self {
            raw_start: raw.map_or(i64::MIN, |c| c.start),
            raw: open(raw.map(|c| c.data.as_slice())).map_err(codec)?,
            raw_dirty: false,
            rollup_start: rollup.map_or(i64::MIN, |c| c.start),
            avg: open(rollup.map(|c| c.data.as_slice())).map_err(codec)?,
            max: open(rollup.and_then(|c| c.data_max.as_deref())).map_err(codec)?,
            rollup_dirty: false,
        })
    }

    fn raw_chunk(&self, series_id: i64) -> MetricChunk {
        MetricChunk {
            series_id,
            resolution: RAW,
            start: self.raw_start,
            end: self.raw.last_t().unwrap_or(self.raw_start),
            count: self.raw.len() as i64,
            data: self.raw.to_bytes(),
            data_max: None,
        }
    }

    fn rollup_chunk(&self, series_id: i64) -> MetricChunk {
        MetricChunk {
            series_id,
            resolution: ROLLUP,
            start: self.rollup_start,
            end: self.avg.last_t().unwrap_or(self.rollup_start),
            count: self.avg.len() as i64,
            data: self.avg.to_bytes(),
            data_max: Some(self.max.to_bytes()),
        }
    }
}

pub struct SeriesWriter {
    store: Arc<dyn Store>,
    heads: HashMap<i64, Head>,
    /// Chunks replaced by newer heads before they were written.
    closed: Vec<MetricChunk>,
}

impl SeriesWriter {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            heads: HashMap::new(),
            closed: Vec::new(),
        }
    }

    /// Loads the heads of those of `ids` not loaded yet.
    pub async fn load(&mut self, ids: &[i64]) -> DomainResult<()> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.heads.contains_key(id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let repo = self.store.metrics();
        let raw = repo.latest_chunks(&missing, RAW).await?;
        let rollups = repo.latest_chunks(&missing, ROLLUP).await?;
        let raw: HashMap<i64, &MetricChunk> = raw.iter().map(|c| (c.series_id, c)).collect();
        let rollups: HashMap<i64, &MetricChunk> =
            rollups.iter().map(|c| (c.series_id, c)).collect();
        for id in missing {
            let head = Head::load(raw.get(&id).copied(), rollups.get(&id).copied())?;
            self.heads.insert(id, head);
        }
        Ok(())
    }

    /// Forgets heads (after something else wrote their series, e.g. a backfill).
    pub fn unload(&mut self, ids: &[i64]) {
        for id in ids {
            self.heads.remove(id);
        }
    }

    /// The time of the series' last raw sample (the series must be loaded).
    pub fn last_t(&self, id: i64) -> Option<i64> {
        self.heads.get(&id).and_then(|h| h.raw.last_t())
    }

    /// Appends a raw sample at `t` (a whole minute) to a loaded series; returns `false`
    /// (and changes nothing) when the series already has a sample at or after `t`.
    pub fn append(&mut self, id: i64, t: i64, value: f64) -> DomainResult<bool> {
        let head = self
            .heads
            .get_mut(&id)
            .ok_or_else(|| DomainError::Internal(format!("series {id} is not loaded")))?;
        if let Some(last) = head.raw.last_t() {
            if t <= last {
                return Ok(false);
            }
            let bucket = span_start(last, ROLLUP);
            if span_start(t, ROLLUP) != bucket {
                close_bucket(head, id, bucket, &mut self.closed)?;
            }
        }
        let start = span_start(t, RAW_SPAN);
        if start != head.raw_start {
            if head.raw_dirty {
                self.closed.push(head.raw_chunk(id));
            }
            head.raw = Chunk::new();
            head.raw_start = start;
        }
        head.raw
            .push(Sample::new(t, quantize(value, MANTISSA_BITS)))
            .map_err(codec)?;
        head.raw_dirty = true;
        Ok(true)
    }

    /// Writes every changed chunk in one transaction.
    pub async fn flush(&mut self) -> DomainResult<usize> {
        let mut chunks = std::mem::take(&mut self.closed);
        for (id, head) in &self.heads {
            if head.raw_dirty {
                chunks.push(head.raw_chunk(*id));
            }
            if head.rollup_dirty {
                chunks.push(head.rollup_chunk(*id));
            }
        }
        if chunks.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.store.metrics().put_chunks(&chunks).await {
            // Keep the closed ones for the next attempt; open heads stay dirty.
            self.closed = chunks
                .into_iter()
                .filter(|c| {
                    self.heads.get(&c.series_id).is_none_or(|h| {
                        let open = if c.resolution == RAW {
                            h.raw_start
                        } else {
                            h.rollup_start
                        };
                        c.start != open
                    })
                })
                .collect();
            return Err(error.into());
        }
        for head in self.heads.values_mut() {
            head.raw_dirty = false;
            head.rollup_dirty = false;
        }
        Ok(chunks.len())
    }
}

/// Rolls the raw samples of the 30-minute `bucket` up into the rollup head.
fn close_bucket(
    head: &mut Head,
    id: i64,
    bucket: i64,
    closed: &mut Vec<MetricChunk>,
) -> DomainResult<()> {
    let samples: Vec<Sample> = chunk::decode(&head.raw.to_bytes())
        .map_err(codec)?
        .into_iter()
        .filter(|s| span_start(s.t, ROLLUP) == bucket)
        .collect();
    let Some(r) = rollup(&samples, ROLLUP).pop() else {
        return Ok(());
    };
    if head.avg.last_t().is_some_and(|last| r.start <= last) {
        return Ok(()); // already rolled up (by a backfill)
    }
    let start = span_start(r.start, ROLLUP_SPAN);
    if start != head.rollup_start {
        if head.rollup_dirty {
            closed.push(head.rollup_chunk(id));
        }
        head.avg = Chunk::new();
        head.max = Chunk::new();
        head.rollup_start = start;
    }
    head.avg
        .push(Sample::new(r.start, quantize(r.avg, MANTISSA_BITS)))
        .map_err(codec)?;
    head.max
        .push(Sample::new(r.start, quantize(r.max, MANTISSA_BITS)))
        .map_err(codec)?;
    head.rollup_dirty = true;
    Ok(())
}

/// Packs samples (in time order) into stored chunks of `span` seconds; `max`, when
/// given, has the same timestamps as `values` (a rollup's maxima).
pub fn pack(
    series_id: i64,
    resolution: i64,
    span: i64,
    values: &[Sample],
    max: Option<&[Sample]>,
) -> DomainResult<Vec<MetricChunk>> {
    let mut out: Vec<MetricChunk> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let start = span_start(values[i].t, span);
        let j = values[i..]
            .iter()
            .position(|s| span_start(s.t, span) != start)
            .map_or(values.len(), |n| i + n);
        let quantized = |s: &[Sample]| -> Vec<Sample> {
            s.iter()
                .map(|s| Sample::new(s.t, quantize(s.v, MANTISSA_BITS)))
                .collect()
        };
        let data = chunk::encode(&quantized(&values[i..j])).map_err(codec)?;
        let data_max = max
            .map(|m| chunk::encode(&quantized(&m[i..j])).map_err(codec))
            .transpose()?;
        out.push(MetricChunk {
            series_id,
            resolution,
            start,
            end: values[j - 1].t,
            count: (j - i) as i64,
            data,
            data_max,
        });
        i = j;
    }
    Ok(out)
}
