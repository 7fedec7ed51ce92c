//! Functional execution: computes the values of a workload's tensors, op by op, with the
//! bit-exact arithmetic of [`crate::numerics`].
//!
//! [`execute`] binds every graph input (a given [`Tensor`], the tensor's `.npy` file, or
//! seeded random values), every weight (given, from its file, or seeded random) and runs
//! the ops in topological order. Each op computes in the formats its precision names and,
//! for matmul/conv2d, accumulates in the arch's accumulator in its order
//! ([`crate::workload::NumericsMode::Arch`]), or follows the ONNX operator's definition as
//! ONNX Runtime computes it ([`crate::workload::NumericsMode::Onnx`], what imported models
//! use). See `docs/functional.md` for the exact semantics of every op.
//!
//! Map: [`value`] values and format conversions, [`random`] seeded values, [`gemm`] and
//! `gemm_i16` the GEMM kernels, `compute` matmul/conv2d, `elementwise`, `pool`, `quant`,
//! `norm` (softmax, layernorm), `layout` (reshape, transpose, concat), `sparsity`
//! (declared N:M patterns enforced, every tensor's density measured), [`error`].
//!
//! Determinism: every output element is computed by one thread in a fixed order, and
//! random values are keyed by the tensor's name, so results never depend on the number
//! of threads.

mod compute;
mod elementwise;
pub mod error;
pub mod gemm;
mod gemm_f32;
pub mod gemm_i16;
pub mod gemm_i8;
pub mod isa;
#[cfg(test)]
mod kernel_tests;
mod layout;
pub mod limits;
pub mod mx_gemm;
mod norm;
mod pool;
mod quant;
pub mod random;
mod sparsity;
pub mod value;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::{FuncError, FuncResult};
pub use limits::FuncLimits;
pub use value::{Data, Value};

use crate::arch::Arch;
use crate::tensor::Tensor;
use crate::workload::sparsity::Measured;
use crate::workload::{NumericsMode, Op, OpKind, OpSpec, TensorId, TensorRole, Workload};
use compute::GemmOperands;

/// Values supplied for a run, by tensor name.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    /// Graph inputs.
    pub inputs: BTreeMap<String, Tensor>,
    /// Weights (they take precedence over the weights' `file` fields).
    pub weights: BTreeMap<String, Tensor>,
}

/// Options of a functional run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecOptions {
    /// Seed of the random values of unbound inputs and weights.
    pub seed: u64,
}

/// Where a tensor's values came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Given by the caller.
    Given,
    /// Read from this file.
    File(String),
    /// Seeded random.
    Random,
}

/// The result of a run: every graph output, in the workload's output order, where each
/// input and weight came from, and the sparsity of every tensor's values.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// `(name, tensor)` per graph output.
    pub tensors: Vec<(String, Tensor)>,
    /// `(name, source)` per graph input and weight that was read.
    pub sources: Vec<(String, Source)>,
    /// Density and N:M pattern of every tensor bound (inputs, weights) or computed
    /// (activations), measured on its values as stored in its format, by name. Put them
    /// on the workload for costing with
    /// [`crate::workload::sparsity::apply_functional`].
    pub measured: BTreeMap<String, Measured>,
}

/// What one op needs to compute: the workload, the arch, the op, its spec and mode.
pub(crate) struct Ctx<'a> {
    pub w: &'a Workload,
    pub arch: &'a Arch,
    pub op: &'a Op,
    pub spec: &'a OpSpec,
    pub mode: NumericsMode,
}

impl Ctx<'_> {
    /// The output tensor's format.
    pub fn out_format(&self) -> crate::numerics::Format {
        self.w.tensors[self.op.output].format
    }

    /// The output tensor's shape.
    pub fn out_shape(&self) -> Vec<usize> {
        self.w.tensors[self.op.output]
            .shape
            .iter()
            .map(|&d| d as usize)
            .collect()
    }

    /// An error about a field of this op.
    pub fn err(&self, field: &str, message: impl Into<String>) -> FuncError {
        FuncError::op(self.op, field, message)
    }
}

