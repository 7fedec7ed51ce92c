//! Integer quantization (symmetric / affine, per-tensor / per-channel, full / narrow
//! ranges), dequantization, requantization, and the exact ONNX Runtime formulas.
//!
//! The core formula (ONNX `QuantizeLinear`, also the reference vectors'):
//!
//! ```text
//! t = f32(x / scale)                      an IEEE f32 division (not x * (1/scale))
//! q = clamp(round(t) + zero_point, qmin, qmax)
//! ```
//!
//! with `round` any [`Rounding`] (RNE by default; RNA is `f32::round`, never
//! `floor(t + 0.5)`), the zero point added **after** rounding, and NaN mapped to `qmin`
//! whatever the zero point (ONNX Runtime's choice on x86). Dequantization is
//! `f32(f32(q - zero_point) * scale)`.
//!
//! ONNX Runtime arithmetic (CPU, observed; see `docs/numerics.md`):
//! * [`requant_multiplier`] / [`requantize`]: QLinearMatMul, QLinearConv, QGemm:
//!   `M = f32(f32(a_scale * b_scale) / y_scale)`, `y = sat(RNE(f32(float32(acc) * M)) + y_zp)`.
//! * [`requantize_explicit`]: MatMulInteger followed by an explicit Mul/QuantizeLinear chain.
//! * [`QLinearAdd`], [`global_avg_pool_multiplier`]: com.microsoft QLinearAdd and
//!   QLinearGlobalAveragePool.
//! * [`quantize_float`] / [`dequantize_float`]: float8 QuantizeLinear/DequantizeLinear.
//! * Float MatMul/Gemm/Conv are `f32` FMA chains over k from +0:
//!   [`crate::numerics::Accumulator::FP32_SEQ`] (`AccOrder::Blocked { size: 256 }` with a
//!   prepacked B); f32 GlobalAveragePool sums with `AccOrder::Lanes { lanes: 4 }`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::check_len;
use super::format::{FloatFormat, Format};
use super::int::{int_max, int_min};
use super::rounding::{round_f64_to_integral, Overflow, Rounding, SplitMix64};
use super::NumericsError;

/// The integer output range `[qmin, qmax]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantRange {
    /// Smallest code value.
    pub qmin: i32,
    /// Largest code value.
    pub qmax: i32,
}

impl QuantRange {
    /// The full range of a `bits`-bit integer (int8: [-128, 127]; uint4: [0, 15]).
    pub const fn full(bits: u32, signed: bool) -> QuantRange {
        QuantRange {
            qmin: int_min(bits, signed) as i32,
            qmax: int_max(bits, signed) as i32,
        }
    }

    /// The narrow range: signed `[-(2^(b-1) - 1), 2^(b-1) - 1]` (int8: [-127, 127]);
    /// unsigned `[0, 2^b - 2]`.
    pub const fn narrow(bits: u32, signed: bool) -> QuantRange {
        let f = QuantRange::full(bits, signed);
        if signed {
            QuantRange {
                qmin: f.qmin + 1,
                qmax: f.qmax,
            }
        } else {
            QuantRange {
                qmin: 0,
                qmax: f.qmax - 1,
            }
        }
    }

    /// The full or narrow range of an integer format (int2..int32, uint2..uint31).
    pub fn of_format(format: Format, narrow: bool) -> Result<QuantRange, NumericsError> {
        match format {
            Format::Int { bits, signed } if (2..=32).contains(&bits) && (signed || bits < 32) => {
                Ok(if narrow {
                    QuantRange::narrow(bits, signed)
                } else {
                    QuantRange::full(bits, signed)
                })
            }
            other => Err(NumericsError::WrongFormat {
                format: other.name(),
                reason: "integer quantization needs an int{N}/uint{N} format".into(),
            }),
        }
    }
}

/// Scale and zero point of one tensor or channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantParams {
    /// The f32 scale (step between codes).
    pub scale: f32,
    /// The code of real zero.
    pub zero_point: i32,
}

