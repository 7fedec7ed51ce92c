//! Operator fusion: which elementwise ops run in a compute op's post-processing path
//! (epilogue) or operand load path (prologue) instead of as ops of their own, and what that
//! changes in the plan. See `docs/fusion.md`.
//!
//! Rules (one deterministic pass over the topological order, then one backwards):
//! - **Epilogue.** An elementwise op fuses into the compute op (matmul / conv2d) whose
//!   output it reads when the arch's [`Epilogue`](crate::arch::Epilogue) applies its class ([`class_of`]), that
//!   intermediate tensor has no other consumer and is not a graph output, and it has as
//!   many elements as the op's output (no broadcast of the fused operand). Chains fuse:
//!   an op reading a fused op's output joins the same host. With several candidate inputs
//!   (a residual add of two convolutions) the host is the producer latest in topological
//!   order, so the other operand exists when the host runs.
//! - **Prologue** (quantized graphs, as TensorRT and ONNX Runtime run QDQ models): a
//!   DequantizeLinear (or a cast) whose only consumer is a compute op fuses into it (the
//!   scale is applied as the operand is loaded), and so does a QuantizeLinear whose only
//!   consumer is such a fused dequantize (a fake-quantize pair on an activation or a weight).
//!   Prologue fusion needs no epilogue declaration: it only rescales operands the kernel
//!   loads anyway.
//! - **Folding.** A quantize, requantize, cast or transpose whose inputs are all constants
//!   (initializers) and whose result feeds such a prologue or a compute op directly is
//!   computed once at deployment: the host reads the result as weights stored in that
//!   format, and the op costs nothing at run time. Functional execution still runs every
//!   op as written (the values are the same).
//!
//! Costs ([`apply`]): a fused op keeps its element-ops and their vector-unit energy, but
//! moves no bytes of its own, takes no cycles of its own and launches nothing: its
//! element-ops run on the host's output path at the path's throughput
//! ([`Arch::epilogue_elements_per_cycle`] per core), so the host computes for the longer of
//! its array cycles and its epilogue's cycles ([`epilogue_cycles`]); it becomes [`Unit::None`] like a view, with
//! [`OpCost::fused`] naming its host. Its host reads the fused op's other operands (a
//! residual add's second input, from DRAM), writes the chain's last tensor instead of its
//! own output (bytes differ when the chain changes the format, e.g. requantize int32 →
//! int8), and for a prologue reads the wider source tensor once in place of the quantized
//! operand.

use serde::Serialize;

use super::{dram_pj_per_byte, OpCost, Unit};
use crate::arch::{Arch, EnergyTable, EpilogueOp};
use crate::workload::{OpId, OpKind, TensorRole, Workload};

/// Where a fused op runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FusedInto {
    /// The compute op whose epilogue or prologue applies it.
    pub host: OpId,
    /// Index (in the fused op's `inputs`) of the tensor that passes through the fusion
    /// group: the host's output (epilogue) or, for a prologue, the op's only input.
    pub via: usize,
    /// Epilogue (after the host's accumulation) or prologue (on an operand's load).
    pub stage: Stage,
}

/// Which side of its host a fused op runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// In the output path, after accumulation.
    Epilogue,
    /// In an operand's load path, before the MACs.
    Prologue,
    /// Computed once at deployment on constants (a quantize of an initializer): the host
    /// reads its output as stored weights; no cost at run time.
    Folded,
}

/// The epilogue class of an elementwise op (`None`: not elementwise, never fused into an
/// epilogue). Binary arithmetic is [`EpilogueOp::Residual`] when another operand is an
/// activation or a graph input, [`EpilogueOp::Bias`] when the others are constants.
pub fn class_of(w: &Workload, op: OpId) -> Option<EpilogueOp> {
    let o = &w.ops[op];
    let other_activation = || {
        o.inputs
            .iter()
            .filter(|&&t| w.tensors[t].role != TensorRole::Weight)
            .count()
            > 1
    };
    match o.kind {
        OpKind::Add | OpKind::Sub | OpKind::Mul | OpKind::Div => Some(if other_activation() {
            EpilogueOp::Residual
        } else {
            EpilogueOp::Bias
        }),
        OpKind::Relu | OpKind::Clip => Some(EpilogueOp::Relu),
        OpKind::Gelu
        | OpKind::Sigmoid
        | OpKind::Tanh
        | OpKind::Erf
        | OpKind::Exp
        | OpKind::Sqrt
        | OpKind::Pow => Some(if other_activation() {
            EpilogueOp::Residual
        } else {
            EpilogueOp::Activation
        }),
        OpKind::Quantize | OpKind::Requantize | OpKind::Dequantize | OpKind::Cast => {
            Some(EpilogueOp::Requantize)
        }
        _ => None,
    }
}

