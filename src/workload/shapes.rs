//! Shape inference per op kind, and the GEMM view of compute ops.

mod elementwise;
mod layout;
mod pool;

use super::{ConvAttrs, GemmView, OpAttrs, OpKind, OpSpec, PoolAttrs};
use crate::error::{InputError, InputResult};

/// What shape inference learns about one op.
pub(super) struct Inferred {
    pub output_shape: Vec<u64>,
    pub attrs: OpAttrs,
    pub gemm: Option<GemmView>,
    /// Shape of the implicit weight to create, when the op declares none.
    pub implicit_weight: Option<Vec<u64>>,
}

fn err(path: &str, field: &str, msg: impl Into<String>) -> InputError {
    let p = if field.is_empty() {
        path.to_string()
    } else {
        format!("{path}.{field}")
    };
    InputError::at(p, msg)
}

fn expect_inputs(op: &OpSpec, path: &str, n: std::ops::RangeInclusive<usize>) -> InputResult<()> {
    if n.contains(&op.inputs.len()) {
        Ok(())
    } else {
        let want = if n.start() == n.end() {
            format!("{}", n.start())
        } else {
            format!("{} to {}", n.start(), n.end())
        };
        Err(err(
            path,
            "inputs",
            format!(
                "a {} op takes {want} input(s), got {}",
                op.op.name(),
                op.inputs.len()
            ),
        ))
    }
}

fn positive2(
    path: &str,
    field: &str,
    v: Option<[u64; 2]>,
    default: [u64; 2],
) -> InputResult<[u64; 2]> {
    let v = v.unwrap_or(default);
    if v[0] == 0 || v[1] == 0 {
        return Err(err(path, field, format!("expected values > 0, got {v:?}")));
    }
    Ok(v)
}

fn padding4(path: &str, p: &Option<Vec<u64>>) -> InputResult<[u64; 4]> {
    match p.as_deref() {
        None => Ok([0; 4]),
        Some([ph, pw]) => Ok([*ph, *pw, *ph, *pw]),
        Some([t, l, b, r]) => Ok([*t, *l, *b, *r]),
        Some(other) => Err(err(
            path,
            "padding",
            format!("expected [ph, pw] or [top, left, bottom, right], got {other:?}"),
        )),
    }
}

/// A 2-D sliding window over the spatial dimensions of an NCHW input.
struct Window2d {
    kernel: [u64; 2],
    stride: [u64; 2],
    dilation: [u64; 2],
    /// Top, left, bottom, right.
    padding: [u64; 4],
    /// Round the output size up (pooling's `ceil_mode`) instead of down.
    ceil_mode: bool,
}

impl Window2d {
    /// The output height and width for input height and width `hw` (ONNX/PyTorch
    /// convention); errors name `field` of the op at `path`.
    fn output(&self, path: &str, field: &str, hw: [u64; 2]) -> InputResult<[u64; 2]> {
        let mut out = [0; 2];
        for d in 0..2 {
            let pad = self.padding[d] + self.padding[d + 2];
            out[d] = self.output_along(path, field, d, hw[d], pad)?;
        }
        Ok(out)
    }

    /// Output size along dimension `d` of an input of size `input` padded by `pad`.
    fn output_along(
        &self,
        path: &str,
        field: &str,
        d: usize,
        input: u64,
        pad: u64,
    ) -> InputResult<u64> {
        let (kernel, stride) = (self.kernel[d], self.stride[d]);
        let span = self.dilation[d]
            .checked_mul(kernel - 1)
            .and_then(|x| x.checked_add(1))
            .ok_or_else(|| err(path, field, "kernel extent overflows u64"))?;
        let padded = input
            .checked_add(pad)
            .ok_or_else(|| err(path, field, "padded size overflows u64"))?;
        if padded < span {
            return Err(err(
                path,
                field,
                format!("window of extent {span} does not fit the padded input of size {padded}"),
            ));
        }
        let num = padded - span;
        let out = if self.ceil_mode {
            num.div_ceil(stride)
        } else {
            num / stride
        } + 1;
        Ok(out)
    }
}

