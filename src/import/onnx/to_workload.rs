//! ONNX model → accelsim workload ([`to_workload`]).
//!
//! Shapes come from [`infer_shapes`](super::infer_shapes); every ONNX node becomes one
//! workload op (Identity a same-shape reshape, Gemm with `transA` a transpose plus a
//! matmul, a Gemm bias of M×N elements a matmul plus an add). Initializers (and
//! `Constant` outputs) that ops read become weights, returned as tensors beside the
//! spec; scales and zero points of quantized ops become inline `quant` blocks. The
//! workload's `numerics` is `onnx`, so functional execution computes what ONNX Runtime
//! computes (see `docs/functional.md`).
//!
//! Precision for cost: every tensor keeps its ONNX element type. A compute op's operand
//! formats are its inputs' types, or, when an input is the output of a
//! DequantizeLinear, the quantized type behind it (QDQ models map onto integer or fp8
//! MACs); integer operands run on the signed integer MACs of the wider width
//! (`precision.mac`, e.g. uint8 × int8 on int8 MACs).

mod elementwise;
mod layout;
mod linalg;
mod quant;
mod spatial;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::infer::{resolve_geometry, InferredGraph, SpatialGeometry, TensorInfo};
use super::{OnnxError, OnnxModel, OnnxNode, Op};
use crate::numerics::Format;
use crate::tensor::format_of;
use crate::tensor::{DType, Tensor};
use crate::workload::{
    NumericsMode, OpKind, OpSpec, PrecisionBlock, PrecisionSpec, QuantSpec, QuantValues,
    TensorSpec, WorkloadSpec,
};

/// Import options.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Map operators without a workload equivalent to generic vector ops (cost only; the
    /// output shape of an operator unknown to shape inference is assumed to be its first
    /// input's) instead of failing.
    pub allow_unknown: bool,
    /// Concrete shapes for graph inputs with symbolic dimensions.
    pub input_shapes: BTreeMap<String, Vec<usize>>,
}

/// An imported model: the workload spec, the weight values by tensor name, and notes.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The workload (weights without `file` fields; see [`Imported::weights`]).
    pub spec: WorkloadSpec,
    /// Values of every weight the spec declares, by name (scalars as shape `[1]`).
    pub weights: BTreeMap<String, Tensor>,
    /// Warnings (operators mapped to generic vector ops, ...).
    pub warnings: Vec<String>,
}

/// Loads an `.onnx` file and converts it.
pub fn import_file(path: &Path, opts: &ImportOptions) -> Result<Imported, OnnxError> {
    let model = OnnxModel::load(path)?;
    to_workload(&model, opts).map_err(|e| e.in_file(path))
}

