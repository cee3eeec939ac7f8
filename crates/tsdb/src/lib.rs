//! Compressed time series for ProxiCloud's metrics: pure functions and values, no I/O
//! (the store keeps the bytes, the domain decides what to collect).
//!
//! - [`chunk`]: a Gorilla chunk (Facebook's "Gorilla: A Fast, Scalable, In-Memory Time
//!   Series Database", as Prometheus' XOR chunk): delta-of-delta timestamps and XOR'd
//!   floats, lossless for any `f64` bit pattern (NaN payloads and infinities included).
//! - [`quantize`]: rounds a value to fewer mantissa bits *before* it is stored; that,
//!   not the codec, is what brings noisy gauges to ≈ 2–3 bytes per sample.
//! - [`rollup`]: fixed buckets (30 minutes) of average and maximum.
//! - [`downsample`]: a query's grid of at most N points, with `None` where there was no
//!   data (gaps stay gaps, they are never zeros).
//! - [`rate`]: byte counters to per-second rates, with counter resets.
//!
//! Choices (why a hand-written codec): the crates found (`tsz`, `gortsz`) either take
//! unsigned timestamps, panic on bad input or lack out-of-order refusal; this one is
//! small and property-tested (`tests` in each module).

mod bits;
pub mod chunk;
pub mod downsample;
pub mod quantize;
pub mod rate;
pub mod rollup;

pub use chunk::{Chunk, ChunkError, Sample};
pub use downsample::{Grid, downsample};
pub use quantize::quantize;
pub use rate::{counter_rate, rate_over};
pub use rollup::{Rollup, rollup};
