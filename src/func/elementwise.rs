//! Elementwise ops: binary arithmetic with numpy broadcasting (and the quantized add /
//! mul of the `quant` block), activations, clip and cast.
//!
//! Float values are computed in f32 and rounded once (RNE) to the output format; for
//! +, -, ×, ÷ of formats up to 11 significand bits (fp16, bf16, fp8) the f32 result
//! rounds exactly as a direct operation would (24 ≥ 2p + 2). Integer arithmetic is exact
//! (i64) and saturates to the output format; integer division truncates toward zero.
//! Transcendental functions (exp, tanh, erf, sigmoid, gelu, pow) are computed in f64 and
//! rounded once to f32: correctly rounded in almost every case, but not bit-identical to
//! ONNX Runtime's vectorised approximations (no oracle case covers them).

use super::quant::{range_of, scales, zero_points};
use super::value::{cast, Data, IntRounding, Value};
use super::{Ctx, FuncResult};
use crate::numerics::quant::{round_to_code, QLinearAdd, QuantParams};
use crate::numerics::Format;
use crate::workload::{NumericsMode, OpAttrs, OpKind};

/// Flat input index of every output element under numpy broadcasting.
pub(crate) fn broadcast_index(out: &[usize], input: &[usize]) -> Vec<usize> {
    let n: usize = out.iter().product();
    if input == out {
        return (0..n).collect();
    }
    let r = out.len();
    let off = r - input.len();
    let mut strides = vec![0usize; r];
    let mut s = 1;
    for d in (0..input.len()).rev() {
        strides[off + d] = if input[d] == 1 { 0 } else { s };
        s *= input[d];
    }
    let mut idx = vec![0usize; n];
    let mut coord = vec![0usize; r];
    let mut cur = 0usize;
    for slot in idx.iter_mut() {
        *slot = cur;
        for d in (0..r).rev() {
            coord[d] += 1;
            cur += strides[d];
            if coord[d] < out[d] {
                break;
            }
            cur -= strides[d] * coord[d];
            coord[d] = 0;
        }
    }
    idx
}

