//! The workload file's serde types: named tensors and a list of ops connected by tensor
//! names. Hardware is never mentioned here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::sparsity::{OpSparsitySpec, SparsitySpec};
use crate::numerics::Format;

/// A workload file: graph inputs, weights and ops (a DAG through tensor names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Name shown in reports.
    pub name: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Graph inputs (activations fed from outside).
    pub inputs: Vec<TensorSpec>,
    /// Named weight tensors (constants); ops may also create implicit weights.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<TensorSpec>,
    /// The ops, in any order that respects data dependencies or none (the DAG is built from
    /// tensor names); reports list layers in this order.
    pub ops: Vec<OpSpec>,
    /// Graph outputs; default: every tensor no op consumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// Default functional semantics of the ops (`arch`, the default, or `onnx`); an op's
    /// own `numerics` overrides it. Only functional execution reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerics: Option<NumericsMode>,
    /// Samples one run processes, for per-sample latency and energy (default: the leading
    /// dimension of the first graph input). Declare it where that dimension is not the
    /// batch (e.g. 1 for a `[tokens, hidden]` sequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u64>,
}

/// How functional execution computes an op (cost is unaffected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumericsMode {
    /// The hardware's numerics: operands cast to the op's precision formats, products
    /// accumulated in the arch's accumulator for that MAC format, in its order.
    #[default]
    Arch,
    /// The ONNX operator's definition as ONNX Runtime (CPU) computes it, on the input
    /// tensors' own formats, whatever the arch accumulates in (see docs/functional.md).
    Onnx,
}

/// A quantization parameter: one value (per tensor) or one per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum QuantValues {
    /// One value for the whole tensor.
    Scalar(f64),
    /// One value per channel along the op's quantization axis.
    PerChannel(Vec<f64>),
}

impl QuantValues {
    /// The values as a slice (one element for a scalar).
    pub fn values(&self) -> &[f64] {
        match self {
            QuantValues::Scalar(v) => std::slice::from_ref(v),
            QuantValues::PerChannel(v) => v,
        }
    }
}

/// Quantization parameters of an op (scales are f32 values, zero points integers), in
/// ONNX's naming: `a_*` for the first input, `b_*` for the second operand (weight),
/// `y_*` for the output. Which ones apply depends on the op; see docs/functional.md.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantSpec {
    /// Scale of the first input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_scale: Option<QuantValues>,
    /// Zero point of the first input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_zero_point: Option<QuantValues>,
    /// Scale of the second operand (per output channel / column when a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_scale: Option<QuantValues>,
    /// Zero point of the second operand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_zero_point: Option<QuantValues>,
    /// Scale of the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_scale: Option<QuantValues>,
    /// Zero point of the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_zero_point: Option<QuantValues>,
    /// quantize / dequantize: the axis of per-channel parameters (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis: Option<i64>,
    /// quantize to a float format: saturate overflow to ±max (default true, as ONNX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturate: Option<bool>,
}

/// A named tensor with a shape and a storage format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Unique tensor name.
    pub name: String,
    /// Dimensions (NCHW for images, [..., rows, cols] for matrices); all > 0.
    #[serde(deserialize_with = "positive_dims")]
    pub shape: Vec<u64>,
    /// Storage format; its bit width sets the tensor's bytes.
    pub format: Format,
    /// Optional `.npy` file with the values (relative to the workload file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Sparsity: a density (`0.3`), an N:M pattern along the reduction axis (`"2:4"`), or
    /// `{density, pattern, measured}` (see `docs/sparsity.md`). Default: dense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<SparsitySpec>,
}

