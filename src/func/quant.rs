//! Quantization ops (quantize, dequantize, requantize) and the `quant` block's
//! parameters shared with the quantized matmul/conv2d/add/global_avgpool.
//!
//! The formulas are ONNX Runtime's (see `crate::numerics::quant`):
//! * quantize to an integer: `q = sat(RNE(f32(x / scale)) + zp)`, NaN → qmin;
//! * quantize to a float format: `RNE(f32(x / scale))`, saturating unless
//!   `saturate: false`;
//! * dequantize: `f32(f32(q - zp) · scale)` (float codes: `f32(value · scale)`);
//! * requantize: `sat(RNE(f32(f32(acc) · M)) + y_zp)`, `M = f32(f32(a_scale·b_scale) / y_scale)`.

use super::value::{cast, kind_of, Data, IntRounding, Kind, Value};
use super::{Ctx, FuncResult};
use crate::numerics::quant::{quantize_float, requant_multiplier, round_to_code, QuantRange};
use crate::numerics::{Format, Overflow, Rounding};
use crate::workload::QuantValues;

/// Scales of a quant field as f32 (`len` values, or 1 broadcast), checked positive and finite.
pub(crate) fn scales(
    cx: &Ctx,
    field: &str,
    v: &Option<QuantValues>,
    len: usize,
) -> FuncResult<Option<Vec<f32>>> {
    let Some(v) = v else { return Ok(None) };
    let vals = v.values();
    if vals.len() != 1 && vals.len() != len {
        return Err(cx.err(
            &format!("quant.{field}"),
            format!("expected 1 or {len} values, got {}", vals.len()),
        ));
    }
    let mut out = Vec::with_capacity(len);
    for (i, &s) in vals.iter().enumerate() {
        let f = s as f32;
        if !(f.is_finite() && f > 0.0) {
            return Err(cx.err(
                &format!("quant.{field}[{i}]"),
                format!("expected a positive finite f32 scale, got {s}"),
            ));
        }
        out.push(f);
    }
    if out.len() == 1 && len != 1 {
        out = vec![out[0]; len];
    }
    Ok(Some(out))
}

/// Zero points of a quant field (`len` values, or 1 broadcast; default 0), checked integral.
pub(crate) fn zero_points(
    cx: &Ctx,
    field: &str,
    v: &Option<QuantValues>,
    len: usize,
) -> FuncResult<Vec<i32>> {
    let Some(v) = v else { return Ok(vec![0; len]) };
    let vals = v.values();
    if vals.len() != 1 && vals.len() != len {
        return Err(cx.err(
            &format!("quant.{field}"),
            format!("expected 1 or {len} values, got {}", vals.len()),
        ));
    }
    let mut out = Vec::with_capacity(len);
    for (i, &z) in vals.iter().enumerate() {
        if z.fract() != 0.0 || !(i32::MIN as f64..=i32::MAX as f64).contains(&z) {
            return Err(cx.err(
                &format!("quant.{field}[{i}]"),
                format!("expected an integer zero point, got {z}"),
            ));
        }
        out.push(z as i32);
    }
    if out.len() == 1 && len != 1 {
        out = vec![out[0]; len];
    }
    Ok(out)
}

/// The integer range of an output format.
pub(crate) fn range_of(cx: &Ctx, format: Format) -> FuncResult<QuantRange> {
    match kind_of(format) {
        Ok(Kind::Int { min, max }) => Ok(QuantRange {
            qmin: min as i32,
            qmax: max as i32,
        }),
        _ => Err(cx.err(
            "precision.output",
            format!("expected an integer output format, got {format}"),
        )),
    }
}

/// Channel count and inner stride of per-axis parameters along `axis` of `shape`.
pub(crate) fn axis_layout(
    cx: &Ctx,
    shape: &[usize],
    axis: Option<i64>,
) -> FuncResult<(usize, usize)> {
    let rank = shape.len() as i64;
    let a = axis.unwrap_or(1);
    let a = if a < 0 { a + rank } else { a };
    if rank == 0 {
        return Ok((1, 1));
    }
    if a < 0 || a >= rank {
        return Err(cx.err(
            "quant.axis",
            format!("axis {a} is out of range for shape {shape:?}"),
        ));
    }
    let a = a as usize;
    Ok((shape[a], shape[a + 1..].iter().product()))
}

/// Per-element channel index for per-axis parameters of length `len` (1 = per tensor).
#[inline]
fn channel(i: usize, len: usize, channels: usize, inner: usize) -> usize {
    if len == 1 {
        0
    } else {
        (i / inner) % channels
    }
}

