//! Rounding modes, overflow policies and the seeded random source for stochastic rounding.
//!
//! Every narrowing operation in [`crate::numerics`] reduces to one primitive: rounding a
//! non-negative integer significand right by `shift` bits ([`round_shift`]). Keeping that in
//! one place is what guarantees a single rounding per cast (no double rounding).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a value that falls between two representable neighbours is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum Rounding {
    /// Round to nearest, ties to even (IEEE 754 default). Name: `rne`.
    #[default]
    #[serde(rename = "rne")]
    NearestEven,
    /// Round to nearest, ties away from zero. Name: `rna`.
    #[serde(rename = "rna")]
    NearestAway,
    /// Truncate toward zero. Name: `rtz`.
    #[serde(rename = "rtz")]
    TowardZero,
    /// Round toward +infinity (ceiling). Name: `up`.
    #[serde(rename = "up")]
    TowardPositive,
    /// Round toward -infinity (floor). Name: `down`.
    #[serde(rename = "down")]
    TowardNegative,
    /// Stochastic rounding: round the magnitude up with probability equal to the discarded
    /// fraction of an ulp, using 64 random bits per value (unbiased). Name: `stochastic`.
    #[serde(rename = "stochastic")]
    Stochastic,
}

impl Rounding {
    /// Every rounding mode, in CLI order.
    pub const ALL: [Rounding; 6] = [
        Rounding::NearestEven,
        Rounding::NearestAway,
        Rounding::TowardZero,
        Rounding::TowardPositive,
        Rounding::TowardNegative,
        Rounding::Stochastic,
    ];

    /// The short name used by the CLI and in JSON (`rne`, `rna`, `rtz`, `up`, `down`, `stochastic`).
    pub const fn name(self) -> &'static str {
        match self {
            Rounding::NearestEven => "rne",
            Rounding::NearestAway => "rna",
            Rounding::TowardZero => "rtz",
            Rounding::TowardPositive => "up",
            Rounding::TowardNegative => "down",
            Rounding::Stochastic => "stochastic",
        }
    }

    /// Parses a short name (see [`Rounding::name`]); also accepts a few common spellings.
    pub fn parse(s: &str) -> Option<Rounding> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "rne" | "nearest" | "nearest_even" => Rounding::NearestEven,
            "rna" | "nearest_away" => Rounding::NearestAway,
            "rtz" | "zero" | "toward_zero" | "trunc" => Rounding::TowardZero,
            "up" | "ru" | "ceil" | "toward_positive" => Rounding::TowardPositive,
            "down" | "rd" | "floor" | "toward_negative" => Rounding::TowardNegative,
            "stochastic" | "sr" => Rounding::Stochastic,
            _ => return None,
        })
    }

    /// True when this mode never increases the magnitude of a value of the given sign
    /// (toward zero, or the directed mode pointing at zero). Used for IEEE overflow:
    /// such modes overflow to the largest finite value rather than to infinity.
    #[inline]
    pub const fn shrinks_magnitude(self, negative: bool) -> bool {
        match self {
            Rounding::TowardZero => true,
            Rounding::TowardPositive => negative,
            Rounding::TowardNegative => !negative,
            _ => false,
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a cast does with a finite value beyond the target's largest finite value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// IEEE 754 / ml_dtypes behaviour: overflow gives ±Inf, or NaN for formats without Inf
    /// (E4M3, fnuz); formats with neither (FP6/FP4) saturate. Integer targets saturate
    /// (there is no Inf code), so for integers this is the same as [`Overflow::Saturate`].
    /// Modes that round toward zero give the largest finite value, as IEEE 754 requires.
    #[default]
    Ieee,
    /// OCP saturation mode: finite overflow and ±Inf give ±max finite; NaN stays NaN.
    Saturate,
    /// Two's-complement wrap-around modulo 2^bits. Integers and integer accumulators only.
    Wrap,
}

impl Overflow {
    /// Short name (`ieee`, `saturate`, `wrap`).
    pub const fn name(self) -> &'static str {
        match self {
            Overflow::Ieee => "ieee",
            Overflow::Saturate => "saturate",
            Overflow::Wrap => "wrap",
        }
    }
}

