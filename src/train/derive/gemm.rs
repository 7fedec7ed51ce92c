//! Backward of the compute ops. Matmul Y = A·B: dA = dY·Bᵀ (a matmul reading B with the
//! opposite `transpose_b`), dB = Aᵀ·dY (or dBᵀ = dYᵀ·A when B is stored transposed).
//! Conv2d: the error as a conv over the padded error with the flipped, transposed weight
//! when the conv keeps its spatial size at stride 1 (MACs equal the forward's), else as a
//! grouped 1×1 conv producing the column matrix followed by col2im; the weight gradient as
//! the GEMM dYᵀ·im2col(X) per group. Every derived GEMM has the forward's MAC count.

use super::{Builder, Phase};
use crate::error::{InputError, InputResult};
use crate::train::policy::GemmKind;
use crate::workload::{OpAttrs, OpId, OpKind, OpSpec, PrecisionSpec};

fn reshape(
    b: &mut Builder,
    input: String,
    name: String,
    shape: &[u64],
    fmt: crate::numerics::Format,
    phase: Phase,
    layer: &str,
) -> String {
    let mut op = OpSpec::new(name.clone(), OpKind::Reshape, vec![input], name.clone());
    op.shape = Some(shape.iter().map(|&d| d as i64).collect());
    op.precision = Some(PrecisionSpec::Uniform(fmt));
    b.push(op, phase, layer, None, "reshape");
    name
}

fn transpose_last2(
    b: &mut Builder,
    input: String,
    name: String,
    rank: usize,
    fmt: crate::numerics::Format,
    phase: Phase,
    layer: &str,
) -> String {
    let mut perm: Vec<usize> = (0..rank).collect();
    perm.swap(rank - 2, rank - 1);
    let mut op = OpSpec::new(name.clone(), OpKind::Transpose, vec![input], name.clone());
    op.perm = Some(perm);
    op.precision = Some(PrecisionSpec::Uniform(fmt));
    b.push(op, phase, layer, None, "transpose");
    name
}

/// One derived GEMM of a layer: its kind (which also sets its phase), its operand and
/// result formats and the tag it carries in the side table.
struct DerivedGemm<'l> {
    layer: &'l str,
    kind: GemmKind,
    what: &'static str,
    prec: PrecisionSpec,
}

impl DerivedGemm<'_> {
    /// Pushes `name = a · bb` (two activation operands) and returns `name`.
    fn push(self, b: &mut Builder, name: String, a: String, bb: String) -> String {
        self.push_with(b, name, a, bb, false, false)
    }

    /// Pushes `name = a · bb`, `bb` as the op's weight when `as_weight`, transposed when
    /// `transpose_b`.
    fn push_with(
        self,
        b: &mut Builder,
        name: String,
        a: String,
        bb: String,
        as_weight: bool,
        transpose_b: bool,
    ) -> String {
        let mut op = if as_weight {
            let mut op = OpSpec::new(name.clone(), OpKind::Matmul, vec![a], name.clone());
            op.weight = Some(bb);
            op
        } else {
            OpSpec::new(name.clone(), OpKind::Matmul, vec![a, bb], name.clone())
        };
        if transpose_b {
            op.transpose_b = Some(true);
        }
        op.precision = Some(self.prec);
        let phase = match self.kind {
            GemmKind::Fwd => Phase::Fwd,
            GemmKind::Bwd => Phase::Bwd,
            GemmKind::Grad => Phase::Grad,
        };
        b.push(op, phase, self.layer, Some(self.kind), self.what);
        name
    }
}

