//! Rollups: the average and maximum of each fixed bucket (30 minutes for the 30-day
//! history), as RRD's `AVERAGE` and `MAX` consolidate.

use crate::Sample;

/// One bucket `[start, start + width)` of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rollup {
    pub start: i64,
    pub avg: f64,
    pub max: f64,
    /// How many samples it summarises.
    pub count: u32,
}

/// The rollups of `samples` (in time order) in buckets of `width` seconds aligned to
/// the epoch. Buckets without samples are absent (gaps stay gaps); NaN samples are
/// not counted.
pub fn rollup(samples: &[Sample], width: i64) -> Vec<Rollup> {
    let mut out: Vec<Rollup> = Vec::new();
    let mut sum = 0.0;
    for s in samples.iter().filter(|s| !s.v.is_nan()) {
        let start = s.t - s.t.rem_euclid(width);
        match out.last_mut() {
            Some(last) if last.start == start => {
                sum += s.v;
                last.count += 1;
                last.max = last.max.max(s.v);
                last.avg = sum / f64::from(last.count);
            }
            _ => {
                sum = s.v;
                out.push(Rollup {
                    start,
                    avg: s.v,
                    max: s.v,
                    count: 1,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_average_and_max_their_samples_and_skip_empty_ones() {
        let samples = [
            Sample::new(1800, 1.0),
            Sample::new(1860, 3.0),
            Sample::new(3599, 2.0),
            Sample::new(7200, 5.0),
            Sample::new(7260, f64::NAN),
        ];
        let rollups = rollup(&samples, 1800);
        assert_eq!(
            rollups,
            vec![
                Rollup {
                    start: 1800,
                    avg: 2.0,
                    max: 3.0,
                    count: 3
                },
                Rollup {
                    start: 7200,
                    avg: 5.0,
                    max: 5.0,
                    count: 1
                },
            ]
        );
    }
}
