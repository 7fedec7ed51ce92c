//! An exact (Kulisch) accumulator: a 2176-bit two's-complement fixed-point register that
//! adds any finite f64 without rounding, and rounds the total **once** to any format.
//!
//! The least significant bit weighs 2^-1074 (the smallest f64 subnormal) and the register
//! spans beyond 2^1100, so up to 2^70 f64 terms of any magnitude can be summed exactly.
//! Products of two f32 values (or of any two values of formats up to fp32) are exact in
//! f64, so `add_product_f32` is exact too. NaN and infinities are tracked on the side and
//! follow IEEE rules (Inf - Inf = NaN).

use super::float::{f64_from_parts, Spec};
use super::format::FloatFormat;
use super::rounding::{Overflow, Rounding};

const LIMBS: usize = 34;

/// An exact sum of f64 terms.
#[derive(Clone, PartialEq, Eq)]
pub struct ExactSum {
    limbs: [u64; LIMBS],
    /// Lowest limb touched so far (for a cheap reset).
    lo: usize,
    nan: bool,
    pos_inf: bool,
    neg_inf: bool,
}

impl std::fmt::Debug for ExactSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExactSum({:e})", self.to_f64(Rounding::NearestEven))
    }
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum::new()
    }
}

impl ExactSum {
    /// An empty (zero) sum.
    pub const fn new() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            lo: LIMBS,
            nan: false,
            pos_inf: false,
            neg_inf: false,
        }
    }

    /// Resets to zero.
    pub fn clear(&mut self) {
        self.limbs[self.lo.min(LIMBS)..].fill(0);
        self.lo = LIMBS;
        self.nan = false;
        self.pos_inf = false;
        self.neg_inf = false;
    }

    /// Adds one f64 exactly.
    #[inline]
    pub fn add_f64(&mut self, x: f64) {
        let b = x.to_bits();
        let negative = b >> 63 != 0;
        let e = ((b >> 52) & 0x7ff) as usize;
        let f = b & 0x000f_ffff_ffff_ffff;
        if e == 0x7ff {
            if f != 0 {
                self.nan = true;
            } else if negative {
                self.neg_inf = true;
            } else {
                self.pos_inf = true;
            }
            return;
        }
        let (mant, pos) = if e == 0 {
            if f == 0 {
                return;
            }
            (f, 0usize)
        } else {
            (f | (1 << 52), e - 1)
        };
        let idx = pos / 64;
        let wide = (mant as u128) << (pos % 64);
        let w0 = wide as u64;
        let w1 = (wide >> 64) as u64;
        self.lo = self.lo.min(idx);
        if negative {
            self.sub_at(idx, w0, w1);
        } else {
            self.add_at(idx, w0, w1);
        }
    }

    #[inline]
    fn add_at(&mut self, idx: usize, w0: u64, w1: u64) {
        self.apply_at(idx, w0, w1, u64::overflowing_add);
    }

    #[inline]
    fn sub_at(&mut self, idx: usize, w0: u64, w1: u64) {
        self.apply_at(idx, w0, w1, u64::overflowing_sub);
    }

    /// Adds (`op` = `overflowing_add`) or subtracts (`overflowing_sub`) the 128-bit value
    /// `w1:w0` at limbs `idx`, `idx + 1`, carrying (borrowing) into the limbs above.
    #[inline(always)]
    fn apply_at(&mut self, idx: usize, w0: u64, w1: u64, op: impl Fn(u64, u64) -> (u64, bool)) {
        let (s0, c0) = op(self.limbs[idx], w0);
        self.limbs[idx] = s0;
        let (s1a, c1a) = op(self.limbs[idx + 1], w1);
        let (s1, c1b) = op(s1a, c0 as u64);
        self.limbs[idx + 1] = s1;
        let mut i = idx + 2;
        let mut carry = c1a || c1b;
        while carry && i < LIMBS {
            let (s, c) = op(self.limbs[i], 1);
            self.limbs[i] = s;
            carry = c;
            i += 1;
        }
    }

    /// Adds the exact product of two f32 values.
    #[inline]
    pub fn add_product_f32(&mut self, a: f32, b: f32) {
        self.add_f64(a as f64 * b as f64);
    }

    /// Adds another exact sum.
    pub fn add_sum(&mut self, other: &ExactSum) {
        self.nan |= other.nan;
        self.pos_inf |= other.pos_inf;
        self.neg_inf |= other.neg_inf;
        if other.lo >= LIMBS {
            return;
        }
        let mut carry = 0u64;
        let start = other.lo;
        for i in start..LIMBS {
            let (s, c1) = self.limbs[i].overflowing_add(other.limbs[i]);
            let (s, c2) = s.overflowing_add(carry);
            self.limbs[i] = s;
            carry = (c1 || c2) as u64;
        }
        self.lo = self.lo.min(start);
    }

    /// True if the sum is NaN (a NaN term, or both +Inf and -Inf).
    pub fn is_nan(&self) -> bool {
        self.nan || (self.pos_inf && self.neg_inf)
    }

    /// True if the finite part is exactly zero (ignores Inf/NaN terms).
    pub fn is_zero(&self) -> bool {
        self.limbs.iter().all(|&l| l == 0)
    }

    /// The sign and magnitude `mant · 2^exp` of the finite part, with the bits below the
    /// 64-bit window folded into a sticky bit (enough for any target up to 62 bits).
    fn parts(&self) -> Option<(bool, u64, i32)> {
        let negative = self.limbs[LIMBS - 1] >> 63 != 0;
        let mut mag = self.limbs;
        if negative {
            let mut carry = 1u64;
            for l in mag.iter_mut() {
                let (s, c) = (!*l).overflowing_add(carry);
                *l = s;
                carry = c as u64;
            }
        }
        let top = (0..LIMBS).rev().find(|&i| mag[i] != 0)?;
        let lz = mag[top].leading_zeros();
        let below = if top > 0 { mag[top - 1] } else { 0 };
        let (window, rest_bits) = if lz == 0 {
            (mag[top], below)
        } else {
            ((mag[top] << lz) | (below >> (64 - lz)), below << lz)
        };
        let sticky = rest_bits != 0 || mag[..top.saturating_sub(1)].iter().any(|&l| l != 0);
        let mant = window | sticky as u64;
        let exp = (top as i32) * 64 - lz as i32 - 1074;
        Some((negative, mant, exp))
    }

    fn special(&self) -> Option<f64> {
        if self.is_nan() {
            Some(f64::NAN)
        } else if self.pos_inf {
            Some(f64::INFINITY)
        } else if self.neg_inf {
            Some(f64::NEG_INFINITY)
        } else {
            None
        }
    }

    /// The sum rounded once to f64 with mode `r` (a zero sum is +0).
    pub fn to_f64(&self, r: Rounding) -> f64 {
        if let Some(s) = self.special() {
            return s;
        }
        match self.parts() {
            None => 0.0,
            Some((neg, mant, exp)) => f64_from_parts(neg, mant, exp, r, 0),
        }
    }

    /// The sum rounded once to f32 with mode `r` (a zero sum is +0).
    pub fn to_f32(&self, r: Rounding) -> f32 {
        f32::from_bits(self.encode(&FloatFormat::FP32, r, Overflow::Ieee, 0))
    }

    /// The sum rounded once to a float format; returns the code. `rand` as in
    /// [`crate::numerics::rounding::round_shift`].
    pub fn encode(&self, f: &FloatFormat, r: Rounding, o: Overflow, rand: u64) -> u32 {
        let s = Spec::of(f);
        if let Some(v) = self.special() {
            return s.encode_f64(v, r, o, rand) as u32;
        }
        match self.parts() {
            None => 0,
            Some((neg, mant, exp)) => s.encode_parts(neg, mant, exp, r, o, rand) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_exactly() {
        let mut s = ExactSum::new();
        s.add_f64(1e300);
        s.add_f64(1.0);
        s.add_f64(-1e300);
        s.add_f64(f64::from_bits(1));
        assert_eq!(s.to_f64(Rounding::NearestEven), 1.0);
        s.add_f64(-1.0);
        assert_eq!(s.to_f64(Rounding::NearestEven), f64::from_bits(1));
        s.add_f64(-2.0 * f64::from_bits(1));
        assert_eq!(s.to_f64(Rounding::NearestEven), -f64::from_bits(1));
        s.clear();
        assert!(s.is_zero());
        s.add_f64(-3.5);
        s.add_f64(1.25);
        assert_eq!(s.to_f32(Rounding::NearestEven), -2.25);
    }

    #[test]
    fn rounds_once() {
        let mut s = ExactSum::new();
        s.add_f64(1.0);
        s.add_f64(2f64.powi(-24));
        s.add_f64(2f64.powi(-80));
        assert_eq!(s.to_f32(Rounding::NearestEven), 1.0 + f32::EPSILON);
        let mut t = ExactSum::new();
        t.add_f64(f64::INFINITY);
        t.add_f64(f64::NEG_INFINITY);
        assert!(t.to_f64(Rounding::NearestEven).is_nan());
    }
}