/// Backward of a matmul (with a weight or two activations).
pub(super) fn matmul(b: &mut Builder, id: OpId, dy: &str) -> InputResult<()> {
    let op = &b.fwd.ops[id];
    let layer = op.name.clone();
    let tb = matches!(op.attrs, OpAttrs::Matmul { transpose_b: true });
    let a = op.inputs[0];
    let bt = op
        .weight
        .or_else(|| op.inputs.get(1).copied())
        .ok_or_else(|| InputError::at(op.json_path.clone(), "matmul without a second operand"))?;
    let bias = op.bias.or_else(|| op.inputs.get(2).copied());
    let out_shape = b.shape(op.output);
    let (a_shape, b_shape) = (b.shape(a), b.shape(bt));
    let b_weight = b.is_weight(bt);
    let declared_weight = op.weight.is_some();
    let rank = out_shape.len();
    if a_shape[..a_shape.len() - 2] != out_shape[..rank - 2]
        || (!b_weight && b_shape[..b_shape.len() - 2] != out_shape[..rank - 2])
    {
        return Err(InputError::at(
            op.json_path.clone(),
            "training: the backward of a matmul whose batch dimensions broadcast is not derived",
        ));
    }
    let (an, bn) = (b.name(a), b.name(bt));
    let (act, err, wf, gf) = b.layer_formats(id);
    let bfmt = if b_weight { wf } else { act };
    // dA = dY · Bᵀ
    if b.wants(a) {
        let name = format!("{layer}.dx");
        let prec = Builder::gemm_precision(err, bfmt, err);
        let dx = DerivedGemm {
            layer: &layer,
            kind: GemmKind::Bwd,
            what: "dx",
            prec,
        }
        .push_with(b, name, dy.to_string(), bn.clone(), declared_weight, !tb);
        b.contribute(a, dx);
    }
    if b_weight {
        let (k, n) = (a_shape[a_shape.len() - 1], out_shape[rank - 1]);
        let rows: u64 = out_shape[..rank - 1].iter().product();
        let (a2, dy2) = if a_shape.len() > 2 {
            (
                reshape(
                    b,
                    an.clone(),
                    format!("{layer}.x2d"),
                    &[rows, k],
                    act,
                    Phase::Grad,
                    &layer,
                ),
                reshape(
                    b,
                    dy.to_string(),
                    format!("{layer}.dy2d"),
                    &[rows, n],
                    err,
                    Phase::Grad,
                    &layer,
                ),
            )
        } else {
            (an.clone(), dy.to_string())
        };
        let dw = if !tb {
            let xt = transpose_last2(b, a2, format!("{layer}.xT"), 2, act, Phase::Grad, &layer);
            DerivedGemm {
                layer: &layer,
                kind: GemmKind::Grad,
                what: "dw",
                prec: Builder::gemm_precision(act, err, gf),
            }
            .push(b, format!("{bn}.grad"), xt, dy2)
        } else {
            let dyt = transpose_last2(b, dy2, format!("{layer}.dyT"), 2, err, Phase::Grad, &layer);
            DerivedGemm {
                layer: &layer,
                kind: GemmKind::Grad,
                what: "dw",
                prec: Builder::gemm_precision(err, act, gf),
            }
            .push(b, format!("{bn}.grad"), dyt, a2)
        };
        b.weight_grad(bt, dw);
    } else if b.wants(bt) {
        let db = if !tb {
            let at = transpose_last2(b, an, format!("{layer}.aT"), rank, act, Phase::Bwd, &layer);
            DerivedGemm {
                layer: &layer,
                kind: GemmKind::Bwd,
                what: "db",
                prec: Builder::gemm_precision(act, err, err),
            }
            .push(b, format!("{layer}.db"), at, dy.to_string())
        } else {
            let dyt = transpose_last2(
                b,
                dy.to_string(),
                format!("{layer}.dyT"),
                rank,
                err,
                Phase::Bwd,
                &layer,
            );
            DerivedGemm {
                layer: &layer,
                kind: GemmKind::Bwd,
                what: "db",
                prec: Builder::gemm_precision(err, act, err),
            }
            .push(b, format!("{layer}.db"), dyt, an)
        };
        b.contribute(bt, db);
    }
    if let Some(bias) = bias {
        bias_grad(b, id, bias, dy, &layer);
    }
    Ok(())
}

fn bias_grad(b: &mut Builder, id: OpId, bias: usize, dy: &str, layer: &str) {
    let shape = b.shape(bias);
    let name = format!("{}.grad", b.name(bias));
    let (_, _, _, g) = b.layer_formats(id);
    let out = b.vector(
        name,
        vec![dy.to_string()],
        &shape,
        g,
        Phase::Grad,
        layer,
        "bias_grad",
    );
    if b.is_weight(bias) {
        b.weight_grad(bias, out);
    }
}