/// Symmetric or affine (asymmetric) mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mapping {
    /// Zero point 0, `scale = f32(max|x| / qmax)`.
    Symmetric,
    /// `scale = f32((max - min) / (qmax - qmin))` over a range that includes 0,
    /// `zero_point = clamp(qmin - RNE(f32(min / scale)), qmin, qmax)`.
    Affine,
}

/// Whether one scale covers the tensor or one per slice along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Granularity {
    /// One scale and zero point for the whole tensor.
    #[default]
    PerTensor,
    /// One scale and zero point per index along `axis`.
    PerChannel {
        /// The channel axis.
        axis: usize,
    },
}

/// A complete integer quantization recipe, as it may appear in a config file:
/// `{"dtype": "int8", "mapping": "symmetric", "granularity": {"per_channel": {"axis": 0}}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantScheme {
    /// Integer format of the codes (`int8`, `uint8`, `int4`, ...).
    pub dtype: Format,
    /// Symmetric or affine.
    pub mapping: Mapping,
    /// Per tensor (default) or per channel.
    #[serde(default)]
    pub granularity: Granularity,
    /// Narrow range (int8: [-127, 127]) instead of the full range.
    #[serde(default)]
    pub narrow: bool,
    /// Rounding of `x / scale` (default `rne`).
    #[serde(default)]
    pub rounding: Rounding,
}

impl QuantScheme {
    /// The code range.
    pub fn range(&self) -> Result<QuantRange, NumericsError> {
        QuantRange::of_format(self.dtype, self.narrow)
    }

    /// Chooses the parameters from `x` and quantizes it; returns (parameters, codes).
    pub fn quantize(
        &self,
        x: &[f32],
        shape: &[usize],
        seed: u64,
    ) -> Result<(Vec<QuantParams>, Vec<i32>), NumericsError> {
        let range = self.range()?;
        let params = choose_params(x, shape, self.granularity, self.mapping, range)?;
        let mut q = vec![0i32; x.len()];
        quantize_tensor(
            x,
            shape,
            self.granularity,
            &params,
            range,
            self.rounding,
            seed,
            &mut q,
        )?;
        Ok((params, q))
    }
}

/// Rounds `t` (already divided by the scale), adds the zero point and saturates; NaN gives
/// `qmin`. Equivalent to ORT's clamp of `t` to `[qmin - zp, qmax - zp]` before rounding.
#[inline]
pub fn round_to_code(t: f32, zero_point: i32, range: QuantRange, r: Rounding, rand: u64) -> i32 {
    if t.is_nan() {
        return range.qmin;
    }
    let v = round_f64_to_integral(t as f64, r, rand) + zero_point as f64;
    v.clamp(range.qmin as f64, range.qmax as f64) as i32
}

/// `q = clamp(round(f32(x / scale)) + zero_point, qmin, qmax)`; NaN gives qmin. `rand` is
/// used by [`Rounding::Stochastic`] only.
#[inline]
pub fn quantize(x: f32, p: QuantParams, range: QuantRange, r: Rounding, rand: u64) -> i32 {
    round_to_code(x / p.scale, p.zero_point, range, r, rand)
}

/// `f32(f32(q - zero_point) * scale)` (ONNX DequantizeLinear; also int32 bias tensors).
#[inline]
pub fn dequantize(q: i32, p: QuantParams) -> f32 {
    ((q as i64 - p.zero_point as i64) as f32) * p.scale
}

/// Symmetric parameters from the largest magnitude: `scale = f32(amax / qmax)`, zero point
/// 0; an all-zero (or non-finite) input gets scale 1.
pub fn symmetric_params(amax: f32, range: QuantRange) -> QuantParams {
    let scale = amax.abs() / range.qmax as f32;
    QuantParams {
        scale: if scale > 0.0 && scale.is_finite() {
            scale
        } else {
            1.0
        },
        zero_point: 0,
    }
}