/// The kind of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Matrix multiply `[..., M, K] × [K, N]` (weight) or `[..., M, K] × [..., K, N]`.
    Matmul,
    /// 2-D convolution, NCHW, weights `[out_channels, in_channels/groups, kh, kw]`.
    Conv2d,
    /// Elementwise add with numpy broadcasting.
    Add,
    /// Elementwise multiply with numpy broadcasting.
    Mul,
    /// max(x, 0).
    Relu,
    /// GELU activation.
    Gelu,
    /// Logistic sigmoid.
    Sigmoid,
    /// Clamp to [min, max].
    Clip,
    /// Softmax along `axis`.
    Softmax,
    /// Layer normalisation over the trailing axes from `axis`.
    Layernorm,
    /// 2-D max pooling (NCHW).
    Maxpool,
    /// 2-D average pooling (NCHW).
    Avgpool,
    /// Average over H and W (NCHW → N×C×1×1).
    GlobalAvgpool,
    /// Convert to a lower-precision format (`precision.output`).
    Quantize,
    /// Rescale an accumulator-format tensor to `precision.output`.
    Requantize,
    /// Convert back to a wider format (`precision.output`).
    Dequantize,
    /// Reshape to `shape` (0 copies a dimension, -1 infers one).
    Reshape,
    /// Flatten to 2-D at `axis`.
    Flatten,
    /// Permute dimensions by `perm`.
    Transpose,
    /// Concatenate inputs along `axis`.
    Concat,
    /// Elementwise subtract with numpy broadcasting.
    Sub,
    /// Elementwise divide with numpy broadcasting.
    Div,
    /// Elementwise power `x^y` with numpy broadcasting.
    Pow,
    /// Error function.
    Erf,
    /// Hyperbolic tangent.
    Tanh,
    /// Exponential.
    Exp,
    /// Square root.
    Sqrt,
    /// Element type conversion to `precision.output` (ONNX Cast).
    Cast,
    /// A generic vector op of unknown semantics (cost only: one element-op per output
    /// element); its output shape is `shape`. Imported unknown ONNX operators become these.
    Vector,
}

/// The pattern of the elementwise unary math ops (relu, gelu, sigmoid, erf, tanh, exp,
/// sqrt), for `match` arms that treat them alike: `unary_math_ops!() | OpKind::Clip => ...`.
macro_rules! unary_math_ops {
    () => {
        $crate::workload::OpKind::Relu
            | $crate::workload::OpKind::Gelu
            | $crate::workload::OpKind::Sigmoid
            | $crate::workload::OpKind::Erf
            | $crate::workload::OpKind::Tanh
            | $crate::workload::OpKind::Exp
            | $crate::workload::OpKind::Sqrt
    };
}
pub(crate) use unary_math_ops;

impl OpKind {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Matmul => "matmul",
            OpKind::Conv2d => "conv2d",
            OpKind::Add => "add",
            OpKind::Mul => "mul",
            OpKind::Relu => "relu",
            OpKind::Gelu => "gelu",
            OpKind::Sigmoid => "sigmoid",
            OpKind::Clip => "clip",
            OpKind::Softmax => "softmax",
            OpKind::Layernorm => "layernorm",
            OpKind::Maxpool => "maxpool",
            OpKind::Avgpool => "avgpool",
            OpKind::GlobalAvgpool => "global_avgpool",
            OpKind::Quantize => "quantize",
            OpKind::Requantize => "requantize",
            OpKind::Dequantize => "dequantize",
            OpKind::Reshape => "reshape",
            OpKind::Flatten => "flatten",
            OpKind::Transpose => "transpose",
            OpKind::Concat => "concat",
            OpKind::Sub => "sub",
            OpKind::Div => "div",
            OpKind::Pow => "pow",
            OpKind::Erf => "erf",
            OpKind::Tanh => "tanh",
            OpKind::Exp => "exp",
            OpKind::Sqrt => "sqrt",
            OpKind::Cast => "cast",
            OpKind::Vector => "vector",
        }
    }

    /// True for ops that run on the MAC array (GEMM and convolution).
    pub fn is_compute(self) -> bool {
        matches!(self, OpKind::Matmul | OpKind::Conv2d)
    }
}

