//! The cost of a training step: the derived step goes through [`crate::evaluate`] like any
//! workload; this module groups its per-op figures by phase and by forward layer and
//! computes the step's memory footprint (stored activations, gradients, optimizer state)
//! and its peak over the schedule order.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::derive::{derive, DeriveOptions, Phase, TrainGraph};
use super::policy::Policy;
use crate::arch::Arch;
use crate::error::InputResult;
use crate::evaluation::{evaluate, Options};
use crate::report::Report;
use crate::workload::{OpKind, TensorRole, Workload};

/// Options of a training-step evaluation.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Loss and output.
    pub derive: DeriveOptions,
    /// Engine and run options of the evaluation.
    pub eval: Options,
}

/// Figures of one phase (of the whole step, or of one layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseCost {
    /// Phase.
    pub phase: Phase,
    /// Derived ops in it.
    pub ops: usize,
    /// MACs.
    pub macs: u64,
    /// Vector element-operations.
    pub vector_ops: u64,
    /// Sum of its ops' cycles (start to end of each op).
    pub op_cycles: u64,
    /// `op_cycles` in seconds at the run's clock.
    pub op_time_s: f64,
    /// From the first op's start to the last op's end, seconds (ops of other phases may
    /// overlap it).
    pub span_s: f64,
    /// Energy of its ops, pJ.
    pub energy_pj: f64,
    /// DRAM bytes read and written by its ops.
    pub dram_bytes: f64,
}

impl PhaseCost {
    fn empty(phase: Phase) -> PhaseCost {
        PhaseCost {
            phase,
            ops: 0,
            macs: 0,
            vector_ops: 0,
            op_cycles: 0,
            op_time_s: 0.0,
            span_s: 0.0,
            energy_pj: 0.0,
            dram_bytes: 0.0,
        }
    }
}

/// One forward layer's figures per phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainLayer {
    /// Forward op name (`loss` for the loss).
    pub name: String,
    /// Per phase with at least one op.
    pub phases: Vec<PhaseCost>,
}

/// Memory footprint of a step (bytes in each tensor's policy format).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footprint {
    /// Weights in their working format.
    pub weights_bytes: u64,
    /// Master copies (when the policy keeps them in another format).
    pub master_weights_bytes: u64,
    /// Optimizer state.
    pub optimizer_state_bytes: u64,
    /// Weight gradients.
    pub weight_gradients_bytes: u64,
    /// Forward tensors the backward pass reads (stored between the passes).
    pub stored_activations_bytes: u64,
    /// Peak of live bytes over the step in schedule (topological) order: persistent
    /// tensors plus every tensor from its producer to its last consumer (reshape views and
    /// the in-place update outputs not counted twice).
    pub peak_bytes: u64,
    /// The op at which the peak occurs.
    pub peak_at: String,
}

/// The report of a training step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    /// Architecture.
    pub arch: String,
    /// Forward workload.
    pub workload: String,
    /// Policy.
    pub policy: String,
    /// Clock, GHz.
    pub clock_ghz: f64,
    /// Step latency, seconds.
    pub latency_s: f64,
    /// Step energy, pJ.
    pub energy_pj: f64,
    /// MACs of the step.
    pub macs: u64,
    /// DRAM bytes of the step.
    pub dram_bytes: f64,
    /// Per phase, in step order.
    pub phases: Vec<PhaseCost>,
    /// Per forward layer (forward order, then the loss).
    pub layers: Vec<TrainLayer>,
    /// Memory footprint.
    pub memory: Footprint,
}

/// Derives the training step of `fwd` under `policy` and evaluates it on `arch`; returns
/// the derived graph, the underlying per-op report and the training report.
pub fn train_cost(
    fwd: &Workload,
    arch: &Arch,
    policy: &Policy,
    options: &TrainOptions,
) -> InputResult<(TrainGraph, Report, TrainReport)> {
    let graph = derive(fwd, policy, &options.derive)?;
    let eval = evaluate(&graph.workload, arch, &options.eval)?;
    let report = eval.report(&graph.workload);
    report.check_figures()?;
    let train = summarize(fwd, policy, &graph, &report);
    Ok((graph, report, train))
}

fn add(into: &mut PhaseCost, l: &crate::report::LayerReport) {
    into.ops += 1;
    into.macs += l.macs;
    into.vector_ops += l.vector_ops;
    into.op_cycles += l.cycles;
    into.energy_pj += l.energy_pj;
    into.dram_bytes += l.dram_bytes;
}

