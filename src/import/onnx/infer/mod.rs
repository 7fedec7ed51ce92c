//! Static shape and dtype inference over an ONNX graph.
//!
//! Walks the nodes in topological order and applies ONNX's typing rules for every
//! [`Op`]. The result gives every value's dtype and static shape. Errors name the node:
//! an input whose shape is symbolic and was not given, shapes that do not fit the
//! operator, or an unsupported operator. Declared types of graph outputs and
//! `value_info` entries are checked against what was inferred.

mod broadcast;
mod conv;
mod ctx;
mod elementwise;
mod layout;
mod linalg;
mod quant;
mod spatial;

use std::collections::BTreeMap;

pub use broadcast::{broadcast_shapes, broadcasts_to};
pub use spatial::{resolve_geometry, AutoPad, SpatialGeometry};

use ctx::{NodeCtx, ValueState};

use super::error::OnnxError;
use super::model::{Dim, OnnxModel, ValueInfo};
use super::ops::Op;
use crate::tensor::{DType, Tensor};

/// A value's static element type and shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TensorInfo {
    /// Element type.
    pub dtype: DType,
    /// Static shape (empty for a scalar).
    pub shape: Vec<usize>,
}

impl TensorInfo {
    /// Build from parts.
    pub fn new(dtype: DType, shape: Vec<usize>) -> TensorInfo {
        TensorInfo { dtype, shape }
    }

    /// The type of a tensor value.
    pub fn of(tensor: &Tensor) -> TensorInfo {
        TensorInfo::new(tensor.dtype(), tensor.shape().to_vec())
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
}

/// The result of [`infer_shapes`].
#[derive(Debug, Clone, PartialEq)]
pub struct InferredGraph {
    /// Node indices in a topological order (see
    /// [`OnnxGraph::topological_order`](super::OnnxGraph::topological_order)).
    pub order: Vec<usize>,
    /// Type of every value (graph inputs, initializers, node outputs), by name.
    pub values: BTreeMap<String, TensorInfo>,
}

impl InferredGraph {
    /// The type of a value.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.values.get(name)
    }
}

impl OnnxModel {
    /// Infer every value's dtype and static shape, with the graph inputs' shapes as
    /// declared (all must be static).
    pub fn infer_shapes(&self) -> Result<InferredGraph, OnnxError> {
        infer_shapes(self, &BTreeMap::new())
    }

    /// Like [`OnnxModel::infer_shapes`], with concrete shapes for some graph inputs
    /// (resolving symbolic dimensions such as a batch size).
    pub fn infer_shapes_with(
        &self,
        input_shapes: &BTreeMap<String, Vec<usize>>,
    ) -> Result<InferredGraph, OnnxError> {
        infer_shapes(self, input_shapes)
    }
}

/// Infer every value's dtype and static shape. `input_shapes` gives concrete shapes
/// for graph inputs whose declared shapes are symbolic or unknown; a given shape must
/// agree with the declared rank and fixed dimensions.
pub fn infer_shapes(
    model: &OnnxModel,
    input_shapes: &BTreeMap<String, Vec<usize>>,
) -> Result<InferredGraph, OnnxError> {
    let graph = &model.graph;
    let order = graph.topological_order()?;
    let mut values: BTreeMap<String, ValueState> = BTreeMap::new();
    for (name, tensor) in &graph.initializers {
        values.insert(name.clone(), ValueState::Known(TensorInfo::of(tensor)));
    }
    for name in input_shapes.keys() {
        if graph.runtime_inputs().all(|v| &v.name != name) {
            return Err(OnnxError::ValueInfo {
                value: name.clone(),
                detail: "a shape was given for it, but it is not a graph input".into(),
            });
        }
    }
    for input in graph.runtime_inputs() {
        let state = input_state(input, input_shapes.get(&input.name))?;
        values.insert(input.name.clone(), state);
    }
    let mut folded: BTreeMap<String, Tensor> = BTreeMap::new();
    for &index in &order {
        let node = &graph.nodes[index];
        let op = Op::of(node).ok_or_else(|| OnnxError::UnsupportedOp {
            node: node.label(),
            op: node.op_type.clone(),
            domain: node.domain.clone(),
        })?;
        let cx = NodeCtx {
            node,
            values: &values,
            initializers: &graph.initializers,
            folded: &folded,
            opset: model.opset_version(&node.domain).unwrap_or(0),
        };
        let outputs = infer_node(op, &cx)?;
        if node.outputs.len() > outputs.len() {
            return Err(cx.err(format!(
                "has {} outputs, but {op} produces at most {}",
                node.outputs.len(),
                outputs.len()
            )));
        }
        if node.outputs.iter().all(|o| o.is_empty()) {
            return Err(cx.err("has no outputs"));
        }
        for (name, info) in node.outputs.iter().zip(&outputs) {
            if crate::tensor::numel(&info.shape).is_err() {
                return Err(cx.err(format!(
                    "output '{name}' would have shape {:?}, whose element count overflows",
                    info.shape
                )));
            }
        }
        if op == Op::Constant {
            if let (Some(name), Some(tensor)) = (node.output(0), elementwise::constant_value(node)?)
            {
                folded.insert(name.to_string(), tensor);
            }
        }
        for (name, info) in node.outputs.iter().zip(outputs) {
            if !name.is_empty() {
                values.insert(name.clone(), ValueState::Known(info));
            }
        }
    }
    let mut known = BTreeMap::new();
    for (name, state) in values {
        if let ValueState::Known(info) = state {
            known.insert(name, info);
        }
    }
    for declared in graph.outputs.iter().chain(&graph.value_infos) {
        match known.get(&declared.name) {
            Some(info) => check_declared(declared, info)?,
            None if graph.output(&declared.name).is_some() => {
                return Err(OnnxError::ValueInfo {
                    value: declared.name.clone(),
                    detail: format!(
                        "graph output has no static shape (declared {})",
                        declared.shape_text()
                    ),
                })
            }
            None => {}
        }
    }
    Ok(InferredGraph {
        order,
        values: known,
    })
}

