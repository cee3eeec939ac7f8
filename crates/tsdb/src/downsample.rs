//! A query's answer: a regular grid of at most N points over a period, each the
//! average (or maximum) of the samples in its step, `None` where there were none.

use crate::Sample;

/// Points `start + i·step` for `i < points`; point `i` covers `[t, t + step)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub start: i64,
    pub step: i64,
    pub points: usize,
}

impl Grid {
    /// The coarsest-needed grid over `[from, to)`: its step is the smallest multiple of
    /// `resolution` (the data's own spacing) that needs at most `max_points` points,
    /// and it is aligned to that step, so the same period gives the same grid.
    pub fn covering(from: i64, to: i64, resolution: i64, max_points: usize) -> Self {
        let resolution = resolution.max(1);
        let span = (to - from).max(1);
        let max_points = max_points.max(1) as i64;
        let multiple = (span + resolution * max_points - 1) / (resolution * max_points);
        let step = resolution * multiple.max(1);
        let start = from - from.rem_euclid(step);
        let points = ((to - start + step - 1) / step).clamp(1, max_points) as usize;
        Self {
            start,
            step,
            points,
        }
    }

    pub fn timestamps(&self) -> Vec<i64> {
        (0..self.points as i64)
            .map(|i| self.start + i * self.step)
            .collect()
    }

    fn index(&self, t: i64) -> Option<usize> {
        if t < self.start {
            return None;
        }
        let i = ((t - self.start) / self.step) as usize;
        (i < self.points).then_some(i)
    }
}

/// How a step's samples become its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    Avg,
    Max,
}

/// `samples` (any order) on `grid`. NaN samples count as missing.
pub fn downsample(samples: &[Sample], grid: &Grid, fold: Fold) -> Vec<Option<f64>> {
    let mut acc: Vec<Option<(f64, u32)>> = vec![None; grid.points];
    for s in samples.iter().filter(|s| !s.v.is_nan()) {
        let Some(i) = grid.index(s.t) else { continue };
        acc[i] = Some(match (acc[i], fold) {
            (None, _) => (s.v, 1),
            (Some((sum, n)), Fold::Avg) => (sum + s.v, n + 1),
            (Some((max, n)), Fold::Max) => (max.max(s.v), n + 1),
        });
    }
    acc.into_iter()
        .map(|a| {
            a.map(|(v, n)| match fold {
                Fold::Avg => v / f64::from(n),
                Fold::Max => v,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_day_of_minutes_becomes_720_two_minute_points() {
        let grid = Grid::covering(1_000_000, 1_000_000 + 86_400, 60, 1000);
        assert_eq!(grid.step, 120);
        assert!(grid.points <= 1000 && grid.points >= 720);
        let samples: Vec<Sample> = (0..1440)
            .map(|i| Sample::new(grid.start + 60 * i, i as f64))
            .collect();
        let points = downsample(&samples, &grid, Fold::Avg);
        assert_eq!(points[0], Some(0.5));
        assert_eq!(downsample(&samples, &grid, Fold::Max)[0], Some(1.0));
    }

    #[test]
    fn steps_without_samples_are_gaps_not_zeros() {
        let grid = Grid {
            start: 0,
            step: 60,
            points: 4,
        };
        let samples = [
            Sample::new(0, 1.0),
            Sample::new(185, 2.0),
            Sample::new(70, f64::NAN),
        ];
        assert_eq!(
            downsample(&samples, &grid, Fold::Avg),
            vec![Some(1.0), None, None, Some(2.0)]
        );
    }

    proptest! {
        #[test]
        fn a_grid_never_exceeds_its_points_and_covers_the_period(
            from in -1_000_000_000i64..2_000_000_000,
            span in 1i64..40_000_000,
            resolution in prop_oneof![Just(10i64), Just(60), Just(1800)],
            max in 1usize..2000,
        ) {
            let grid = Grid::covering(from, from + span, resolution, max);
            prop_assert!(grid.points <= max);
            prop_assert_eq!(grid.step % resolution, 0);
            prop_assert!(grid.start <= from);
            prop_assert!(grid.start + grid.step * grid.points as i64 >= from + span
                || grid.points == max);
        }
    }
}
