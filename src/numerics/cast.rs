//! Casting values to scalar formats: the [`Caster`] (a compiled cast with its own
//! stochastic stream) and the slice APIs [`cast_slice`] / [`decode_slice`].
//!
//! Scalar formats are floats, E8M0, integers, binary and fixed point. Block formats (MX,
//! block floating point) share a scale across a block and have their own APIs in
//! [`crate::numerics::mx`] and [`crate::numerics::bfp`].
//!
//! Speed: for float formats of 8 bits or fewer (and E8M0) with a deterministic rounding
//! mode, f32 → code goes through a 64K-entry table indexed by the upper 16 bits of the
//! input (see [`crate::numerics::table`]); bf16 and fp16 with RNE use bit manipulation;
//! everything else uses the generic single-rounding codec.

use std::sync::Arc;

use super::e8m0::{e8m0_decode_f64, e8m0_encode_f64};
use super::fixed::FixedFormat;
use super::float::Spec;
use super::format::{FloatFormat, Format};
use super::int::{binary_decode, binary_encode_f64, int_decode, int_encode_f64};
use super::rounding::{CastOptions, Overflow, Rounding, SplitMix64};
use super::table::{self, EncodeTable};
use super::NumericsError;

/// A storage word for codes: `u8`, `u16` or `u32`.
pub trait CodeWord: Copy + Default + Send + Sync + 'static {
    /// Width of the word in bits.
    const BITS: u32;
    /// Truncates a code to the word (the caller guarantees it fits).
    fn from_code(code: u32) -> Self;
    /// The code held by the word.
    fn to_code(self) -> u32;
}

/// Implements [`CodeWord`] for unsigned integer words (codes are truncated to the word).
macro_rules! impl_code_word {
    ($($t:ty),*) => {$(
        impl CodeWord for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline]
            #[allow(clippy::unnecessary_cast)]
            fn from_code(code: u32) -> Self {
                code as $t
            }
            #[inline]
            #[allow(clippy::unnecessary_cast)]
            fn to_code(self) -> u32 {
                self as u32
            }
        }
    )*};
}

impl_code_word!(u8, u16, u32);

/// A scalar format reduced to what the codec needs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Float(FloatFormat, Spec),
    E8M0,
    Int { bits: u32, signed: bool },
    Binary,
    Fixed(FixedFormat),
}

impl Scalar {
    fn of(format: Format) -> Result<Scalar, NumericsError> {
        Ok(match format {
            Format::Float(f) => {
                f.validate().map_err(NumericsError::InvalidFormat)?;
                Scalar::Float(f, Spec::of(&f))
            }
            Format::E8M0 => Scalar::E8M0,
            Format::Int { bits, signed } => {
                if !(2..=32).contains(&bits) {
                    return Err(NumericsError::InvalidFormat(format!(
                        "integer width {bits} (must be 2..=32)"
                    )));
                }
                Scalar::Int { bits, signed }
            }
            Format::Binary => Scalar::Binary,
            Format::Fixed {
                word_bits,
                frac_bits,
            } => Scalar::Fixed(FixedFormat::new(word_bits, frac_bits)?),
            Format::Mx { .. } | Format::BlockFp { .. } => {
                return Err(NumericsError::BlockFormat {
                    format: format.name(),
                })
            }
        })
    }

    #[inline]
    fn encode_f64(&self, x: f64, r: Rounding, o: Overflow, rand: u64) -> u32 {
        match self {
            Scalar::Float(_, s) => s.encode_f64(x, r, o, rand) as u32,
            Scalar::E8M0 => e8m0_encode_f64(x, r, o, rand) as u32,
            Scalar::Int { bits, signed } => int_encode_f64(*bits, *signed, x, r, o, rand),
            Scalar::Binary => binary_encode_f64(x),
            Scalar::Fixed(f) => f.encode_f64(x, r, o, rand),
        }
    }

    #[inline]
    fn encode_f32(&self, x: f32, r: Rounding, o: Overflow, rand: u64) -> u32 {
        match self {
            Scalar::Float(_, s) => s.encode_f32(x, r, o, rand) as u32,
            _ => self.encode_f64(x as f64, r, o, rand),
        }
    }

    #[inline]
    fn decode_f64(&self, code: u32) -> f64 {
        match self {
            Scalar::Float(_, s) => s.decode_f64(code as u64),
            Scalar::E8M0 => e8m0_decode_f64(code as u8),
            Scalar::Int { bits, signed } => int_decode(*bits, *signed, code) as f64,
            Scalar::Binary => binary_decode(code) as f64,
            Scalar::Fixed(f) => f.decode_f64(code),
        }
    }
}

