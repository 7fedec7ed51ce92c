//! Shape inference of elementwise ops (arithmetic, activations, casts, Clip, Softmax, LayerNorm, generic vector ops).

use super::*;

/// Elementwise binary ops: the inputs broadcast (NumPy rules).
pub(super) fn binary(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 2..=2)?;
    Ok(plain(broadcast(path, ins[0], ins[1])?, OpAttrs::None))
}

/// A generic vector op: its declared output shape.
pub(super) fn vector(op: &OpSpec, path: &str, _ins: &[&[u64]]) -> InputResult<Inferred> {
    let target = op.shape.as_ref().ok_or_else(|| {
        err(
            path,
            "shape",
            "a vector op needs \"shape\": its output shape",
        )
    })?;
    let mut out = Vec::with_capacity(target.len());
    for &d in target {
        if d <= 0 {
            return Err(err(
                path,
                "shape",
                format!("expected dimensions > 0, got {target:?}"),
            ));
        }
        out.push(d as u64);
    }
    Ok(plain(out, OpAttrs::None))
}

/// Unary elementwise ops, casts and (de/re)quantization: the input's shape.
pub(super) fn unary(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    Ok(plain(ins[0].to_vec(), OpAttrs::None))
}

/// Clip: the input's shape; min must not exceed max.
pub(super) fn clip(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    if let (Some(lo), Some(hi)) = (op.min, op.max) {
        if lo > hi {
            return Err(err(
                path,
                "min",
                format!("min {lo} is greater than max {hi}"),
            ));
        }
    }
    Ok(plain(
        ins[0].to_vec(),
        OpAttrs::Clip {
            min: op.min,
            max: op.max,
        },
    ))
}

/// Softmax: the input's shape, over one axis.
pub(super) fn softmax(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let axis = norm_axis(path, op.axis.unwrap_or(-1), ins[0].len())?;
    Ok(plain(ins[0].to_vec(), OpAttrs::Axis(axis)))
}

/// Layer normalisation: [X] or [X, scale] or [X, scale, bias]; scale and bias broadcast to the
/// normalised trailing dimensions.
pub(super) fn layernorm(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    // [X] or [X, scale] or [X, scale, bias]; scale and bias broadcast to the
    // normalised trailing dimensions.
    expect_inputs(op, path, 1..=3)?;
    let axis = norm_axis(path, op.axis.unwrap_or(-1), ins[0].len())?;
    for (j, s) in ins.iter().enumerate().skip(1) {
        let tail = &ins[0][axis..];
        if s.len() > tail.len() || broadcast(path, tail, s)? != tail {
            return Err(err(
                path,
                &format!("inputs[{j}]"),
                format!("shape {s:?} does not broadcast to the normalised dimensions {tail:?}"),
            ));
        }
    }
    Ok(plain(ins[0].to_vec(), OpAttrs::Axis(axis)))
}
