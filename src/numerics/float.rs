//! Generic binary floating-point encode/decode with every rounding mode.
//!
//! One algorithm serves every [`FloatFormat`] (fp32, fp16, bf16, OCP fp8/fp6/fp4, fnuz and
//! the generic `fp_e{E}m{M}` family) and f64: the input is split exactly into
//! `±mant · 2^exp`, rounded **once** with [`round_shift`] at the target's quantum (normal or
//! subnormal), and re-assembled; carries into the next binade and into the overflow range
//! fall out of the integer arithmetic. Overflow follows the IEEE rule "round with an
//! unbounded exponent, then apply the overflow policy", which is also what ml_dtypes does.
//!
//! NaN inputs give the format's canonical NaN with the input's sign (IEEE-like formats:
//! quiet NaN `S.1..1.10..0`; "fn": `S.1..1.1..1`; fnuz: `0x80`). Formats without NaN
//! (FP6/FP4) reproduce ml_dtypes: +NaN gives -0 and -NaN gives +0 (implementation-defined
//! in the OCP spec). Infinities map to ±Inf, or to NaN for formats without Inf, or to ±max
//! with [`Overflow::Saturate`] (and always for FP6/FP4).

use super::format::{pow2, FloatFormat, FloatKind};
use super::rounding::{round_shift, Overflow, Rounding};

/// Precomputed constants of a binary float format (also used for the f64 target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spec {
    pub man_bits: u32,
    pub bias: i32,
    pub kind: FloatKind,
    /// Bit position of the sign (`exp_bits + man_bits`).
    pub sign_shift: u32,
    /// Magnitude code of the largest finite value.
    pub max_mag: u64,
    /// Magnitude code of infinity (IEEE kinds) / the all-ones magnitude.
    pub all_mag: u64,
    pub emin: i32,
    pub emax: i32,
}

impl Spec {
    pub const F64: Spec = Spec {
        man_bits: 52,
        bias: 1023,
        kind: FloatKind::Ieee,
        sign_shift: 63,
        max_mag: 0x7fef_ffff_ffff_ffff,
        all_mag: 0x7fff_ffff_ffff_ffff,
        emin: -1022,
        emax: 1023,
    };

    pub const fn of(f: &FloatFormat) -> Spec {
        Spec {
            man_bits: f.man_bits,
            bias: f.bias(),
            kind: f.kind,
            sign_shift: f.exp_bits + f.man_bits,
            max_mag: f.max_finite_code() as u64,
            all_mag: f.magnitude_mask() as u64,
            emin: f.emin(),
            emax: f.emax(),
        }
    }

    #[inline]
    fn sign(&self, negative: bool) -> u64 {
        (negative as u64) << self.sign_shift
    }

    #[inline]
    fn zero(&self, negative: bool) -> u64 {
        match self.kind {
            FloatKind::Fnuz => 0,
            _ => self.sign(negative),
        }
    }

    /// Code of a NaN input with the given sign.
    #[inline]
    fn nan(&self, negative: bool) -> u64 {
        match self.kind {
            FloatKind::Ieee => {
                self.sign(negative) | (self.max_mag + 1) | (1 << (self.man_bits - 1))
            }
            FloatKind::FiniteNan => self.sign(negative) | self.all_mag,
            FloatKind::Fnuz => 1 << self.sign_shift,
            // ml_dtypes: +NaN -> -0, -NaN -> +0.
            FloatKind::FiniteNoNan => self.sign(!negative),
        }
    }

    /// Code of an infinite input.
    #[inline]
    fn inf(&self, negative: bool, o: Overflow) -> u64 {
        if o == Overflow::Saturate {
            return self.sign(negative) | self.max_mag;
        }
        match self.kind {
            FloatKind::Ieee => self.sign(negative) | (self.max_mag + 1),
            FloatKind::FiniteNoNan => self.sign(negative) | self.max_mag,
            _ => self.nan(negative),
        }
    }