/// Runs a workload functionally on an arch under the default memory limits
/// ([`FuncLimits::default`]); returns the graph outputs.
pub fn execute(
    w: &Workload,
    arch: &Arch,
    feeds: &Feeds,
    opts: &ExecOptions,
) -> FuncResult<Outputs> {
    execute_with_limits(w, arch, feeds, opts, &FuncLimits::default())
}

/// Like [`execute`], refusing (before allocating anything) a workload whose tensors exceed
/// `limits`.
pub fn execute_with_limits(
    w: &Workload,
    arch: &Arch,
    feeds: &Feeds,
    opts: &ExecOptions,
    limits: &FuncLimits,
) -> FuncResult<Outputs> {
    limits.check(w)?;
    for name in feeds.inputs.keys() {
        match w.tensor_by_name(name) {
            Some(id) if w.tensors[id].role == TensorRole::Input => {}
            _ => {
                let inputs: Vec<&str> = w
                    .inputs
                    .iter()
                    .map(|&t| w.tensors[t].name.as_str())
                    .collect();
                return Err(FuncError::Binding {
                    tensor: format!("input '{name}'"),
                    message: format!(
                        "the workload has no graph input of that name (inputs: {})",
                        inputs.join(", ")
                    ),
                });
            }
        }
    }
    let mut values: Vec<Option<Value>> = vec![None; w.tensors.len()];
    let mut sources = Vec::new();
    let consumers = sparsity::Consumers::new(w);
    let mut measured = BTreeMap::new();
    // Remaining uses of every tensor, to free intermediate values early.
    let mut uses = vec![0usize; w.tensors.len()];
    for op in &w.ops {
        for t in op_operands(op) {
            uses[t] += 1;
        }
    }
    for &t in &w.outputs {
        uses[t] += 1;
    }
    for &id in &w.topo_order {
        let op = &w.ops[id];
        for t in op_operands(op) {
            if values[t].is_none() {
                let (mut v, src) = bind(w, t, feeds, opts)?;
                sparsity::enforce_nm(w, &consumers, t, &mut v, Some(&src))?;
                let name = &w.tensors[t].name;
                measured.insert(name.clone(), consumers.measure(w, t, &v));
                sources.push((name.clone(), src));
                values[t] = Some(v);
            }
        }
        let spec = &w.spec.ops[id];
        let mode = spec
            .numerics
            .or(w.spec.numerics)
            .unwrap_or(NumericsMode::Arch);
        let cx = Ctx {
            w,
            arch,
            op,
            spec,
            mode,
        };
        let mut out = run_op(&cx, &values)?;
        let want: Vec<usize> = cx.out_shape();
        if out.shape != want || out.format != cx.out_format() {
            return Err(FuncError::unsupported(
                op,
                format!(
                    "internal: produced a {} {:?} value for a {} {:?} tensor",
                    out.format,
                    out.shape,
                    cx.out_format(),
                    want
                ),
            ));
        }
        sparsity::enforce_nm(w, &consumers, op.output, &mut out, None)?;
        measured.insert(
            w.tensors[op.output].name.clone(),
            consumers.measure(w, op.output, &out),
        );
        values[op.output] = Some(out);
        for t in op_operands(op) {
            uses[t] -= 1;
            if uses[t] == 0 {
                values[t] = None;
            }
        }
    }
    let mut tensors = Vec::with_capacity(w.outputs.len());
    for &t in &w.outputs {
        let name = &w.tensors[t].name;
        let v = match &values[t] {
            Some(v) => v.clone(),
            // A graph output that no op produces (an input or a weight).
            None => {
                let (mut v, src) = bind(w, t, feeds, opts)?;
                sparsity::enforce_nm(w, &consumers, t, &mut v, Some(&src))?;
                measured.insert(name.clone(), consumers.measure(w, t, &v));
                v
            }
        };
        let tensor = v.to_tensor().map_err(|message| FuncError::Binding {
            tensor: format!("output '{name}'"),
            message,
        })?;
        tensors.push((name.clone(), tensor));
    }
    Ok(Outputs {
        tensors,
        sources,
        measured,
    })
}

/// Every tensor an op reads (inputs, weight, bias).
fn op_operands(op: &Op) -> impl Iterator<Item = TensorId> + '_ {
    op.inputs.iter().copied().chain(op.weight).chain(op.bias)
}