fn require_rank(path: &str, shape: &[u64], rank: usize, what: &str) -> InputResult<()> {
    if shape.len() != rank {
        return Err(err(
            path,
            "inputs[0]",
            format!("expected a rank-{rank} {what} input, got shape {shape:?}"),
        ));
    }
    Ok(())
}

fn norm_axis(path: &str, axis: i64, rank: usize) -> InputResult<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r.max(1) {
        return Err(err(
            path,
            "axis",
            format!("axis {axis} is out of range for rank {rank}"),
        ));
    }
    Ok(a as usize)
}

fn broadcast(path: &str, a: &[u64], b: &[u64]) -> InputResult<Vec<u64>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(err(
                path,
                "inputs",
                format!("shapes {a:?} and {b:?} cannot be broadcast together"),
            ));
        };
    }
    Ok(out)
}

/// A bias given as an input must hold one value per output column / channel.
fn check_bias_input(path: &str, bias: &[u64], n: u64) -> InputResult<()> {
    let elements: u64 = bias.iter().product();
    if elements != n {
        return Err(err(
            path,
            "inputs[2]",
            format!("the bias has shape {bias:?} ({elements} elements); expected {n}"),
        ));
    }
    Ok(())
}

/// An op's output shape and attributes, with no GEMM view or implicit weight.
fn plain(output_shape: Vec<u64>, attrs: OpAttrs) -> Inferred {
    Inferred {
        output_shape,
        attrs,
        gemm: None,
        implicit_weight: None,
    }
}

/// Infers an op's output shape and attributes from its input shapes (and its weight's,
/// when declared), by op family: `shapes/elementwise.rs`, `shapes/pool.rs`,
/// `shapes/layout.rs`; matmul and conv here.
pub(super) fn infer(
    op: &OpSpec,
    path: &str,
    ins: &[&[u64]],
    weight: Option<&[u64]>,
) -> InputResult<Inferred> {
    match op.op {
        OpKind::Matmul => matmul(op, path, ins, weight),
        OpKind::Conv2d => conv2d(op, path, ins, weight),
        OpKind::Add | OpKind::Mul | OpKind::Sub | OpKind::Div | OpKind::Pow => {
            elementwise::binary(op, path, ins)
        }
        OpKind::Vector => elementwise::vector(op, path, ins),
        crate::workload::unary_math_ops!()
        | OpKind::Cast
        | OpKind::Quantize
        | OpKind::Requantize
        | OpKind::Dequantize => elementwise::unary(op, path, ins),
        OpKind::Clip => elementwise::clip(op, path, ins),
        OpKind::Softmax => elementwise::softmax(op, path, ins),
        OpKind::Layernorm => elementwise::layernorm(op, path, ins),
        OpKind::Maxpool | OpKind::Avgpool => pool::pool(op, path, ins),
        OpKind::GlobalAvgpool => pool::global_avgpool(op, path, ins),
        OpKind::Reshape => layout::reshape(op, path, ins),
        OpKind::Flatten => layout::flatten(op, path, ins),
        OpKind::Transpose => layout::transpose(op, path, ins),
        OpKind::Concat => layout::concat(op, path, ins),
    }
}