/// Converts a loaded model into a workload spec plus weight values.
pub fn to_workload(model: &OnnxModel, opts: &ImportOptions) -> Result<Imported, OnnxError> {
    let mut warnings = Vec::new();
    let (for_infer, unknown) = mask_unknown(model, opts)?;
    let mut types = for_infer.infer_shapes_with(&opts.input_shapes)?;
    // An unknown operator's output takes its declared type where the model gives one
    // (inference assumed the first input's); a consumed value must agree with that.
    for &i in &unknown {
        let node = &model.graph.nodes[i];
        let Some(out) = node.output(0) else { continue };
        let declared = model
            .graph
            .outputs
            .iter()
            .chain(&model.graph.value_infos)
            .find(|v| v.name == out);
        let Some(decl) = declared else { continue };
        let (Some(shape), Some(info)) = (decl.static_shape(), types.values.get_mut(out)) else {
            continue;
        };
        if shape != info.shape {
            let consumed = model
                .graph
                .nodes
                .iter()
                .any(|n| n.inputs.iter().any(|x| x == out));
            if consumed {
                return Err(node_err(
                    node,
                    format!(
                        "unknown operator: its output '{out}' is declared {shape:?} but later nodes were typed with its input's shape {:?}",
                        info.shape
                    ),
                ));
            }
            info.shape = shape;
        }
        if let Some(d) = decl.dtype {
            info.dtype = d;
        }
    }
    let types = types;
    let mut cx = Builder {
        model,
        types: &types,
        constants: BTreeMap::new(),
        producers: BTreeMap::new(),
        spec_inputs: Vec::new(),
        weights: Vec::new(),
        weight_values: BTreeMap::new(),
        ops: Vec::new(),
        op_names: BTreeSet::new(),
        used: model
            .graph
            .nodes
            .iter()
            .flat_map(|n| n.inputs.iter().map(String::as_str))
            .chain(model.graph.outputs.iter().map(|o| o.name.as_str()))
            .collect(),
        warnings: &mut warnings,
    };
    for (name, t) in &model.graph.initializers {
        cx.constants.insert(name.clone(), t.clone());
    }
    for (i, node) in model.graph.nodes.iter().enumerate() {
        for o in node.outputs.iter().filter(|o| !o.is_empty()) {
            cx.producers.insert(o.clone(), i);
        }
    }
    for input in model.graph.runtime_inputs() {
        let info = cx.info(&input.name, None)?;
        let format = cx.format_of_value(&input.name, None)?;
        cx.spec_inputs.push(TensorSpec::new(
            input.name.clone(),
            dims(&info.shape),
            format,
        ));
    }
    for &i in &types.order {
        let node = &model.graph.nodes[i];
        if unknown.contains(&i) {
            cx.vector_op(node, i, "an operator accelsim does not know")?;
            continue;
        }
        cx.node(node, i, opts.allow_unknown)?;
    }
    let outputs: Vec<String> = model.graph.outputs.iter().map(|o| o.name.clone()).collect();
    for o in &outputs {
        if cx.constants.contains_key(o) && !cx.weights.iter().any(|w| &w.name == o) {
            return Err(OnnxError::ValueInfo {
                value: o.clone(),
                detail: "a graph output that is a constant is not supported".into(),
            });
        }
    }
    let name = if model.graph.name.is_empty() {
        "onnx_model".to_string()
    } else {
        model.graph.name.clone()
    };
    super::measure::annotate_weights(&cx.ops, &mut cx.weights, &cx.weight_values);
    let spec = WorkloadSpec {
        name,
        description: Some(describe_origin(
            &model.producer_name,
            &model.producer_version,
            &model.opsets,
        )),
        inputs: cx.spec_inputs,
        weights: cx.weights,
        ops: cx.ops,
        outputs,
        numerics: Some(NumericsMode::Onnx),
        batch: None,
    };
    Ok(Imported {
        spec,
        weights: cx.weight_values,
        warnings,
    })
}

/// Unknown operators (refused unless `allow_unknown`) replaced by Identity on a copy of the
/// model, so shape inference can run; returns the copy and the unknown nodes' indices.
fn mask_unknown(
    model: &OnnxModel,
    opts: &ImportOptions,
) -> Result<(OnnxModel, BTreeSet<usize>), OnnxError> {
    let mut unknown: BTreeSet<usize> = BTreeSet::new();
    let mut for_infer = model.clone();
    for (i, node) in model.graph.nodes.iter().enumerate() {
        if Op::of(node).is_none() {
            if !opts.allow_unknown {
                return Err(OnnxError::UnsupportedOp {
                    node: node.label(),
                    op: node.op_type.clone(),
                    domain: node.domain.clone(),
                });
            }
            if node.input(0).is_none() {
                return Err(OnnxError::Node {
                    node: node.label(),
                    detail: "an unknown operator without inputs cannot be mapped to a vector op"
                        .into(),
                });
            }
            unknown.insert(i);
            let n = &mut for_infer.graph.nodes[i];
            n.op_type = "Identity".into();
            n.domain = String::new();
            n.inputs.truncate(1);
            n.outputs.truncate(1);
            n.attributes.clear();
            let out = n.outputs.first().cloned().unwrap_or_default();
            for_infer.graph.value_infos.retain(|v| v.name != out);
            for o in for_infer.graph.outputs.iter_mut().filter(|o| o.name == out) {
                o.shape = None;
                o.dtype = None;
            }
        }
    }
    Ok((for_infer, unknown))
}

fn dims(shape: &[usize]) -> Vec<u64> {
    if shape.is_empty() {
        vec![1]
    } else {
        shape.iter().map(|&d| d as u64).collect()
    }
}