/// Groups a step's per-op report by phase and layer.
pub fn summarize(
    fwd: &Workload,
    policy: &Policy,
    graph: &TrainGraph,
    report: &Report,
) -> TrainReport {
    let clock_hz = report.power.clock_ghz * 1e9;
    let mut phases: Vec<PhaseCost> = Phase::ALL.iter().map(|&p| PhaseCost::empty(p)).collect();
    let mut spans = [(u64::MAX, 0u64); 4];
    let mut layers: BTreeMap<usize, TrainLayer> = BTreeMap::new();
    let order: BTreeMap<&str, usize> = fwd
        .ops
        .iter()
        .enumerate()
        .map(|(i, o)| (o.name.as_str(), i))
        .collect();
    for (l, d) in report.layers.iter().zip(&graph.ops) {
        let pi = Phase::ALL.iter().position(|&p| p == d.phase).unwrap_or(0);
        add(&mut phases[pi], l);
        spans[pi].0 = spans[pi].0.min(l.start_cycle);
        spans[pi].1 = spans[pi].1.max(l.end_cycle);
        let key = order.get(d.layer.as_str()).copied().unwrap_or(usize::MAX);
        let entry = layers.entry(key).or_insert_with(|| TrainLayer {
            name: d.layer.clone(),
            phases: Vec::new(),
        });
        match entry.phases.iter_mut().find(|p| p.phase == d.phase) {
            Some(p) => add(p, l),
            None => {
                let mut p = PhaseCost::empty(d.phase);
                add(&mut p, l);
                entry.phases.push(p);
            }
        }
    }
    for (p, (s, e)) in phases.iter_mut().zip(spans) {
        if p.ops > 0 && clock_hz > 0.0 {
            p.span_s = e.saturating_sub(s) as f64 / clock_hz;
        }
    }
    for l in layers.values_mut() {
        l.phases.sort_by_key(|p| p.phase);
    }
    let secs = |c: u64| {
        if clock_hz > 0.0 {
            c as f64 / clock_hz
        } else {
            0.0
        }
    };
    for p in phases
        .iter_mut()
        .chain(layers.values_mut().flat_map(|l| l.phases.iter_mut()))
    {
        p.op_time_s = secs(p.op_cycles);
    }
    TrainReport {
        arch: report.summary.arch.clone(),
        workload: fwd.name.clone(),
        policy: policy.name.clone(),
        clock_ghz: report.power.clock_ghz,
        latency_s: report.summary.latency_s,
        energy_pj: report.summary.energy_pj,
        macs: report.summary.macs,
        dram_bytes: report.summary.dram_bytes,
        phases,
        layers: layers.into_values().collect(),
        memory: footprint(graph),
    }
}

/// The memory footprint of a derived step.
pub fn footprint(graph: &TrainGraph) -> Footprint {
    let w = &graph.workload;
    let grads: HashSet<&str> = graph.gradients.iter().map(|(_, g)| g.as_str()).collect();
    let weights: HashSet<&str> = graph.gradients.iter().map(|(w, _)| w.as_str()).collect();
    let mut f = Footprint {
        weights_bytes: 0,
        master_weights_bytes: 0,
        optimizer_state_bytes: 0,
        weight_gradients_bytes: 0,
        stored_activations_bytes: 0,
        peak_bytes: 0,
        peak_at: String::new(),
    };
    for t in w.tensors.iter().filter(|t| t.role == TensorRole::Weight) {
        if t.name.ends_with(".master") {
            f.master_weights_bytes += t.bytes();
        } else if t.name.contains(".state") && !weights.contains(t.name.as_str()) {
            f.optimizer_state_bytes += t.bytes();
        } else {
            f.weights_bytes += t.bytes();
        }
    }
    let n = w.topo_order.len();
    let pos: Vec<usize> = {
        let mut p = vec![0; w.ops.len()];
        for (i, &id) in w.topo_order.iter().enumerate() {
            p[id] = i;
        }
        p
    };
    // Live range [birth, death] per tensor in topological positions.
    let mut death: Vec<Option<usize>> = vec![None; w.tensors.len()];
    let mut stored: HashSet<usize> = HashSet::new();
    for (id, op) in w.ops.iter().enumerate() {
        let d = &graph.ops[id];
        for &t in op.inputs.iter().chain(op.weight.iter()) {
            death[t] = Some(death[t].map_or(pos[id], |x: usize| x.max(pos[id])));
            let producer_fwd = w.tensors[t]
                .producer
                .map_or(w.tensors[t].role == TensorRole::Input, |p| {
                    graph.ops[p].phase == Phase::Fwd
                });
            if d.phase != Phase::Fwd && producer_fwd && w.tensors[t].role != TensorRole::Weight {
                stored.insert(t);
            }
        }
    }
    f.stored_activations_bytes = stored.iter().map(|&t| w.tensors[t].bytes()).sum();
    let mut delta = vec![0i128; n + 1];
    let mut persistent = 0i128;
    for (t, tensor) in w.tensors.iter().enumerate() {
        if tensor.role == TensorRole::Weight {
            persistent += tensor.bytes() as i128;
            continue;
        }
        if grads.contains(tensor.name.as_str()) {
            f.weight_gradients_bytes += tensor.bytes();
        }
        let (birth, is_view) = match tensor.producer {
            Some(p) => {
                let k = w.ops[p].kind;
                let upd = graph.ops[p].phase == Phase::Update;
                (
                    pos[p],
                    matches!(k, OpKind::Reshape | OpKind::Flatten) || upd,
                )
            }
            None => (0, false),
        };
        if is_view {
            continue;
        }
        let end = if w.outputs.contains(&t) {
            n - 1
        } else {
            death[t].unwrap_or(birth)
        };
        delta[birth] += tensor.bytes() as i128;
        delta[end + 1] -= tensor.bytes() as i128;
    }
    let mut live = persistent;
    for (i, d) in delta.iter().enumerate().take(n) {
        live += d;
        if live as u64 > f.peak_bytes {
            f.peak_bytes = live as u64;
            f.peak_at = w.ops[w.topo_order[i]].name.clone();
        }
    }
    f
}