    /// Code of a finite value whose rounded magnitude exceeds the largest finite value.
    #[inline]
    fn overflow(&self, negative: bool, r: Rounding, o: Overflow) -> u64 {
        if r.shrinks_magnitude(negative) {
            self.sign(negative) | self.max_mag
        } else {
            self.inf(negative, o)
        }
    }

    /// Encodes `±mant · 2^exp` (exact input) with one rounding.
    #[inline]
    pub fn encode_parts(
        &self,
        negative: bool,
        mant: u64,
        exp: i32,
        r: Rounding,
        o: Overflow,
        rand: u64,
    ) -> u64 {
        if mant == 0 {
            return self.zero(negative);
        }
        let msb = 63 - mant.leading_zeros() as i32;
        let t = exp + msb; // value in [2^t, 2^(t+1))
        if t > self.emax + 1 {
            return self.overflow(negative, r, o);
        }
        let m = self.man_bits as i32;
        let q = t.max(self.emin) - m; // quantum exponent
        let kept = if q <= exp {
            mant << (exp - q) as u32
        } else {
            let shift = (q - exp).min(200) as u32;
            round_shift(mant, shift, negative, r, rand)
        };
        if kept == 0 {
            return self.zero(negative);
        }
        let mag = (((q + m + self.bias - 1) as u64) << m) + kept;
        if mag > self.max_mag {
            return self.overflow(negative, r, o);
        }
        self.sign(negative) | mag
    }

    /// Encodes an f64 (single rounding).
    #[inline]
    pub fn encode_f64(&self, x: f64, r: Rounding, o: Overflow, rand: u64) -> u64 {
        self.encode_binary(x.to_bits(), 11, 52, r, o, rand)
    }

    /// Encodes an f32 (single rounding).
    #[inline]
    pub fn encode_f32(&self, x: f32, r: Rounding, o: Overflow, rand: u64) -> u64 {
        self.encode_binary(x.to_bits() as u64, 8, 23, r, o, rand)
    }

    /// Encodes the bits `b` of an IEEE binary float with `exp_bits` exponent and
    /// `man_bits` fraction bits (f32: 8, 23; f64: 11, 52), single rounding: Inf and NaN
    /// map to their codes, finite values go to [`Spec::encode_parts`] as `±mant · 2^exp`.
    #[inline(always)]
    fn encode_binary(
        &self,
        b: u64,
        exp_bits: u32,
        man_bits: u32,
        r: Rounding,
        o: Overflow,
        rand: u64,
    ) -> u64 {
        let negative = (b >> (exp_bits + man_bits)) & 1 != 0;
        let e_max = (1u64 << exp_bits) - 1;
        let e = ((b >> man_bits) & e_max) as i32;
        let f = b & ((1u64 << man_bits) - 1);
        if e as u64 == e_max {
            return if f != 0 {
                self.nan(negative)
            } else {
                self.inf(negative, o)
            };
        }
        // value = mant · 2^(e - bias - man_bits), subnormals at the minimum exponent.
        let min_exp = 2 - (1i32 << (exp_bits - 1)) - man_bits as i32;
        let (mant, exp) = if e == 0 {
            (f, min_exp)
        } else {
            (f | (1 << man_bits), e - 1 + min_exp)
        };
        self.encode_parts(negative, mant, exp, r, o, rand)
    }