struct Builder<'a> {
    model: &'a OnnxModel,
    types: &'a InferredGraph,
    constants: BTreeMap<String, Tensor>,
    producers: BTreeMap<String, usize>,
    spec_inputs: Vec<TensorSpec>,
    weights: Vec<TensorSpec>,
    weight_values: BTreeMap<String, Tensor>,
    ops: Vec<OpSpec>,
    op_names: BTreeSet<String>,
    /// Every value some node reads or the graph outputs (one lookup per question, not a scan).
    used: BTreeSet<&'a str>,
    warnings: &'a mut Vec<String>,
}

fn node_err(node: &OnnxNode, detail: impl Into<String>) -> OnnxError {
    OnnxError::Node {
        node: node.label(),
        detail: detail.into(),
    }
}

/// One node being lowered: the node, its index in the graph, its operator, whether an
/// unsupported form may become a generic vector op, and its first output's name.
#[derive(Clone, Copy)]
struct Lowering<'n> {
    node: &'n OnnxNode,
    index: usize,
    op: Op,
    allow: bool,
    out: &'n str,
}

/// The node's input `i`, named `what` in the error when it is missing
/// (`input A is missing`).
fn named_input(node: &OnnxNode, i: usize, what: &str) -> Result<String, OnnxError> {
    node.input(i)
        .map(str::to_string)
        .ok_or_else(|| node_err(node, format!("input {what} is missing")))
}

/// The node's first input (`input #0 is missing` when it has none).
fn first_input(node: &OnnxNode) -> Result<String, OnnxError> {
    node.input(0)
        .map(str::to_string)
        .ok_or_else(|| node_err(node, "input #0 is missing"))
}