/// Affine parameters from the observed range, widened to include 0:
/// `scale = f32((max - min) / (qmax - qmin))` (computed in f64, rounded once) and
/// `zero_point = clamp(qmin - RNE(f32(min / scale)), qmin, qmax)`.
pub fn affine_params(min: f32, max: f32, range: QuantRange) -> QuantParams {
    let (lo, hi) = (min.min(0.0), max.max(0.0));
    let scale = ((hi as f64 - lo as f64) / (range.qmax as f64 - range.qmin as f64)) as f32;
    let scale = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    };
    let zp = range.qmin as f64 - (lo / scale).round_ties_even() as f64;
    QuantParams {
        scale,
        zero_point: zp.clamp(range.qmin as f64, range.qmax as f64) as i32,
    }
}

/// Number of channels and the element → channel map of a tensor.
fn channels(shape: &[usize], g: Granularity) -> Result<(usize, usize), NumericsError> {
    match g {
        Granularity::PerTensor => Ok((1, usize::MAX)),
        Granularity::PerChannel { axis } => {
            let c = *shape.get(axis).ok_or_else(|| {
                NumericsError::InvalidOption(format!(
                    "channel axis {axis} out of range for a {}-d tensor",
                    shape.len()
                ))
            })?;
            let inner: usize = shape[axis + 1..].iter().product();
            Ok((c, inner.max(1)))
        }
    }
}

#[inline]
fn channel_of(i: usize, c: usize, inner: usize) -> usize {
    if c == 1 {
        0
    } else {
        (i / inner) % c
    }
}

/// Chooses parameters per tensor or per channel.
pub fn choose_params(
    x: &[f32],
    shape: &[usize],
    g: Granularity,
    mapping: Mapping,
    range: QuantRange,
) -> Result<Vec<QuantParams>, NumericsError> {
    check_len("tensor data", shape.iter().product(), x.len())?;
    let (c, inner) = channels(shape, g)?;
    let mut lo = vec![f32::INFINITY; c];
    let mut hi = vec![f32::NEG_INFINITY; c];
    for (i, &v) in x.iter().enumerate() {
        let ch = channel_of(i, c, inner);
        if v.is_finite() {
            lo[ch] = lo[ch].min(v);
            hi[ch] = hi[ch].max(v);
        }
    }
    Ok((0..c)
        .map(|ch| {
            let (l, h) = if lo[ch] <= hi[ch] {
                (lo[ch], hi[ch])
            } else {
                (0.0, 0.0)
            };
            match mapping {
                Mapping::Symmetric => symmetric_params(l.abs().max(h.abs()), range),
                Mapping::Affine => affine_params(l, h, range),
            }
        })
        .collect())
}

/// Quantizes a tensor with one parameter set per channel (`params.len()` = channels, 1 for
/// per-tensor). Stochastic rounding draws `SplitMix64::draw_at(seed, i)` for element i.
#[allow(clippy::too_many_arguments)]
pub fn quantize_tensor(
    x: &[f32],
    shape: &[usize],
    g: Granularity,
    params: &[QuantParams],
    range: QuantRange,
    r: Rounding,
    seed: u64,
    out: &mut [i32],
) -> Result<(), NumericsError> {
    let (c, inner) = checked_layout(shape, g, x.len(), ("quantized output", out.len()), params)?;
    for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        let rand = if r == Rounding::Stochastic {
            SplitMix64::draw_at(seed, i as u64)
        } else {
            0
        };
        *o = quantize(v, params[channel_of(i, c, inner)], range, r, rand);
    }
    Ok(())
}