/// The value of an input or weight: given, from its file, or seeded random.
fn bind(
    w: &Workload,
    t: TensorId,
    feeds: &Feeds,
    opts: &ExecOptions,
) -> FuncResult<(Value, Source)> {
    let tensor = &w.tensors[t];
    let role = match tensor.role {
        TensorRole::Input => "input",
        TensorRole::Weight => "weight",
        TensorRole::Activation => "activation",
    };
    let label = format!("{role} '{}'", tensor.name);
    let shape: Vec<usize> = tensor.shape.iter().map(|&d| d as usize).collect();
    let given = match tensor.role {
        TensorRole::Input => feeds.inputs.get(&tensor.name),
        _ => feeds.weights.get(&tensor.name),
    };
    let (host, source) = if let Some(h) = given {
        (Some(h.clone()), Source::Given)
    } else if let Some(file) = &tensor.file {
        let path = match &w.base_dir {
            Some(dir) => dir.join(file),
            None => Path::new(file).to_path_buf(),
        };
        let dtype = value::file_dtype(tensor.format);
        let h = crate::tensor::read_npy_as(&path, dtype).map_err(|source| FuncError::Tensor {
            context: label.clone(),
            source,
        })?;
        (Some(h), Source::File(path.display().to_string()))
    } else {
        (None, Source::Random)
    };
    let v = match host {
        Some(h) => {
            if h.shape() != shape.as_slice() {
                return Err(FuncError::Binding {
                    tensor: label,
                    message: format!(
                        "the values have shape {:?}, but the workload declares {:?}",
                        h.shape(),
                        shape
                    ),
                });
            }
            Value::from_tensor(tensor.format, &h).map_err(|message| FuncError::Binding {
                tensor: label.clone(),
                message,
            })?
        }
        None => random::random_value(opts.seed, &tensor.name, tensor.format, &shape).map_err(
            |message| FuncError::Binding {
                tensor: label.clone(),
                message,
            },
        )?,
    };
    Ok((v, source))
}

/// Dispatches one op.
fn run_op(cx: &Ctx, values: &[Option<Value>]) -> FuncResult<Value> {
    let get = |t: TensorId| -> &Value {
        values[t]
            .as_ref()
            .expect("operands are bound before their op runs")
    };
    let ins: Vec<&Value> = cx.op.inputs.iter().map(|&t| get(t)).collect();
    let weight = cx.op.weight.map(get);
    let bias = cx.op.bias.map(get);
    match cx.op.kind {
        OpKind::Matmul => compute::matmul(cx, GemmOperands::resolve(cx, &ins, weight, bias)?),
        OpKind::Conv2d => compute::conv2d(cx, GemmOperands::resolve(cx, &ins, weight, bias)?),
        OpKind::Add
        | OpKind::Sub
        | OpKind::Mul
        | OpKind::Div
        | OpKind::Pow => elementwise::binary(cx, ins[0], ins[1]),
        crate::workload::unary_math_ops!() | OpKind::Clip => elementwise::unary(cx, ins[0]),
        OpKind::Cast => elementwise::cast_op(cx, ins[0]),
        OpKind::Quantize => quant::quantize(cx, ins[0]),
        OpKind::Dequantize => quant::dequantize(cx, ins[0]),
        OpKind::Requantize => quant::requantize(cx, ins[0]),
        OpKind::Softmax => norm::softmax(cx, ins[0]),
        OpKind::Layernorm => norm::layernorm(cx, &ins),
        OpKind::Maxpool | OpKind::Avgpool => pool::pool2d(cx, ins[0]),
        OpKind::GlobalAvgpool => pool::global_avg(cx, ins[0]),
        OpKind::Reshape | OpKind::Flatten => layout::reshape(cx, ins[0]),
        OpKind::Transpose => layout::transpose(cx, ins[0]),
        OpKind::Concat => layout::concat(cx, &ins),
        OpKind::Vector => Err(FuncError::unsupported(
            cx.op,
            "a generic vector op (an imported operator accelsim does not know) has no functional semantics",
        )),
    }
}