    /// Encodes the exact sum `a + b` of two f64 values with a single rounding (TwoSum plus
    /// a sticky tail). Requires a target at least 2 bits narrower than f64.
    #[inline]
    pub fn encode_sum(&self, a: f64, b: f64, r: Rounding, o: Overflow, rand: u64) -> u64 {
        let s = a + b;
        if !s.is_finite() {
            return self.encode_f64(s, r, o, rand);
        }
        let bb = s - a;
        let err = (a - (s - bb)) + (b - bb);
        if err == 0.0 {
            // Exact sum; keep the IEEE sign of an exact zero (-0 only in round-down).
            if s == 0.0 && a.to_bits() != b.to_bits() && r == Rounding::TowardNegative {
                return self.zero(true);
            }
            return self.encode_f64(s, r, o, rand);
        }
        let bits = s.to_bits();
        let negative = bits >> 63 != 0;
        let e = ((bits >> 52) & 0x7ff) as i32;
        let f = bits & 0x000f_ffff_ffff_ffff;
        // s is normal here: a nonzero TwoSum error implies |s| >= 2^-1022 * 2^53.
        let mant = f | (1 << 52);
        let away = (err > 0.0) != negative; // the tail increases |s|
        let mant4 = if away {
            (mant << 2) + 1
        } else {
            (mant << 2) - 1
        };
        self.encode_parts(negative, mant4, e - 1075 - 2, r, o, rand)
    }

    /// Decodes a code to its exact value (NaN codes give a NaN with the code's sign).
    #[inline]
    pub fn decode_f64(&self, code: u64) -> f64 {
        let negative = (code >> self.sign_shift) & 1 != 0;
        let mag = code & self.all_mag;
        let nan = || {
            if negative {
                -f64::NAN
            } else {
                f64::NAN
            }
        };
        match self.kind {
            FloatKind::Ieee if mag > self.max_mag => {
                return if mag == self.max_mag + 1 {
                    if negative {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }
                } else {
                    nan()
                };
            }
            FloatKind::FiniteNan if mag == self.all_mag => return nan(),
            FloatKind::Fnuz if negative && mag == 0 => return f64::NAN,
            _ => {}
        }
        let m = self.man_bits;
        let e = (mag >> m) as i32;
        let frac = mag & ((1u64 << m) - 1);
        let v = if e == 0 {
            frac as f64 * pow2(self.emin - m as i32)
        } else {
            (frac | (1 << m)) as f64 * pow2(e - self.bias - m as i32)
        };
        if negative {
            -v
        } else {
            v
        }
    }
}

/// The class of a float code (as in the decode tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatClass {
    /// ±0.
    Zero,
    /// Nonzero with a zero exponent field.
    Subnormal,
    /// Finite with a nonzero exponent field.
    Normal,
    /// ±infinity.
    Inf,
    /// Not a number.
    Nan,
}

impl FloatClass {
    /// Lower-case name (`zero`, `subnormal`, `normal`, `inf`, `nan`).
    pub const fn name(self) -> &'static str {
        match self {
            FloatClass::Zero => "zero",
            FloatClass::Subnormal => "subnormal",
            FloatClass::Normal => "normal",
            FloatClass::Inf => "inf",
            FloatClass::Nan => "nan",
        }
    }
}

impl FloatFormat {
    /// Encodes an f32 with one rounding. `rand` supplies the 64 random bits used by
    /// [`Rounding::Stochastic`] (ignored by the other modes). The code is in the low
    /// [`FloatFormat::bits`] bits.
    #[inline]
    pub fn encode_f32(&self, x: f32, r: Rounding, o: Overflow, rand: u64) -> u32 {
        Spec::of(self).encode_f32(x, r, o, rand) as u32
    }

    /// Encodes an f64 with one rounding (see [`FloatFormat::encode_f32`]).
    #[inline]
    pub fn encode_f64(&self, x: f64, r: Rounding, o: Overflow, rand: u64) -> u32 {
        Spec::of(self).encode_f64(x, r, o, rand) as u32
    }

    /// Encodes the exact sum `a + b` with one rounding: what an adder of this format with
    /// exact inputs returns (used by accumulators).
    #[inline]
    pub fn encode_sum(&self, a: f64, b: f64, r: Rounding, o: Overflow, rand: u64) -> u32 {
        Spec::of(self).encode_sum(a, b, r, o, rand) as u32
    }