/// quantize: with a quant block (`y_scale`, `y_zero_point`, `axis`, `saturate`) ONNX
/// QuantizeLinear; without one, a round-to-nearest-even saturating cast.
pub(crate) fn quantize(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out = cx.out_format();
    let Some(q) = cx.spec.quant.as_ref() else {
        return plain_cast(cx, x, out, Overflow::Saturate);
    };
    let per_channel = matches!(&q.y_scale, Some(QuantValues::PerChannel(v)) if v.len() != 1);
    let (channels, inner) = if per_channel {
        axis_layout(cx, &x.shape, q.axis)?
    } else {
        (1, 1)
    };
    let len = channels;
    let s = scales(cx, "y_scale", &q.y_scale, len)?
        .ok_or_else(|| cx.err("quant.y_scale", "quantize needs \"y_scale\""))?;
    let zp = zero_points(cx, "y_zero_point", &q.y_zero_point, len)?;
    let xs = x.to_f32_vec();
    let data = match kind_of(out).map_err(|m| cx.err("precision.output", m))? {
        Kind::Float(f) => {
            if zp.iter().any(|&z| z != 0) {
                return Err(cx.err(
                    "quant.y_zero_point",
                    format!("a {out} quantization needs zero points of 0"),
                ));
            }
            let sat = q.saturate.unwrap_or(true);
            Data::F32(
                xs.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let c = channel(i, len, channels, inner);
                        f.decode_f32(quantize_float(v, s[c], f, sat))
                    })
                    .collect(),
            )
        }
        Kind::Int { .. } => {
            let range = range_of(cx, out)?;
            Data::I32(
                xs.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let c = channel(i, len, channels, inner);
                        round_to_code(v / s[c], zp[c], range, Rounding::NearestEven, 0)
                    })
                    .collect(),
            )
        }
        Kind::Binary => {
            return Err(cx.err("precision.output", "cannot quantize to binary"));
        }
    };
    Ok(Value::new(out, x.shape.clone(), data))
}

/// dequantize: with a quant block (`a_scale`, `a_zero_point`, `axis`) ONNX
/// DequantizeLinear computed in f32 (then rounded to the output format); without one, an
/// exact conversion rounded to the output format.
pub(crate) fn dequantize(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out = cx.out_format();
    let Some(q) = cx.spec.quant.as_ref() else {
        return plain_cast(cx, x, out, Overflow::Ieee);
    };
    let per_channel = matches!(&q.a_scale, Some(QuantValues::PerChannel(v)) if v.len() != 1);
    let (channels, inner) = if per_channel {
        axis_layout(cx, &x.shape, q.axis)?
    } else {
        (1, 1)
    };
    let len = channels;
    let s = scales(cx, "a_scale", &q.a_scale, len)?
        .ok_or_else(|| cx.err("quant.a_scale", "dequantize needs \"a_scale\""))?;
    let zp = zero_points(cx, "a_zero_point", &q.a_zero_point, len)?;
    let vals: Vec<f32> = match &x.data {
        Data::I32(v) => v
            .iter()
            .enumerate()
            .map(|(i, &code)| {
                let c = channel(i, len, channels, inner);
                ((code as i64 - zp[c] as i64) as f32) * s[c]
            })
            .collect(),
        Data::F32(v) => {
            if zp.iter().any(|&z| z != 0) {
                return Err(cx.err(
                    "quant.a_zero_point",
                    format!("dequantizing {} needs zero points of 0", x.format),
                ));
            }
            v.iter()
                .enumerate()
                .map(|(i, &val)| val * s[channel(i, len, channels, inner)])
                .collect()
        }
    };
    let f32v = Value::new(Format::FP32, x.shape.clone(), Data::F32(vals));
    plain_cast(cx, &f32v, out, Overflow::Ieee)
}

/// requantize: with a quant block, ORT's requantization of an integer accumulator
/// (`a_scale`, optional `b_scale` per channel along `axis`, `y_scale`, `y_zero_point`);
/// without one, a saturating round-to-nearest-even cast.
pub(crate) fn requantize(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out = cx.out_format();
    let Some(q) = cx.spec.quant.as_ref() else {
        return plain_cast(cx, x, out, Overflow::Saturate);
    };
    let Data::I32(acc) = &x.data else {
        return Err(cx.err(
            "inputs[0]",
            "requantize with a \"quant\" block needs an integer input",
        ));
    };
    let per_channel = matches!(&q.b_scale, Some(QuantValues::PerChannel(v)) if v.len() != 1);
    let (channels, inner) = if per_channel {
        axis_layout(cx, &x.shape, q.axis)?
    } else {
        (1, 1)
    };
    let len = channels;
    let a_s = scales(cx, "a_scale", &q.a_scale, 1)?
        .ok_or_else(|| cx.err("quant.a_scale", "requantize needs \"a_scale\""))?[0];
    let b_s = scales(cx, "b_scale", &q.b_scale, len)?.unwrap_or_else(|| vec![1.0; len]);
    let y_s = scales(cx, "y_scale", &q.y_scale, 1)?
        .ok_or_else(|| cx.err("quant.y_scale", "requantize needs \"y_scale\""))?[0];
    let zp = zero_points(cx, "y_zero_point", &q.y_zero_point, 1)?[0];
    let range = range_of(cx, out)?;
    let m: Vec<f32> = b_s
        .iter()
        .map(|&b| requant_multiplier(a_s, b, y_s))
        .collect();
    let data = acc
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = channel(i, len, channels, inner);
            round_to_code(v as f32 * m[c], zp, range, Rounding::NearestEven, 0)
        })
        .collect();
    Ok(Value::new(out, x.shape.clone(), Data::I32(data)))
}

/// Rounds `x` to `out` (nearest-even; integers saturate; floats overflow as `overflow`).
pub(crate) fn plain_cast(
    cx: &Ctx,
    x: &Value,
    out: Format,
    overflow: Overflow,
) -> FuncResult<Value> {
    if overflow == Overflow::Saturate {
        if let (Format::Float(f), Data::F32(v)) = (out, &x.data) {
            let data = super::value::round_vec(f, v, Overflow::Saturate);
            return Ok(Value::new(out, x.shape.clone(), Data::F32(data)));
        }
    }
    cast(x, out, IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}