/// Checks a tensor's data length (`data`) against its shape, the output's (`out`,
/// named in the error) against the data's and the parameters' against the channels of
/// granularity `g`; returns the channel count and the stride of one channel step.
fn checked_layout(
    shape: &[usize],
    g: Granularity,
    data: usize,
    (out_name, out): (&'static str, usize),
    params: &[QuantParams],
) -> Result<(usize, usize), NumericsError> {
    check_len("tensor data", shape.iter().product(), data)?;
    check_len(out_name, data, out)?;
    let (c, inner) = channels(shape, g)?;
    check_len("quantization parameters", c, params.len())?;
    Ok((c, inner))
}

/// Dequantizes a tensor (inverse layout of [`quantize_tensor`]).
pub fn dequantize_tensor(
    q: &[i32],
    shape: &[usize],
    g: Granularity,
    params: &[QuantParams],
    out: &mut [f32],
) -> Result<(), NumericsError> {
    let (c, inner) = checked_layout(shape, g, q.len(), ("dequantized output", out.len()), params)?;
    for (i, (o, &v)) in out.iter_mut().zip(q).enumerate() {
        *o = dequantize(v, params[channel_of(i, c, inner)]);
    }
    Ok(())
}

/// ORT's requantization multiplier `M = f32(f32(a_scale * b_scale) / y_scale)`, evaluated
/// left to right in f32 (not `a_scale * (b_scale / y_scale)`, not correctly rounded).
#[inline]
pub fn requant_multiplier(a_scale: f32, b_scale: f32, y_scale: f32) -> f32 {
    (a_scale * b_scale) / y_scale
}

/// ORT's requantization of an exact int32 accumulator (bias already added):
/// `y = sat(RNE(f32(float32(acc) * M)) + y_zp)`. `float32(acc)` rounds to nearest even, so
/// it is inexact when |acc| > 2^24, exactly as ORT computes it.
#[inline]
pub fn requantize(acc: i32, multiplier: f32, y_zero_point: i32, range: QuantRange) -> i32 {
    round_to_code(
        acc as f32 * multiplier,
        y_zero_point,
        range,
        Rounding::NearestEven,
        0,
    )
}

/// The explicit MatMulInteger requantization chain (multiply, then QuantizeLinear divides):
/// `y = sat(RNE(f32(f32(float32(acc) * f32(a_scale * b_scale)) / y_scale)) + y_zp)`.
#[inline]
pub fn requantize_explicit(
    acc: i32,
    a_scale: f32,
    b_scale: f32,
    y_scale: f32,
    y_zero_point: i32,
    range: QuantRange,
) -> i32 {
    let v = acc as f32 * (a_scale * b_scale);
    round_to_code(v / y_scale, y_zero_point, range, Rounding::NearestEven, 0)
}

/// com.microsoft QLinearAdd as ORT's AVX2 kernel computes it:
/// `rA = f32(A_scale / C_scale)`, `rB = f32(B_scale / C_scale)`,
/// `F = f32(C_zp - (rA·A_zp + rB·B_zp))` once, then per element
/// `C = sat(RNE(fma(A, rA, fma(B, rB, F))))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QLinearAdd {
    /// `f32(A_scale / C_scale)`.
    pub ra: f32,
    /// `f32(B_scale / C_scale)`.
    pub rb: f32,
    /// `f32(C_zp - (rA·A_zp + rB·B_zp))`.
    pub f: f32,
}

impl QLinearAdd {
    /// Precomputes the constants.
    pub fn new(a: QuantParams, b: QuantParams, c: QuantParams) -> QLinearAdd {
        let ra = a.scale / c.scale;
        let rb = b.scale / c.scale;
        let f = c.zero_point as f32 - (ra * a.zero_point as f32 + rb * b.zero_point as f32);
        QLinearAdd { ra, rb, f }
    }

    /// One output element.
    #[inline]
    pub fn apply(&self, a: i32, b: i32, range: QuantRange) -> i32 {
        let v = (a as f32).mul_add(self.ra, (b as f32).mul_add(self.rb, self.f));
        round_to_code(v, 0, range, Rounding::NearestEven, 0)
    }
}

/// com.microsoft QLinearGlobalAveragePool multiplier `M = f32(x_scale / f32(y_scale ·
/// f32(H·W)))`; then `acc = Σx - x_zp·H·W` and `y = requantize(acc, M, y_zp, range)`.
#[inline]
pub fn global_avg_pool_multiplier(x_scale: f32, y_scale: f32, hw: usize) -> f32 {
    x_scale / (y_scale * hw as f32)
}

