//! Rounding values to fewer significant bits before they are stored.
//!
//! A gauge such as CPU use changes in every bit of its mantissa from one sample to the
//! next, so XOR encoding alone saves little. A chart needs three or four significant
//! digits; keeping 12 of the 52 mantissa bits (a relative error below 2⁻¹³ ≈ 0.012 %)
//! leaves at most 12 meaningful bits per XOR, and the chunk ≈ 2 bytes per sample.

/// `value` rounded to the nearest number with `mantissa_bits` (0..=52) mantissa bits.
/// NaN and infinities are kept as they are; a value that would round to infinity is
/// truncated instead.
pub fn quantize(value: f64, mantissa_bits: u32) -> f64 {
    if !value.is_finite() || mantissa_bits >= 52 {
        return value;
    }
    let drop = 52 - mantissa_bits;
    let mask = (1u64 << drop) - 1;
    let bits = value.to_bits();
    // Adding half a unit may carry into the exponent: that is rounding up correctly.
    let rounded = f64::from_bits((bits + (1u64 << (drop - 1))) & !mask);
    if rounded.is_finite() {
        rounded
    } else {
        f64::from_bits(bits & !mask)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn the_relative_error_is_within_half_a_unit(v in any::<f64>(), bits in 1u32..52) {
            let q = quantize(v, bits);
            if v.is_nan() {
                prop_assert!(q.is_nan());
            } else if v.is_infinite() || v == 0.0 {
                prop_assert_eq!(q, v);
            } else if v.is_normal() {
                let error = ((q - v) / v).abs();
                prop_assert!(error <= 2f64.powi(-(bits as i32)), "{v} → {q}: {error}");
            }
            prop_assert_eq!(quantize(q, bits).to_bits(), q.to_bits(), "idempotent");
        }
    }

    #[test]
    fn the_largest_finite_value_is_not_rounded_to_infinity() {
        assert!(quantize(f64::MAX, 4).is_finite());
        assert_eq!(quantize(1.0 + 1e-9, 12), 1.0);
    }
}
