//! Backward of the non-GEMM ops, each as ops the workload format has: shape ops invert
//! (reshape back, transpose by the inverse permutation); additions pass the error through
//! (a reduction where the input was broadcast); a layernorm's scale and bias weights get a
//! reduction each; every other op becomes one generic vector
//! op reading the error and the forward tensors its derivative needs (its cost: one
//! element-op per input element, the error and those tensors read, the input's error
//! written).

use super::{Builder, Phase};
use crate::error::{InputError, InputResult};
use crate::workload::{OpAttrs, OpId, OpKind, OpSpec, PrecisionSpec};

/// Which forward tensors an elementwise derivative reads besides the error.
enum Needs {
    /// The op's input (relu, gelu, erf, clip, layernorm, maxpool).
    Input,
    /// The op's output (sigmoid, tanh, exp, sqrt, softmax).
    Output,
    /// Nothing (average pooling).
    Nothing,
}

/// Backward of one non-GEMM forward op.
pub(super) fn backward(b: &mut Builder, id: OpId, dy: &str) -> InputResult<()> {
    let op = &b.fwd.ops[id];
    let layer = op.name.clone();
    let err = b.err();
    match op.kind {
        OpKind::Layernorm => {
            unary(b, id, dy, Needs::Input);
            layernorm_params(b, id, dy);
        }
        OpKind::Relu | OpKind::Gelu | OpKind::Erf | OpKind::Clip | OpKind::Maxpool => {
            unary(b, id, dy, Needs::Input)
        }
        OpKind::Sigmoid | OpKind::Tanh | OpKind::Exp | OpKind::Sqrt | OpKind::Softmax => {
            unary(b, id, dy, Needs::Output)
        }
        OpKind::Avgpool | OpKind::GlobalAvgpool => unary(b, id, dy, Needs::Nothing),
        OpKind::Cast => {
            let x = op.inputs[0];
            b.contribute(x, dy.to_string());
        }
        OpKind::Reshape | OpKind::Flatten => {
            let x = op.inputs[0];
            if b.wants(x) {
                let name = format!("{layer}.dx");
                let mut r = OpSpec::new(
                    name.clone(),
                    OpKind::Reshape,
                    vec![dy.to_string()],
                    name.clone(),
                );
                r.shape = Some(b.shape(x).iter().map(|&d| d as i64).collect());
                r.precision = Some(PrecisionSpec::Uniform(err));
                b.push(r, Phase::Bwd, &layer, None, "reshape_backward");
                b.contribute(x, name);
            }
        }
        OpKind::Transpose => {
            let x = op.inputs[0];
            let OpAttrs::Transpose(perm) = &op.attrs else {
                return Err(InputError::at(
                    op.json_path.clone(),
                    "transpose without a permutation",
                ));
            };
            if b.wants(x) {
                let mut inv = vec![0; perm.len()];
                for (i, &p) in perm.iter().enumerate() {
                    inv[p] = i;
                }
                let name = format!("{layer}.dx");
                let mut t = OpSpec::new(
                    name.clone(),
                    OpKind::Transpose,
                    vec![dy.to_string()],
                    name.clone(),
                );
                t.perm = Some(inv);
                t.precision = Some(PrecisionSpec::Uniform(err));
                b.push(t, Phase::Bwd, &layer, None, "transpose_backward");
                b.contribute(x, name);
            }
        }
        OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div | OpKind::Pow => binary(b, id, dy),
        OpKind::Concat | OpKind::Vector => {
            let out_shape = b.shape(op.output);
            for (i, &x) in op.inputs.clone().iter().enumerate() {
                if !b.wants(x) {
                    continue;
                }
                let mut inputs = vec![dy.to_string()];
                if op.kind == OpKind::Vector {
                    inputs.push(b.name(x));
                }
                let what = if op.kind == OpKind::Concat {
                    "concat_backward"
                } else {
                    "vector_backward"
                };
                let shape = b.shape(x);
                let _ = &out_shape;
                let g = b.vector(
                    format!("{layer}.d{i}"),
                    inputs,
                    &shape,
                    err,
                    Phase::Bwd,
                    &layer,
                    what,
                );
                b.contribute(x, g);
            }
        }
        OpKind::Quantize
        | OpKind::Requantize
        | OpKind::Dequantize
        | OpKind::Matmul
        | OpKind::Conv2d => {
            return Err(InputError::at(
                op.json_path.clone(),
                format!(
                    "training: a {} op has no backward (train the float model; the policy sets the formats)",
                    op.kind.name()
                ),
            ));
        }
    }
    Ok(())
}

fn unary(b: &mut Builder, id: OpId, dy: &str, needs: Needs) {
    let op = &b.fwd.ops[id];
    let x = op.inputs[0];
    if !b.wants(x) {
        return;
    }
    let layer = op.name.clone();
    let mut inputs = vec![dy.to_string()];
    match needs {
        Needs::Input => inputs.push(b.name(x)),
        Needs::Output => inputs.push(b.name(op.output)),
        Needs::Nothing => {}
    }
    let what = format!("{}_backward", op.kind.name());
    let shape = b.shape(x);
    let err = b.err();
    let g = b.vector(
        format!("{layer}.dx"),
        inputs,
        &shape,
        err,
        Phase::Bwd,
        &layer,
        &what,
    );
    b.contribute(x, g);
}

fn binary(b: &mut Builder, id: OpId, dy: &str) {
    let op = &b.fwd.ops[id];
    let layer = op.name.clone();
    let kind = op.kind;
    let out_shape = b.shape(op.output);
    let ins = op.inputs.clone();
    let err = b.err();
    for (i, &x) in ins.iter().enumerate() {
        if !b.wants(x) && !b.is_weight(x) {
            continue;
        }
        let shape = b.shape(x);
        let pass = matches!(kind, OpKind::Add) || (kind == OpKind::Sub && i == 0);
        let g = if pass && shape == out_shape {
            dy.to_string()
        } else {
            let mut inputs = vec![dy.to_string()];
            if !pass {
                // d(a·b)/da = b, d(a/b), d(a^b): the other operand (and this one).
                inputs.extend(ins.iter().map(|&t| b.name(t)));
            }
            let what = format!("{}_backward", kind.name());
            b.vector(
                format!("{layer}.d{i}"),
                inputs,
                &shape,
                err,
                Phase::Bwd,
                &layer,
                &what,
            )
        };
        if b.is_weight(x) {
            b.weight_grad(x, g);
        } else {
            b.contribute(x, g);
        }
    }
}

/// The gradients of a layernorm's scale and bias when they are weights: a reduction over
/// the rows (GRAD phase) reading the error and the input (dscale = Σ dy⊙x̂, dbias = Σ dy).
fn layernorm_params(b: &mut Builder, id: OpId, dy: &str) {
    let op = &b.fwd.ops[id];
    let layer = op.name.clone();
    let (x, params) = (op.inputs[0], op.inputs.clone());
    for (i, &t) in params.iter().enumerate().skip(1) {
        if !b.is_weight(t) {
            continue;
        }
        let (_, _, _, gf) = b.layer_formats(id);
        let mut inputs = vec![dy.to_string()];
        if i == 1 {
            inputs.push(b.name(x));
        }
        let shape = b.shape(t);
        let g = b.vector(
            format!("{}.grad", b.name(t)),
            inputs,
            &shape,
            gf,
            Phase::Grad,
            &layer,
            if i == 1 {
                "layernorm_scale_grad"
            } else {
                "layernorm_bias_grad"
            },
        );
        b.weight_grad(t, g);
    }
}