/// add / sub / mul / div / pow.
pub(crate) fn binary(cx: &Ctx, a: &Value, b: &Value) -> FuncResult<Value> {
    let shape = cx.out_shape();
    let ia = broadcast_index(&shape, &a.shape);
    let ib = broadcast_index(&shape, &b.shape);
    let out = cx.out_format();
    if let Some(q) = cx.spec.quant.as_ref() {
        return quantized(cx, q, a, b, &ia, &ib, shape);
    }
    let kind = cx.op.kind;
    if let (Data::I32(x), Data::I32(y)) = (&a.data, &b.data) {
        if kind != OpKind::Pow && !out.is_float() {
            let mut vals = Vec::with_capacity(ia.len());
            for (&i, &j) in ia.iter().zip(&ib) {
                let (p, q) = (x[i] as i64, y[j] as i64);
                vals.push(match kind {
                    OpKind::Add => p + q,
                    OpKind::Sub => p - q,
                    OpKind::Mul => p * q,
                    _ => {
                        if q == 0 {
                            return Err(cx.err("inputs[1]", "integer division by zero"));
                        }
                        p / q
                    }
                });
            }
            let v = Value::new(
                Format::Int {
                    bits: 32,
                    signed: true,
                },
                shape.clone(),
                Data::I32(
                    vals.iter()
                        .map(|&v| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                        .collect(),
                ),
            );
            return cast(&v, out, IntRounding::NearestEven)
                .map_err(|m| cx.err("precision.output", m));
        }
    }
    let x = a.to_f32_vec();
    let y = b.to_f32_vec();
    let vals: Vec<f32> = ia
        .iter()
        .zip(&ib)
        .map(|(&i, &j)| {
            let (p, q) = (x[i], y[j]);
            match kind {
                OpKind::Add => p + q,
                OpKind::Sub => p - q,
                OpKind::Mul => p * q,
                OpKind::Div => p / q,
                _ => (p as f64).powf(q as f64) as f32,
            }
        })
        .collect();
    finish(cx, vals, shape)
}

/// The quantized add / mul (com.microsoft QLinearAdd / QLinearMul).
fn quantized(
    cx: &Ctx,
    q: &crate::workload::QuantSpec,
    a: &Value,
    b: &Value,
    ia: &[usize],
    ib: &[usize],
    shape: Vec<usize>,
) -> FuncResult<Value> {
    let (Data::I32(x), Data::I32(y)) = (&a.data, &b.data) else {
        return Err(cx.err("quant", "a quantized add/mul needs integer inputs"));
    };
    let need = |f: &str, v| -> FuncResult<f32> {
        Ok(scales(cx, f, v, 1)?.ok_or_else(|| cx.err(&format!("quant.{f}"), "missing scale"))?[0])
    };
    let pa = QuantParams {
        scale: need("a_scale", &q.a_scale)?,
        zero_point: zero_points(cx, "a_zero_point", &q.a_zero_point, 1)?[0],
    };
    let pb = QuantParams {
        scale: need("b_scale", &q.b_scale)?,
        zero_point: zero_points(cx, "b_zero_point", &q.b_zero_point, 1)?[0],
    };
    let pc = QuantParams {
        scale: need("y_scale", &q.y_scale)?,
        zero_point: zero_points(cx, "y_zero_point", &q.y_zero_point, 1)?[0],
    };
    let range = range_of(cx, cx.out_format())?;
    let data: Vec<i32> = match cx.op.kind {
        OpKind::Add => {
            let k = QLinearAdd::new(pa, pb, pc);
            ia.iter()
                .zip(ib)
                .map(|(&i, &j)| k.apply(x[i], y[j], range))
                .collect()
        }
        OpKind::Mul => ia
            .iter()
            .zip(ib)
            .map(|(&i, &j)| {
                let da = crate::numerics::quant::dequantize(x[i], pa);
                let db = crate::numerics::quant::dequantize(y[j], pb);
                round_to_code(
                    da * db / pc.scale,
                    pc.zero_point,
                    range,
                    crate::numerics::Rounding::NearestEven,
                    0,
                )
            })
            .collect(),
        _ => return Err(cx.err("quant", "only add and mul take a quant block")),
    };
    Ok(Value::new(cx.out_format(), shape, Data::I32(data)))
}

/// Rounds f32 results to the output format.
fn finish(cx: &Ctx, vals: Vec<f32>, shape: Vec<usize>) -> FuncResult<Value> {
    let v = Value::new(Format::FP32, shape, Data::F32(vals));
    cast(&v, cx.out_format(), IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}

/// Upper bound on the terms of erf's Maclaurin series: at |x| = 2.5 the terms fall below
/// 1e-17 of the sum after about 60 terms, so the bound never cuts a converging sum short.
const ERF_SERIES_MAX_TERMS: usize = 200;

/// The error function, computed in f64: its Maclaurin series for |x| < 2.5, the
/// continued fraction of erfc beyond (relative error below 1e-13).
///
/// Total and terminating for every input: erf(±0) = ±0, NaN stays NaN, erf(±Inf) = ±1, and
/// the series stops when a term is exactly zero (subnormal inputs, where `x²` underflows) or
/// after [`ERF_SERIES_MAX_TERMS`] terms — more than the ~60 that |x| < 2.5 needs to converge.
pub(crate) fn erf(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        // erf is odd: erf(±0) = ±0 (ONNX Runtime's value too); the series' relative stopping
        // test can never hold for a zero sum.
        return x;
    }
    let ax = x.abs();
    if ax < 2.5 {
        // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        for _ in 0..ERF_SERIES_MAX_TERMS {
            n += 1.0;
            term *= -x2 / n;
            let t = term / (2.0 * n + 1.0);
            sum += t;
            if t == 0.0 || t.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        return sum * std::f64::consts::FRAC_2_SQRT_PI;
    }
    if ax > 6.0 {
        return x.signum();
    }
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz).
    let tiny = 1e-300;
    let mut f = ax;
    let mut c = ax;
    let mut d = 0.0;
    for i in 1..200 {
        let an = i as f64 / 2.0;
        d = ax + an * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = ax + an / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    let erfc = (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * f);
    (1.0 - erfc).copysign(x)
}

/// relu / sigmoid / gelu / erf / tanh / exp / sqrt / clip.
pub(crate) fn unary(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let shape = x.shape.clone();
    if let Data::I32(v) = &x.data {
        if !cx.out_format().is_float() {
            let vals: Option<Vec<i32>> = match (cx.op.kind, &cx.op.attrs) {
                (OpKind::Relu, _) => Some(v.iter().map(|&a| a.max(0)).collect()),
                (OpKind::Clip, OpAttrs::Clip { min, max }) => Some(
                    v.iter()
                        .map(|&a| {
                            let mut f = a as f64;
                            if let Some(lo) = min {
                                f = f.max(lo.ceil());
                            }
                            if let Some(hi) = max {
                                f = f.min(hi.floor());
                            }
                            f as i32
                        })
                        .collect(),
                ),
                _ => None,
            };
            if let Some(vals) = vals {
                let v = Value::new(x.format, shape, Data::I32(vals));
                return cast(&v, cx.out_format(), IntRounding::NearestEven)
                    .map_err(|m| cx.err("precision.output", m));
            }
        }
    }
    let xs = x.to_f32_vec();
    let vals: Vec<f32> = match (cx.op.kind, &cx.op.attrs) {
        // max(x, 0) as x86 MAXPS(x, 0) computes it: -0 and NaN give +0.
        (OpKind::Relu, _) => xs.iter().map(|&a| if a > 0.0 { a } else { 0.0 }).collect(),
        (OpKind::Clip, OpAttrs::Clip { min, max }) => xs
            .iter()
            .map(|&a| {
                let mut v = a;
                if let Some(lo) = min {
                    let lo = *lo as f32;
                    v = if v < lo { lo } else { v };
                }
                if let Some(hi) = max {
                    let hi = *hi as f32;
                    v = if v > hi { hi } else { v };
                }
                v
            })
            .collect(),
        (OpKind::Sigmoid, _) => xs
            .iter()
            .map(|&a| (1.0 / (1.0 + (-(a as f64)).exp())) as f32)
            .collect(),
        (OpKind::Gelu, _) => xs
            .iter()
            .map(|&a| {
                let v = a as f64;
                (0.5 * v * (1.0 + erf(v / std::f64::consts::SQRT_2))) as f32
            })
            .collect(),
        (OpKind::Erf, _) => xs.iter().map(|&a| erf(a as f64) as f32).collect(),
        (OpKind::Tanh, _) => xs.iter().map(|&a| (a as f64).tanh() as f32).collect(),
        (OpKind::Exp, _) => xs.iter().map(|&a| (a as f64).exp() as f32).collect(),
        (OpKind::Sqrt, _) => xs.iter().map(|&a| a.sqrt()).collect(),
        _ => return Err(cx.err("", "internal: not a unary op")),
    };
    finish(cx, vals, shape)
}

/// cast: ONNX Cast semantics — floats round to nearest-even (saturating for 8-bit and
/// smaller float formats, as ONNX's default `saturate=1`), floats to integers truncate
/// toward zero and saturate (NaN → 0), integers saturate.
pub(crate) fn cast_op(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out = cx.out_format();
    if let (crate::numerics::Format::Float(f), Data::F32(_)) = (out, &x.data) {
        if f.bits() <= 8 {
            return super::quant::plain_cast(cx, x, out, crate::numerics::Overflow::Saturate);
        }
    }
    let rounding = match cx.mode {
        NumericsMode::Onnx | NumericsMode::Arch => IntRounding::TowardZero,
    };
    cast(x, out, rounding).map_err(|m| cx.err("precision.output", m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_indices() {
        assert_eq!(broadcast_index(&[2, 3], &[3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(broadcast_index(&[2, 3], &[2, 1]), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(broadcast_index(&[2, 3], &[1]), vec![0; 6]);
    }

    #[test]
    fn erf_values() {
        // Reference values (Abramowitz & Stegun table 7.1, more digits from mpmath).
        for (x, want) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.5, -0.966_105_146_475_310_7),
        ] {
            assert!((erf(x) - want).abs() < 1e-14, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn erf_is_total_at_zero_subnormals_infinities_and_nan() {
        // erf is odd with erf(0) = 0; the sign of zero is kept.
        assert_eq!(erf(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(erf(-0.0).to_bits(), (-0.0f64).to_bits());
        // For subnormal x, erf(x) = 2x/sqrt(pi) (the x^3 term underflows to zero).
        for x in [f64::MIN_POSITIVE / 4.0, 5e-324, -5e-324, 1e-310] {
            assert_eq!(erf(x), x * std::f64::consts::FRAC_2_SQRT_PI, "erf({x:e})");
        }
        assert_eq!(erf(f64::INFINITY), 1.0);
        assert_eq!(erf(f64::NEG_INFINITY), -1.0);
        assert!(erf(f64::NAN).is_nan());
        // Smallest normal and f32's subnormal range (gelu evaluates erf on f32 inputs / sqrt 2).
        let tiny = f64::from(f32::from_bits(1)) / std::f64::consts::SQRT_2;
        assert!((erf(tiny) - tiny * std::f64::consts::FRAC_2_SQRT_PI).abs() <= f64::EPSILON * tiny);
    }
}
