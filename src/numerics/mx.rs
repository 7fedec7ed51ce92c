//! OCP Microscaling (MX v1.0) block formats: `block` elements (32 by default) share one
//! E8M0 scale `X = 2^shared_exp`.
//!
//! Quantization of one block of f32 values V_i (OCP MX v1.0 §6.3, conventions explicit):
//! 1. `amax = max |V_i|`; an all-zero block gets `shared_exp = -127` (scale code 0).
//! 2. `shared_exp = floor(log2(amax)) - emax_elem`, exact from the f32 exponent (subnormals
//!    included), clamped to [-127, 127].
//! 3. `P_i = quantize(V_i / X)`; the division is exact. Float elements round (RNE by default,
//!    any [`Rounding`] allowed) to the element format including its subnormals and then
//!    **saturate** to ±elem_max; the sign of zero is kept. MXINT8 elements are
//!    `n = round(V_i / X · 64)` clamped to [-128, 127] ([`MxInt8Range::Full`], the spec's
//!    value table and gfloat; default) or [-127, 127] ([`MxInt8Range::Symmetric`], Microsoft's
//!    microxcaling library).
//! 4. Dequantized value: `X · P_i`, rounded once to f32 (exact for f32-derived inputs).
//!
//! A block containing NaN or ±Inf (not covered by the spec's algorithm) gets the NaN scale
//! 0xFF and zero elements: the whole block decodes to NaN.

use super::e8m0::{e8m0_decode_f64, E8M0_NAN};
use super::error::check_len;
use super::exact::ExactSum;
use super::format::{pow2, MxElem};
use super::rounding::{round_f64_to_integral, Overflow, Rounding, SplitMix64};
use super::NumericsError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Clamp range of MXINT8 elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MxInt8Range {
    /// [-128, 127], the full two's-complement range (OCP value table, gfloat). Default.
    #[default]
    Full,
    /// [-127, 127] (Microsoft microxcaling).
    Symmetric,
}

/// Options of MX quantization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MxOptions {
    /// Element rounding (default RNE). Stochastic draws one value per element.
    #[serde(default)]
    pub rounding: Rounding,
    /// MXINT8 clamp range (default `full`).
    #[serde(default)]
    pub int8_range: MxInt8Range,
    /// Seed of the stochastic stream.
    #[serde(default)]
    pub seed: u64,
}

impl MxElem {
    /// The element format's largest binade exponent `emax_elem` (E4M3 8, E5M2 15, E2M3 2,
    /// E3M2 4, E2M1 2, INT8 0).
    pub fn emax(&self) -> i32 {
        match self {
            MxElem::Float(f) => f.emax(),
            MxElem::Int8 => 0,
        }
    }

    /// The largest element value (448, 57344, 7.5, 28, 6, 127/64).
    pub fn max_value(&self) -> f64 {
        match self {
            MxElem::Float(f) => f.max_finite(),
            MxElem::Int8 => 127.0 / 64.0,
        }
    }

    /// Bits of one element code.
    pub fn bits(&self) -> u32 {
        match self {
            MxElem::Float(f) => f.bits(),
            MxElem::Int8 => 8,
        }
    }

    /// The exact value of an element code (NaN/Inf codes of E4M3/E5M2 decode as such).
    pub fn decode_f64(&self, code: u8) -> f64 {
        match self {
            MxElem::Float(f) => f.decode_f64(code as u32),
            MxElem::Int8 => code as i8 as f64 / 64.0,
        }
    }

    /// The element code of `v` (already divided by the scale): saturating, sign of zero kept.
    pub fn encode_f64(&self, v: f64, rounding: Rounding, range: MxInt8Range, rand: u64) -> u8 {
        match self {
            MxElem::Float(f) => f.encode_f64(v, rounding, Overflow::Saturate, rand) as u8,
            MxElem::Int8 => {
                let lo = match range {
                    MxInt8Range::Full => -128.0,
                    MxInt8Range::Symmetric => -127.0,
                };
                let n = round_f64_to_integral(v * 64.0, rounding, rand).clamp(lo, 127.0);
                n as i8 as u8
            }
        }
    }

    fn is_valid(&self) -> bool {
        match self {
            MxElem::Float(f) => f.validate().is_ok(),
            MxElem::Int8 => true,
        }
    }
}

/// `floor(log2(|x|))` of a nonzero finite f32, exact (subnormals included).
fn floor_log2(x: f32) -> i32 {
    let b = x.to_bits() & 0x7fff_ffff;
    let e = (b >> 23) as i32;
    if e == 0 {
        -149 + (31 - b.leading_zeros() as i32)
    } else {
        e - 127
    }
}

/// The shared exponent of one block (step 1-2), or `None` if it contains NaN/Inf.
pub fn mx_shared_exp(elem: MxElem, block: &[f32]) -> Option<i32> {
    let mut amax = 0f32;
    for &v in block {
        if !v.is_finite() {
            return None;
        }
        amax = amax.max(v.abs());
    }
    if amax == 0.0 {
        return Some(-127);
    }
    Some((floor_log2(amax) - elem.emax()).clamp(-127, 127))
}

fn check_block(elem: MxElem, block: usize) -> Result<(), NumericsError> {
    if block == 0 {
        return Err(NumericsError::InvalidOption(
            "MX block size must be at least 1".into(),
        ));
    }
    if !elem.is_valid() {
        return Err(NumericsError::InvalidFormat(format!("MX element {elem:?}")));
    }
    Ok(())
}

