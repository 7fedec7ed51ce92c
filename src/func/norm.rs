//! softmax and layernorm, computed in f32 (exp in f64 rounded to f32) and rounded to the
//! output format.
//!
//! * softmax along `axis`: `m = max x`, `e_i = f32(exp(x_i - m))`, `s = Σ e_i`
//!   (sequential f32), `y_i = e_i / s`.
//! * layernorm over the trailing axes from `axis`: `mean = f32(Σ x) / n`,
//!   `var = f32(Σ (x - mean)²) / n`, `y = (x - mean) / sqrt(var + eps) · scale + bias`
//!   (all f32, sequential sums; eps default 1e-5).
//!
//! These follow the ONNX definitions; ONNX Runtime's vectorised kernels may differ in
//! the last bit.

use super::elementwise::broadcast_index;
use super::value::{cast, Data, IntRounding, Value};
use super::{Ctx, FuncResult};
use crate::numerics::Format;
use crate::workload::OpAttrs;

fn axis(cx: &Ctx) -> usize {
    match cx.op.attrs {
        OpAttrs::Axis(a) => a,
        _ => 0,
    }
}

fn finish(cx: &Ctx, vals: Vec<f32>, shape: Vec<usize>) -> FuncResult<Value> {
    let v = Value::new(Format::FP32, shape, Data::F32(vals));
    cast(&v, cx.out_format(), IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}

/// softmax along the op's axis.
pub(crate) fn softmax(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let a = axis(cx);
    let shape = x.shape.clone();
    let len = shape[a];
    let inner: usize = shape[a + 1..].iter().product();
    let outer: usize = shape[..a].iter().product();
    let xs = x.to_f32_vec();
    let mut out = vec![0f32; xs.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| o * len * inner + j * inner + i;
            let m = (0..len)
                .map(|j| xs[at(j)])
                .fold(f32::NEG_INFINITY, f32::max);
            let mut s = 0f32;
            for j in 0..len {
                let e = ((xs[at(j)] - m) as f64).exp() as f32;
                out[at(j)] = e;
                s += e;
            }
            for j in 0..len {
                out[at(j)] /= s;
            }
        }
    }
    finish(cx, out, shape)
}

/// layernorm over the trailing axes from the op's axis, with optional scale and bias
/// inputs broadcast over those axes.
pub(crate) fn layernorm(cx: &Ctx, ins: &[&Value]) -> FuncResult<Value> {
    let x = ins[0];
    let a = axis(cx);
    let shape = x.shape.clone();
    let n: usize = shape[a..].iter().product();
    let outer: usize = shape[..a].iter().product();
    let tail = &shape[a..];
    let expand = |v: Option<&&Value>| -> Option<Vec<f32>> {
        v.map(|v| {
            let vals = v.to_f32_vec();
            broadcast_index(tail, &v.shape)
                .iter()
                .map(|&i| vals[i])
                .collect()
        })
    };
    let scale = expand(ins.get(1));
    let bias = expand(ins.get(2));
    let eps = cx.spec.epsilon.unwrap_or(1e-5) as f32;
    let xs = x.to_f32_vec();
    let mut out = vec![0f32; xs.len()];
    for o in 0..outer {
        let row = &xs[o * n..(o + 1) * n];
        let mean = row.iter().fold(0f32, |s, &v| s + v) / n as f32;
        let var = row.iter().fold(0f32, |s, &v| s + (v - mean) * (v - mean)) / n as f32;
        let inv = (var + eps).sqrt();
        for (j, (&v, y)) in row.iter().zip(&mut out[o * n..(o + 1) * n]).enumerate() {
            let mut r = (v - mean) / inv;
            if let Some(s) = &scale {
                r *= s[j];
            }
            if let Some(b) = &bias {
                r += b[j];
            }
            *y = r;
        }
    }
    finish(cx, out, shape)
}
