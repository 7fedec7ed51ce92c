//! Integer and binary formats: float → integer code with any rounding mode, and back.
//!
//! Codes are the two's-complement (or unsigned) pattern in the low `bits` bits of a `u32`
//! (int4 -1 is `0xf`), as in the reference vectors. Conversions of out-of-range values
//! saturate ([`Overflow::Ieee`] and [`Overflow::Saturate`]: integers have no Inf code) or
//! wrap modulo `2^bits` ([`Overflow::Wrap`]). NaN converts to 0 and ±Inf saturates, as Rust's
//! `as` does. (The ONNX Runtime quantizer maps NaN to qmin instead: see
//! [`crate::numerics::quant`].)
//!
//! Binary: code 1 is +1 and code 0 is -1; a value encodes to 0 iff it is negative
//! (`x < 0`), so +0, -0 and NaN encode to +1.

use super::rounding::{round_f64_to_integral, Overflow, Rounding};

/// Smallest value of a `bits`-bit integer (`bits` in 1..=64).
pub const fn int_min(bits: u32, signed: bool) -> i64 {
    if signed {
        if bits >= 64 {
            i64::MIN
        } else {
            -(1i64 << (bits - 1))
        }
    } else {
        0
    }
}

/// Largest value of a `bits`-bit integer (`bits` in 1..=64; unsigned widths up to 63).
pub const fn int_max(bits: u32, signed: bool) -> i64 {
    if signed {
        if bits >= 64 {
            i64::MAX
        } else {
            (1i64 << (bits - 1)) - 1
        }
    } else if bits >= 63 {
        i64::MAX
    } else {
        (1i64 << bits) - 1
    }
}

/// Mask of the low `bits` bits.
#[inline]
pub(crate) const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Wraps an integer-valued finite f64 modulo 2^64 (two's complement).
fn wrap_integral(v: f64) -> u64 {
    if v.abs() < 9_223_372_036_854_775_808.0 {
        return v as i64 as u64;
    }
    // |v| >= 2^63: v = mant * 2^exp with exp >= 11.
    let b = v.to_bits();
    let e = ((b >> 52) & 0x7ff) as i32 - 1075;
    let mant = (b & 0x000f_ffff_ffff_ffff) | (1 << 52);
    let m = if e >= 64 { 0 } else { mant << e };
    if v < 0.0 {
        m.wrapping_neg()
    } else {
        m
    }
}

/// Converts an f64 to a `bits`-bit integer value (1..=32 bits) with rounding `r`.
#[inline]
pub fn int_from_f64(bits: u32, signed: bool, x: f64, r: Rounding, o: Overflow, rand: u64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    let v = round_f64_to_integral(x, r, rand);
    let (lo, hi) = (int_min(bits, signed), int_max(bits, signed));
    if v >= lo as f64 && v <= hi as f64 {
        return v as i64;
    }
    if o == Overflow::Wrap && v.is_finite() {
        let w = wrap_integral(v) & low_mask(bits);
        return int_decode(bits, signed, w as u32);
    }
    if v < lo as f64 {
        lo
    } else {
        hi
    }
}

/// Encodes an f64 as a `bits`-bit integer code (value in the low `bits` bits).
#[inline]
pub fn int_encode_f64(bits: u32, signed: bool, x: f64, r: Rounding, o: Overflow, rand: u64) -> u32 {
    (int_from_f64(bits, signed, x, r, o, rand) as u64 & low_mask(bits)) as u32
}

/// The code of an integer value (two's complement in the low `bits` bits; no range check).
#[inline]
pub const fn int_code(bits: u32, value: i64) -> u32 {
    (value as u64 & low_mask(bits)) as u32
}

/// Decodes a `bits`-bit integer code (bits above `bits` are ignored).
#[inline]
pub const fn int_decode(bits: u32, signed: bool, code: u32) -> i64 {
    let v = code as u64 & low_mask(bits);
    if signed && bits < 64 && (v >> (bits - 1)) & 1 == 1 {
        (v | !low_mask(bits)) as i64
    } else {
        v as i64
    }
}

/// Encodes a value as binary: code 0 (-1) iff `x < 0`, otherwise code 1 (+1).
#[inline]
pub fn binary_encode_f64(x: f64) -> u32 {
    (x.is_nan() || x >= 0.0) as u32
}

/// Decodes a binary code: 1 → +1, anything else → -1 (only the low bit counts).
#[inline]
pub const fn binary_decode(code: u32) -> i64 {
    if code & 1 == 1 {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::rounding::test_modes::RNE;

    #[test]
    fn int4_codes() {
        assert_eq!(int_encode_f64(4, true, -1.0, RNE, Overflow::Ieee, 0), 0xf);
        assert_eq!(int_encode_f64(4, true, 7.5, RNE, Overflow::Ieee, 0), 7);
        assert_eq!(int_encode_f64(4, true, -100.0, RNE, Overflow::Ieee, 0), 8);
        assert_eq!(int_encode_f64(4, true, 9.0, RNE, Overflow::Wrap, 0), 9); // 9 wraps to -7 = 0b1001
        assert_eq!(int_decode(4, true, 9), -7);
        assert_eq!(int_encode_f64(8, false, 2.5, RNE, Overflow::Ieee, 0), 2);
        assert_eq!(
            int_encode_f64(8, false, 2.5, Rounding::NearestAway, Overflow::Ieee, 0),
            3
        );
        assert_eq!(int_encode_f64(8, true, f64::NAN, RNE, Overflow::Ieee, 0), 0);
        assert_eq!(
            int_encode_f64(8, true, f64::INFINITY, RNE, Overflow::Wrap, 0),
            127
        );
        assert_eq!(int_encode_f64(8, true, 1e30, RNE, Overflow::Wrap, 0), 0);
        assert_eq!(int_encode_f64(8, true, 384.0, RNE, Overflow::Wrap, 0), 0x80);
        assert_eq!(
            int_from_f64(32, true, -3e9, RNE, Overflow::Ieee, 0),
            i32::MIN as i64
        );
    }

    #[test]
    fn binary() {
        assert_eq!(binary_encode_f64(-0.5), 0);
        assert_eq!(binary_encode_f64(-0.0), 1);
        assert_eq!(binary_decode(0), -1);
        assert_eq!(binary_decode(1), 1);
    }
}
