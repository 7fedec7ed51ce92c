//! Workloads: tensors, ops and the DAG between them (petgraph), with shape inference and
//! validation. Knows nothing about hardware.

mod build;
mod shapes;
pub mod sparsity;
mod spec;

use std::path::{Path, PathBuf};

pub(crate) use spec::unary_math_ops;
pub use spec::{
    NumericsMode, OpKind, OpSpec, PrecisionBlock, PrecisionSpec, QuantSpec, QuantValues,
    TensorSpec, WorkloadSpec,
};

use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::Format;

/// Index of a tensor in [`Workload::tensors`].
pub type TensorId = usize;
/// Index of an op in [`Workload::ops`] (file order).
pub type OpId = usize;

/// Where a tensor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TensorRole {
    /// A graph input.
    Input,
    /// A constant (declared or implicit weight / bias).
    Weight,
    /// Produced by an op.
    Activation,
}

/// A tensor with its resolved shape and format.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Unique name.
    pub name: String,
    /// Dimensions.
    pub shape: Vec<u64>,
    /// Storage format.
    pub format: Format,
    /// Input, weight or activation.
    pub role: TensorRole,
    /// The op producing it (activations only).
    pub producer: Option<OpId>,
    /// `.npy` file with values, relative to the workload file.
    pub file: Option<String>,
    /// Number of elements (checked product of the shape).
    pub elements: u64,
    /// Declared or measured sparsity (`None`: dense).
    pub sparsity: Option<sparsity::TensorSparsity>,
}

impl Tensor {
    /// Bytes the tensor occupies in its format (block scales included).
    pub fn bytes(&self) -> u64 {
        self.format.storage_bytes(self.elements)
    }
}

/// Resolved per-op attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum OpAttrs {
    /// Matrix multiply.
    Matmul {
        /// The second operand is stored `[N, K]`.
        transpose_b: bool,
    },
    /// 2-D convolution.
    Conv2d(ConvAttrs),
    /// Max or average pooling.
    Pool(PoolAttrs),
    /// Ops parameterised by one axis (softmax, layernorm, flatten, concat), normalised ≥ 0.
    Axis(usize),
    /// Clip bounds.
    Clip {
        /// Lower bound.
        min: Option<f64>,
        /// Upper bound.
        max: Option<f64>,
    },
    /// Transpose permutation.
    Transpose(Vec<usize>),
    /// No attributes.
    None,
}

/// Convolution attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvAttrs {
    /// Output channels.
    pub out_channels: u64,
    /// Kernel `[kh, kw]`.
    pub kernel: [u64; 2],
    /// Stride `[sh, sw]`.
    pub stride: [u64; 2],
    /// Padding `[top, left, bottom, right]`.
    pub padding: [u64; 4],
    /// Dilation `[dh, dw]`.
    pub dilation: [u64; 2],
    /// Groups.
    pub groups: u64,
}

/// Pooling attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAttrs {
    /// Window `[kh, kw]`.
    pub kernel: [u64; 2],
    /// Stride `[sh, sw]`.
    pub stride: [u64; 2],
    /// Padding `[top, left, bottom, right]`.
    pub padding: [u64; 4],
    /// Round output sizes up.
    pub ceil_mode: bool,
}

/// An op's resolved number formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpPrecision {
    /// Weight / second-operand format.
    pub weights: Format,
    /// Activation / first-operand format.
    pub activations: Format,
    /// Accumulator requested by the workload (None: the arch's).
    pub accumulator: Option<Format>,
    /// Output format.
    pub output: Format,
    /// MAC format requested explicitly (`precision.mac`), overriding the derived one.
    pub mac: Option<Format>,
}

impl OpPrecision {
    /// The format the MAC array must compute in: `mac` when given, else the operands'
    /// common format, or the wider of the two for mixed-precision ops.
    pub fn mac_format(&self) -> Format {
        if let Some(m) = self.mac {
            m
        } else if self.weights == self.activations
            || self.activations.storage_bits() >= self.weights.storage_bits()
        {
            self.activations
        } else {
            self.weights
        }
    }

    /// Short label (`int8`, or `w:int4 a:int8 o:int8`).
    pub fn label(&self) -> String {
        if self.weights == self.activations && self.activations == self.output {
            self.activations.name()
        } else {
            format!(
                "w:{} a:{} o:{}",
                self.weights, self.activations, self.output
            )
        }
    }
}