/// Which fast path a [`Caster`] uses for f32 slices.
#[derive(Debug, Clone)]
enum Fast {
    /// 64K-entry table (formats of 8 bits or fewer, deterministic rounding).
    Table(Arc<EncodeTable>),
    /// bf16 with RNE and IEEE overflow.
    Bf16Rne,
    /// fp16 with RNE and IEEE overflow.
    Fp16Rne,
    /// Integers of at most 16 bits with RNE and saturation: branch-free f32 arithmetic.
    IntRne { lo: f32, hi: f32 },
    /// The generic codec.
    None,
}

/// A compiled cast to one scalar format with fixed [`CastOptions`].
///
/// With [`Rounding::Stochastic`], the caster owns a [`SplitMix64`] stream seeded with
/// `options.seed`, and every encode call consumes one draw (also for values that are exact),
/// so the i-th value cast uses draw i whatever the values are.
#[derive(Debug, Clone)]
pub struct Caster {
    format: Format,
    scalar: Scalar,
    options: CastOptions,
    rng: SplitMix64,
    fast: Fast,
}

impl Caster {
    /// Compiles a cast. Fails for block formats, invalid format parameters and
    /// [`Overflow::Wrap`] on a non-integer target.
    pub fn new(format: Format, options: CastOptions) -> Result<Caster, NumericsError> {
        let mut c = Caster::new_plain(format, options)?;
        let scalar = c.scalar;
        let deterministic = options.rounding != Rounding::Stochastic;
        let fast = match scalar {
            Scalar::Float(f, _) if deterministic && f.bits() <= 8 => {
                table::encode_table(format, options.rounding, options.overflow)
                    .map_or(Fast::None, Fast::Table)
            }
            Scalar::E8M0 if deterministic => {
                table::encode_table(format, options.rounding, options.overflow)
                    .map_or(Fast::None, Fast::Table)
            }
            Scalar::Float(FloatFormat::BF16, _)
                if options.rounding == Rounding::NearestEven
                    && options.overflow == Overflow::Ieee =>
            {
                Fast::Bf16Rne
            }
            Scalar::Float(FloatFormat::FP16, _)
                if options.rounding == Rounding::NearestEven
                    && options.overflow == Overflow::Ieee =>
            {
                Fast::Fp16Rne
            }
            Scalar::Int { bits, signed }
                if bits <= 16
                    && options.rounding == Rounding::NearestEven
                    && options.overflow != Overflow::Wrap =>
            {
                Fast::IntRne {
                    lo: super::int::int_min(bits, signed) as f32,
                    hi: super::int::int_max(bits, signed) as f32,
                }
            }
            _ => Fast::None,
        };
        c.fast = fast;
        Ok(c)
    }

    /// A caster that always uses the generic codec (used to build and check the tables).
    pub(crate) fn new_generic(
        format: Format,
        options: CastOptions,
    ) -> Result<Caster, NumericsError> {
        let mut c = Caster::new_plain(format, options)?;
        c.fast = Fast::None;
        Ok(c)
    }

    fn new_plain(format: Format, options: CastOptions) -> Result<Caster, NumericsError> {
        let scalar = Scalar::of(format)?;
        if options.overflow == Overflow::Wrap
            && !matches!(scalar, Scalar::Int { .. } | Scalar::Fixed(_))
        {
            return Err(NumericsError::InvalidOption(format!(
                "overflow 'wrap' applies to integer and fixed-point formats, not '{}'",
                format.name()
            )));
        }
        Ok(Caster {
            format,
            scalar,
            options,
            rng: SplitMix64::new(options.seed),
            fast: Fast::None,
        })
    }

    /// Parses the format name and compiles the cast.
    pub fn from_name(name: &str, options: CastOptions) -> Result<Caster, NumericsError> {
        Caster::new(Format::parse(name)?, options)
    }

    /// The target format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The cast options.
    pub fn options(&self) -> CastOptions {
        self.options
    }

    #[inline]
    fn draw(&mut self) -> u64 {
        if self.options.rounding == Rounding::Stochastic {
            self.rng.next_u64()
        } else {
            0
        }
    }

    /// Encodes one f32 (one rounding; one stochastic draw).
    #[inline]
    pub fn encode_f32(&mut self, x: f32) -> u32 {
        let rand = self.draw();
        self.scalar
            .encode_f32(x, self.options.rounding, self.options.overflow, rand)
    }

    /// Encodes one f64 (one rounding; one stochastic draw).
    #[inline]
    pub fn encode_f64(&mut self, x: f64) -> u32 {
        let rand = self.draw();
        self.scalar
            .encode_f64(x, self.options.rounding, self.options.overflow, rand)
    }

