//! Sparsity of the values in functional execution. Sparsity changes cost, never results,
//! so values are never altered to fit a declaration, except seeded random ones:
//!
//! - a tensor declared N:M must really be N:M along the reduction axis of the first
//!   matmul/conv2d that reads it: seeded random values are magnitude-pruned to the
//!   pattern, any other values (given, read from a file, computed by an op) are validated
//!   and an error names the tensor, the first offending group and where the pattern was
//!   declared;
//! - every tensor is measured as it is bound or computed: its density (non-zero fraction
//!   of the values as stored in its format: floats by value, −0 counting as zero; integer
//!   formats by code) and the finest N:M pattern along the reduction axis of the
//!   matmul/conv2d ops that read it, when they all reduce along the same axis.
//!
//! Measuring counts in one pass per tensor on the calling thread, so the figures never
//! depend on the number of threads.

use crate::numerics::Format;
use crate::workload::sparsity::{
    count_nonzeros, density, measure, prune_nm, reduction_axis, validate_nm, GemmOperand, Measured,
    ReductionLayout,
};
use crate::workload::{Op, OpId, TensorId, TensorRole, Workload};

use super::{Data, FuncError, FuncResult, Source, Value};

/// Which operand of a compute op `t` is, if the op is a matmul/conv2d that reads it.
fn gemm_operand(op: &Op, t: TensorId) -> Option<GemmOperand> {
    if !op.kind.is_compute() {
        None
    } else if op.weight == Some(t) || op.inputs.get(1) == Some(&t) {
        Some(GemmOperand::B)
    } else if op.inputs.first() == Some(&t) {
        Some(GemmOperand::A)
    } else {
        None
    }
}

/// The compute ops reading each tensor, in execution order.
pub(crate) struct Consumers {
    by_tensor: Vec<Vec<(OpId, GemmOperand)>>,
}

impl Consumers {
    /// Every tensor's compute consumers in `w`'s topological order.
    pub fn new(w: &Workload) -> Consumers {
        let mut by_tensor = vec![Vec::new(); w.tensors.len()];
        for &id in &w.topo_order {
            let op = &w.ops[id];
            let operands = op.inputs.iter().copied().chain(op.weight);
            for t in operands {
                if let Some(which) = gemm_operand(op, t) {
                    if !by_tensor[t].iter().any(|&(o, _)| o == id) {
                        by_tensor[t].push((id, which));
                    }
                }
            }
        }
        Consumers { by_tensor }
    }

    /// The layout of `t` around the reduction axis of its first compute consumer.
    fn first_layout<'w>(&self, w: &'w Workload, t: TensorId) -> Option<(&'w Op, ReductionLayout)> {
        let &(id, which) = self.by_tensor[t].first()?;
        let op = &w.ops[id];
        let shape = &w.tensors[t].shape;
        let axis = reduction_axis(op, which, shape)?;
        Some((op, ReductionLayout::along_axis(shape, axis)))
    }

    /// The layout of `t` around the reduction axis every compute consumer shares (`None`
    /// without consumers or when they reduce along different axes).
    fn common_layout(&self, w: &Workload, t: TensorId) -> Option<ReductionLayout> {
        let shape = &w.tensors[t].shape;
        let mut layouts = self.by_tensor[t].iter().map(|&(id, which)| {
            reduction_axis(&w.ops[id], which, shape).map(|a| ReductionLayout::along_axis(shape, a))
        });
        let first = layouts.next()??;
        layouts.all(|l| l == Some(first)).then_some(first)
    }

    /// Density and N:M pattern of `t`'s values `v`.
    pub fn measure(&self, w: &Workload, t: TensorId, v: &Value) -> Measured {
        let layout = self.common_layout(w, t);
        match &v.data {
            Data::F32(x) => measure_values(x, layout),
            Data::I32(x) => measure_values(x, layout),
        }
    }
}

/// [`measure`] along `layout`, or density only without one (or if it does not fit).
fn measure_values<T: PartialEq + Default>(x: &[T], layout: Option<ReductionLayout>) -> Measured {
    match layout.filter(|l| l.len() == x.len()) {
        Some(l) => measure(x, l),
        None => Measured {
            elements: x.len() as u64,
            nonzeros: count_nonzeros(x),
            density: density(x),
            pattern: None,
        },
    }
}

/// Where `t`'s pattern is declared, for errors.
fn declared_at(w: &Workload, t: TensorId, consumer: &Op) -> String {
    let tensor = &w.tensors[t];
    match tensor.role {
        TensorRole::Activation => match tensor.producer {
            Some(p) => format!("{}.sparsity.output", w.ops[p].json_path),
            None => format!("{}.inputs", consumer.json_path),
        },
        TensorRole::Input => match w.spec.inputs.iter().position(|s| s.name == tensor.name) {
            Some(i) => format!("inputs[{i}].sparsity"),
            None => format!("{}.inputs", consumer.json_path),
        },
        TensorRole::Weight => format!("{}.weight", consumer.json_path),
    }
}

/// Makes `t`'s values honour its declared N:M pattern: seeded random values (`source`
/// [`Source::Random`]) are pruned to it; given, file and computed (`source` `None`) values
/// are validated.
pub fn enforce_nm(
    w: &Workload,
    consumers: &Consumers,
    t: TensorId,
    v: &mut Value,
    source: Option<&Source>,
) -> FuncResult<()> {
    let tensor = &w.tensors[t];
    if v.format == Format::Binary {
        return Ok(()); // ±1 values have no zero
    }
    let Some(pattern) = tensor.sparsity.and_then(|s| s.pattern) else {
        return Ok(());
    };
    let Some((op, layout)) = consumers.first_layout(w, t) else {
        return Ok(());
    };
    if layout.len() != v.data.len() {
        return Ok(());
    }
    let invalid = |e: crate::workload::sparsity::NmViolation| {
        FuncError::Input(e.into_input_error(declared_at(w, t, op)))
    };
    match (&mut v.data, source) {
        (Data::F32(x), Some(Source::Random)) => {
            prune_nm(x, layout, pattern);
        }
        (Data::I32(x), Some(Source::Random)) => {
            prune_nm(x, layout, pattern);
        }
        (Data::F32(x), _) => validate_nm(&tensor.name, x, layout, pattern).map_err(invalid)?,
        (Data::I32(x), _) => validate_nm(&tensor.name, x, layout, pattern).map_err(invalid)?,
    }
    Ok(())
}