/// Options of one cast: rounding mode, overflow policy and the seed of the stochastic stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CastOptions {
    /// Rounding mode (default `rne`).
    #[serde(default)]
    pub rounding: Rounding,
    /// Overflow policy (default `ieee`).
    #[serde(default)]
    pub overflow: Overflow,
    /// Seed of the [`SplitMix64`] stream used by stochastic rounding (ignored otherwise).
    #[serde(default)]
    pub seed: u64,
}

impl CastOptions {
    /// Round-to-nearest-even with IEEE overflow (the ml_dtypes behaviour).
    pub const RNE: CastOptions = CastOptions {
        rounding: Rounding::NearestEven,
        overflow: Overflow::Ieee,
        seed: 0,
    };
    /// Round-to-nearest-even with OCP saturation.
    pub const RNE_SAT: CastOptions = CastOptions {
        rounding: Rounding::NearestEven,
        overflow: Overflow::Saturate,
        seed: 0,
    };

    /// Options with the given rounding mode and overflow policy, seed 0.
    pub const fn new(rounding: Rounding, overflow: Overflow) -> Self {
        CastOptions {
            rounding,
            overflow,
            seed: 0,
        }
    }

    /// The same options with another seed.
    pub const fn with_seed(self, seed: u64) -> Self {
        CastOptions { seed, ..self }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable 64-bit generator.
///
/// The i-th draw (0-based) is a pure function of `(seed, i)` ([`SplitMix64::draw_at`]), so a
/// stochastic cast of element i gives the same result whether the slice is processed
/// sequentially or in parallel chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

impl SplitMix64 {
    /// A generator whose first draw is `draw_at(seed, 0)`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    #[inline]
    const fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        Self::mix(self.state)
    }

    /// The `index`-th draw (0-based) of the stream seeded with `seed`, without stepping.
    #[inline]
    pub const fn draw_at(seed: u64, index: u64) -> u64 {
        Self::mix(seed.wrapping_add(GOLDEN_GAMMA.wrapping_mul(index.wrapping_add(1))))
    }

    /// Skips `n` draws.
    pub fn advance(&mut self, n: u64) {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA.wrapping_mul(n));
    }
}

/// Rounds the non-negative real `mant · 2^-shift` to an integer with mode `r`.
///
/// `negative` is the sign of the value the magnitude belongs to (it matters for the
/// directed modes); `rand` is 64 uniformly random bits, used only by
/// [`Rounding::Stochastic`]: the magnitude is rounded up iff `rand < frac · 2^64`, where `frac`
/// is the discarded fraction (truncated to 64 bits when `shift > 64`).
#[inline]
pub fn round_shift(mant: u64, shift: u32, negative: bool, r: Rounding, rand: u64) -> u64 {
    if shift == 0 {
        return mant;
    }
    if shift > 64 {
        // The whole value is below 2^-1: only a nonzero-sticky decision remains.
        let up = match r {
            Rounding::NearestEven | Rounding::NearestAway | Rounding::TowardZero => false,
            Rounding::TowardPositive => !negative && mant != 0,
            Rounding::TowardNegative => negative && mant != 0,
            Rounding::Stochastic => rand < (mant >> (shift - 64)),
        };
        return up as u64;
    }
    let kept = if shift == 64 { 0 } else { mant >> shift };
    let rem = if shift == 64 {
        mant
    } else {
        mant & ((1u64 << shift) - 1)
    };
    let half = 1u64 << (shift - 1);
    let up = match r {
        Rounding::NearestEven => rem > half || (rem == half && kept & 1 == 1),
        Rounding::NearestAway => rem >= half,
        Rounding::TowardZero => false,
        Rounding::TowardPositive => !negative && rem != 0,
        Rounding::TowardNegative => negative && rem != 0,
        Rounding::Stochastic => rand < (rem << (64 - shift)),
    };
    kept + up as u64
}

