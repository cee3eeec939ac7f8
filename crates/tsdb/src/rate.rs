//! Byte counters to rates: the one place this is done (the metrics collector uses
//! [`counter_rate`], the inventory mirror's live utilization [`rate_over`]).
//!
//! Proxmox's guest counters (`netin`, `netout`, `diskread`, `diskwrite`) count since the
//! guest started, so a restart makes them smaller: that reading gives no rate, and the
//! next one counts from it.

use crate::Sample;

/// Bytes per second between two readings of a counter; `None` when the counter went
/// backwards (a reset), time did not advance, or either reading is not a number.
pub fn counter_rate(previous: Sample, current: Sample) -> Option<f64> {
    let seconds = current.t.checked_sub(previous.t).filter(|s| *s > 0)?;
    rate_over(previous.v, current.v, seconds as f64)
}

/// Bytes per second for a counter that went from `previous` to `current` in `seconds`
/// (readings whose clock is finer than whole seconds); `None` as for [`counter_rate`].
pub fn rate_over(previous: f64, current: f64, seconds: f64) -> Option<f64> {
    let delta = current - previous;
    (seconds > 0.0 && delta.is_finite() && delta >= 0.0).then(|| delta / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_bytes_per_second() {
        let rate = counter_rate(Sample::new(100, 1_000.0), Sample::new(160, 7_000.0));
        assert_eq!(rate, Some(100.0));
        assert_eq!(
            counter_rate(Sample::new(0, 5.0), Sample::new(10, 5.0)),
            Some(0.0)
        );
    }

    #[test]
    fn a_reset_or_a_stalled_clock_gives_no_rate() {
        assert_eq!(
            counter_rate(Sample::new(100, 9_000.0), Sample::new(160, 10.0)),
            None
        );
        assert_eq!(
            counter_rate(Sample::new(100, 1.0), Sample::new(100, 2.0)),
            None
        );
        assert_eq!(
            counter_rate(Sample::new(160, 1.0), Sample::new(100, 2.0)),
            None
        );
        assert_eq!(
            counter_rate(Sample::new(0, f64::NAN), Sample::new(10, 2.0)),
            None
        );
    }
}
