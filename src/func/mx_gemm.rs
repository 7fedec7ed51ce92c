//! GEMM on OCP Microscaling (MX v1.0) operands.
//!
//! Both operands are quantized to MX blocks along the reduction dimension (A's rows, Bᵀ's
//! rows), with [`mx_quantize`]'s algorithm (shared exponent from the block's largest
//! magnitude, elements rounded to nearest-even and saturated). One output is then
//!
//! `C[i][j] = Σ_b 2^(sa_b − 127) · 2^(sb_b − 127) · Σ_{t in block b} P[i][t] · Q[j][t]`
//!
//! where each block's scaled dot product is exact (the OCP specification leaves the
//! internal precision of `Dot` to the implementation; exact is its reference definition),
//! and the block results enter the accumulator in block order:
//! * an `exact` accumulator sums everything (bias included) exactly and rounds once to the
//!   output format;
//! * a float accumulator of format `f` adds each block result to its register with one
//!   rounding (the register's rounding and overflow), then the bias the same way.
//!
//! Elements are turned into integers at their format's smallest step (`2^-9` for E4M3,
//! `2^-16` for E5M2, `2^-3` for E2M3, `2^-4` for E3M2, `2^-1` for E2M1, `2^-6` for
//! MXINT8), so a block's dot product is an exact integer sum (i64, or i128 when the
//! element magnitudes could overflow i64), scaled by a power of two. A block whose scale
//! is the NaN code (an input block holding NaN or ±Inf) makes its outputs NaN.

use rayon::prelude::*;

use crate::numerics::mx::{mx_quantize, MxOptions};
use crate::numerics::{ExactSum, FloatFormat, MxElem, Overflow, Rounding};

/// The E8M0 NaN code.
const SCALE_NAN: u8 = 0xff;

/// Rows of one operand quantized to MX along their length `k`.
pub struct MxRows {
    /// Rows.
    pub rows: usize,
    /// Values per row (the reduction depth).
    pub k: usize,
    /// Elements per scale.
    pub block: usize,
    /// Scale codes, `rows × ceil(k / block)`.
    pub scales: Vec<u8>,
    /// Elements as integers at the element format's step, `rows × k`.
    pub q: Vec<i64>,
    /// The element format's step exponent (element value = `q · 2^step`).
    pub step: i32,
    /// The largest |q| the element format can hold.
    pub q_max: i64,
}

/// The exponent of the smallest nonzero magnitude step of an element format and the
/// largest element magnitude in those steps, found from the element codes themselves.
fn element_grid(elem: MxElem) -> (i32, i64) {
    let codes = 1u32 << elem.bits();
    let mut step = i32::MAX;
    let mut max = 0f64;
    for c in 0..codes {
        let v = elem.decode_f64(c as u8).abs();
        if v.is_finite() && v > 0.0 {
            // The exponent of v's lowest set bit.
            let bits = v.to_bits();
            let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
            let man = (bits & ((1 << 52) - 1)) | (1 << 52);
            step = step.min(exp + man.trailing_zeros() as i32);
            max = max.max(v);
        }
    }
    (step, (max * 2f64.powi(-step)) as i64)
}

/// Quantizes `rows × k` row-major values to MX along each row.
pub fn quantize_rows(
    x: &[f32],
    rows: usize,
    k: usize,
    elem: MxElem,
    block: usize,
) -> Result<MxRows, String> {
    let nb = k.div_ceil(block);
    let (step, q_max) = element_grid(elem);
    let mut scales = vec![0u8; rows * nb];
    let mut q = vec![0i64; rows * k];
    let scale_of = 2f64.powi(-step);
    let results: Vec<Result<(), String>> = scales
        .par_chunks_mut(nb.max(1))
        .zip(q.par_chunks_mut(k.max(1)))
        .enumerate()
        .map(|(r, (s, qr))| {
            let mut codes = vec![0u8; k];
            mx_quantize(
                elem,
                block,
                &x[r * k..(r + 1) * k],
                MxOptions::default(),
                s,
                &mut codes,
            )
            .map_err(|e| e.to_string())?;
            for (o, &c) in qr.iter_mut().zip(&codes) {
                let v = elem.decode_f64(c);
                // Saturating quantization never yields NaN/Inf elements; a NaN block
                // has zero elements and the NaN scale.
                *o = if v.is_finite() {
                    (v * scale_of) as i64
                } else {
                    0
                };
            }
            Ok(())
        })
        .collect();
    results.into_iter().collect::<Result<(), String>>()?;
    Ok(MxRows {
        rows,
        k,
        block,
        scales,
        q,
        step,
        q_max,
    })
}

/// How block results are accumulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MxAcc {
    /// Exactly, rounded once (RNE) to this format.
    Exact(FloatFormat),
    /// In a float register: one rounding per block result and for the bias.
    Float {
        /// Register format.
        format: FloatFormat,
        /// Its rounding.
        rounding: Rounding,
        /// Its overflow behaviour.
        overflow: Overflow,
    },
}

