//! Typing rules of convolutions (Conv, ConvInteger, QLinearConv, com.microsoft
//! QLinearConv) and pooling (MaxPool, AveragePool, global pools,
//! com.microsoft QLinearGlobalAveragePool).

use super::ctx::NodeCtx;
use super::quant::{check_quant_params, integer_operands, quantized_operands, QUANT_8BIT};
use super::spatial::resolve_geometry;
use super::TensorInfo;
use crate::import::onnx::error::OnnxError;
use crate::tensor::DType;

/// Batch, channels and spatial sizes of an activation (`NC...` or, channels-last,
/// `N...C`); rank must be at least 3.
fn split_layout<'a>(
    cx: &NodeCtx,
    x: &'a TensorInfo,
    channels_last: bool,
) -> Result<(usize, usize, &'a [usize]), OnnxError> {
    let r = x.rank();
    if r < 3 {
        return Err(cx.err(format!(
            "input must have rank >= 3 (batch, channels, spatial...), found shape {:?}",
            x.shape
        )));
    }
    Ok(if channels_last {
        (x.shape[0], x.shape[r - 1], &x.shape[1..r - 1])
    } else {
        (x.shape[0], x.shape[1], &x.shape[2..])
    })
}

/// Output shape of a convolution of `x` by weights `w` (`[M, C/group, k...]`), with an
/// optional bias `[M]` at input index `bias_idx`.
fn conv_shape(
    cx: &NodeCtx,
    x: &TensorInfo,
    w: &TensorInfo,
    bias_idx: usize,
    channels_last: bool,
) -> Result<Vec<usize>, OnnxError> {
    let (n, c, spatial) = split_layout(cx, x, channels_last)?;
    if w.rank() != x.rank() {
        return Err(cx.err(format!(
            "weights of shape {:?} must have the input's rank {} (input {:?})",
            w.shape,
            x.rank(),
            x.shape
        )));
    }
    let group = cx.node.attr_int("group", 1)?;
    let group = usize::try_from(group)
        .ok()
        .filter(|&g| g >= 1)
        .ok_or_else(|| {
            cx.node
                .attr_error("group", format!("must be >= 1, found {group}"))
        })?;
    let (m, c_per_group) = (w.shape[0], w.shape[1]);
    if c_per_group.checked_mul(group) != Some(c) || m % group != 0 {
        return Err(cx.err(format!(
            "weights {:?} with group {group} do not fit an input with {c} channels \
             (need C = W[1] * group and M = W[0] divisible by group)",
            w.shape
        )));
    }
    let kernel = &w.shape[2..];
    if let Some(k) = cx.node.attr_usizes("kernel_shape")? {
        if k != kernel {
            return Err(cx.node.attr_error(
                "kernel_shape",
                format!("{k:?} does not match the weights' spatial shape {kernel:?}"),
            ));
        }
    }
    if let Some(b) = cx.opt_input(bias_idx, "B")? {
        if b.shape != [m] {
            return Err(cx.err(format!("bias must have shape [{m}], found {:?}", b.shape)));
        }
    }
    let geometry = resolve_geometry(cx.node, spatial, kernel, false, true)?;
    let mut out = vec![n];
    if channels_last {
        out.extend(&geometry.output);
        out.push(m);
    } else {
        out.push(m);
        out.extend(&geometry.output);
    }
    Ok(out)
}

/// Conv (X, W, B?): X's type.
pub fn conv(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "X")?;
    let w = cx.input(1, "W")?;
    cx.same_dtype((x, "X"), (w, "W"))?;
    if let Some(b) = cx.opt_input(2, "B")? {
        cx.same_dtype((x, "X"), (b, "B"))?;
    }
    let shape = conv_shape(cx, x, w, 2, false)?;
    Ok(TensorInfo::new(x.dtype, shape))
}

/// ConvInteger (x, w, x_zero_point?, w_zero_point?): int32.
pub fn conv_integer(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let [x, w] = integer_operands(cx, ["x", "w"], ["x", "w"])?;
    // ConvInteger has no bias input; index 4 is never present.
    let shape = conv_shape(cx, x, w, usize::MAX, false)?;
    Ok(TensorInfo::new(DType::I32, shape))
}

/// QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?): the type of
/// `y_zero_point`. The com.microsoft variant takes `channels_last` (NHWC activations).
pub fn qlinear_conv(cx: &NodeCtx, contrib: bool) -> Result<TensorInfo, OnnxError> {
    let [x, w] = quantized_operands(cx, ["x", "w"], [0, 3])?;
    check_quant_params(cx, x, 1, 2, "x")?;
    check_quant_params(cx, w, 4, 5, "w")?;
    cx.input(6, "y_scale")?;
    if let Some(b) = cx.opt_input(8, "B")? {
        cx.expect_dtype(b, 8, "B", &[DType::I32])?;
    }
    let channels_last = contrib && cx.node.attr_int("channels_last", 0)? != 0;
    let shape = conv_shape(cx, x, w, 8, channels_last)?;
    let dtype = cx
        .opt_input(7, "y_zero_point")?
        .map_or(x.dtype, |z| z.dtype);
    Ok(TensorInfo::new(dtype, shape))
}

/// Output shape of a windowed pooling node over `x` (NCHW).
fn pool_shape(cx: &NodeCtx, x: &TensorInfo) -> Result<Vec<usize>, OnnxError> {
    let (n, c, spatial) = split_layout(cx, x, false)?;
    let kernel = cx.node.attr_usizes("kernel_shape")?.ok_or_else(|| {
        cx.node
            .attr_error("kernel_shape", "required attribute is missing")
    })?;
    if kernel.len() != spatial.len() {
        return Err(cx.node.attr_error(
            "kernel_shape",
            format!(
                "has {} entries but the input {:?} has {} spatial dimensions",
                kernel.len(),
                x.shape,
                spatial.len()
            ),
        ));
    }
    let ceil_mode = cx.node.attr_int("ceil_mode", 0)? != 0;
    let geometry = resolve_geometry(cx.node, spatial, &kernel, ceil_mode, true)?;
    let mut out = vec![n, c];
    out.extend(geometry.output);
    Ok(out)
}

/// MaxPool: `Y` of X's type and the optional int64 `Indices`.
pub fn max_pool(cx: &NodeCtx) -> Result<Vec<TensorInfo>, OnnxError> {
    let x = cx.input(0, "X")?;
    let shape = pool_shape(cx, x)?;
    Ok(vec![
        TensorInfo::new(x.dtype, shape.clone()),
        TensorInfo::new(DType::I64, shape),
    ])
}

/// AveragePool: X's type.
pub fn average_pool(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "X")?;
    Ok(TensorInfo::new(x.dtype, pool_shape(cx, x)?))
}

/// GlobalAveragePool / GlobalMaxPool: `[N, C, 1, ...]`.
pub fn global_pool(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "X")?;
    let (n, c, spatial) = split_layout(cx, x, false)?;
    let mut shape = vec![n, c];
    shape.resize(2 + spatial.len(), 1);
    Ok(TensorInfo::new(x.dtype, shape))
}

/// com.microsoft QLinearGlobalAveragePool (X, x_scale, x_zp, y_scale, y_zp):
/// `[N, C, 1, ...]` (or `[N, 1, ..., C]` with `channels_last`).
pub fn qlinear_global_average_pool(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "X")?;
    cx.expect_dtype(x, 0, "X", QUANT_8BIT)?;
    check_quant_params(cx, x, 1, 2, "x")?;
    check_quant_params(cx, x, 3, 4, "y")?;
    let channels_last = cx.node.attr_int("channels_last", 0)? != 0;
    let (n, c, spatial) = split_layout(cx, x, channels_last)?;
    let mut shape = vec![n];
    if channels_last {
        shape.resize(1 + spatial.len(), 1);
        shape.push(c);
    } else {
        shape.push(c);
        shape.resize(2 + spatial.len(), 1);
    }
    let dtype = cx
        .opt_input(4, "y_zero_point")?
        .map_or(x.dtype, |z| z.dtype);
    Ok(TensorInfo::new(dtype, shape))
}
