//! A Gorilla chunk: up to 65,535 samples of one series in time order.
//!
//! Layout: a 2-byte big-endian sample count, then a bit stream. The first sample is
//! its timestamp and value bits in full (64 + 64 bits); every later one is
//! - its timestamp's delta-of-delta (the first delta counts from a delta of 0):
//!   `0` when it is 0, else `10`+7, `110`+9, `1110`+12 or `1111`+64 bits,
//!   two's complement — a regular series costs one bit per timestamp, any gap fits;
//! - its value XOR'd with the previous one: `0` when equal, `10` + the meaningful bits
//!   when they fit the previous window of leading/trailing zeros, else `11` + 5 bits of
//!   leading zeros + 6 bits of length (64 as 0) + the meaningful bits.
//!
//! The codec is lossless for every bit pattern; timestamps must strictly increase.
//! To add a format, put a version in front of the count: today's chunks have none.

use thiserror::Error;

use crate::bits::{BitReader, BitWriter};

/// One point: seconds since the epoch and a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: i64,
    pub v: f64,
}

impl Sample {
    pub fn new(t: i64, v: f64) -> Self {
        Self { t, v }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChunkError {
    #[error("sample at {got} is not after the chunk's last one at {last}")]
    OutOfOrder { last: i64, got: i64 },
    #[error("the chunk holds the most samples it can")]
    Full,
    #[error("the chunk's bytes are damaged")]
    Corrupt,
}

/// Delta-of-delta buckets: (prefix, prefix length, payload bits).
const DOD_BUCKETS: [(u64, u32, u32); 3] = [(0b10, 2, 7), (0b110, 3, 9), (0b1110, 4, 12)];
const DOD_WIDE: (u64, u32) = (0b1111, 4);

/// An appendable chunk.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    body: BitWriter,
    count: u16,
    last_t: i64,
    last_delta: i64,
    last_bits: u64,
    /// The previous value's window of meaningful bits, once there is one.
    window: Option<(u32, u32)>,
}

impl Chunk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Re-opens a stored chunk for appending.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChunkError> {
        let mut chunk = Self::new();
        for sample in decode(bytes)? {
            chunk.push(sample)?;
        }
        Ok(chunk)
    }

    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The last sample's time.
    pub fn last_t(&self) -> Option<i64> {
        (self.count > 0).then_some(self.last_t)
    }

    /// Appends a sample; refuses one that is not after the last.
    pub fn push(&mut self, sample: Sample) -> Result<(), ChunkError> {
        if self.count == u16::MAX {
            return Err(ChunkError::Full);
        }
        let bits = sample.v.to_bits();
        if self.count == 0 {
            self.body.bits(sample.t as u64, 64);
            self.body.bits(bits, 64);
            self.last_delta = 0;
        } else {
            let delta = sample.t.checked_sub(self.last_t).filter(|d| *d > 0).ok_or(
                ChunkError::OutOfOrder {
                    last: self.last_t,
                    got: sample.t,
                },
            )?;
            // Both deltas are positive, so their difference cannot overflow.
            self.write_dod(delta - self.last_delta);
            self.write_value(bits);
            self.last_delta = delta;
        }
        self.last_t = sample.t;
        self.last_bits = bits;
        self.count += 1;
        Ok(())
    }

    fn write_dod(&mut self, dod: i64) {
        if dod == 0 {
            self.body.bit(false);
            return;
        }
        for (prefix, len, width) in DOD_BUCKETS {
            let half = 1i64 << (width - 1);
            if (-half..half).contains(&dod) {
                self.body.bits(prefix, len);
                self.body.bits(dod as u64 & ((1u64 << width) - 1), width);
                return;
            }
        }
        self.body.bits(DOD_WIDE.0, DOD_WIDE.1);
        self.body.bits(dod as u64, 64);
    }

    fn write_value(&mut self, bits: u64) {
        let xor = bits ^ self.last_bits;
        if xor == 0 {
            self.body.bit(false);
            return;
        }
        let leading = xor.leading_zeros().min(31);
        let trailing = xor.trailing_zeros();
        match self.window {
            Some((l, t)) if leading >= l && trailing >= t => {
                self.body.bits(0b10, 2);
                self.body.bits(xor >> t, 64 - l - t);
            }
            _ => {
                let len = 64 - leading - trailing;
                self.body.bits(0b11, 2);
                self.body.bits(u64::from(leading), 5);
                self.body.bits(u64::from(len % 64), 6);
                self.body.bits(xor >> trailing, len);
                self.window = Some((leading, trailing));
            }
        }
    }

    /// The stored form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.body.as_bytes();
        let mut out = Vec::with_capacity(2 + body.len());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(body);
        out
    }
}

/// Builds a chunk from samples in order.
pub fn encode(samples: &[Sample]) -> Result<Vec<u8>, ChunkError> {
    let mut chunk = Chunk::new();
    for sample in samples {
        chunk.push(*sample)?;
    }
    Ok(chunk.to_bytes())
}

/// Every sample of a stored chunk.
pub fn decode(bytes: &[u8]) -> Result<Vec<Sample>, ChunkError> {
    let Some((count, body)) = bytes.split_first_chunk::<2>() else {
        return if bytes.is_empty() {
            Ok(Vec::new())
        } else {
            Err(ChunkError::Corrupt)
        };
    };
    let count = u16::from_be_bytes(*count);
    let mut out = Vec::with_capacity(usize::from(count));
    if count == 0 {
        return Ok(out);
    }
    let mut r = BitReader::new(body, 0);
    let corrupt = || ChunkError::Corrupt;
    let mut t = r.bits(64).ok_or_else(corrupt)? as i64;
    let mut bits = r.bits(64).ok_or_else(corrupt)?;
    out.push(Sample::new(t, f64::from_bits(bits)));
    let (mut delta, mut window) = (0i64, (0u32, 0u32));
    for _ in 1..count {
        delta = delta
            .checked_add(read_dod(&mut r).ok_or_else(corrupt)?)
            .filter(|d| *d > 0)
            .ok_or_else(corrupt)?;
        t = t.checked_add(delta).ok_or_else(corrupt)?;
        if r.bit().ok_or_else(corrupt)? {
            if r.bit().ok_or_else(corrupt)? {
                let leading = r.bits(5).ok_or_else(corrupt)? as u32;
                let len = match r.bits(6).ok_or_else(corrupt)? as u32 {
                    0 => 64,
                    n => n,
                };
                if leading + len > 64 {
                    return Err(corrupt());
                }
                window = (leading, 64 - leading - len);
            }
            let (leading, trailing) = window;
            let len = 64 - leading - trailing;
            if len == 0 {
                return Err(corrupt());
            }
            bits ^= r.bits(len).ok_or_else(corrupt)? << trailing;
        }
        out.push(Sample::new(t, f64::from_bits(bits)));
    }
    Ok(out)
}

fn read_dod(r: &mut BitReader<'_>) -> Option<i64> {
    if !r.bit()? {
        return Some(0);
    }
    // Prefixes are `10`, `110`, `1110`: a `0` ends one; `1111` is the wide form.
    for (_, _, width) in DOD_BUCKETS {
        if !r.bit()? {
            let raw = r.bits(width)?;
            // Sign-extend the two's complement payload.
            let shift = 64 - width;
            return Some(((raw << shift) as i64) >> shift);
        }
    }
    Some(r.bits(64)? as i64)
}

#[cfg(test)]
mod tests;