/// Adds `dot · 2^exp` (an integer times a power of two) to an exact sum.
fn add_scaled(sum: &mut ExactSum, dot: i128, exp: i32) {
    // Two parts of at most 53 significant bits each are exact f64 values.
    let hi = dot >> 48;
    let lo = dot - (hi << 48);
    if hi != 0 {
        sum.add_f64(hi as f64 * 2f64.powi(exp + 48));
    }
    if lo != 0 {
        sum.add_f64(lo as f64 * 2f64.powi(exp));
    }
}

/// `reg + x` rounded once to the register format, where `add` puts the exact `x` into a sum.
fn add_rounded(
    reg: f32,
    format: FloatFormat,
    rounding: Rounding,
    overflow: Overflow,
    add: impl FnOnce(&mut ExactSum),
) -> f32 {
    let mut s = ExactSum::new();
    s.add_f64(reg as f64);
    add(&mut s);
    format.decode_f32(s.encode(&format, rounding, overflow, 0))
}

/// `C = A · Bᵀ` for MX rows `a` (m × k) and `bt` (n × k); `bias` (length n) is added
/// after the products. Returns f32 register values (for [`MxAcc::Exact`], values of its
/// format).
pub fn mx_gemm(a: &MxRows, bt: &MxRows, bias: Option<&[f32]>, acc: MxAcc) -> Vec<f32> {
    let (m, n, k, block) = (a.rows, bt.rows, a.k, a.block);
    debug_assert_eq!(bt.k, k);
    debug_assert_eq!(bt.block, block);
    let nb = k.div_ceil(block);
    let exp0 = a.step + bt.step - 254;
    // Whether one block's integer dot product fits in i64.
    let narrow = (a.q_max as i128) * (bt.q_max as i128) * (block as i128) < (1i128 << 62);
    let mut c = vec![0f32; m * n];
    c.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, crow)| {
            let arow = &a.q[i * k..(i + 1) * k];
            let ascales = &a.scales[i * nb..(i + 1) * nb];
            for (j, out) in crow.iter_mut().enumerate() {
                let brow = &bt.q[j * k..(j + 1) * k];
                let bscales = &bt.scales[j * nb..(j + 1) * nb];
                let mut total = ExactSum::new();
                let mut reg = 0f32;
                let mut nan = false;
                for b in 0..nb {
                    let (sa, sb) = (ascales[b], bscales[b]);
                    if sa == SCALE_NAN || sb == SCALE_NAN {
                        nan = true;
                        break;
                    }
                    let span = b * block..((b + 1) * block).min(k);
                    let dot: i128 = if narrow {
                        arow[span.clone()]
                            .iter()
                            .zip(&brow[span])
                            .map(|(&x, &y)| x * y)
                            .sum::<i64>() as i128
                    } else {
                        arow[span.clone()]
                            .iter()
                            .zip(&brow[span])
                            .map(|(&x, &y)| x as i128 * y as i128)
                            .sum()
                    };
                    let exp = exp0 + sa as i32 + sb as i32;
                    match acc {
                        MxAcc::Exact(_) => add_scaled(&mut total, dot, exp),
                        MxAcc::Float {
                            format,
                            rounding,
                            overflow,
                        } => {
                            reg = add_rounded(reg, format, rounding, overflow, |s| {
                                add_scaled(s, dot, exp)
                            });
                        }
                    }
                }
                let bias_j = bias.map(|v| v[j]);
                *out = if nan {
                    f32::NAN
                } else {
                    match acc {
                        MxAcc::Exact(f) => {
                            if let Some(bv) = bias_j {
                                total.add_f64(bv as f64);
                            }
                            f.decode_f32(total.encode(&f, Rounding::NearestEven, Overflow::Ieee, 0))
                        }
                        MxAcc::Float {
                            format,
                            rounding,
                            overflow,
                        } => match bias_j {
                            Some(bv) => add_rounded(reg, format, rounding, overflow, |s| {
                                s.add_f64(bv as f64)
                            }),
                            None => reg,
                        },
                    }
                };
            }
        });
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_grids() {
        assert_eq!(
            element_grid(MxElem::Float(FloatFormat::FP8_E4M3)),
            (-9, 448 << 9)
        );
        assert_eq!(
            element_grid(MxElem::Float(FloatFormat::FP8_E5M2)),
            (-16, 57344 << 16)
        );
        assert_eq!(element_grid(MxElem::Float(FloatFormat::FP4_E2M1)), (-1, 12));
        assert_eq!(element_grid(MxElem::Int8), (-6, 128));
    }

    #[test]
    fn hand_computed_block_dot() {
        // One E2M1 block: x = [6, -3, 0.5, 1] has amax 6 → shared exponent 2 − 2 = 0, so the
        // elements are the values; y = [1, 1, 1, 1] → amax 1, shared exponent −2, elements 4.
        let e = MxElem::Float(FloatFormat::FP4_E2M1);
        let a = quantize_rows(&[6.0, -3.0, 0.5, 1.0], 1, 4, e, 32).unwrap();
        let b = quantize_rows(&[1.0, 1.0, 1.0, 1.0], 1, 4, e, 32).unwrap();
        let c = mx_gemm(&a, &b, None, MxAcc::Exact(FloatFormat::FP32));
        assert_eq!(c, vec![4.5]);
        let c = mx_gemm(&a, &b, Some(&[0.25]), MxAcc::Exact(FloatFormat::FP32));
        assert_eq!(c, vec![4.75]);
    }
}