/// Backward of a 2-D convolution.
pub(super) fn conv2d(b: &mut Builder, id: OpId, dy: &str) -> InputResult<()> {
    let op = &b.fwd.ops[id];
    let layer = op.name.clone();
    let OpAttrs::Conv2d(c) = op.attrs.clone() else {
        return Err(InputError::at(
            op.json_path.clone(),
            "conv2d without conv attributes",
        ));
    };
    let x = op.inputs[0];
    let w = op
        .weight
        .or_else(|| op.inputs.get(1).copied())
        .ok_or_else(|| InputError::at(op.json_path.clone(), "conv2d without a weight"))?;
    let bias = op.bias.or_else(|| op.inputs.get(2).copied());
    let (xs, ys, ws) = (b.shape(x), b.shape(op.output), b.shape(w));
    let (n, ci, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
    let (co, ho, wo) = (ys[1], ys[2], ys[3]);
    let (kh, kw) = (ws[2], ws[3]);
    let g = c.groups;
    let (act, err, wf, gf) = b.layer_formats(id);
    let wn = b.name(w);
    if b.wants(x) {
        let ext = [c.dilation[0] * (kh - 1), c.dilation[1] * (kw - 1)];
        let same = c.stride == [1, 1]
            && ho == h
            && wo == wd
            && c.padding[0] <= ext[0]
            && c.padding[2] <= ext[0]
            && c.padding[1] <= ext[1]
            && c.padding[3] <= ext[1];
        let dx_name = format!("{layer}.dx");
        if same {
            let wt = b.vector(
                format!("{wn}.flipT"),
                vec![wn.clone()],
                &[ci, co / g, kh, kw],
                wf,
                Phase::Bwd,
                &layer,
                "flip_transpose_weight",
            );
            let mut cv = OpSpec::new(
                dx_name.clone(),
                OpKind::Conv2d,
                vec![dy.to_string(), wt],
                dx_name.clone(),
            );
            cv.out_channels = Some(ci);
            cv.kernel = Some([kh, kw]);
            cv.padding = Some(vec![
                ext[0] - c.padding[0],
                ext[1] - c.padding[1],
                ext[0] - c.padding[2],
                ext[1] - c.padding[3],
            ]);
            cv.dilation = Some(c.dilation);
            cv.groups = Some(g);
            cv.precision = Some(Builder::gemm_precision(err, wf, err));
            b.push(cv, Phase::Bwd, &layer, Some(GemmKind::Bwd), "dx");
        } else {
            let kk = ci * kh * kw;
            let wc = b.vector(
                format!("{wn}.cols"),
                vec![wn.clone()],
                &[kk, co / g, 1, 1],
                wf,
                Phase::Bwd,
                &layer,
                "weight_to_columns",
            );
            let cols = format!("{layer}.dcols");
            let mut cv = OpSpec::new(
                cols.clone(),
                OpKind::Conv2d,
                vec![dy.to_string(), wc],
                cols.clone(),
            );
            cv.out_channels = Some(kk);
            cv.kernel = Some([1, 1]);
            cv.groups = Some(g);
            cv.precision = Some(Builder::gemm_precision(err, wf, err));
            b.push(cv, Phase::Bwd, &layer, Some(GemmKind::Bwd), "dx_columns");
            b.vector(
                dx_name.clone(),
                vec![cols],
                &xs,
                err,
                Phase::Bwd,
                &layer,
                "col2im",
            );
        }
        b.contribute(x, dx_name);
    }
    let rows = n * ho * wo;
    let kg = ci / g * kh * kw;
    let (cols_shape, dyt_shape): (Vec<u64>, Vec<u64>) = if g == 1 {
        (vec![rows, kg], vec![co, rows])
    } else {
        (vec![g, rows, kg], vec![g, co / g, rows])
    };
    let xn = b.name(x);
    let cols = b.vector(
        format!("{layer}.im2col"),
        vec![xn],
        &cols_shape,
        act,
        Phase::Grad,
        &layer,
        "im2col",
    );
    let dyt = b.vector(
        format!("{layer}.dyT"),
        vec![dy.to_string()],
        &dyt_shape,
        err,
        Phase::Grad,
        &layer,
        "error_to_rows",
    );
    let gm = DerivedGemm {
        layer: &layer,
        kind: GemmKind::Grad,
        what: "dw",
        prec: Builder::gemm_precision(err, act, gf),
    }
    .push(b, format!("{layer}.dw"), dyt, cols);
    let dw = reshape(b, gm, format!("{wn}.grad"), &ws, gf, Phase::Grad, &layer);
    b.weight_grad(w, dw);
    if let Some(bias) = bias {
        bias_grad(b, id, bias, dy, &layer);
    }
    Ok(())
}
