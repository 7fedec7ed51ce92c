//! On-chip retention (layer-to-layer pipelining), shared by both engines.
//!
//! An op's output stays on chip when the arch pipelines layers, the tensor is consumed by
//! a later op and is not a graph output, and it fits in the spare on-chip capacity (the
//! global buffer, or else half of each core's activation buffer over all cores). A
//! resident tensor is neither stored by its producer nor loaded by its consumers, and its
//! bytes are freed once its last consumer completes. GPU kernels exchange tensors through
//! HBM (the kernel model's traffic already includes L2 reuse), so nothing is retained.
//!
//! The engines call [`Residency::admit_output`] when an op starts, [`op_dram`] for the
//! DRAM bytes it then moves, and [`Residency::release_inputs`] when it completes; the event
//! engine does so in simulated time, the analytic one in topological order. On a chain of
//! ops (or a single op) both therefore make the same decisions.

use crate::arch::{Arch, CoreBuffers};
use crate::model::{OpCost, Unit};
use crate::workload::{OpId, OpKind, TensorId, Workload};

/// Which tensors are on chip and how much spare capacity is left.
pub(crate) struct Residency {
    /// Each tensor's root (views alias their input).
    root: Vec<TensorId>,
    /// Consumers (non-view ops) of each root still to complete.
    consumers_left: Vec<usize>,
    /// Roots of graph outputs (always written to DRAM).
    is_output_root: Vec<bool>,
    /// Roots currently held on chip.
    resident: Vec<bool>,
    /// On-chip bytes available for retained activations.
    budget: f64,
    /// Of which not in use.
    free: f64,
}

/// DRAM bytes an op moves once retention is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OpDram {
    /// Operand loads: `[A (first input), B (weights / second input)]`; a vector op's
    /// inputs all count as A.
    pub loads: [f64; 2],
    /// Bias and other reads not part of A or B (loaded with the first step).
    pub bias: f64,
    /// Stores (outputs, partial sums).
    pub stores: f64,
    /// Reads of the model's plan avoided because inputs stayed on chip.
    pub kept_read: f64,
    /// Writes of the model's plan avoided because the output stayed on chip.
    pub kept_write: f64,
}

impl OpDram {
    /// All bytes read from DRAM.
    pub fn read(&self) -> f64 {
        self.loads[0] + self.loads[1] + self.bias
    }

    /// All bytes of the model's plan avoided by retention.
    pub fn kept(&self) -> f64 {
        self.kept_read + self.kept_write
    }
}

/// Reshape and flatten are views: no time, no traffic, the output aliases the input.
pub(crate) fn is_view(kind: OpKind) -> bool {
    matches!(kind, OpKind::Reshape | OpKind::Flatten)
}

impl Residency {
    /// Empty retention state for `w` on `arch` (budget 0 when the arch does not pipeline
    /// layers or runs GPU kernels). An op fused into another (`OpCost::fused`) is a view of
    /// its group's tensor: its host writes (or reads) the group's data, so it neither reads
    /// nor writes on its own.
    pub fn new(w: &Workload, arch: &Arch, costs: &[OpCost]) -> Self {
        let act_capacity = match &arch.memory.core_buffers {
            CoreBuffers::Unified { buffer } => buffer.capacity_kib * 1024.0,
            CoreBuffers::Split { ifmap, .. } => ifmap.capacity_kib * 1024.0,
        };
        let budget = if !arch.memory.layer_pipelining || arch.gpu().is_some() {
            0.0
        } else if let Some(g) = &arch.memory.global_buffer {
            g.capacity_kib * 1024.0
        } else {
            act_capacity / 2.0 * arch.cores as f64
        };
        let n_t = w.tensors.len();
        let mut root: Vec<TensorId> = (0..n_t).collect();
        for &op in &w.topo_order {
            let o = &w.ops[op];
            let via = costs[op].fused.map(|f| f.via).unwrap_or(0);
            if is_view(o.kind) || costs[op].fused.is_some() {
                if let Some(&i) = o.inputs.get(via) {
                    root[o.output] = root[i];
                }
            }
        }
        let mut consumers_left = vec![0usize; n_t];
        for (o, c) in w.ops.iter().zip(costs) {
            if !is_view(o.kind) && c.unit != Unit::None {
                for &i in &o.inputs {
                    consumers_left[root[i]] += 1;
                }
            }
        }
        let mut is_output_root = vec![false; n_t];
        for &t in &w.outputs {
            is_output_root[root[t]] = true;
        }
        Residency {
            root,
            consumers_left,
            is_output_root,
            resident: vec![false; n_t],
            budget,
            free: budget,
        }
    }

