//! Typing rules of quantization operators: QuantizeLinear, DequantizeLinear and the
//! com.microsoft QLinearAdd/QLinearMul, plus checks shared by the QLinear ops.

use super::broadcast::broadcast_shapes;
use super::ctx::NodeCtx;
use super::elementwise::dtype_from_code;
use super::TensorInfo;
use crate::import::onnx::error::OnnxError;
use crate::tensor::DType;

/// Data types of 8-bit quantized tensors.
pub const QUANT_8BIT: &[DType] = &[DType::U8, DType::I8];

/// Types a scale may have.
const SCALE_TYPES: &[DType] = &[DType::F32, DType::F16, DType::BF16];

/// The two 8-bit operands of a quantized GEMM: inputs `at` named `names`.
pub fn quantized_operands<'a>(
    cx: &NodeCtx<'a>,
    names: [&str; 2],
    at: [usize; 2],
) -> Result<[&'a TensorInfo; 2], OnnxError> {
    let a = cx.input(at[0], names[0])?;
    let b = cx.input(at[1], names[1])?;
    cx.expect_dtype(a, at[0], names[0], QUANT_8BIT)?;
    cx.expect_dtype(b, at[1], names[1], QUANT_8BIT)?;
    Ok([a, b])
}

/// The operands of an integer GEMM (MatMulInteger, ConvInteger): 8-bit inputs 0 and 1
/// named `names`, with optional zero points at inputs 2 and 3 (`{p}_zero_point` for
/// `p` in `zp_prefixes`) of the same types.
pub fn integer_operands<'a>(
    cx: &NodeCtx<'a>,
    names: [&str; 2],
    zp_prefixes: [&str; 2],
) -> Result<[&'a TensorInfo; 2], OnnxError> {
    let operands = quantized_operands(cx, names, [0, 1])?;
    for i in 0..2 {
        let role = format!("{}_zero_point", zp_prefixes[i]);
        if let Some(zp) = cx.opt_input(2 + i, &role)? {
            cx.same_dtype((operands[i], names[i]), (zp, &role))?;
        }
    }
    Ok(operands)
}

/// Check the scale (input `scale_idx`) and optional zero point (input `zp_idx`) of a
/// quantized operand `data`: the scale is a float, the zero point has the data's type
/// and the scale's shape.
pub fn check_quant_params(
    cx: &NodeCtx,
    data: &TensorInfo,
    scale_idx: usize,
    zp_idx: usize,
    operand: &str,
) -> Result<(), OnnxError> {
    let scale_role = format!("{operand}_scale");
    let zp_role = format!("{operand}_zero_point");
    let scale = cx.input(scale_idx, &scale_role)?;
    cx.expect_dtype(scale, scale_idx, &scale_role, SCALE_TYPES)?;
    if let Some(zp) = cx.opt_input(zp_idx, &zp_role)? {
        cx.same_dtype((data, operand), (zp, &zp_role))?;
        if zp.shape.iter().product::<usize>() != scale.shape.iter().product::<usize>() {
            return Err(cx.err(format!(
                "{zp_role} has shape {:?} but {scale_role} has shape {:?}",
                zp.shape, scale.shape
            )));
        }
    }
    Ok(())
}

/// Check a Q/DQ scale against the data: per-tensor (one element), per-axis (1-D with
/// `x.shape[axis]` elements) or blocked (same rank, `ceil(dim / block_size)` on `axis`).
fn check_scale_layout(cx: &NodeCtx, x: &TensorInfo, scale: &TensorInfo) -> Result<(), OnnxError> {
    if scale.shape.iter().product::<usize>() == 1 && scale.rank() <= 1 {
        return Ok(());
    }
    let axis = cx.node.attr_int("axis", 1)?;
    let axis = cx.axis("axis", axis, x.rank(), false)?;
    let block = cx.node.attr_int("block_size", 0)?;
    if block < 0 {
        return Err(cx.node.attr_error("block_size", "must be >= 0"));
    }
    if block == 0 {
        if scale.rank() == 1 && scale.shape[0] == x.shape[axis] {
            return Ok(());
        }
        return Err(cx.err(format!(
            "scale of shape {:?} is neither per-tensor nor per-axis for input {:?} on axis {axis}",
            scale.shape, x.shape
        )));
    }
    let block = block as usize;
    let fits = scale.rank() == x.rank()
        && (0..x.rank()).all(|d| {
            if d == axis {
                scale.shape[d] == x.shape[d].div_ceil(block)
            } else {
                scale.shape[d] == x.shape[d]
            }
        });
    if fits {
        Ok(())
    } else {
        Err(cx.err(format!(
            "scale of shape {:?} does not fit input {:?} with block_size {block} on axis {axis}",
            scale.shape, x.shape
        )))
    }
}

