//! Data movement: reshape / flatten (same values, new shape), transpose, concat. Values
//! are converted to the output format when it differs (RNE, saturating integers).

use super::value::{cast, Data, IntRounding, Value};
use super::{Ctx, FuncResult};
use crate::workload::OpAttrs;

fn to_out(cx: &Ctx, v: Value) -> FuncResult<Value> {
    cast(&v, cx.out_format(), IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m))
}

/// reshape / flatten.
pub(crate) fn reshape(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    to_out(cx, Value::new(x.format, cx.out_shape(), x.data.clone()))
}

fn permute<T: Copy>(src: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    let r = shape.len();
    let mut strides = vec![1usize; r];
    for d in (0..r.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let src_strides: Vec<usize> = perm.iter().map(|&p| strides[p]).collect();
    let n = src.len();
    let mut out = Vec::with_capacity(n);
    let mut coord = vec![0usize; r];
    let mut cur = 0usize;
    for _ in 0..n {
        out.push(src[cur]);
        for d in (0..r).rev() {
            coord[d] += 1;
            cur += src_strides[d];
            if coord[d] < out_shape[d] {
                break;
            }
            cur -= src_strides[d] * coord[d];
            coord[d] = 0;
        }
    }
    out
}

/// transpose by the op's permutation.
pub(crate) fn transpose(cx: &Ctx, x: &Value) -> FuncResult<Value> {
    let OpAttrs::Transpose(perm) = &cx.op.attrs else {
        return Err(cx.err("", "internal: transpose without a permutation"));
    };
    let data = match &x.data {
        Data::F32(v) => Data::F32(permute(v, &x.shape, perm)),
        Data::I32(v) => Data::I32(permute(v, &x.shape, perm)),
    };
    to_out(cx, Value::new(x.format, cx.out_shape(), data))
}

/// concat along the op's axis (inputs converted to the output format first).
pub(crate) fn concat(cx: &Ctx, ins: &[&Value]) -> FuncResult<Value> {
    let OpAttrs::Axis(a) = cx.op.attrs else {
        return Err(cx.err("", "internal: concat without an axis"));
    };
    let out = cx.out_format();
    let parts: Vec<Value> = ins
        .iter()
        .map(|v| cast(v, out, IntRounding::NearestEven).map_err(|m| cx.err("precision.output", m)))
        .collect::<FuncResult<_>>()?;
    let shape = cx.out_shape();
    let outer: usize = shape[..a].iter().product();
    let chunk = |v: &Value| v.shape[a..].iter().product::<usize>();
    let data = match &parts[0].data {
        Data::F32(_) => {
            let mut d = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for p in &parts {
                    let c = chunk(p);
                    d.extend_from_slice(&p.f32s().unwrap_or(&[])[o * c..(o + 1) * c]);
                }
            }
            Data::F32(d)
        }
        Data::I32(_) => {
            let mut d = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for p in &parts {
                    let c = chunk(p);
                    d.extend_from_slice(&p.i32s().unwrap_or(&[])[o * c..(o + 1) * c]);
                }
            }
            Data::I32(d)
        }
    };
    Ok(Value::new(out, shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_2d_and_3d() {
        assert_eq!(
            permute(&[1, 2, 3, 4, 5, 6], &[2, 3], &[1, 0]),
            vec![1, 4, 2, 5, 3, 6]
        );
        let v: Vec<i32> = (0..24).collect();
        let t = permute(&v, &[2, 3, 4], &[2, 0, 1]);
        // out[k][i][j] = v[i][j][k]
        assert_eq!(t[0..6], [0, 4, 8, 12, 16, 20]);
    }
}