impl Builder<'_> {
    fn info(&self, name: &str, node: Option<&OnnxNode>) -> Result<&TensorInfo, OnnxError> {
        self.types.get(name).ok_or_else(|| match node {
            Some(n) => node_err(n, format!("value '{name}' has no inferred type")),
            None => OnnxError::ValueInfo {
                value: name.into(),
                detail: "no inferred type".into(),
            },
        })
    }

    fn format_of_value(&self, name: &str, node: Option<&OnnxNode>) -> Result<Format, OnnxError> {
        let dtype = self.info(name, node)?.dtype;
        format_of(dtype).ok_or_else(|| {
            let detail = format!(
                "value '{name}' has element type {dtype}, which accelsim cannot represent (supported: float32, float16, bfloat16, float8e4m3fn(uz), float8e5m2(fnuz), float4e2m1, (u)int4, (u)int8, (u)int16, int32)"
            );
            match node {
                Some(n) => node_err(n, detail),
                None => OnnxError::ValueInfo {
                    value: name.into(),
                    detail,
                },
            }
        })
    }

    fn shape(&self, name: &str, node: &OnnxNode) -> Result<Vec<usize>, OnnxError> {
        Ok(self.info(name, Some(node))?.shape.clone())
    }

    /// A unique op name for a node.
    fn op_name(&mut self, node: &OnnxNode, index: usize, suffix: &str) -> String {
        let base = if node.name.is_empty() {
            format!("{}_{index}", node.op_type)
        } else {
            node.name.clone()
        };
        let mut name = format!("{base}{suffix}");
        let mut k = 1;
        while self.op_names.contains(&name) {
            name = format!("{base}{suffix}_{k}");
            k += 1;
        }
        self.op_names.insert(name.clone());
        name
    }

    /// Makes a value usable as an op operand: constants become declared weights.
    fn operand(&mut self, name: &str, node: &OnnxNode) -> Result<String, OnnxError> {
        if let Some(t) = self.constants.get(name) {
            if !self.weight_values.contains_key(name) {
                let format = format_of(t.dtype()).ok_or_else(|| {
                    node_err(
                        node,
                        format!(
                            "initializer '{name}' has element type {}, which accelsim cannot represent",
                            t.dtype()
                        ),
                    )
                })?;
                let shape = dims(t.shape());
                let value = t
                    .clone()
                    .reshape(shape.iter().map(|&d| d as usize).collect())
                    .map_err(|e| node_err(node, e.to_string()))?;
                self.weights.push(TensorSpec::new(name, shape, format));
                self.weight_values.insert(name.to_string(), value);
            }
        }
        Ok(name.to_string())
    }

    fn is_const(&self, name: &str) -> bool {
        self.constants.contains_key(name)
    }

    /// A constant input's values as f64, or an error naming the input.
    fn const_values(&self, node: &OnnxNode, i: usize, role: &str) -> Result<Vec<f64>, OnnxError> {
        let name = node
            .input(i)
            .ok_or_else(|| node_err(node, format!("input #{i} ({role}) is missing")))?;
        let t = self.constants.get(name).ok_or_else(|| {
            node_err(
                node,
                format!("input #{i} ({role}) '{name}' must be a constant (an initializer)"),
            )
        })?;
        tensor_f64(t).ok_or_else(|| {
            node_err(
                node,
                format!(
                    "input '{name}' ({role}) has an unsupported type {}",
                    t.dtype()
                ),
            )
        })
    }

    fn opt_const(
        &self,
        node: &OnnxNode,
        i: usize,
        role: &str,
    ) -> Result<Option<QuantValues>, OnnxError> {
        if node.input(i).is_none() {
            return Ok(None);
        }
        let v = self.const_values(node, i, role)?;
        Ok(Some(if v.len() == 1 {
            QuantValues::Scalar(v[0])
        } else {
            QuantValues::PerChannel(v)
        }))
    }

    /// The scale and zero point of one quantized tensor of `node`: constant inputs `at`
    /// and `at + 1`, named `{name}_scale` and `{name}_zero_point` in messages.
    fn scale_and_zero_point(
        &self,
        node: &OnnxNode,
        at: usize,
        name: &str,
    ) -> Result<(Option<QuantValues>, Option<QuantValues>), OnnxError> {
        Ok((
            self.opt_const(node, at, &format!("{name}_scale"))?,
            self.opt_const(node, at + 1, &format!("{name}_zero_point"))?,
        ))
    }

    /// The quant block of a QLinear node: the scale and zero point of A, of B (if the
    /// node has one) and of the output, each as `(input index of the scale, name)`.
    fn qlinear_quant(
        &self,
        node: &OnnxNode,
        a: (usize, &str),
        b: Option<(usize, &str)>,
        y: (usize, &str),
    ) -> Result<QuantSpec, OnnxError> {
        let (a_scale, a_zero_point) = self.scale_and_zero_point(node, a.0, a.1)?;
        let (b_scale, b_zero_point) = match b {
            Some((at, name)) => self.scale_and_zero_point(node, at, name)?,
            None => (None, None),
        };
        let (y_scale, y_zero_point) = self.scale_and_zero_point(node, y.0, y.1)?;
        Ok(QuantSpec {
            a_scale,
            a_zero_point,
            b_scale,
            b_zero_point,
            y_scale,
            y_zero_point,
            ..Default::default()
        })
    }

    /// The zero points of an integer GEMM (MatMulInteger, ConvInteger): inputs 2 and 3,
    /// named `{a}_zero_point` and `{b}_zero_point`.
    fn integer_quant(&self, node: &OnnxNode, [a, b]: [&str; 2]) -> Result<QuantSpec, OnnxError> {
        Ok(QuantSpec {
            a_zero_point: self.opt_const(node, 2, &format!("{a}_zero_point"))?,
            b_zero_point: self.opt_const(node, 3, &format!("{b}_zero_point"))?,
            ..Default::default()
        })
    }

    /// The quantized format behind a DequantizeLinear output, if `name` is one.
    fn qdq_source(&self, name: &str) -> Option<Format> {
        let &p = self.producers.get(name)?;
        let node = &self.model.graph.nodes[p];
        if !matches!(
            Op::of(node),
            Some(Op::DequantizeLinear | Op::MsDequantizeLinear)
        ) {
            return None;
        }
        let src = node.input(0)?;
        format_of(self.types.get(src)?.dtype)
    }

    fn push(&mut self, op: OpSpec) {
        self.ops.push(op);
    }

    fn new_op(
        &mut self,
        node: &OnnxNode,
        index: usize,
        kind: OpKind,
        inputs: Vec<String>,
        output: &str,
    ) -> OpSpec {
        let name = self.op_name(node, index, "");
        OpSpec::new(name, kind, inputs, output)
    }

    /// A new op of `kind` on the node's first input alone (unary ops).
    fn new_unary_op(&mut self, l: Lowering, kind: OpKind) -> Result<OpSpec, OnnxError> {
        let xn = self.operand(&first_input(l.node)?, l.node)?;
        Ok(self.new_op(l.node, l.index, kind, vec![xn], l.out))
    }

    /// Lowers the node to one unary op of `kind`, `set` filling in its attributes.
    fn push_unary(
        &mut self,
        l: Lowering,
        kind: OpKind,
        set: impl FnOnce(&mut OpSpec),
    ) -> Result<(), OnnxError> {
        let mut o = self.new_unary_op(l, kind)?;
        set(&mut o);
        self.push(o);
        Ok(())
    }

    /// `precision.output` when the output type differs from the first input's.
    fn output_precision(
        &self,
        node: &OnnxNode,
        first: &str,
        out: &str,
    ) -> Result<Option<PrecisionSpec>, OnnxError> {
        let fi = self.format_of_value(first, Some(node))?;
        let fo = self.format_of_value(out, Some(node))?;
        Ok((fi != fo).then(|| {
            PrecisionSpec::Block(PrecisionBlock {
                output: Some(fo),
                ..Default::default()
            })
        }))
    }

    /// The precision block of a compute op reading `a` and `b`, writing `y`.
    fn compute_precision(
        &self,
        node: &OnnxNode,
        a: &str,
        b: &str,
        y: &str,
    ) -> Result<PrecisionSpec, OnnxError> {
        let fa = self
            .qdq_source(a)
            .map_or_else(|| self.format_of_value(a, Some(node)), Ok)?;
        let fb = self
            .qdq_source(b)
            .map_or_else(|| self.format_of_value(b, Some(node)), Ok)?;
        let fy = self.format_of_value(y, Some(node))?;
        let mac = match (fa, fb) {
            (Format::Int { bits: x, .. }, Format::Int { bits: z, .. }) => Some(Format::Int {
                bits: x.max(z),
                signed: true,
            }),
            _ => None,
        };
        // A weight declared through `weight` must keep its own format.
        let b_is_weight = self.is_const(b);
        Ok(PrecisionSpec::Block(PrecisionBlock {
            activations: Some(fa),
            weights: if b_is_weight { None } else { Some(fb) },
            accumulator: None,
            output: Some(fy),
            mac,
        }))
    }

    fn vector_op(&mut self, node: &OnnxNode, index: usize, why: &str) -> Result<(), OnnxError> {
        let out = node
            .output(0)
            .ok_or_else(|| node_err(node, "has no outputs"))?
            .to_string();
        if node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
            return Err(node_err(
                node,
                "a generic vector op has one output; this node uses more",
            ));
        }
        let mut inputs = Vec::new();
        for name in node.inputs.iter().filter(|n| !n.is_empty()) {
            inputs.push(self.operand(name, node)?);
        }
        let shape = self.shape(&out, node)?;
        let fo = self.format_of_value(&out, Some(node))?;
        let mut op = self.new_op(node, index, OpKind::Vector, inputs, &out);
        op.shape = Some(dims(&shape).iter().map(|&d| d as i64).collect());
        op.precision = Some(PrecisionSpec::Block(PrecisionBlock {
            output: Some(fo),
            ..Default::default()
        }));
        self.warnings.push(format!(
            "node {}: {why}; mapped to a generic vector op (cost only, no functional semantics)",
            node.label()
        ));
        self.push(op);
        Ok(())
    }

    fn unsupported(
        &mut self,
        node: &OnnxNode,
        index: usize,
        allow: bool,
        why: &str,
    ) -> Result<(), OnnxError> {
        if allow {
            return self.vector_op(node, index, why);
        }
        Err(node_err(
            node,
            format!(
                "operator {} is not supported ({why}); use --allow-unknown to map it to a generic vector op",
                node.qualified_op()
            ),
        ))
    }

    fn node(&mut self, node: &OnnxNode, index: usize, allow: bool) -> Result<(), OnnxError> {
        let op = Op::of(node).expect("known operators only");
        // Every used output must be the first one (extra outputs are not modelled).
        let out = match node.output(0) {
            Some(o) => o.to_string(),
            None => return Err(node_err(node, "has no first output")),
        };
        if op != Op::Constant
            && node
                .outputs
                .iter()
                .skip(1)
                .any(|o| !o.is_empty() && self.is_used(o))
        {
            return self.unsupported(node, index, allow, "its second output is used");
        }
        let l = Lowering {
            node,
            index,
            op,
            allow,
            out: &out,
        };
        match op {
            Op::Constant => {
                let t = constant_tensor(node)?;
                self.constants.insert(out, t);
            }
            Op::Identity => self.lower_reshape(l)?,
            Op::Relu
            | Op::Sigmoid
            | Op::Erf
            | Op::Tanh
            | Op::Exp
            | Op::Sqrt
            | Op::Gelu
            | Op::MsGelu => self.lower_unary(l)?,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Pow => self.lower_binary(l)?,
            Op::Clip => self.lower_clip(l)?,
            Op::Cast => self.lower_cast(l)?,
            Op::Softmax => self.lower_softmax(l)?,
            Op::LayerNormalization => self.lower_layernorm(l)?,
            Op::Flatten => self.lower_flatten(l)?,
            Op::Reshape => self.lower_reshape(l)?,
            Op::Transpose => self.lower_transpose(l)?,
            Op::Concat => self.lower_concat(l)?,
            Op::MaxPool | Op::AveragePool => self.lower_pool(l)?,
            Op::GlobalAveragePool => self.lower_global_pool(l)?,
            Op::MsQLinearGlobalAveragePool => self.lower_qlinear_global_pool(l)?,
            Op::MsQLinearAdd | Op::MsQLinearMul => self.lower_qlinear_binary(l)?,
            Op::QuantizeLinear | Op::MsQuantizeLinear => self.lower_qdq(l, true)?,
            Op::DequantizeLinear | Op::MsDequantizeLinear => self.lower_qdq(l, false)?,
            Op::MatMul | Op::MatMulInteger | Op::QLinearMatMul => self.lower_matmul(l)?,
            Op::Gemm | Op::MsQGemm => self.lower_gemm(l)?,
            Op::Conv | Op::ConvInteger | Op::QLinearConv | Op::MsQLinearConv => {
                self.conv(node, index, op, allow, &out)?;
            }
            _ => {
                return self.unsupported(node, index, allow, "no workload op computes it");
            }
        }
        Ok(())
    }

    fn is_used(&self, value: &str) -> bool {
        self.used.contains(value)
    }

    #[allow(clippy::too_many_arguments)]
    fn matmul(
        &mut self,
        node: &OnnxNode,
        index: usize,
        a: &str,
        b: &str,
        c: Option<&str>,
        trans_b: bool,
        quant: Option<QuantSpec>,
        out: &str,
    ) -> Result<(), OnnxError> {
        let precision = self.compute_precision(node, a, b, out)?;
        let out_shape = self.shape(out, node)?;
        let n = *out_shape.last().unwrap_or(&1);
        let an = self.operand(a, node)?;
        let bn = self.operand(b, node)?;
        // A bias of one value per column stays in the matmul; a full M×N C is an add.
        let (bias, extra_add) = match c {
            None => (None, None),
            Some(cn) => {
                let cs = self.shape(cn, node)?;
                let elems: usize = cs.iter().product();
                if elems == n && cs.iter().rev().skip(1).all(|&d| d == 1) {
                    (Some(self.operand(cn, node)?), None)
                } else {
                    (None, Some(self.operand(cn, node)?))
                }
            }
        };
        let mm_out = if extra_add.is_some() {
            format!("{out}.matmul")
        } else {
            out.to_string()
        };
        let b_const = self.is_const(b);
        let mut inputs = vec![an];
        let mut o_weight = None;
        let mut o_bias = None;
        if b_const {
            o_weight = Some(bn);
        } else {
            inputs.push(bn);
        }
        if let Some(bias) = bias {
            if self.is_const(&bias) {
                o_bias = Some(bias);
            } else if b_const {
                // A computed bias with a constant B: B becomes an input too.
                inputs.push(o_weight.take().expect("b is the weight"));
                inputs.push(bias);
            } else {
                inputs.push(bias);
            }
        }
        let name = self.op_name(node, index, "");
        let mut o = OpSpec::new(name, OpKind::Matmul, inputs, mm_out.clone());
        o.weight = o_weight;
        o.bias = o_bias;
        if trans_b {
            o.transpose_b = Some(true);
        }
        o.quant = quant;
        o.precision = Some(match precision {
            PrecisionSpec::Block(mut blk) if o.weight.is_none() => {
                blk.weights = blk.weights.or(Some(self.format_of_value(b, Some(node))?));
                PrecisionSpec::Block(blk)
            }
            p => p,
        });
        self.push(o);
        if let Some(cn) = extra_add {
            let name = self.op_name(node, index, ".bias");
            let add = OpSpec::new(name, OpKind::Add, vec![mm_out, cn], out);
            self.push(add);
        }
        Ok(())
    }

    fn conv(
        &mut self,
        node: &OnnxNode,
        index: usize,
        op: Op,
        allow: bool,
        out: &str,
    ) -> Result<(), OnnxError> {
        let (xi, wi, bi) = match op {
            Op::QLinearConv | Op::MsQLinearConv => (0, 3, Some(8)),
            Op::ConvInteger => (0, 1, None),
            _ => (0, 1, Some(2)),
        };
        if op == Op::MsQLinearConv && node.attr_int("channels_last", 0)? != 0 {
            return self.unsupported(node, index, allow, "channels_last=1 (NHWC)");
        }
        let x = node
            .input(xi)
            .ok_or_else(|| node_err(node, "input X is missing"))?
            .to_string();
        let w = node
            .input(wi)
            .ok_or_else(|| node_err(node, "input W is missing"))?
            .to_string();
        let xs = self.shape(&x, node)?;
        let ws = self.shape(&w, node)?;
        if xs.len() != 4 || ws.len() != 4 {
            return self.unsupported(
                node,
                index,
                allow,
                "only 2-D convolution (NCHW) is supported",
            );
        }
        let g = resolve_geometry(node, &xs[2..], &ws[2..], false, true)?;
        let quant = match op {
            Op::ConvInteger => Some(self.integer_quant(node, ["x", "w"])?),
            Op::QLinearConv | Op::MsQLinearConv => {
                Some(self.qlinear_quant(node, (1, "x"), Some((4, "w")), (6, "y"))?)
            }
            _ => None,
        };
        let precision = self.compute_precision(node, &x, &w, out)?;
        let xn = self.operand(&x, node)?;
        let wn = self.operand(&w, node)?;
        let b = bi.and_then(|i| node.input(i)).map(str::to_string);
        let w_const = self.is_const(&w);
        let b_const = b.as_deref().map(|b| self.is_const(b)).unwrap_or(true);
        let mut inputs = vec![xn];
        let mut o_weight = None;
        let mut o_bias = None;
        if w_const && b_const {
            o_weight = Some(wn);
            if let Some(b) = &b {
                o_bias = Some(self.operand(b, node)?);
            }
        } else {
            inputs.push(wn);
            if let Some(b) = &b {
                let bn = self.operand(b, node)?;
                if b_const {
                    o_bias = Some(bn);
                } else {
                    inputs.push(bn);
                }
            }
        }
        let name = self.op_name(node, index, "");
        let mut o = OpSpec::new(name, OpKind::Conv2d, inputs, out);
        o.weight = o_weight;
        o.bias = o_bias;
        set_window(&mut o, &g);
        o.dilation = Some([g.dilations[0] as u64, g.dilations[1] as u64]);
        let groups = node.attr_int("group", 1)?;
        if groups != 1 {
            o.groups = Some(groups as u64);
        }
        o.quant = quant;
        o.precision = Some(match precision {
            PrecisionSpec::Block(mut blk) if o.weight.is_none() => {
                blk.weights = blk.weights.or(Some(self.format_of_value(&w, Some(node))?));
                PrecisionSpec::Block(blk)
            }
            p => p,
        });
        self.push(o);
        Ok(())
    }
}