/// QuantizeLinear (x, y_scale, y_zero_point?): the zero point's type, else
/// `output_dtype` (opset 21), else uint8; the input's shape.
pub fn quantize_linear(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "x")?;
    cx.expect_dtype(
        x,
        0,
        "x",
        &[DType::F32, DType::F16, DType::BF16, DType::I32],
    )?;
    let scale = cx.input(1, "y_scale")?;
    cx.expect_dtype(scale, 1, "y_scale", SCALE_TYPES)?;
    check_scale_layout(cx, x, scale)?;
    let zp = cx.opt_input(2, "y_zero_point")?;
    let output_dtype = match cx.node.attr_int("output_dtype", 0)? {
        0 => None,
        code => Some(dtype_from_code(cx.node, "output_dtype", code)?),
    };
    let dtype = match (zp, output_dtype) {
        (Some(zp), Some(d)) if zp.dtype != d => {
            return Err(cx.node.attr_error(
                "output_dtype",
                format!("is {d} but y_zero_point is {}", zp.dtype),
            ))
        }
        (Some(zp), _) => {
            if zp.shape.iter().product::<usize>() != scale.shape.iter().product::<usize>() {
                return Err(cx.err(format!(
                    "y_zero_point has shape {:?} but y_scale has shape {:?}",
                    zp.shape, scale.shape
                )));
            }
            zp.dtype
        }
        (None, Some(d)) => d,
        (None, None) => DType::U8,
    };
    let low_precision_float =
        dtype.is_float() && !matches!(dtype, DType::F16 | DType::BF16 | DType::F32 | DType::F64);
    if low_precision_float {
        let saturate = cx.node.attr_int("saturate", 1)?;
        if saturate != 0 && saturate != 1 {
            return Err(cx
                .node
                .attr_error("saturate", format!("must be 0 or 1, found {saturate}")));
        }
    } else if !dtype.is_integer() {
        return Err(cx.err(format!("cannot quantize to {dtype}")));
    }
    Ok(TensorInfo::new(dtype, x.shape.clone()))
}

/// DequantizeLinear (x, x_scale, x_zero_point?): the scale's type (or `output_dtype`
/// where given); the input's shape.
pub fn dequantize_linear(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "x")?;
    let scale = cx.input(1, "x_scale")?;
    cx.expect_dtype(scale, 1, "x_scale", SCALE_TYPES)?;
    check_scale_layout(cx, x, scale)?;
    if let Some(zp) = cx.opt_input(2, "x_zero_point")? {
        cx.same_dtype((x, "x"), (zp, "x_zero_point"))?;
    }
    let dtype = match cx.node.attr_int("output_dtype", 0)? {
        0 => scale.dtype,
        code => dtype_from_code(cx.node, "output_dtype", code)?,
    };
    Ok(TensorInfo::new(dtype, x.shape.clone()))
}

/// com.microsoft QLinearAdd / QLinearMul (A, A_scale, A_zp?, B, B_scale, B_zp?,
/// C_scale, C_zp?): A's type, broadcast shape.
pub fn qlinear_binary(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let a = cx.input(0, "A")?;
    let b = cx.input(3, "B")?;
    cx.expect_dtype(a, 0, "A", QUANT_8BIT)?;
    cx.same_dtype((a, "A"), (b, "B"))?;
    check_quant_params(cx, a, 1, 2, "A")?;
    check_quant_params(cx, b, 4, 5, "B")?;
    check_quant_params(cx, a, 6, 7, "C")?;
    let shape = broadcast_shapes(&[&a.shape, &b.shape]).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(a.dtype, shape))
}