    /// On-chip bytes held by retained activations now.
    pub fn resident_bytes(&self) -> f64 {
        self.budget - self.free
    }

    /// Decides, as `op` starts, whether its output stays on chip, and reserves its bytes.
    pub fn admit_output(&mut self, w: &Workload, op: OpId) -> bool {
        let o = &w.ops[op];
        let r = self.root[o.output];
        let bytes = w.tensors[o.output].bytes() as f64;
        let on_chip = self.budget > 0.0
            && !self.is_output_root[r]
            && self.consumers_left[r] > 0
            && bytes <= self.free;
        if on_chip {
            self.free -= bytes;
            self.resident[r] = true;
        }
        on_chip
    }

    /// Whether `op`'s `i`-th input is on chip.
    pub fn input_resident(&self, w: &Workload, op: OpId, i: usize) -> bool {
        w.ops[op]
            .inputs
            .get(i)
            .is_some_and(|&t| self.resident[self.root[t]])
    }

    /// As (non-view) `op` completes: frees every input whose last consumer it was.
    pub fn release_inputs(&mut self, w: &Workload, op: OpId) {
        for &i in &w.ops[op].inputs {
            let r = self.root[i];
            self.consumers_left[r] -= 1;
            if self.consumers_left[r] == 0 && self.resident[r] {
                self.free += w.tensors[r].bytes() as f64;
            }
        }
    }
}

/// The DRAM bytes `op` moves given which of its inputs are resident and whether its output
/// stays on chip (`on_chip`, from [`Residency::admit_output`]).
pub(crate) fn op_dram(
    w: &Workload,
    cost: &OpCost,
    op: OpId,
    res: &Residency,
    on_chip: bool,
) -> OpDram {
    let o = &w.ops[op];
    let out_bytes = w.tensors[o.output].bytes() as f64;
    let (mut kept_read, mut kept_write) = (0.0, 0.0);
    if cost.unit == Unit::Array {
        let g = o.gemm.map(|g| g.count as f64).unwrap_or(1.0);
        let (ta, tb, tc) = cost
            .tiling
            .map(|t| (t.a_bytes * g, t.b_bytes * g, t.c_bytes * g))
            .unwrap_or((0.0, 0.0, cost.traffic.dram_write_bytes));
        let bias = (cost.traffic.dram_read_bytes - ta - tb).max(0.0);
        let mut a = ta;
        if res.input_resident(w, op, 0) {
            kept_read += a;
            a = 0.0;
        }
        let mut b = tb;
        if o.weight.is_none() && res.input_resident(w, op, 1) {
            kept_read += b;
            b = 0.0;
        }
        let mut c = tc;
        if on_chip {
            let saved = c.min(out_bytes);
            kept_write += saved;
            c -= saved;
        }
        OpDram {
            loads: [a, b],
            bias,
            stores: c,
            kept_read,
            kept_write,
        }
    } else {
        let mut input = 0.0;
        for (i, &t) in o.inputs.iter().enumerate() {
            let bytes = w.tensors[t].bytes() as f64;
            if res.input_resident(w, op, i) {
                kept_read += bytes;
            } else {
                input += bytes;
            }
        }
        let mut out = cost.traffic.dram_write_bytes;
        if on_chip {
            kept_write += out;
            out = 0.0;
        }
        OpDram {
            loads: [input, 0.0],
            bias: 0.0,
            stores: out,
            kept_read,
            kept_write,
        }
    }
}