/// Apply the typing rule of `op`; one [`TensorInfo`] per possible output.
fn infer_node(op: Op, cx: &NodeCtx) -> Result<Vec<TensorInfo>, OnnxError> {
    use Op::*;
    let one = |r: Result<TensorInfo, OnnxError>| r.map(|t| vec![t]);
    match op {
        Abs | Ceil | Erf | Exp | Floor | Gelu | Identity | LeakyRelu | Log | Neg | Reciprocal
        | Relu | Sigmoid | Sqrt | Tanh | MsGelu => one(elementwise::unary(cx)),
        Softmax => one(elementwise::softmax(cx)),
        Clip => one(elementwise::clip(cx)),
        Add | Sub | Mul | Div => one(elementwise::binary(cx)),
        Pow => one(elementwise::pow(cx)),
        Max | Min => one(elementwise::variadic(cx)),
        Cast => one(elementwise::cast(cx)),
        Constant => one(elementwise::constant(cx)),
        LayerNormalization => elementwise::layer_norm(cx),
        Flatten => one(layout::flatten(cx)),
        Reshape => one(layout::reshape(cx)),
        Transpose => one(layout::transpose(cx)),
        Concat => one(layout::concat(cx)),
        MatMul => one(linalg::matmul(cx)),
        MatMulInteger => one(linalg::matmul_integer(cx)),
        QLinearMatMul => one(linalg::qlinear_matmul(cx)),
        Gemm => one(linalg::gemm(cx)),
        MsQGemm => one(linalg::qgemm(cx)),
        Conv => one(conv::conv(cx)),
        ConvInteger => one(conv::conv_integer(cx)),
        QLinearConv => one(conv::qlinear_conv(cx, false)),
        MsQLinearConv => one(conv::qlinear_conv(cx, true)),
        MaxPool => conv::max_pool(cx),
        AveragePool => one(conv::average_pool(cx)),
        GlobalAveragePool | GlobalMaxPool => one(conv::global_pool(cx)),
        MsQLinearGlobalAveragePool => one(conv::qlinear_global_average_pool(cx)),
        QuantizeLinear | MsQuantizeLinear => one(quant::quantize_linear(cx)),
        DequantizeLinear | MsDequantizeLinear => one(quant::dequantize_linear(cx)),
        MsQLinearAdd | MsQLinearMul => one(quant::qlinear_binary(cx)),
    }
}

/// The inference state of a graph input: its declared type, or the given shape.
fn input_state(input: &ValueInfo, given: Option<&Vec<usize>>) -> Result<ValueState, OnnxError> {
    let Some(dtype) = input.dtype else {
        return Ok(ValueState::Unresolved(format!(
            "graph input '{}' declares no element type",
            input.name
        )));
    };
    if let Some(shape) = given {
        if crate::tensor::numel(shape).is_err() {
            return Err(OnnxError::ValueInfo {
                value: input.name.clone(),
                detail: format!("given shape {shape:?} has too many elements"),
            });
        }
        if let Some(declared) = &input.shape {
            let fits = declared.len() == shape.len()
                && declared
                    .iter()
                    .zip(shape)
                    .all(|(d, &s)| !matches!(d, Dim::Known(k) if *k != s));
            if !fits {
                return Err(OnnxError::ValueInfo {
                    value: input.name.clone(),
                    detail: format!(
                        "given shape {shape:?} does not match the declared shape {}",
                        input.shape_text()
                    ),
                });
            }
        }
        return Ok(ValueState::Known(TensorInfo::new(dtype, shape.clone())));
    }
    Ok(match input.static_shape() {
        Some(shape) if crate::tensor::numel(&shape).is_err() => ValueState::Unresolved(format!(
            "graph input '{}' has shape {shape:?}, whose element count overflows",
            input.name
        )),
        Some(shape) => ValueState::Known(TensorInfo::new(dtype, shape)),
        None => ValueState::Unresolved(format!(
            "graph input '{}' has shape {}; give a concrete shape for it",
            input.name,
            input.shape_text()
        )),
    })
}

/// Check a declared type against the inferred one.
fn check_declared(declared: &ValueInfo, info: &TensorInfo) -> Result<(), OnnxError> {
    let err = |detail: String| OnnxError::ValueInfo {
        value: declared.name.clone(),
        detail,
    };
    if let Some(dtype) = declared.dtype {
        if dtype != info.dtype {
            return Err(err(format!(
                "declared as {dtype} but inferred as {}",
                info.dtype
            )));
        }
    }
    if let Some(dims) = &declared.shape {
        let fits = dims.len() == info.shape.len()
            && dims
                .iter()
                .zip(&info.shape)
                .all(|(d, &s)| !matches!(d, Dim::Known(k) if *k != s));
        if !fits {
            return Err(err(format!(
                "declared shape {} but inferred {:?}",
                declared.shape_text(),
                info.shape
            )));
        }
    }
    Ok(())
}
