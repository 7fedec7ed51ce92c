//! Pooling: 2-D max / average pooling and global average pooling (float, integer, and
//! the quantized global average of the `quant` block).
//!
//! * maxpool: the window's maximum over in-bounds positions (padding never wins).
//! * avgpool: the f32 sum of in-bounds values in window order, divided (one f32
//!   division) by the number of in-bounds positions, or by kh·kw when
//!   `count_include_pad` is true.
//! * global_avgpool (float): ONNX Runtime's order — 4 interleaved f32 lane sums, combined
//!   as `(l0 + l2) + (l1 + l3)`, then the leftover elements in order — and one f32
//!   division by H·W. Integer inputs without a quant block: the exact sum divided and
//!   rounded to nearest-even.
//! * global_avgpool with a quant block (com.microsoft QLinearGlobalAveragePool):
//!   `acc = Σx - a_zp·H·W`, `M = f32(a_scale / f32(y_scale · f32(H·W)))`,
//!   `y = sat(RNE(f32(f32(acc)·M)) + y_zp)`.

use super::quant::{range_of, scales, zero_points};
use super::value::{cast, Data, IntRounding, Value};
use super::{Ctx, FuncResult};
use crate::numerics::quant::{global_avg_pool_multiplier, round_to_code};
use crate::numerics::{AccOrder, Accumulator, Format, Rounding};
use crate::workload::{OpAttrs, OpKind};

/// maxpool / avgpool (NCHW).
pub(crate) fn pool2d(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let OpAttrs::Pool(pa) = &cx.op.attrs else {
        return Err(cx.err("", "internal: pool without pool attributes"));
    };
    let out_shape = cx.out_shape();
    let (nb, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
    let (ho, wo) = (out_shape[2], out_shape[3]);
    let (kh, kw) = (pa.kernel[0] as usize, pa.kernel[1] as usize);
    let (sh, sw) = (pa.stride[0] as usize, pa.stride[1] as usize);
    let (pt, pl) = (pa.padding[0] as isize, pa.padding[1] as isize);
    let include_pad = cx.spec.count_include_pad.unwrap_or(false);
    let is_max = cx.op.kind == OpKind::Maxpool;
    let window = |oy: usize, ox: usize| {
        let mut pos = Vec::with_capacity(kh * kw);
        for ky in 0..kh {
            let iy = (oy * sh + ky) as isize - pt;
            for kx in 0..kw {
                let ix = (ox * sw + kx) as isize - pl;
                if iy >= 0 && (iy as usize) < h && ix >= 0 && (ix as usize) < w {
                    pos.push(iy as usize * w + ix as usize);
                }
            }
        }
        pos
    };
    let planes = nb * c;
    match (&x.data, is_max) {
        (Data::I32(v), true) => {
            let mut out = Vec::with_capacity(planes * ho * wo);
            for pl_i in 0..planes {
                let plane = &v[pl_i * h * w..(pl_i + 1) * h * w];
                for oy in 0..ho {
                    for ox in 0..wo {
                        out.push(window(oy, ox).iter().map(|&i| plane[i]).max().unwrap_or(0));
                    }
                }
            }
            let v = Value::new(x.format, out_shape, Data::I32(out));
            cast(&v, cx.out_format(), IntRounding::NearestEven)
                .map_err(|m| cx.err("precision.output", m))
        }
        _ => {
            let xs = x.to_f32_vec();
            let mut out = Vec::with_capacity(planes * ho * wo);
            for pl_i in 0..planes {
                let plane = &xs[pl_i * h * w..(pl_i + 1) * h * w];
                for oy in 0..ho {
                    for ox in 0..wo {
                        let pos = window(oy, ox);
                        out.push(if is_max {
                            pos.iter()
                                .map(|&i| plane[i])
                                .fold(
                                    f32::NEG_INFINITY,
                                    |m, v| {
                                        if v > m || v.is_nan() {
                                            v
                                        } else {
                                            m
                                        }
                                    },
                                )
                        } else {
                            let s = pos.iter().fold(0f32, |s, &i| s + plane[i]);
                            let count = if include_pad {
                                kh * kw
                            } else {
                                pos.len().max(1)
                            };
                            s / count as f32
                        });
                    }
                }
            }
            let v = Value::new(Format::FP32, out_shape, Data::F32(out));
            cast(&v, cx.out_format(), IntRounding::NearestEven)
                .map_err(|m| cx.err("precision.output", m))
        }
    }
}

/// global_avgpool over every axis after the first two.
pub(crate) fn global_avg(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let out_shape = cx.out_shape();
    let planes = x.shape[0] * x.shape[1];
    let hw: usize = x.shape[2..].iter().product();
    if let Some(q) = cx.spec.quant.as_ref() {
        let Data::I32(v) = &x.data else {
            return Err(cx.err("quant", "a quantized global_avgpool needs an integer input"));
        };
        let need = |f: &str, s| -> FuncResult<f32> {
            Ok(scales(cx, f, s, 1)?
                .ok_or_else(|| cx.err(&format!("quant.{f}"), "missing scale"))?[0])
        };
        let xs = need("a_scale", &q.a_scale)?;
        let ys = need("y_scale", &q.y_scale)?;
        let xzp = zero_points(cx, "a_zero_point", &q.a_zero_point, 1)?[0];
        let yzp = zero_points(cx, "y_zero_point", &q.y_zero_point, 1)?[0];
        let m = global_avg_pool_multiplier(xs, ys, hw);
        let range = range_of(cx, cx.out_format())?;
        let out = (0..planes)
            .map(|p| {
                let s: i64 = v[p * hw..(p + 1) * hw].iter().map(|&a| a as i64).sum();
                let acc = (s - xzp as i64 * hw as i64) as i32;
                round_to_code(acc as f32 * m, yzp, range, Rounding::NearestEven, 0)
            })
            .collect();
        return Ok(Value::new(cx.out_format(), out_shape, Data::I32(out)));
    }
    let out: Vec<f32> = match &x.data {
        Data::F32(v) => {
            let acc = Accumulator::FP32_SEQ.with_order(AccOrder::Lanes { lanes: 4 });
            (0..planes)
                .map(|p| acc.sum_f32(&v[p * hw..(p + 1) * hw]).unwrap_or(f32::NAN) / hw as f32)
                .collect()
        }
        Data::I32(v) => (0..planes)
            .map(|p| {
                let s: i64 = v[p * hw..(p + 1) * hw].iter().map(|&a| a as i64).sum();
                (s as f64 / hw as f64) as f32
            })
            .collect(),
    };
    let v = Value::new(Format::FP32, out_shape, Data::F32(out));
    cast(&v, cx.out_format(), IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}