/// The GEMM view of a compute op: `count` independent `m × k` by `k × n` products
/// (batch × groups), following SCALE-Sim's conv lowering (M = Sr = output pixels,
/// N = Sc = filters, K = T = window × channels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmView {
    /// Independent GEMMs (batch for matmul with activation B, groups for conv).
    pub count: u64,
    /// Output rows.
    pub m: u64,
    /// Output columns.
    pub n: u64,
    /// Reduction depth.
    pub k: u64,
}

impl GemmView {
    /// Multiply-accumulates of the whole op, `None` when it overflows u64 (workload
    /// validation refuses such ops, so [`GemmView::macs`] never saturates on a loaded workload).
    pub fn checked_macs(&self) -> Option<u64> {
        self.count
            .checked_mul(self.m)?
            .checked_mul(self.n)?
            .checked_mul(self.k)
    }

    /// Multiply-accumulates of the whole op (saturating).
    pub fn macs(&self) -> u64 {
        self.count
            .saturating_mul(self.m)
            .saturating_mul(self.n)
            .saturating_mul(self.k)
    }
}

/// One validated op.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: OpKind,
    /// Activation inputs.
    pub inputs: Vec<TensorId>,
    /// Weight tensor (matmul/conv2d with a constant second operand).
    pub weight: Option<TensorId>,
    /// Bias tensor.
    pub bias: Option<TensorId>,
    /// Output tensor.
    pub output: TensorId,
    /// Attributes.
    pub attrs: OpAttrs,
    /// Formats.
    pub precision: OpPrecision,
    /// GEMM view (compute ops only).
    pub gemm: Option<GemmView>,
    /// JSON path of the op in its file (`ops[3]`).
    pub json_path: String,
}

/// A validated workload DAG.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Name.
    pub name: String,
    /// All tensors.
    pub tensors: Vec<Tensor>,
    /// All ops in file order.
    pub ops: Vec<Op>,
    /// Op ids in a deterministic topological order.
    pub topo_order: Vec<OpId>,
    /// Dependency graph: nodes are op ids, an edge carries the tensor passed.
    pub graph: petgraph::graph::DiGraph<OpId, TensorId>,
    /// Graph inputs.
    pub inputs: Vec<TensorId>,
    /// Graph outputs.
    pub outputs: Vec<TensorId>,
    /// The spec it was built from (for re-serialisation and sweeps).
    pub spec: WorkloadSpec,
    /// Directory relative file references resolve against.
    pub base_dir: Option<PathBuf>,
}

impl Workload {
    /// Samples one run processes: the declared `batch`, else the leading dimension of the
    /// first graph input (1 without inputs or dimensions).
    pub fn batch(&self) -> u64 {
        self.spec.batch.unwrap_or_else(|| {
            self.inputs
                .first()
                .and_then(|&t| self.tensors[t].shape.first().copied())
                .unwrap_or(1)
                .max(1)
        })
    }

    /// Reads and validates a workload file.
    pub fn load(path: &Path) -> InputResult<Workload> {
        let spec: WorkloadSpec = load_json_file(path)?;
        let mut w = Workload::from_spec(spec).map_err(|e| e.in_file(path))?;
        w.base_dir = path.parent().map(Path::to_path_buf);
        Ok(w)
    }

    /// Parses and validates workload JSON text.
    pub fn from_json(text: &str) -> InputResult<Workload> {
        Workload::from_spec(parse_json(text)?)
    }

    /// Validates a spec: unique names, known tensors, acyclic, shapes consistent.
    pub fn from_spec(spec: WorkloadSpec) -> InputResult<Workload> {
        if spec.batch == Some(0) {
            return Err(InputError::at(
                "batch",
                "expected a batch of at least 1 sample, got 0",
            ));
        }
        build::build(spec)
    }

    /// Looks a tensor up by name.
    pub fn tensor_by_name(&self, name: &str) -> Option<TensorId> {
        self.tensors.iter().position(|t| t.name == name)
    }

    /// Total MACs of all compute ops.
    pub fn total_macs(&self) -> u64 {
        self.ops
            .iter()
            .filter_map(|o| o.gemm)
            .fold(0u64, |a, g| a.saturating_add(g.macs()))
    }
}