/// Rounds an f64 to an integral f64 with mode `r` (`rand` as in [`round_shift`]).
/// NaN and infinities are returned unchanged; a result of zero may be +0 for a negative
/// input (callers convert to integers). Uses only truncating conversions and exact
/// subtractions, so it is fast without SSE4.1 rounding instructions.
#[inline]
pub fn round_f64_to_integral(x: f64, r: Rounding, rand: u64) -> f64 {
    // |x| >= 2^52 (or NaN/Inf): already integral.
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let ti = x as i64; // truncation, exact here
    let t = ti as f64;
    let frac = x - t; // exact, same sign as x (or zero)
    let step = if x < 0.0 { -1.0 } else { 1.0 };
    let up = match r {
        Rounding::NearestEven => {
            let a = frac.abs();
            a > 0.5 || (a == 0.5 && ti & 1 != 0)
        }
        Rounding::NearestAway => frac.abs() >= 0.5,
        Rounding::TowardZero => false,
        Rounding::TowardPositive => frac > 0.0,
        Rounding::TowardNegative => frac < 0.0,
        Rounding::Stochastic => {
            // frac in (-1, 1) has at most 53 significant bits: frac * 2^64 is exact.
            frac != 0.0 && rand < (frac.abs() * 18_446_744_073_709_551_616.0) as u64
        }
    };
    if up {
        t + step
    } else {
        t
    }
}

/// Shorthands for the numerics unit tests.
#[cfg(test)]
pub(crate) mod test_modes {
    use super::{Overflow, Rounding};
    /// Round to nearest, ties to even.
    pub const RNE: Rounding = Rounding::NearestEven;
    /// IEEE overflow (to infinity where the format has one).
    pub const IEEE: Overflow = Overflow::Ieee;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_shift_modes() {
        // 0b1011 / 4 = 2.75
        assert_eq!(round_shift(11, 2, false, Rounding::NearestEven, 0), 3);
        // 10/4 = 2.5 -> 2 (even), 14/4 = 3.5 -> 4
        assert_eq!(round_shift(10, 2, false, Rounding::NearestEven, 0), 2);
        assert_eq!(round_shift(14, 2, false, Rounding::NearestEven, 0), 4);
        assert_eq!(round_shift(10, 2, false, Rounding::NearestAway, 0), 3);
        assert_eq!(round_shift(11, 2, false, Rounding::TowardZero, 0), 2);
        assert_eq!(round_shift(9, 2, false, Rounding::TowardPositive, 0), 3);
        assert_eq!(round_shift(9, 2, true, Rounding::TowardPositive, 0), 2);
        assert_eq!(round_shift(9, 2, true, Rounding::TowardNegative, 0), 3);
        assert_eq!(round_shift(1, 100, false, Rounding::TowardPositive, 0), 1);
        assert_eq!(round_shift(1, 100, false, Rounding::NearestEven, 0), 0);
        assert_eq!(
            round_shift(u64::MAX, 64, false, Rounding::NearestEven, 0),
            1
        );
        // Stochastic: frac = 1/4 -> up iff rand < 2^62.
        assert_eq!(
            round_shift(9, 2, false, Rounding::Stochastic, (1 << 62) - 1),
            3
        );
        assert_eq!(round_shift(9, 2, false, Rounding::Stochastic, 1 << 62), 2);
    }

    #[test]
    fn integral_rounding_matches_std() {
        let mut g = SplitMix64::new(3);
        let mut xs = vec![
            0.5,
            -0.5,
            1.5,
            -2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            1e300,
            -0.0,
        ];
        xs.extend((0..10_000).map(|_| f64::from_bits(g.next_u64()) % 1e6));
        xs.extend((0..10_000).map(|i| (i as f64 - 5000.0) * 0.25));
        for x in xs.into_iter().filter(|x| !x.is_nan()) {
            let r = |m| round_f64_to_integral(x, m, 0);
            assert_eq!(r(Rounding::NearestEven), x.round_ties_even(), "{x}");
            assert_eq!(r(Rounding::NearestAway), x.round(), "{x}");
            assert_eq!(r(Rounding::TowardZero), x.trunc(), "{x}");
            assert_eq!(r(Rounding::TowardPositive), x.ceil(), "{x}");
            assert_eq!(r(Rounding::TowardNegative), x.floor(), "{x}");
        }
    }

    #[test]
    fn splitmix_is_counter_based() {
        let mut g = SplitMix64::new(42);
        for i in 0..10 {
            assert_eq!(g.next_u64(), SplitMix64::draw_at(42, i));
        }
        let mut h = SplitMix64::new(42);
        h.advance(10);
        assert_eq!(h.next_u64(), SplitMix64::draw_at(42, 10));
    }

    #[test]
    fn names_round_trip() {
        for r in Rounding::ALL {
            assert_eq!(Rounding::parse(r.name()), Some(r));
            let j = serde_json::to_string(&r).unwrap();
            assert_eq!(j, format!("\"{}\"", r.name()));
        }
    }
}