/// Float QuantizeLinear (opset 21, e.g. float8): `v = f32(x / scale)` then an RNE cast,
/// saturating (`saturate = true`, the ONNX default: ±Inf and overflow give ±max) or with
/// IEEE/ml_dtypes overflow. Returns the code.
#[inline]
pub fn quantize_float(x: f32, scale: f32, format: FloatFormat, saturate: bool) -> u32 {
    let o = if saturate {
        Overflow::Saturate
    } else {
        Overflow::Ieee
    };
    format.encode_f32(x / scale, Rounding::NearestEven, o, 0)
}

/// Float DequantizeLinear: `f32(value(code) * scale)`.
#[inline]
pub fn dequantize_float(code: u32, format: FloatFormat, scale: f32) -> f32 {
    format.decode_f32(code) * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ort_probes() {
        // QuantizeLinear divides: 8.15 / 0.1 -> 81 (x * (1/0.1) would give 82).
        let p = QuantParams {
            scale: 0.1,
            zero_point: 0,
        };
        let r8 = QuantRange::full(8, true);
        assert_eq!(quantize(8.15, p, r8, Rounding::NearestEven, 0), 81);
        assert_eq!(quantize(-5.95, p, r8, Rounding::NearestEven, 0), -59);
        assert_eq!(quantize(10.15, p, r8, Rounding::NearestEven, 0), 101);
        assert_eq!(
            quantize(
                f32::NAN,
                p,
                QuantRange::full(8, false),
                Rounding::NearestEven,
                0
            ),
            0
        );
        assert_eq!(quantize(f32::NAN, p, r8, Rounding::NearestEven, 0), -128);
        // Requantization ties to even with M = 0.5.
        let got: Vec<i32> = (-7..=7).map(|a| requantize(a, 0.5, 0, r8)).collect();
        assert_eq!(got, [-4, -3, -2, -2, -2, -1, 0, 0, 0, 1, 2, 2, 2, 3, 4]);
        // float32(acc) is inexact beyond 2^24: acc = 129*2^17 + 1, M = 2^-18, zp 128 -> 192.
        let acc = 129 * (1 << 17) + 1;
        assert_eq!(
            requantize(acc, 2f32.powi(-18), 128, QuantRange::full(8, false)),
            192
        );
        // float8 QuantizeLinear with saturation.
        let f = FloatFormat::FP8_E4M3;
        assert_eq!(f.decode_f32(quantize_float(464.0, 1.0, f, true)), 448.0);
        assert_eq!(f.decode_f32(quantize_float(232.0, 1.0, f, true)), 224.0);
        assert_eq!(f.decode_f32(quantize_float(248.0, 1.0, f, true)), 256.0);
        assert!(f.is_nan_code(quantize_float(1e9, 1.0, f, false)));
        assert_eq!(quantize_float(f32::INFINITY, 1.0, f, true), 0x7e);
    }

    #[test]
    fn scheme_from_json() {
        let s: QuantScheme = serde_json::from_str(
            r#"{"dtype":"int8","mapping":"symmetric","granularity":{"per_channel":{"axis":0}},"narrow":true}"#,
        )
        .unwrap();
        let (p, q) = s.quantize(&[1.0, -0.5, 4.0, 2.0], &[2, 2], 0).unwrap();
        assert_eq!(p[0].scale, 1.0 / 127.0);
        assert_eq!(q, [127, -64, 127, 64]);
        assert!(serde_json::from_str::<QuantScheme>(
            r#"{"dtype":"int8","mapping":"affine","x":1}"#
        )
        .is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(
            QuantRange::narrow(8, true),
            QuantRange {
                qmin: -127,
                qmax: 127
            }
        );
        assert_eq!(QuantRange::full(4, false), QuantRange { qmin: 0, qmax: 15 });
        assert!(QuantRange::of_format(Format::FP16, false).is_err());
    }
}