/// One op. Fields that do not apply to the op's kind are errors (validated after parsing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    /// Unique op name.
    pub name: String,
    /// What the op computes.
    pub op: OpKind,
    /// Input activation tensors by name.
    pub inputs: Vec<String>,
    /// Output tensor name (created by this op).
    pub output: String,
    /// matmul/conv2d: name of a declared weight tensor; omitted → an implicit weight
    /// `<op>.weight` shaped from `out_features` / `out_channels` + `kernel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    /// matmul/conv2d: name of a declared bias tensor (length N / out_channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<String>,
    /// matmul with an implicit weight: N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_features: Option<u64>,
    /// matmul: the weight (or second input) is stored transposed, `[N, K]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transpose_b: Option<bool>,
    /// conv2d: output channels (filters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_channels: Option<u64>,
    /// conv2d / pools: kernel `[kh, kw]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<[u64; 2]>,
    /// conv2d / pools: stride `[sh, sw]` (default `[1, 1]`; pools default to the kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<[u64; 2]>,
    /// conv2d / pools: zero padding `[top, left, bottom, right]` or `[ph, pw]` (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding: Option<Vec<u64>>,
    /// conv2d: dilation `[dh, dw]` (default `[1, 1]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dilation: Option<[u64; 2]>,
    /// conv2d: groups (default 1; = channels for depthwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<u64>,
    /// pools: round output sizes up instead of down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceil_mode: Option<bool>,
    /// softmax / layernorm / flatten / concat: the axis (negative counts from the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis: Option<i64>,
    /// reshape: the new shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Vec<i64>>,
    /// transpose: the permutation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perm: Option<Vec<usize>>,
    /// clip: lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// clip: upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// avgpool: count padded positions in the divisor (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_include_pad: Option<bool>,
    /// layernorm: the epsilon added to the variance (default 1e-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Number formats: a single name for everything, or a block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionSpec>,
    /// Sparsity of the op's weight and/or output (`{"weights": "2:4", "output": 0.4}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<OpSparsitySpec>,
    /// Quantization parameters (quantized matmul/conv2d/add/global_avgpool, quantize,
    /// dequantize, requantize); see docs/functional.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quant: Option<QuantSpec>,
    /// Functional semantics of this op (default: the workload's `numerics`, else `arch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerics: Option<NumericsMode>,
}

/// An op's number formats: either one name used for weights, activations and output, or
/// a block naming each.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PrecisionSpec {
    /// One format for weights, activations and output.
    Uniform(Format),
    /// Per-role formats.
    Block(PrecisionBlock),
}

/// Per-role number formats of an op.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrecisionBlock {
    /// Weight (second operand) format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Format>,
    /// Activation (first operand) format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations: Option<Format>,
    /// Accumulator format; must match what the arch's array accumulates in (default: the arch's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulator: Option<Format>,
    /// Output tensor format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Format>,
    /// The MAC format the array runs the op in, for cost (default: derived from the
    /// operand formats). E.g. `int8` for a uint8 × int8 op on int8 MACs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<Format>,
}

impl TensorSpec {
    /// A tensor with only the required fields set (no file).
    pub fn new(name: impl Into<String>, shape: Vec<u64>, format: Format) -> TensorSpec {
        TensorSpec {
            name: name.into(),
            shape,
            format,
            file: None,
            sparsity: None,
        }
    }
}

impl OpSpec {
    /// An op with only the required fields set.
    pub fn new(
        name: impl Into<String>,
        op: OpKind,
        inputs: Vec<String>,
        output: impl Into<String>,
    ) -> OpSpec {
        OpSpec {
            name: name.into(),
            op,
            inputs,
            output: output.into(),
            weight: None,
            bias: None,
            out_features: None,
            transpose_b: None,
            out_channels: None,
            kernel: None,
            stride: None,
            padding: None,
            dilation: None,
            groups: None,
            ceil_mode: None,
            axis: None,
            shape: None,
            perm: None,
            min: None,
            max: None,
            count_include_pad: None,
            epsilon: None,
            precision: None,
            sparsity: None,
            quant: None,
            numerics: None,
        }
    }
}

impl<'de> Deserialize<'de> for PrecisionSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PrecisionSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a format name or an object {weights, activations, accumulator, output, mac}",
                )
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PrecisionSpec, E> {
                Format::parse(s)
                    .map(PrecisionSpec::Uniform)
                    .map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PrecisionSpec, A::Error> {
                PrecisionBlock::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PrecisionSpec::Block)
            }
        }
        d.deserialize_any(V)
    }
}

/// Deserializes a shape, rejecting zero and negative dimensions (the error path names the
/// position, e.g. `inputs[0].shape[1]`).
fn positive_dims<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Ok(Vec::<PositiveDim>::deserialize(d)?
        .into_iter()
        .map(|p| p.0)
        .collect())
}

struct PositiveDim(u64);

impl<'de> Deserialize<'de> for PositiveDim {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        match n.as_u64() {
            Some(v) if v > 0 => Ok(PositiveDim(v)),
            _ => Err(serde::de::Error::custom(format!(
                "expected a dimension > 0, got {n}"
            ))),
        }
    }
}
