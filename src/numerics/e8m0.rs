//! OCP E8M0: the unsigned power-of-two scale of the MX formats.
//!
//! Code `c` in 0..=254 is `2^(c-127)`; 0xFF is NaN; there is no zero and no sign.
//! OCP does not define float → E8M0 rounding (MX computes scales as exact powers of two,
//! see [`crate::numerics::mx`]); this module follows ml_dtypes 0.6 where it is not
//! implementation-defined:
//! * nearest rounding (`rne`, `rna`) of `x = r·2^e` (1 ≤ r < 2) goes up iff `r ≥ 1.5`
//!   (ties go up, to the larger power of two);
//! * zero, negative numbers, NaN and -Inf give 0xFF; +Inf and overflow give 0xFF, or 0xFE
//!   (2^127) with [`Overflow::Saturate`];
//! * values below 2^-127 round to code 0 (the smallest scale), whatever the mode. (ml_dtypes
//!   rounds f32 subnormals in (2^-127, 1.5·2^-127) up to code 1; we round them to nearest.)
//!
//! Directed modes and stochastic rounding interpolate linearly between the two powers of two.

use super::rounding::{Overflow, Rounding};

/// The NaN code of E8M0.
pub const E8M0_NAN: u8 = 0xff;

/// Encodes a positive value `mant · 2^exp` (mant > 0).
fn encode_parts(mant: u64, exp: i32, r: Rounding, o: Overflow, rand: u64) -> u8 {
    let msb = 63 - mant.leading_zeros();
    let t = exp + msb as i32;
    let rem = mant - (1u64 << msb); // fractional part r - 1, in units of 2^-msb
    let up = rem != 0
        && match r {
            Rounding::NearestEven | Rounding::NearestAway => rem >= 1u64 << msb.saturating_sub(1),
            Rounding::TowardZero | Rounding::TowardNegative => false,
            Rounding::TowardPositive => true,
            Rounding::Stochastic => rand < (rem << (64 - msb)),
        };
    let c = t + up as i32 + 127;
    if c > 254 {
        let shrink = matches!(r, Rounding::TowardZero | Rounding::TowardNegative);
        return if o == Overflow::Saturate || shrink {
            0xfe
        } else {
            E8M0_NAN
        };
    }
    c.max(0) as u8
}

/// Encodes an f64 to E8M0 (see the module documentation for the rules).
pub fn e8m0_encode_f64(x: f64, r: Rounding, o: Overflow, rand: u64) -> u8 {
    if x.is_nan() || x <= 0.0 {
        return E8M0_NAN;
    }
    if x.is_infinite() {
        return if o == Overflow::Saturate {
            0xfe
        } else {
            E8M0_NAN
        };
    }
    let b = x.to_bits();
    let e = ((b >> 52) & 0x7ff) as i32;
    let f = b & 0x000f_ffff_ffff_ffff;
    let (mant, exp) = if e == 0 {
        (f, -1074)
    } else {
        (f | (1 << 52), e - 1075)
    };
    encode_parts(mant, exp, r, o, rand)
}

/// Encodes an f32 to E8M0 (exactly as [`e8m0_encode_f64`] of the same value).
pub fn e8m0_encode_f32(x: f32, r: Rounding, o: Overflow, rand: u64) -> u8 {
    e8m0_encode_f64(x as f64, r, o, rand)
}

/// Decodes an E8M0 code: `2^(code-127)`, NaN for 0xFF.
pub fn e8m0_decode_f64(code: u8) -> f64 {
    if code == E8M0_NAN {
        f64::NAN
    } else {
        super::format::pow2(code as i32 - 127)
    }
}

/// Decodes an E8M0 code to f32 (exact: 2^-127 is an f32 subnormal).
pub fn e8m0_decode_f32(code: u8) -> f32 {
    e8m0_decode_f64(code) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::rounding::test_modes::{IEEE, RNE};

    #[test]
    fn basics() {
        assert_eq!(e8m0_encode_f32(1.0, RNE, IEEE, 0), 127);
        assert_eq!(e8m0_encode_f32(1.5, RNE, IEEE, 0), 128);
        assert_eq!(e8m0_encode_f32(1.4999999, RNE, IEEE, 0), 127);
        assert_eq!(e8m0_encode_f32(0.0, RNE, IEEE, 0), 0xff);
        assert_eq!(e8m0_encode_f32(-1.0, RNE, IEEE, 0), 0xff);
        assert_eq!(e8m0_encode_f32(f32::MAX, RNE, IEEE, 0), 0xff);
        assert_eq!(e8m0_encode_f32(f32::MAX, RNE, Overflow::Saturate, 0), 0xfe);
        assert_eq!(
            e8m0_encode_f32(f32::MAX, Rounding::TowardZero, IEEE, 0),
            0xfe
        );
        assert_eq!(e8m0_encode_f32(1e-45, RNE, IEEE, 0), 0);
        assert_eq!(e8m0_encode_f32(1.1, Rounding::TowardPositive, IEEE, 0), 128);
        assert_eq!(e8m0_decode_f32(0), f32::from_bits(0x0040_0000));
        assert_eq!(e8m0_decode_f32(254), 2f32.powi(127));
    }
}