fn matmul(
    op: &OpSpec,
    path: &str,
    ins: &[&[u64]],
    weight: Option<&[u64]>,
) -> InputResult<Inferred> {
    let transpose_b = op.transpose_b.unwrap_or(false);
    let a = ins.first().copied().unwrap_or(&[]);
    if op.inputs.is_empty() || op.inputs.len() > 3 {
        return Err(err(
            path,
            "inputs",
            format!(
                "a matmul op takes 1 input (with a weight), 2 inputs, or 3 (A, B, bias), got {}",
                op.inputs.len()
            ),
        ));
    }
    if a.len() < 2 {
        return Err(err(
            path,
            "inputs[0]",
            format!("expected a matrix [..., M, K], got shape {a:?}"),
        ));
    }
    let m = a[a.len() - 2];
    let k = a[a.len() - 1];
    let batch_a = &a[..a.len() - 2];
    let mut implicit_weight = None;
    let (b, b_is_weight): (Vec<u64>, bool) = if op.inputs.len() >= 2 {
        if op.weight.is_some() || op.out_features.is_some() {
            return Err(err(
                path,
                "weight",
                "a matmul with two inputs takes no weight or out_features",
            ));
        }
        if op.inputs.len() == 3 && op.bias.is_some() {
            return Err(err(
                path,
                "bias",
                "the bias is given twice: as inputs[2] and as \"bias\"",
            ));
        }
        (ins[1].to_vec(), false)
    } else if let Some(w) = weight {
        (w.to_vec(), true)
    } else {
        let n = op.out_features.ok_or_else(|| {
            err(
                path,
                "out_features",
                "a one-input matmul needs a \"weight\" or \"out_features\"",
            )
        })?;
        if n == 0 {
            return Err(err(
                path,
                "out_features",
                "expected a positive integer, got 0",
            ));
        }
        let shape = if transpose_b { vec![n, k] } else { vec![k, n] };
        implicit_weight = Some(shape.clone());
        (shape, true)
    };
    if b.len() < 2 {
        return Err(err(
            path,
            if b_is_weight { "weight" } else { "inputs[1]" },
            format!("expected a matrix, got shape {b:?}"),
        ));
    }
    let (kb, n) = if transpose_b {
        (b[b.len() - 1], b[b.len() - 2])
    } else {
        (b[b.len() - 2], b[b.len() - 1])
    };
    if kb != k {
        return Err(err(
            path,
            if b_is_weight { "weight" } else { "inputs[1]" },
            format!(
                "inner dimensions differ: A is {a:?} (K = {k}) but B has K = {kb} (shape {b:?}{})",
                if transpose_b { ", transposed" } else { "" }
            ),
        ));
    }
    if let Some(nf) = op.out_features {
        if nf != n {
            return Err(err(
                path,
                "out_features",
                format!("out_features {nf} does not match the weight's N = {n}"),
            ));
        }
    }
    if let Some(bias) = ins.get(2) {
        check_bias_input(path, bias, n)?;
    }
    let batch_b = &b[..b.len() - 2];
    let batch = broadcast(path, batch_a, batch_b)?;
    let mut out = batch.clone();
    out.push(m);
    out.push(n);
    let batch_count: u64 = batch
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| err(path, "inputs", "batch size overflows u64"))?;
    // A weight shared across the batch folds the batch into M (one big GEMM).
    let gemm = if batch_b.iter().all(|&d| d == 1) {
        GemmView {
            count: 1,
            m: batch_count
                .checked_mul(m)
                .ok_or_else(|| err(path, "inputs", "M overflows u64"))?,
            n,
            k,
        }
    } else {
        GemmView {
            count: batch_count,
            m,
            n,
            k,
        }
    };
    Ok(Inferred {
        output_shape: out,
        attrs: OpAttrs::Matmul { transpose_b },
        gemm: Some(gemm),
        implicit_weight,
    })
}

/// A conv2d's output channels and kernel: from its weight's shape
/// (`[out_channels, in_channels/groups, kh, kw]`, checked against `out_channels`, `kernel`
/// and the input's `c` channels), or from `out_channels` and `kernel` when it has none.
fn conv_weight(
    op: &OpSpec,
    path: &str,
    weight: Option<&[u64]>,
    groups: u64,
    c: u64,
) -> InputResult<(u64, [u64; 2])> {
    Ok(match weight {
        Some(ws) => {
            if ws.len() != 4 {
                return Err(err(
                    path,
                    "weight",
                    format!(
                        "expected a [out_channels, in_channels/groups, kh, kw] weight, got {ws:?}"
                    ),
                ));
            }
            if let Some(oc) = op.out_channels {
                if oc != ws[0] {
                    return Err(err(
                        path,
                        "out_channels",
                        format!("out_channels {oc} does not match the weight's {}", ws[0]),
                    ));
                }
            }
            if let Some(k) = op.kernel {
                if k != [ws[2], ws[3]] {
                    return Err(err(
                        path,
                        "kernel",
                        format!(
                            "kernel {k:?} does not match the weight's [{}, {}]",
                            ws[2], ws[3]
                        ),
                    ));
                }
            }
            if ws[1].checked_mul(groups) != Some(c) {
                return Err(err(path, "weight", format!("weight {ws:?} expects {} input channels per group × {groups} groups, but the input has {c} channels", ws[1])));
            }
            (ws[0], [ws[2], ws[3]])
        }
        None => {
            let oc = op.out_channels.ok_or_else(|| {
                err(
                    path,
                    "out_channels",
                    "a conv2d op needs \"out_channels\" (or a \"weight\")",
                )
            })?;
            let k = op.kernel.ok_or_else(|| {
                err(
                    path,
                    "kernel",
                    "a conv2d op needs \"kernel\": [kh, kw] (or a \"weight\")",
                )
            })?;
            (oc, k)
        }
    })
}

