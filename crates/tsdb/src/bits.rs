//! A bit stream, most significant bit first.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0 = the last byte is full or there is none).
    used: u32,
}

impl BitWriter {
    pub(crate) fn bit(&mut self, bit: bool) {
        self.bits(u64::from(bit), 1);
    }

    /// The low `n` bits of `value`, high to low (`n` ≤ 64).
    pub(crate) fn bits(&mut self, value: u64, mut n: u32) {
        debug_assert!(n <= 64);
        while n > 0 {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let free = 8 - self.used;
            let take = free.min(n);
            let chunk = ((value >> (n - take)) & ((1u64 << take) - 1)) as u8;
            let last = self.bytes.last_mut().expect("a byte was pushed");
            *last |= chunk << (free - take);
            self.used = (self.used + take) % 8;
            n -= take;
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }

    pub(crate) fn bit(&mut self) -> Option<bool> {
        Some(self.bits(1)? == 1)
    }

    /// `n` bits (≤ 64) as the low bits of the result; `None` past the end.
    pub(crate) fn bits(&mut self, mut n: u32) -> Option<u64> {
        if self.pos + n as usize > self.bytes.len() * 8 {
            return None;
        }
        let mut out = 0u64;
        while n > 0 {
            let byte = self.bytes[self.pos / 8];
            let offset = (self.pos % 8) as u32;
            let take = (8 - offset).min(n);
            let chunk = (byte >> (8 - offset - take)) & (((1u16 << take) - 1) as u8);
            out = (out << take) | u64::from(chunk);
            self.pos += take as usize;
            n -= take;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_across_byte_boundaries() {
        let mut w = BitWriter::default();
        w.bit(true);
        w.bits(0b101, 3);
        w.bits(u64::MAX, 64);
        w.bits(0x1234, 13);
        let mut r = BitReader::new(w.as_bytes(), 0);
        assert_eq!(r.bit(), Some(true));
        assert_eq!(r.bits(3), Some(0b101));
        assert_eq!(r.bits(64), Some(u64::MAX));
        assert_eq!(r.bits(13), Some(0x1234 & 0x1FFF));
        assert_eq!(r.bits(8), None, "only padding is left");
    }
}