/// Decides every op's fusion on `arch`: `result[op]` is where op runs fused, `None` for
/// ops that run on their own. Logs one debug line per elementwise op (fused or why not).
pub fn plan(w: &Workload, arch: &Arch) -> Vec<Option<FusedInto>> {
    let n_t = w.tensors.len();
    let mut consumers = vec![0usize; n_t];
    for o in &w.ops {
        for &t in &o.inputs {
            consumers[t] += 1;
        }
    }
    let mut is_output = vec![false; n_t];
    for &t in &w.outputs {
        is_output[t] = true;
    }
    let mut pos = vec![0usize; w.ops.len()];
    for (i, &op) in w.topo_order.iter().enumerate() {
        pos[op] = i;
    }
    let mut fused: Vec<Option<FusedInto>> = vec![None; w.ops.len()];
    if let Some(ep) = &arch.epilogue {
        // The compute op whose epilogue produces each tensor.
        let mut host_of: Vec<Option<OpId>> = vec![None; n_t];
        for &op in &w.topo_order {
            let o = &w.ops[op];
            if o.gemm.is_some() {
                host_of[o.output] = Some(op);
                continue;
            }
            let Some(class) = class_of(w, op) else {
                continue;
            };
            let out_el = w.tensors[o.output].elements;
            let mut best: Option<(usize, OpId)> = None;
            let mut why = "no input is a compute op's output";
            for (i, &t) in o.inputs.iter().enumerate() {
                let Some(h) = host_of[t] else { continue };
                if consumers[t] != 1 || is_output[t] {
                    why = "its input has other consumers or is a graph output";
                } else if w.tensors[t].elements != out_el {
                    why = "its fused input is broadcast";
                } else if best.is_none_or(|(_, b)| pos[h] > pos[b]) {
                    best = Some((i, h));
                }
            }
            if !ep.supports(class) {
                why = "the arch's epilogue does not apply this class";
                best = None;
            }
            match best {
                Some((via, host)) => {
                    tracing::debug!(
                        "fusion: op '{}' ({}) fused into the epilogue of '{}'",
                        o.name,
                        o.kind.name(),
                        w.ops[host].name
                    );
                    fused[op] = Some(FusedInto {
                        host,
                        via,
                        stage: Stage::Epilogue,
                    });
                    host_of[o.output] = Some(host);
                }
                None => tracing::debug!(
                    "fusion: op '{}' ({}) runs on its own: {why}",
                    o.name,
                    o.kind.name()
                ),
            }
        }
    }
    plan_prologues(w, &consumers, &is_output, &mut fused);
    fused
}

/// Ops that fold away when every input is a constant: the deployment stores their output
/// as the weight (a QuantizeLinear on an fp32 initializer: weights stored quantized).
fn foldable(kind: OpKind) -> bool {
    matches!(
        kind,
        OpKind::Quantize | OpKind::Requantize | OpKind::Cast | OpKind::Transpose
    )
}