/// The values of a tensor as f64 (integers exactly, floats decoded).
fn tensor_f64(t: &Tensor) -> Option<Vec<f64>> {
    use crate::tensor::TensorData as D;
    let fmt = format_of(t.dtype());
    Some(match t.data() {
        D::F32(v) => v.iter().map(|&x| x as f64).collect(),
        D::F64(v) => v.clone(),
        D::U16(v) if matches!(t.dtype(), DType::F16 | DType::BF16) => {
            let Format::Float(f) = fmt? else { return None };
            v.iter().map(|&c| f.decode_f64(c as u32)).collect()
        }
        D::U8(v) if t.dtype().is_float() => {
            let Format::Float(f) = fmt? else { return None };
            v.iter().map(|&c| f.decode_f64(c as u32)).collect()
        }
        _ => (0..t.len())
            .map(|i| t.data().int_at(i).map(|x| x as f64))
            .collect::<Option<Vec<_>>>()?,
    })
}

/// The tensor of a `Constant` node.
fn constant_tensor(node: &OnnxNode) -> Result<Tensor, OnnxError> {
    let err = |a: &str, e: crate::tensor::TensorError| node.attr_error(a, e.to_string());
    if let Some(t) = node.attr_tensor("value")? {
        return Ok(t.clone());
    }
    if node.attr("value_float").is_some() {
        return Tensor::from_f32(vec![], vec![node.attr_float("value_float", 0.0)?])
            .map_err(|e| err("value_float", e));
    }
    if node.attr("value_floats").is_some() {
        let v = node.attr_floats("value_floats")?.unwrap_or(&[]).to_vec();
        return Tensor::from_f32(vec![v.len()], v).map_err(|e| err("value_floats", e));
    }
    if let Some(v) = node.attr_int_opt("value_int")? {
        return Tensor::from_i64(vec![], vec![v]).map_err(|e| err("value_int", e));
    }
    if let Some(v) = node.attr_ints("value_ints")? {
        return Tensor::from_i64(vec![v.len()], v.to_vec()).map_err(|e| err("value_ints", e));
    }
    Err(node_err(
        node,
        "a Constant needs a 'value', 'value_float(s)' or 'value_int(s)' attribute",
    ))
}

