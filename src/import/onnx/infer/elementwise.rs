//! Typing rules of elementwise and normalisation operators, `Cast` and `Constant`.

use super::broadcast::{broadcast_shapes, broadcasts_to};
use super::ctx::NodeCtx;
use super::TensorInfo;
use crate::import::onnx::error::OnnxError;
use crate::import::onnx::model::OnnxNode;
use crate::import::onnx::tensor_proto::{dtype_from_onnx, onnx_type_name};
use crate::tensor::{DType, Tensor};

/// Same type and shape as input 0 (Relu, Sigmoid, Erf, Identity, ...).
pub fn unary(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    Ok(cx.input(0, "X")?.clone())
}

/// Softmax: same as the input; `axis` must be in range.
pub fn softmax(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "input")?;
    // The default axis changed from 1 to -1 in opset 13.
    let default_axis = if cx.opset >= 13 { -1 } else { 1 };
    let axis = cx.node.attr_int("axis", default_axis)?;
    cx.axis("axis", axis, x.rank().max(1), false)?;
    Ok(x.clone())
}

/// Clip: same as the input; the optional `min`/`max` inputs must be scalars of its type.
pub fn clip(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "input")?;
    for (i, role) in [(1, "min"), (2, "max")] {
        if let Some(bound) = cx.opt_input(i, role)? {
            cx.same_dtype((x, "input"), (bound, role))?;
            if bound.shape.iter().product::<usize>() != 1 {
                return Err(cx.err(format!(
                    "{role} must be a scalar, found shape {:?}",
                    bound.shape
                )));
            }
        }
    }
    Ok(x.clone())
}

/// Add/Sub/Mul/Div: both inputs of one type, broadcast shapes.
pub fn binary(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let a = cx.input(0, "A")?;
    let b = cx.input(1, "B")?;
    cx.same_dtype((a, "A"), (b, "B"))?;
    let shape = broadcast_shapes(&[&a.shape, &b.shape]).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(a.dtype, shape))
}

/// Pow: the base's type (the exponent may differ), broadcast shapes.
pub fn pow(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "X")?;
    let y = cx.input(1, "Y")?;
    let shape = broadcast_shapes(&[&x.shape, &y.shape]).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(x.dtype, shape))
}

/// Max/Min: one or more inputs of one type, broadcast together.
pub fn variadic(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let infos = cx.present_inputs("data")?;
    let first = infos[0];
    for info in &infos[1..] {
        cx.same_dtype((first, "input 0"), (info, "another input"))?;
    }
    let shapes: Vec<&[usize]> = infos.iter().map(|i| i.shape.as_slice()).collect();
    let shape = broadcast_shapes(&shapes).map_err(|e| cx.err(e))?;
    Ok(TensorInfo::new(first.dtype, shape))
}

/// Cast: the `to` type, the input's shape.
pub fn cast(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    let x = cx.input(0, "input")?;
    let to = cx.node.attr_int_required("to")?;
    let dtype = dtype_from_code(cx.node, "to", to)?;
    Ok(TensorInfo::new(dtype, x.shape.clone()))
}

/// The [`DType`] of an ONNX type code held in attribute `attr`.
pub fn dtype_from_code(node: &OnnxNode, attr: &str, code: i64) -> Result<DType, OnnxError> {
    i32::try_from(code)
        .ok()
        .and_then(dtype_from_onnx)
        .ok_or_else(|| {
            let name = i32::try_from(code).map_or_else(|_| format!("code {code}"), onnx_type_name);
            node.attr_error(attr, format!("element type {name} is not supported"))
        })
}

/// Constant: the type of its value attribute.
pub fn constant(cx: &NodeCtx) -> Result<TensorInfo, OnnxError> {
    match constant_value(cx.node)? {
        Some(t) => Ok(TensorInfo::of(&t)),
        None => Err(cx.err(
            "needs one of the attributes value, value_float, value_floats, value_int, value_ints",
        )),
    }
}

/// The tensor a `Constant` node produces (`value`, `value_float(s)`, `value_int(s)`);
/// `None` if it has none of them. String and sparse values are errors.
pub fn constant_value(node: &OnnxNode) -> Result<Option<Tensor>, OnnxError> {
    let to_err = |attr: &str, e: crate::tensor::TensorError| node.attr_error(attr, e.to_string());
    for unsupported in ["value_string", "value_strings", "sparse_value"] {
        if node.attr(unsupported).is_some() {
            return Err(
                node.attr_error(unsupported, "string and sparse constants are not supported")
            );
        }
    }
    if let Some(t) = node.attr_tensor("value")? {
        return Ok(Some(t.clone()));
    }
    let made = |attr: &str, t: Result<Tensor, crate::tensor::TensorError>| {
        t.map(Some).map_err(|e| to_err(attr, e))
    };
    if node.attr("value_float").is_some() {
        let v = node.attr_float("value_float", 0.0)?;
        return made("value_float", Tensor::scalar(DType::F32, v));
    }
    if let Some(v) = node.attr_floats("value_floats")? {
        return made("value_floats", Tensor::from_f32(vec![v.len()], v.to_vec()));
    }
    if let Some(v) = node.attr_int_opt("value_int")? {
        return made("value_int", Tensor::scalar(DType::I64, v));
    }
    if let Some(v) = node.attr_ints("value_ints")? {
        return made("value_ints", Tensor::from_i64(vec![v.len()], v.to_vec()));
    }
    Ok(None)
}

/// LayerNormalization: `Y` like `X`; `Mean` and `InvStdDev` keep the dimensions before
/// `axis` and are 1 after, in the `stash_type` type.
pub fn layer_norm(cx: &NodeCtx) -> Result<Vec<TensorInfo>, OnnxError> {
    let x = cx.input(0, "X")?;
    let scale = cx.input(1, "Scale")?;
    let axis = cx.node.attr_int("axis", -1)?;
    let axis = cx.axis("axis", axis, x.rank(), false)?;
    let normalized = &x.shape[axis..];
    for (i, role, info) in [(1, "Scale", Some(scale)), (2, "B", cx.opt_input(2, "B")?)] {
        let Some(info) = info else { continue };
        cx.same_dtype((x, "X"), (info, role))?;
        if !broadcasts_to(&info.shape, normalized) {
            return Err(cx.err(format!(
                "input #{i} ({role}) of shape {:?} does not broadcast to the normalized shape {normalized:?}",
                info.shape
            )));
        }
    }
    let stash = cx.node.attr_int("stash_type", 1)?;
    let stash = dtype_from_code(cx.node, "stash_type", stash)?;
    let mut stat_shape = x.shape[..axis].to_vec();
    stat_shape.resize(x.rank(), 1);
    Ok(vec![
        x.clone(),
        TensorInfo::new(stash, stat_shape.clone()),
        TensorInfo::new(stash, stat_shape),
    ])
}
