//! Signed fixed point (QPyTorch's `fixed_point_quantize`): a `word_bits`-bit two's-complement
//! integer `n` stands for `n · 2^-frac_bits`.
//!
//! Encoding scales by `2^frac_bits` (exact), rounds once with the chosen mode and clamps to
//! `[-2^(W-1), 2^(W-1) - 1]` (or `[-(2^(W-1) - 1), ...]` when `symmetric`), or wraps with
//! [`Overflow::Wrap`]. QPyTorch's "nearest" is `floor(x·2^F + 0.5)` (ties toward +∞); use
//! [`Rounding::NearestEven`] (default) or [`Rounding::NearestAway`] here, which differ from it
//! only on exact ties of negative values.

use super::format::pow2;
use super::int::{int_code, int_decode, int_from_f64};
use super::rounding::{Overflow, Rounding};
use super::NumericsError;

/// A fixed-point format: word length and fractional length, in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedFormat {
    /// Total word length (2..=32), sign included.
    pub word_bits: u32,
    /// Fractional length (0..word_bits+32): the resolution is `2^-frac_bits`.
    pub frac_bits: u32,
    /// Clamp to the symmetric range `±(2^(W-1) - 1)` instead of the full two's-complement range.
    pub symmetric: bool,
}

impl FixedFormat {
    /// A fixed-point format with the full two's-complement range.
    pub fn new(word_bits: u32, frac_bits: u32) -> Result<Self, NumericsError> {
        let f = FixedFormat {
            word_bits,
            frac_bits,
            symmetric: false,
        };
        f.validate()?;
        Ok(f)
    }

    /// Checks the widths.
    pub fn validate(&self) -> Result<(), NumericsError> {
        if !(2..=32).contains(&self.word_bits) || self.frac_bits >= self.word_bits + 32 {
            return Err(NumericsError::InvalidFormat(format!(
                "fixed{}_{}: word length must be 2..=32 and fractional length < word length + 32",
                self.word_bits, self.frac_bits
            )));
        }
        Ok(())
    }

    /// The resolution `2^-frac_bits`.
    pub fn resolution(&self) -> f64 {
        pow2(-(self.frac_bits as i32))
    }

    /// The largest value, `(2^(W-1) - 1) · 2^-F`.
    pub fn max_value(&self) -> f64 {
        ((1i64 << (self.word_bits - 1)) - 1) as f64 * self.resolution()
    }

    /// The smallest (most negative) value.
    pub fn min_value(&self) -> f64 {
        let n = if self.symmetric {
            -((1i64 << (self.word_bits - 1)) - 1)
        } else {
            -(1i64 << (self.word_bits - 1))
        };
        n as f64 * self.resolution()
    }

    /// The integer `n` that encodes `x` (before taking the low `word_bits` bits).
    pub fn to_integer(&self, x: f64, r: Rounding, o: Overflow, rand: u64) -> i64 {
        let scaled = x * pow2(self.frac_bits as i32); // exact (or ±Inf, which saturates)
        let n = int_from_f64(self.word_bits, true, scaled, r, o, rand);
        let lo = -((1i64 << (self.word_bits - 1)) - 1);
        if self.symmetric && n < lo && o != Overflow::Wrap {
            lo
        } else {
            n
        }
    }

    /// Encodes `x` as a code (two's complement in the low `word_bits` bits).
    pub fn encode_f64(&self, x: f64, r: Rounding, o: Overflow, rand: u64) -> u32 {
        int_code(self.word_bits, self.to_integer(x, r, o, rand))
    }

    /// Decodes a code to its exact value.
    pub fn decode_f64(&self, code: u32) -> f64 {
        int_decode(self.word_bits, true, code) as f64 * self.resolution()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed8_4() {
        let f = FixedFormat::new(8, 4).unwrap();
        let rne = Rounding::NearestEven;
        assert_eq!(f.encode_f64(1.03125, rne, Overflow::Ieee, 0), 16); // 16.5 -> 16
        assert_eq!(f.decode_f64(0x80), -8.0);
        assert_eq!(f.encode_f64(100.0, rne, Overflow::Ieee, 0), 0x7f);
        assert_eq!(f.max_value(), 7.9375);
        let s = FixedFormat {
            symmetric: true,
            ..f
        };
        assert_eq!(s.encode_f64(-100.0, rne, Overflow::Ieee, 0), 0x81);
        assert!(FixedFormat::new(40, 3).is_err());
    }
}
