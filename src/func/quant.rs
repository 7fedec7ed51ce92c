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
use crate::workload::{QuantSpec, QuantValues};

/// Scales of a quant field as f32 (`len` values, or 1 broadcast), checked positive and finite.
pub(crate) fn scales(
    cx: &Ctx,
    field: &str,
    v: &Option<QuantValues>,
    len: usize,
) -> FuncResult<Option<Vec<f32>>> {
    let Some(v) = v else { return Ok(None) };
    let scale = |s: f64| {
        let f = s as f32;
        match f.is_finite() && f > 0.0 {
            true => Ok(f),
            false => Err(format!("expected a positive finite f32 scale, got {s}")),
        }
    };
    field_values(cx, field, v.values(), len, scale).map(Some)
}

/// Zero points of a quant field (`len` values, or 1 broadcast; default 0), checked integral.
pub(crate) fn zero_points(
    cx: &Ctx,
    field: &str,
    v: &Option<QuantValues>,
    len: usize,
) -> FuncResult<Vec<i32>> {
    let Some(v) = v else { return Ok(vec![0; len]) };
    let zero_point =
        |z: f64| match z.fract() == 0.0 && (i32::MIN as f64..=i32::MAX as f64).contains(&z) {
            true => Ok(z as i32),
            false => Err(format!("expected an integer zero point, got {z}")),
        };
    field_values(cx, field, v.values(), len, zero_point)
}

/// The values of quant field `field` read by `read` (which says what it expected when a
/// value is refused): `len` of them, or one broadcast to `len`.
fn field_values<T: Copy>(
    cx: &Ctx,
    field: &str,
    vals: &[f64],
    len: usize,
    read: impl Fn(f64) -> Result<T, String>,
) -> FuncResult<Vec<T>> {
    if vals.len() != 1 && vals.len() != len {
        return Err(cx.err(
            &format!("quant.{field}"),
            format!("expected 1 or {len} values, got {}", vals.len()),
        ));
    }
    let mut out = Vec::with_capacity(len);
    for (i, &v) in vals.iter().enumerate() {
        out.push(read(v).map_err(|m| cx.err(&format!("quant.{field}[{i}]"), m))?);
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

/// Which channel of a quant block's parameters each element uses: per axis when the
/// field that decides it holds more than one value, else a single channel.
#[derive(Debug, Clone, Copy)]
struct Channels {
    /// Channel count (the parameters' length).
    count: usize,
    /// Elements per channel step (the product of the dimensions after the axis).
    inner: usize,
}

impl Channels {
    /// The layout over `shape` set by `field` (per channel along `axis` when it has
    /// more than one value).
    fn of(
        cx: &Ctx,
        shape: &[usize],
        field: &Option<QuantValues>,
        axis: Option<i64>,
    ) -> FuncResult<Channels> {
        let per_channel = matches!(field, Some(QuantValues::PerChannel(v)) if v.len() != 1);
        let (count, inner) = if per_channel {
            axis_layout(cx, shape, axis)?
        } else {
            (1, 1)
        };
        Ok(Channels { count, inner })
    }

    /// The channel of element `i`.
    #[inline]
    fn index(&self, i: usize) -> usize {
        if self.count == 1 {
            0
        } else {
            (i / self.inner) % self.count
        }
    }
}

/// A quantize/dequantize's parameters along the channels: the layout (set by the scale),
/// the scales (required) and the zero points (default 0) of the input (`a_scale`,
/// `a_zero_point`; with `output` false) or of the output (`y_scale`, `y_zero_point`) of
/// op `op` over `shape`, per channel along the block's `axis` when the scale has more
/// than one value.
fn channel_params(
    cx: &Ctx,
    op: &str,
    shape: &[usize],
    q: &QuantSpec,
    output: bool,
) -> FuncResult<(Channels, Vec<f32>, Vec<i32>)> {
    let ((scale_field, scale), (zp_field, zero_point)) = match output {
        true => (("y_scale", &q.y_scale), ("y_zero_point", &q.y_zero_point)),
        false => (("a_scale", &q.a_scale), ("a_zero_point", &q.a_zero_point)),
    };
    let ch = Channels::of(cx, shape, scale, q.axis)?;
    let scales = scales(cx, scale_field, scale, ch.count)?.ok_or_else(|| {
        cx.err(
            &format!("quant.{scale_field}"),
            format!("{op} needs \"{scale_field}\""),
        )
    })?;
    Ok((ch, scales, zero_points(cx, zp_field, zero_point, ch.count)?))
}

/// Refuses non-zero zero points of field `field` (float codes have none), with `message`.
fn require_zero_points(
    cx: &Ctx,
    field: &str,
    zp: &[i32],
    message: impl FnOnce() -> String,
) -> FuncResult<()> {
    match zp.iter().any(|&z| z != 0) {
        true => Err(cx.err(field, message())),
        false => Ok(()),
    }
}

/// quantize: with a quant block (`y_scale`, `y_zero_point`, `axis`, `saturate`) ONNX
/// QuantizeLinear; without one, a round-to-nearest-even saturating cast.
pub(crate) fn quantize(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out = cx.out_format();
    let Some(q) = cx.spec.quant.as_ref() else {
        return plain_cast(cx, x, out, Overflow::Saturate);
    };
    let (ch, s, zp) = channel_params(cx, "quantize", &x.shape, q, true)?;
    let xs = x.to_f32_vec();
    let data = match kind_of(out).map_err(|m| cx.err("precision.output", m))? {
        Kind::Float(f) => {
            require_zero_points(cx, "quant.y_zero_point", &zp, || {
                format!("a {out} quantization needs zero points of 0")
            })?;
            let sat = q.saturate.unwrap_or(true);
            Data::F32(
                xs.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let c = ch.index(i);
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
                        let c = ch.index(i);
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
    let (ch, s, zp) = channel_params(cx, "dequantize", &x.shape, q, false)?;
    let vals: Vec<f32> = match &x.data {
        Data::I32(v) => v
            .iter()
            .enumerate()
            .map(|(i, &code)| {
                let c = ch.index(i);
                ((code as i64 - zp[c] as i64) as f32) * s[c]
            })
            .collect(),
        Data::F32(v) => {
            require_zero_points(cx, "quant.a_zero_point", &zp, || {
                format!("dequantizing {} needs zero points of 0", x.format)
            })?;
            v.iter()
                .enumerate()
                .map(|(i, &val)| val * s[ch.index(i)])
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
    let ch = Channels::of(cx, &x.shape, &q.b_scale, q.axis)?;
    let len = ch.count;
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
            let c = ch.index(i);
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
