//! Typing rules of the layout operators: Flatten, Reshape, Transpose, Concat.

use super::ctx::NodeCtx;
use super::TensorInfo;
use crate::import::onnx::error::OnnxError;

/// Flatten: `(prod(d[..axis]), prod(d[axis..]))`, `axis` in `[-r, r]`.
pub fn flatten(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "input")?;
    let axis = cx.node.attr_int("axis", 1)?;
    let axis = cx.axis("axis", axis, x.rank(), true)?;
    let outer: usize = x.shape[..axis].iter().product();
    let inner: usize = x.shape[axis..].iter().product();
    Ok(TensorInfo::new(x.dtype, vec![outer, inner]))
}

/// Reshape to a constant int64 shape; `0` copies the input dimension (unless
/// `allowzero`), one `-1` is inferred.
pub fn reshape(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "data")?;
    cx.input(1, "shape")?;
    let target = cx.constant(1).ok_or_else(|| {
        cx.err("the shape input must be a constant (an initializer or a Constant node)")
    })?;
    if target.rank() != 1 {
        return Err(cx.err(format!(
            "the shape input must be 1-D, found shape {:?}",
            target.shape()
        )));
    }
    let target = target
        .to_i64_vec()
        .map_err(|e| cx.err(format!("the shape input must be int64: {e}")))?;
    let allow_zero = cx.node.attr_int("allowzero", 0)? != 0;
    let total: usize = x.shape.iter().product();
    let mut shape = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, &d) in target.iter().enumerate() {
        let dim = match d {
            -1 => {
                if infer_at.replace(i).is_some() {
                    return Err(cx.err(format!("shape {target:?} has more than one -1")));
                }
                1
            }
            0 if !allow_zero => *x.shape.get(i).ok_or_else(|| {
                cx.err(format!(
                    "shape {target:?} copies dimension {i} (0), but the input {:?} has rank {}",
                    x.shape,
                    x.rank()
                ))
            })?,
            d if d < 0 => return Err(cx.err(format!("shape {target:?} has invalid entry {d}"))),
            d => usize::try_from(d).map_err(|_| cx.err(format!("dimension {d} is too large")))?,
        };
        shape.push(dim);
    }
    let known = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| cx.err(format!("shape {target:?} overflows")))?;
    if let Some(i) = infer_at {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(cx.err(format!(
                "cannot reshape {:?} ({total} elements) to {target:?}",
                x.shape
            )));
        }
        shape[i] = total / known;
    } else if known != total {
        return Err(cx.err(format!(
            "cannot reshape {:?} ({total} elements) to {shape:?} ({known} elements)",
            x.shape
        )));
    }
    Ok(TensorInfo::new(x.dtype, shape))
}

/// Transpose by `perm` (default: reverse the axes).
pub fn transpose(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "data")?;
    let rank = x.rank();
    let perm: Vec<usize> = match cx.node.attr_ints("perm")? {
        None => (0..rank).rev().collect(),
        Some(p) => {
            let mut seen = vec![false; rank];
            let mut perm = Vec::with_capacity(rank);
            for &axis in p {
                let a = cx.axis("perm", axis, rank, false)?;
                if std::mem::replace(&mut seen[a], true) {
                    return Err(cx
                        .node
                        .attr_error("perm", format!("{p:?} repeats axis {axis}")));
                }
                perm.push(a);
            }
            if perm.len() != rank {
                return Err(cx.node.attr_error(
                    "perm",
                    format!("{p:?} is not a permutation of the {rank} input axes"),
                ));
            }
            perm
        }
    };
    Ok(TensorInfo::new(
        x.dtype,
        perm.iter().map(|&a| x.shape[a]).collect(),
    ))
}

/// Concat along `axis`: equal ranks and types, equal dimensions except `axis`.
pub fn concat(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let infos = cx.present_inputs("inputs")?;
    let first = infos[0];
    let axis = cx.node.attr_int_required("axis")?;
    let axis = cx.axis("axis", axis, first.rank(), false)?;
    let mut shape = first.shape.clone();
    for info in &infos[1..] {
        cx.same_dtype((first, "input 0"), (info, "another input"))?;
        let fits = info.rank() == first.rank()
            && (0..first.rank()).all(|d| d == axis || info.shape[d] == first.shape[d]);
        if !fits {
            return Err(cx.err(format!(
                "inputs of shapes {:?} and {:?} cannot be concatenated on axis {axis}",
                first.shape, info.shape
            )));
        }
        shape[axis] = shape[axis]
            .checked_add(info.shape[axis])
            .ok_or_else(|| cx.err("the concatenated dimension overflows"))?;
    }
    Ok(TensorInfo::new(first.dtype, shape))
}