    /// Decodes a code to its exact value (integers beyond 2^53 excepted: none exist here).
    #[inline]
    pub fn decode_f64(&self, code: u32) -> f64 {
        self.scalar.decode_f64(code)
    }

    /// Decodes a code to f32: exact for every float format; integers and fixed point wider
    /// than 24 significant bits round to nearest even.
    #[inline]
    pub fn decode_f32(&self, code: u32) -> f32 {
        match self.scalar {
            Scalar::Float(FloatFormat::FP32, _) => f32::from_bits(code),
            _ => self.scalar.decode_f64(code) as f32,
        }
    }

    fn check_word<W: CodeWord>(&self) -> Result<(), NumericsError> {
        let bits = self.format.element_bits();
        if bits > W::BITS {
            return Err(NumericsError::CodeTooWide {
                format: self.format.name(),
                bits,
                word_bits: W::BITS,
            });
        }
        Ok(())
    }

    /// Casts a slice of f32 into codes (`out.len()` must equal `x.len()`).
    pub fn cast_slice<W: CodeWord>(
        &mut self,
        x: &[f32],
        out: &mut [W],
    ) -> Result<(), NumericsError> {
        self.check_word::<W>()?;
        super::error::check_len("cast output", x.len(), out.len())?;
        match &self.fast {
            Fast::Table(t) => t.encode_slice(x, out),
            Fast::Bf16Rne => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = W::from_code(bf16_rne(v) as u32);
                }
            }
            Fast::Fp16Rne => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = W::from_code(fp16_rne(v) as u32);
                }
            }
            Fast::IntRne { lo, hi } => {
                let bits = self.format.element_bits();
                let mask = (1u32 << bits) - 1;
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = W::from_code(int_rne_sat(v, *lo, *hi) as u32 & mask);
                }
            }
            Fast::None => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = W::from_code(self.encode_f32(v));
                }
            }
        }
        Ok(())
    }

    /// Decodes a slice of codes into f32 values (`out.len()` must equal `codes.len()`).
    pub fn decode_slice<W: CodeWord>(
        &self,
        codes: &[W],
        out: &mut [f32],
    ) -> Result<(), NumericsError> {
        super::error::check_len("decode output", codes.len(), out.len())?;
        if self.format.element_bits() <= 8 {
            let lut: Vec<f32> = (0..256u32).map(|c| self.decode_f32(c)).collect();
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = lut[(c.to_code() & 0xff) as usize];
            }
        } else {
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = self.decode_f32(c.to_code());
            }
        }
        Ok(())
    }
}

/// f32 → integer in `[lo, hi]` (|lo|, |hi| < 2^21), round to nearest even, saturating,
/// NaN → 0. Clamping to the bounds ±1 first keeps |x| < 2^22, where adding and subtracting
/// 1.5·2^23 rounds to an integer with ties to even (the default FP rounding mode).
#[inline]
fn int_rne_sat(x: f32, lo: f32, hi: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    let c = x.clamp(lo - 1.0, hi + 1.0);
    let r = (c + MAGIC) - MAGIC;
    r.clamp(lo, hi) as i32 // NaN stays NaN through clamp and converts to 0
}

/// f32 → bf16, round to nearest even, NaN → canonical quiet NaN with the sign kept.
#[inline]
pub fn bf16_rne(x: f32) -> u16 {
    let b = x.to_bits();
    if b & 0x7fff_ffff > 0x7f80_0000 {
        return ((b >> 16) as u16 & 0x8000) | 0x7fc0;
    }
    let lsb = (b >> 16) & 1;
    (b.wrapping_add(0x7fff + lsb) >> 16) as u16
}

/// f32 → fp16, round to nearest even, IEEE overflow, NaN → quiet NaN with the sign kept.
#[inline]
pub fn fp16_rne(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let a = b & 0x7fff_ffff;
    if a >= 0x4780_0000 {
        // |x| >= 65536 (overflow), Inf or NaN.
        return sign | if a > 0x7f80_0000 { 0x7e00 } else { 0x7c00 };
    }
    if a >= 0x3880_0000 {
        // Normal fp16 range: rebias and round the 13 dropped bits (carries roll into the
        // exponent, and 65520 <= |x| < 65536 rolls into Inf as it should).
        let lsb = (a >> 13) & 1;
        let r = a.wrapping_sub(0x3800_0000).wrapping_add(0x0fff + lsb) >> 13;
        return sign | r as u16;
    }
    if a < 0x3300_0000 {
        // |x| <= 2^-25: rounds to zero (2^-25 is a tie with 0, which is even).
        return sign;
    }
    // Subnormal fp16: value = mant * 2^(e-150); quantum 2^-24.
    let e = (a >> 23) as i32;
    let mant = (a & 0x007f_ffff) | 0x0080_0000;
    let shift = (126 - e) as u32; // 14..=24 bits dropped below the fp16 quantum
    let kept = mant >> shift;
    let rem = mant & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    let up = rem > half || (rem == half && kept & 1 == 1);
    sign | (kept + up as u32) as u16
}