/// Quantizes `x` into MX blocks of `block` elements (the last block may be shorter).
/// `scales` gets one E8M0 code per block (`x.len().div_ceil(block)`), `elems` one code per
/// input (fp6/fp4 in the low bits, MXINT8 as a two's-complement byte).
pub fn mx_quantize(
    elem: MxElem,
    block: usize,
    x: &[f32],
    options: MxOptions,
    scales: &mut [u8],
    elems: &mut [u8],
) -> Result<(), NumericsError> {
    check_block(elem, block)?;
    check_len("MX scales", x.len().div_ceil(block), scales.len())?;
    check_len("MX elements", x.len(), elems.len())?;
    let mut rng = SplitMix64::new(options.seed);
    for ((xb, eb), s) in x
        .chunks(block)
        .zip(elems.chunks_mut(block))
        .zip(scales.iter_mut())
    {
        let Some(se) = mx_shared_exp(elem, xb) else {
            *s = E8M0_NAN;
            eb.fill(0);
            rng.advance(xb.len() as u64);
            continue;
        };
        *s = (se + 127) as u8;
        let inv = pow2(-se);
        for (o, &v) in eb.iter_mut().zip(xb) {
            let rand = if options.rounding == Rounding::Stochastic {
                rng.next_u64()
            } else {
                0
            };
            *o = elem.encode_f64(v as f64 * inv, options.rounding, options.int8_range, rand);
        }
    }
    Ok(())
}

/// The value of one MX element: `2^(scale-127) · elem`, rounded once to f32 (overflow to
/// Inf); a NaN scale (0xFF) gives NaN, and NaN/Inf elements propagate.
pub fn mx_decode(elem: MxElem, scale_code: u8, elem_code: u8) -> f32 {
    if scale_code == E8M0_NAN {
        return f32::NAN;
    }
    (e8m0_decode_f64(scale_code) * elem.decode_f64(elem_code)) as f32
}

/// Dequantizes MX blocks (inverse layout of [`mx_quantize`]).
pub fn mx_dequantize(
    elem: MxElem,
    block: usize,
    scales: &[u8],
    elems: &[u8],
    out: &mut [f32],
) -> Result<(), NumericsError> {
    check_block(elem, block)?;
    check_len("MX scales", elems.len().div_ceil(block), scales.len())?;
    check_len("MX output", elems.len(), out.len())?;
    for ((eb, ob), &s) in elems.chunks(block).zip(out.chunks_mut(block)).zip(scales) {
        for (o, &c) in ob.iter_mut().zip(eb) {
            *o = mx_decode(elem, s, c);
        }
    }
    Ok(())
}

/// One operand of an MX dot product: element format, block size, scales and elements.
#[derive(Debug, Clone, Copy)]
pub struct MxVector<'a> {
    /// Element format.
    pub elem: MxElem,
    /// Elements per scale.
    pub block: usize,
    /// One E8M0 code per block.
    pub scales: &'a [u8],
    /// Element codes.
    pub elems: &'a [u8],
}

/// The exact MX dot product `Σ_b X_a[b]·X_b[b]·Σ_i A[b,i]·B[b,i]` (round it once with
/// [`ExactSum::to_f32`] / [`ExactSum::to_f64`]). Both operands must have the same length and
/// block size. A NaN scale or NaN element makes the sum NaN.
pub fn mx_dot(a: MxVector<'_>, b: MxVector<'_>) -> Result<ExactSum, NumericsError> {
    check_block(a.elem, a.block)?;
    check_block(b.elem, b.block)?;
    if a.block != b.block {
        return Err(NumericsError::InvalidOption(format!(
            "MX dot of block sizes {} and {}",
            a.block, b.block
        )));
    }
    check_len("MX dot operand b", a.elems.len(), b.elems.len())?;
    for v in [&a, &b] {
        check_len(
            "MX dot scales",
            v.elems.len().div_ceil(v.block),
            v.scales.len(),
        )?;
    }
    let mut sum = ExactSum::new();
    let blocks = a.elems.chunks(a.block).zip(b.elems.chunks(b.block));
    for ((ea, eb), (&sa, &sb)) in blocks.zip(a.scales.iter().zip(b.scales)) {
        if sa == E8M0_NAN || sb == E8M0_NAN {
            sum.add_f64(f64::NAN);
            continue;
        }
        let x = pow2(sa as i32 + sb as i32 - 254);
        for (&ca, &cb) in ea.iter().zip(eb) {
            // |elem product| <= 2^32 and >= 2^-34, times 2^[-254, 254]: exact in f64.
            sum.add_f64(a.elem.decode_f64(ca) * b.elem.decode_f64(cb) * x);
        }
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::format::FloatFormat;

    #[test]
    fn e2m1_block() {
        let elem = MxElem::Float(FloatFormat::FP4_E2M1);
        let x = [6.0f32, -3.0, 0.2, -0.0];
        let mut s = [0u8; 1];
        let mut e = [0u8; 4];
        mx_quantize(elem, 32, &x, MxOptions::default(), &mut s, &mut e).unwrap();
        // amax 6 -> floor(log2) 2 - emax 2 = 0 -> scale 1.
        assert_eq!(s[0], 127);
        assert_eq!(e, [0x7, 0xd, 0x0, 0x8]);
        let mut out = [0f32; 4];
        mx_dequantize(elem, 32, &s, &e, &mut out).unwrap();
        assert_eq!(out, [6.0, -3.0, 0.0, -0.0]);
        assert_eq!(floor_log2(f32::from_bits(1)), -149);
    }
}