/// Backwards pass: dequantize / cast (and a quantize feeding such a dequantize) whose only
/// consumer is a compute op, or a prologue-fused op, join that op's prologue; a foldable op
/// of constants on that path is folded ([`Stage::Folded`]).
fn plan_prologues(
    w: &Workload,
    consumers: &[usize],
    is_output: &[bool],
    fused: &mut [Option<FusedInto>],
) {
    let mut consumer_of: Vec<Option<OpId>> = vec![None; w.tensors.len()];
    for (op, o) in w.ops.iter().enumerate() {
        for &t in &o.inputs {
            consumer_of[t] = Some(op);
        }
    }
    // Constant tensors: weights and the outputs of foldable ops of constants.
    let mut constant: Vec<bool> = w
        .tensors
        .iter()
        .map(|t| t.role == TensorRole::Weight)
        .collect();
    for &op in &w.topo_order {
        let o = &w.ops[op];
        if foldable(o.kind) && !o.inputs.is_empty() && o.inputs.iter().all(|&t| constant[t]) {
            constant[o.output] = true;
        }
    }
    for &op in w.topo_order.iter().rev() {
        let o = &w.ops[op];
        let folds = constant[o.output] && !o.inputs.is_empty() && foldable(o.kind);
        if fused[op].is_some()
            || consumers[o.output] != 1
            || is_output[o.output]
            || !(folds
                || (o.inputs.len() == 1
                    && matches!(o.kind, OpKind::Dequantize | OpKind::Quantize | OpKind::Cast)))
        {
            continue;
        }
        let Some(c) = consumer_of[o.output] else {
            continue;
        };
        let host = if w.ops[c].gemm.is_some() && (folds || o.kind != OpKind::Quantize) {
            Some(c)
        } else {
            match fused[c] {
                Some(f) if f.stage != Stage::Epilogue => Some(f.host),
                _ => None,
            }
        };
        if let Some(host) = host {
            let stage = if folds {
                Stage::Folded
            } else {
                Stage::Prologue
            };
            tracing::debug!(
                "fusion: op '{}' ({}) {} '{}'",
                o.name,
                o.kind.name(),
                if folds {
                    "folds into the stored weights of"
                } else {
                    "fused into the operand load (prologue) of"
                },
                w.ops[host].name
            );
            fused[op] = Some(FusedInto {
                host,
                via: 0,
                stage,
            });
        }
    }
}

/// Applies a fusion plan to per-op costs (see the module docs): fused ops keep their
/// element-ops and vector energy only; hosts take the DRAM bytes the group still moves.
pub fn apply(
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    costs: &mut [OpCost],
    fusion: &[Option<FusedInto>],
) {
    let pj_per_byte = dram_pj_per_byte(arch, table);
    for &op in &w.topo_order {
        let Some(f) = fusion[op] else { continue };
        let o = &w.ops[op];
        let via = o.inputs[f.via];
        let (read, write) = match f.stage {
            Stage::Epilogue => {
                let others: f64 = o
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != f.via)
                    .map(|(_, &t)| w.tensors[t].bytes() as f64)
                    .sum();
                let delta = w.tensors[o.output].bytes() as f64 - w.tensors[via].bytes() as f64;
                (others, delta)
            }
            Stage::Folded => (0.0, 0.0),
            Stage::Prologue => {
                // The group's source is read in its own (wider) format instead of the
                // quantized operand, once; only the top of a chain reads it.
                let src = &w.tensors[via];
                let top = src.producer.is_none_or(|p| fusion[p].is_none());
                let extra = if top {
                    let host_eb = host_operand_bytes(w, f.host, src.elements);
                    (src.bytes() as f64 - host_eb).max(0.0)
                } else {
                    0.0
                };
                (extra, 0.0)
            }
        };
        let c = &mut costs[op];
        c.traffic = Default::default();
        c.planned_split = None;
        if f.stage == Stage::Folded {
            c.energy = Default::default();
        }
        c.energy.sram_pj = 0.0;
        c.energy.dram_pj = 0.0;
        c.compute_cycles = 0;
        c.host_overhead_cycles = 0;
        c.unit = Unit::None;
        c.cores_used = 0;
        c.fused = Some(f);
        let h = &mut costs[f.host];
        h.traffic.dram_read_bytes += read;
        let before = h.traffic.dram_write_bytes;
        h.traffic.dram_write_bytes = (before + write).max(0.0);
        let dw = h.traffic.dram_write_bytes - before;
        if let (Some(t), Some(g)) = (h.tiling.as_mut(), o_gemm_count(w, f.host)) {
            t.c_bytes = (t.c_bytes + dw / g).max(0.0);
        }
        h.energy.dram_pj += (read + dw) * pj_per_byte;
    }
    charge_epilogues(arch, costs, fusion);
}

/// Cycles a host's post-processing path needs for `element_ops` on `cores` cores at
/// `per_core` element-operations per cycle each.
pub fn epilogue_cycles(element_ops: u64, per_core: f64, cores: u32) -> u64 {
    let rate = per_core * cores.max(1) as f64;
    (element_ops as f64 / rate).ceil().min(u64::MAX as f64) as u64
}