fn conv2d(
    op: &OpSpec,
    path: &str,
    ins: &[&[u64]],
    weight: Option<&[u64]>,
) -> InputResult<Inferred> {
    expect_inputs(op, path, 1..=3)?;
    let x = ins[0];
    require_rank(path, x, 4, "NCHW")?;
    let (n_batch, c, h, w) = (x[0], x[1], x[2], x[3]);
    let groups = op.groups.unwrap_or(1);
    if groups == 0 {
        return Err(err(path, "groups", "expected a positive integer, got 0"));
    }
    // The weight (and bias) may come as inputs: [X, W] or [X, W, B].
    if ins.len() >= 2 && op.weight.is_some() {
        return Err(err(
            path,
            "weight",
            "the weight is given twice: as inputs[1] and as \"weight\"",
        ));
    }
    if ins.len() == 3 && op.bias.is_some() {
        return Err(err(
            path,
            "bias",
            "the bias is given twice: as inputs[2] and as \"bias\"",
        ));
    }
    let weight = if ins.len() >= 2 { Some(ins[1]) } else { weight };
    let (out_channels, kernel) = conv_weight(op, path, weight, groups, c)?;
    if out_channels == 0 {
        return Err(err(
            path,
            "out_channels",
            "expected a positive integer, got 0",
        ));
    }
    let kernel = positive2(path, "kernel", Some(kernel), [1, 1])?;
    let stride = positive2(path, "stride", op.stride, [1, 1])?;
    let dilation = positive2(path, "dilation", op.dilation, [1, 1])?;
    let padding = padding4(path, &op.padding)?;
    if c % groups != 0 {
        return Err(err(
            path,
            "groups",
            format!("{c} input channels are not divisible by {groups} groups"),
        ));
    }
    if out_channels % groups != 0 {
        return Err(err(
            path,
            "groups",
            format!("{out_channels} output channels are not divisible by {groups} groups"),
        ));
    }
    let window = Window2d {
        kernel,
        stride,
        dilation,
        padding,
        ceil_mode: false,
    };
    let [ho, wo] = window.output(path, "kernel", [h, w])?;
    let ovf = || {
        err(
            path,
            "",
            "the GEMM dimensions of this convolution overflow u64",
        )
    };
    let m = n_batch
        .checked_mul(ho)
        .and_then(|v| v.checked_mul(wo))
        .ok_or_else(ovf)?;
    let k = (c / groups)
        .checked_mul(kernel[0])
        .and_then(|v| v.checked_mul(kernel[1]))
        .ok_or_else(ovf)?;
    if let Some(bias) = ins.get(2) {
        check_bias_input(path, bias, out_channels)?;
    }
    let gemm = GemmView {
        count: groups,
        m,
        n: out_channels / groups,
        k,
    };
    gemm.count
        .checked_mul(m)
        .and_then(|v| v.checked_mul(gemm.n))
        .and_then(|v| v.checked_mul(k))
        .ok_or_else(ovf)?;
    Ok(Inferred {
        output_shape: vec![n_batch, out_channels, ho, wo],
        attrs: OpAttrs::Conv2d(ConvAttrs {
            out_channels,
            kernel,
            stride,
            padding,
            dilation,
            groups,
        }),
        gemm: Some(gemm),
        implicit_weight: weight
            .is_none()
            .then(|| vec![out_channels, c / groups, kernel[0], kernel[1]]),
    })
}