/// The imported workload's description: "Imported from ONNX (producer 'pytorch' 2.1;
/// opsets ai.onnx 17, com.microsoft 1)." — plain words, no Rust syntax.
fn describe_origin(producer: &str, version: &str, opsets: &[(String, i64)]) -> String {
    let producer = match (producer.is_empty(), version.is_empty()) {
        (true, _) => "unknown producer".to_string(),
        (false, true) => format!("producer '{producer}'"),
        (false, false) => format!("producer '{producer}' {version}"),
    };
    let opsets: Vec<String> = opsets
        .iter()
        .map(|(domain, v)| {
            let d = if domain.is_empty() { "ai.onnx" } else { domain };
            format!("{d} {v}")
        })
        .collect();
    format!(
        "Imported from ONNX ({producer}; opsets {}).",
        opsets.join(", ")
    )
}

/// Sets a 2-D window op's stride and padding (`[top, left, bottom, right]`) from the
/// node's resolved geometry.
fn set_window(o: &mut OpSpec, g: &SpatialGeometry) {
    o.stride = Some([g.strides[0] as u64, g.strides[1] as u64]);
    o.padding = Some(vec![
        g.pads_begin[0] as u64,
        g.pads_begin[1] as u64,
        g.pads_end[0] as u64,
        g.pads_end[1] as u64,
    ]);
}

#[cfg(test)]
mod describe_tests {
    #[test]
    fn origin_is_plain_words() {
        let d = super::describe_origin(
            "pytorch",
            "2.1",
            &[(String::new(), 17), ("com.microsoft".into(), 1)],
        );
        assert_eq!(
            d,
            "Imported from ONNX (producer 'pytorch' 2.1; opsets ai.onnx 17, com.microsoft 1)."
        );
        let d = super::describe_origin("gen", "", &[(String::new(), 13)]);
        assert_eq!(d, "Imported from ONNX (producer 'gen'; opsets ai.onnx 13).");
    }
}