/// Stretches each host's compute cycles to its epilogue's when the path is slower than the
/// array (the path runs beside the array, so the slower of the two sets the pace).
fn charge_epilogues(arch: &Arch, costs: &mut [OpCost], fusion: &[Option<FusedInto>]) {
    let Some(per_core) = arch.epilogue_elements_per_cycle() else {
        return;
    };
    let mut ops = vec![0u64; costs.len()];
    for (op, f) in fusion.iter().enumerate() {
        if let Some(f) = f.filter(|f| f.stage == Stage::Epilogue) {
            ops[f.host] = ops[f.host].saturating_add(costs[op].vector_ops);
        }
    }
    for (h, &n) in ops.iter().enumerate() {
        if n > 0 {
            let c = &mut costs[h];
            c.compute_cycles = c
                .compute_cycles
                .max(epilogue_cycles(n, per_core, c.cores_used));
        }
    }
}

/// Elements × the host's operand format width, for the operand of `elements` elements.
fn host_operand_bytes(w: &Workload, host: OpId, elements: u64) -> f64 {
    let p = &w.ops[host].precision;
    let fmt = if w.ops[host]
        .weight
        .is_some_and(|t| w.tensors[t].elements == elements)
    {
        p.weights
    } else {
        p.activations
    };
    fmt.storage_bytes(elements) as f64
}

fn o_gemm_count(w: &Workload, op: OpId) -> Option<f64> {
    w.ops[op].gemm.map(|g| g.count.max(1) as f64)
}

/// Kernels (ops that occupy a compute unit or launch on their own) of a plan: everything
/// except views and fused ops.
pub fn kernels(costs: &[OpCost]) -> usize {
    costs.iter().filter(|c| c.unit != Unit::None).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(epilogue: &str) -> Arch {
        let text = format!(
            r#"{{"name":"t","clock_ghz":1,"array":{{"kind":"systolic","rows":8,"cols":8,"dataflow":"ws"}},
            "precisions":[{{"format":"int8","macs_per_pe_per_cycle":1,"accumulator":"int32"}}],
            "vector_unit":{{"lanes":8}},
            "memory":{{"dram":{{"bandwidth_gbps":10,"latency_ns":0}},
              "core_buffers":{{"kind":"unified","buffer":{{"capacity_kib":64,"bytes_per_cycle":64}}}}}},
            "static_power_w":0 {epilogue}}}"#
        );
        Arch::from_json(&text).unwrap()
    }

    fn chain() -> Workload {
        Workload::from_json(
            r#"{"name":"c","inputs":[{"name":"x","shape":[16,32],"format":"int8"}],
            "ops":[
              {"name":"mm","op":"matmul","inputs":["x"],"output":"y","out_features":16,"precision":"int8"},
              {"name":"r","op":"relu","inputs":["y"],"output":"z"},
              {"name":"a","op":"add","inputs":["z","x2"],"output":"s"},
              {"name":"mm2","op":"matmul","inputs":["x"],"output":"x2","out_features":16,"precision":"int8"}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn chains_fuse_into_the_latest_producer() {
        let w = chain();
        let a = arch(r#","epilogue":{"ops":["relu","residual"]}"#);
        let f = plan(&w, &a);
        let id = |n: &str| w.ops.iter().position(|o| o.name == n).unwrap();
        // relu joins mm; the add reads relu's chain (host mm) and mm2's output: mm2 comes
        // later in topological order only if the file puts it first, so the host is the
        // later of the two.
        assert_eq!(f[id("r")].map(|f| f.host), Some(id("mm")));
        let host = f[id("a")].unwrap().host;
        let later = if w.topo_order.iter().position(|&o| o == id("mm")).unwrap()
            > w.topo_order.iter().position(|&o| o == id("mm2")).unwrap()
        {
            id("mm")
        } else {
            id("mm2")
        };
        assert_eq!(host, later);
    }

    #[test]
    fn nothing_fuses_without_a_declared_class() {
        let w = chain();
        let f = plan(&w, &arch(r#","epilogue":{"ops":["bias"]}"#));
        assert!(f.iter().all(Option::is_none));
        let f = plan(&w, &arch(""));
        assert!(f.iter().all(Option::is_none));
    }
}