    /// Decodes a code to its exact value as f64.
    #[inline]
    pub fn decode_f64(&self, code: u32) -> f64 {
        Spec::of(self).decode_f64(code as u64)
    }

    /// Decodes a code to its exact value as f32 (every value of a valid format is an f32;
    /// fp32 codes are returned bit for bit, NaN payloads included).
    #[inline]
    pub fn decode_f32(&self, code: u32) -> f32 {
        if *self == FloatFormat::FP32 {
            return f32::from_bits(code);
        }
        Spec::of(self).decode_f64(code as u64) as f32
    }

    /// Rounds `x` to this format and returns the value ("fake quantization").
    #[inline]
    pub fn quantize_f32(&self, x: f32, r: Rounding, o: Overflow, rand: u64) -> f32 {
        self.decode_f32(self.encode_f32(x, r, o, rand))
    }

    /// The class of a code.
    pub fn classify(&self, code: u32) -> FloatClass {
        if self.is_nan_code(code) {
            return FloatClass::Nan;
        }
        if self.is_inf_code(code) {
            return FloatClass::Inf;
        }
        let mag = code & self.magnitude_mask();
        if mag == 0 {
            FloatClass::Zero
        } else if mag >> self.man_bits == 0 {
            FloatClass::Subnormal
        } else {
            FloatClass::Normal
        }
    }
}

/// Rounds `±mant · 2^exp` to an f64 with mode `r` (used by the exact accumulator).
#[inline]
pub(crate) fn f64_from_parts(negative: bool, mant: u64, exp: i32, r: Rounding, rand: u64) -> f64 {
    f64::from_bits(Spec::F64.encode_parts(negative, mant, exp, r, Overflow::Ieee, rand))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::numerics::rounding::test_modes::{IEEE, RNE};

    #[test]
    fn e4m3_basics() {
        let f = FloatFormat::FP8_E4M3;
        assert_eq!(f.encode_f32(1.0, RNE, IEEE, 0), 0x38);
        assert_eq!(f.encode_f32(448.0, RNE, IEEE, 0), 0x7e);
        assert_eq!(f.encode_f32(464.0, RNE, IEEE, 0), 0x7e);
        assert_eq!(f.encode_f32(464.1, RNE, IEEE, 0), 0x7f);
        assert_eq!(f.encode_f32(-500.0, RNE, Overflow::Saturate, 0), 0xfe);
        assert_eq!(f.encode_f32(-0.0, RNE, IEEE, 0), 0x80);
        assert_eq!(f.decode_f32(0x7e), 448.0);
        assert!(f.decode_f32(0xff).is_nan());
        assert_eq!(f.max_finite(), 448.0);
        assert_eq!(f.min_subnormal(), Some(2f64.powi(-9)));
    }

    #[test]
    fn f32_identity_and_f64_narrowing() {
        let f = FloatFormat::FP32;
        for x in [1.0f32, -3.5e-40, 3.4e38, f32::MIN_POSITIVE, 0.1] {
            assert_eq!(f.encode_f32(x, RNE, IEEE, 0), x.to_bits());
        }
        for x in [0.1f64, 1e-45, 7e-46, 3.5e38, -1e300, 1.0 + 2f64.powi(-24)] {
            assert_eq!(f.encode_f64(x, RNE, IEEE, 0), (x as f32).to_bits(), "{x}");
        }
    }

    #[test]
    fn sum_is_rounded_once() {
        let f = FloatFormat::FP32;
        // 1 + 2^-24 + 2^-60: f64 sum rounds the tail away and then f32 would tie to 1.0.
        let a = 1.0 + 2f64.powi(-24);
        let b = 2f64.powi(-60);
        let got = f32::from_bits(f.encode_sum(a, b, RNE, IEEE, 0));
        assert_eq!(got, 1.0 + f32::EPSILON);
        let got = f32::from_bits(f.encode_sum(a, -b, RNE, IEEE, 0));
        assert_eq!(got, 1.0);
    }
}
