//! Reading series back: a period becomes a grid of at most [`MAX_POINTS`] points over
//! raw samples (up to a day) or rollups (longer), with `None` where nothing was
//! measured.

use std::collections::BTreeMap;

use proxicloud_store::Store;
use proxicloud_tsdb::downsample::Fold;
use proxicloud_tsdb::{Grid, Sample, chunk, downsample};

use super::catalog::{ResourceKey, ResourceKind};
use super::writer::{RAW, ROLLUP};
use crate::error::{DomainError, DomainResult};

pub const MAX_POINTS: usize = 1000;

/// The periods a chart offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    FiveMinutes,
    Hour,
    Day,
    Week,
    Month,
}

impl Period {
    pub const ALL: [&'static str; 5] = ["5m", "1h", "24h", "7d", "30d"];

    pub fn parse(text: &str) -> DomainResult<Self> {
        Ok(match text {
            "5m" => Period::FiveMinutes,
            "1h" => Period::Hour,
            "24h" => Period::Day,
            "7d" => Period::Week,
            "30d" => Period::Month,
            _ => {
                return Err(DomainError::BadRequest {
                    code: "invalid_period",
                    message: format!(
                        "unknown period '{text}': use one of {}",
                        Period::ALL.join(", ")
                    ),
                });
            }
        })
    }

    pub fn seconds(self) -> i64 {
        match self {
            Period::FiveMinutes => 300,
            Period::Hour => 3600,
            Period::Day => 86_400,
            Period::Week => 7 * 86_400,
            Period::Month => 30 * 86_400,
        }
    }

    /// Raw samples are kept for a day; longer periods read the rollups.
    fn resolution(self) -> i64 {
        if self.seconds() <= 86_400 {
            RAW
        } else {
            ROLLUP
        }
    }
}

/// A chart's data: one timestamp per point and each series' values at them.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    pub timestamps: Vec<i64>,
    pub series: BTreeMap<String, Vec<Option<f64>>>,
    pub resolution_s: i64,
}

/// The series names asked for, checked against the resource's; empty asks for all.
pub fn select_series(kind: ResourceKind, asked: &[String]) -> DomainResult<Vec<&'static str>> {
    if asked.is_empty() {
        return Ok(kind.series().to_vec());
    }
    asked
        .iter()
        .map(|name| {
            kind.series()
                .iter()
                .find(|s| **s == name.as_str())
                .copied()
                .ok_or_else(|| DomainError::BadRequest {
                    code: "invalid_series",
                    message: format!(
                        "unknown series '{name}': use any of {}",
                        kind.series().join(", ")
                    ),
                })
        })
        .collect()
}

/// The series `names` of `resource` over `period` ending at `now`.
pub async fn read(
    store: &dyn Store,
    resource: &ResourceKey,
    names: &[&'static str],
    period: Period,
    now: i64,
) -> DomainResult<SeriesData> {
    let resolution = period.resolution();
    let grid = Grid::covering(now - period.seconds(), now, resolution, MAX_POINTS);
    let ids: BTreeMap<String, i64> = store
        .metrics()
        .series_of(&resource.0)
        .await?
        .into_iter()
        .collect();
    let wanted: Vec<i64> = names.iter().filter_map(|n| ids.get(*n).copied()).collect();
    let from = grid.start;
    let to = grid.start + grid.step * grid.points as i64;
    let chunks = store
        .metrics()
        .chunks(&wanted, resolution, from, to)
        .await?;
    let mut series = BTreeMap::new();
    for name in names {
        let samples: Vec<Sample> = match ids.get(*name) {
            Some(id) => chunks
                .iter()
                .filter(|c| c.series_id == *id)
                .map(|c| chunk::decode(&c.data))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DomainError::Internal(format!("metrics chunk: {e}")))?
                .into_iter()
                .flatten()
                .collect(),
            None => Vec::new(),
        };
        series.insert((*name).to_owned(), downsample(&samples, &grid, Fold::Avg));
    }
    Ok(SeriesData {
        timestamps: grid.timestamps(),
        series,
        resolution_s: grid.step,
    })
}