/// Casts a slice of f32 to codes of a scalar format (a one-shot [`Caster`]).
pub fn cast_slice<W: CodeWord>(
    format: Format,
    options: CastOptions,
    x: &[f32],
    out: &mut [W],
) -> Result<(), NumericsError> {
    Caster::new(format, options)?.cast_slice(x, out)
}

/// Decodes a slice of codes of a scalar format to f32.
pub fn decode_slice<W: CodeWord>(
    format: Format,
    codes: &[W],
    out: &mut [f32],
) -> Result<(), NumericsError> {
    Caster::new(format, CastOptions::RNE)?.decode_slice(codes, out)
}

/// Encodes one f32 with round-to-nearest-even and IEEE overflow (convenience).
pub fn encode_f32(format: Format, x: f32) -> Result<u32, NumericsError> {
    Ok(Caster::new(format, CastOptions::RNE)?.encode_f32(x))
}

/// Decodes one code to f32 (convenience; see [`Caster::decode_f32`]).
pub fn decode_f32(format: Format, code: u32) -> Result<f32, NumericsError> {
    Ok(Caster::new(format, CastOptions::RNE)?.decode_f32(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_16bit_paths_match_generic() {
        let bf = Spec::of(&FloatFormat::BF16);
        let hf = Spec::of(&FloatFormat::FP16);
        let mut g = SplitMix64::new(7);
        let specials = [
            0u32,
            0x8000_0000,
            0x477f_f000,
            0x477f_efff,
            0x4780_0000,
            0x3300_0000,
            0x3300_0001,
            0x3380_0000,
            0x387f_f000,
            0x387f_f001,
            0x3880_0000,
            0x7f80_0000,
            0x7f80_0001,
            0xff7f_ffff,
            0x7f7f_8000,
            0x0000_0001,
        ];
        let rne = Rounding::NearestEven;
        let ieee = Overflow::Ieee;
        for i in 0..200_000u64 {
            let b = if (i as usize) < specials.len() {
                specials[i as usize]
            } else {
                g.next_u64() as u32
            };
            let x = f32::from_bits(b);
            let want_bf = bf.encode_f32(x, rne, ieee, 0) as u16;
            let want_hf = hf.encode_f32(x, rne, ieee, 0) as u16;
            assert_eq!(bf16_rne(x), want_bf, "bf16 {b:#x}");
            let got_hf = fp16_rne(x);
            if x.is_nan() {
                assert!(FloatFormat::FP16.is_nan_code(got_hf as u32));
            } else {
                assert_eq!(got_hf, want_hf, "fp16 {b:#x}");
            }
        }
    }

    #[test]
    fn fast_int_path_matches_generic() {
        let mut g = SplitMix64::new(11);
        for name in ["int8", "uint8", "int4", "uint2", "int16"] {
            let f = Format::parse(name).unwrap();
            let mut fast = Caster::new(f, CastOptions::RNE).unwrap();
            let mut slow = Caster::new_generic(f, CastOptions::RNE).unwrap();
            let mut xs: Vec<f32> = (0..20_000)
                .map(|i| {
                    if i % 2 == 0 {
                        f32::from_bits(g.next_u64() as u32)
                    } else {
                        (i as f32 - 10_000.0) * 0.25
                    }
                })
                .collect();
            xs.extend([
                f32::NAN,
                f32::INFINITY,
                -f32::INFINITY,
                -0.0,
                127.5,
                -128.5,
                255.5,
                65535.5,
            ]);
            let mut out = vec![0u32; xs.len()];
            fast.cast_slice(&xs, &mut out).unwrap();
            for (x, o) in xs.iter().zip(&out) {
                assert_eq!(*o, slow.encode_f32(*x), "{name} {x}");
            }
        }
    }

    #[test]
    fn block_formats_rejected() {
        let e = Caster::new(Format::parse("mxfp8_e4m3").unwrap(), CastOptions::RNE).unwrap_err();
        assert!(e.to_string().contains("block format"));
        let e = Caster::new(
            Format::FP16,
            CastOptions::new(Rounding::NearestEven, Overflow::Wrap),
        );
        assert!(e.is_err());
    }
}
