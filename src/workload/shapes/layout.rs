//! Shape inference of layout ops (Reshape, Flatten, Transpose, Concat).

use super::*;

/// Reshape: `0` copies a dimension, one `-1` is inferred.
pub(super) fn reshape(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let x = ins[0];
    let target = op
        .shape
        .as_ref()
        .ok_or_else(|| err(path, "shape", "a reshape op needs \"shape\""))?;
    let total: u64 = x.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                out.push(1)
            }
            0 => out.push(*x.get(i).ok_or_else(|| {
                err(
                    path,
                    "shape",
                    format!("0 at position {i} copies a dimension the input lacks"),
                )
            })?),
            d if d > 0 => out.push(d as u64),
            _ => {
                return Err(err(
                    path,
                    "shape",
                    format!("invalid dimension {d} (use > 0, 0 to copy, or one -1)"),
                ))
            }
        }
    }
    let known: u64 = out
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err(path, "shape", "the product of dimensions overflows u64"))?;
    if let Some(i) = infer_at {
        if !total.is_multiple_of(known) {
            return Err(err(
                path,
                "shape",
                format!("cannot reshape {x:?} into {target:?}"),
            ));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(err(
            path,
            "shape",
            format!("cannot reshape {x:?} ({total} elements) into {target:?}"),
        ));
    }
    Ok(plain(out, OpAttrs::None))
}

/// Flatten at an axis into a 2-D shape.
pub(super) fn flatten(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let x = ins[0];
    let r = x.len() as i64;
    let a = op.axis.unwrap_or(1);
    let a = if a < 0 { a + r } else { a };
    if a < 0 || a > r {
        return Err(err(
            path,
            "axis",
            format!("axis {a} is out of range for rank {r}"),
        ));
    }
    let a = a as usize;
    let outer: u64 = x[..a].iter().product();
    let inner: u64 = x[a..].iter().product();
    Ok(plain(vec![outer, inner], OpAttrs::Axis(a)))
}

/// Transpose by a permutation (reversed axes by default).
pub(super) fn transpose(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=1)?;
    let x = ins[0];
    let perm = match &op.perm {
        Some(p) => p.clone(),
        None => (0..x.len()).rev().collect(),
    };
    let mut seen = vec![false; x.len()];
    if perm.len() != x.len()
        || perm
            .iter()
            .any(|&p| p >= x.len() || std::mem::replace(&mut seen[p], true))
    {
        return Err(err(
            path,
            "perm",
            format!("{perm:?} is not a permutation of 0..{}", x.len()),
        ));
    }
    Ok(plain(
        perm.iter().map(|&p| x[p]).collect(),
        OpAttrs::Transpose(perm),
    ))
}

/// Concatenation along an axis.
pub(super) fn concat(op: &OpSpec, path: &str, ins: &[&[u64]]) -> InputResult<Inferred> {
    if op.inputs.is_empty() {
        return Err(err(path, "inputs", "a concat op needs at least one input"));
    }
    let first = ins[0];
    let axis = norm_axis(path, op.axis.unwrap_or(1), first.len())?;
    let mut out = first.to_vec();
    for (j, s) in ins.iter().enumerate().skip(1) {
        let same_rest = s.len() == first.len()
            && s.iter()
                .zip(first)
                .enumerate()
                .all(|(d, (a, b))| d == axis || a == b);
        if !same_rest {
            return Err(err(
                path,
                &format!("inputs[{j}]"),
                format!("shape {s:?} does not match {first:?} outside axis {axis}"),
            ));
        }
        out[axis] = out[axis]
            .checked_add(s[axis])
            .ok_or_else(|| err(path, "inputs", "concatenated size overflows u64"))?;
    }
    Ok(plain(out, OpAttrs::Axis(axis)))
}
