//! The per-core work of one op as both engines see it: the step plan ([`super::tiles`]),
//! each step's DRAM bytes (after on-chip retention, [`super::residency`]) and busy cycles,
//! and when each operand's loads may be issued (prefetch by buffer slot).
//!
//! Loads are prefetched per operand: with `depth` buffer slots (2 when double buffered),
//! the `j`-th load of an operand may start as soon as the slot it reuses is free, i.e. once
//! the last step that used the operand's load `j − depth` has computed. An operand loaded
//! every step (A under weight-resident reuse) is therefore fetched two steps ahead; a
//! resident panel (B under weight-resident reuse) is fetched while the whole previous panel
//! computes, not squeezed behind one step.

use super::ceil_cycles;
use super::residency::OpDram;
use super::tiles::{compute_steps, vector_steps, Step, StepLimits, StepPlan};
use crate::arch::{Arch, CoreBuffers};
use crate::model::{OpCost, Unit};

/// One step's work on one core.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepWork {
    /// DRAM bytes loaded before the step: `[A and bias, B]`.
    pub load: [f64; 2],
    /// DRAM bytes stored after it.
    pub store: f64,
    /// Ideal-memory compute cycles.
    pub cycles: u64,
    /// Cycles the unit is busy: `cycles`, or more when the buffers' bandwidth limits.
    pub busy: u64,
}

/// The core buffers' bandwidths and slot count, as the engines use them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buffers {
    /// Bytes per cycle of the ifmap, filter and ofmap buffers (all three the same when
    /// unified).
    pub bpc: [f64; 3],
    /// One buffer for all operands.
    pub unified: bool,
    /// Buffer slots per operand: 2 when double buffered, else 1.
    pub depth: usize,
    /// Usable bytes of one core's activation buffer for one vector-op tile.
    pub usable_activation: f64,
}

impl Buffers {
    /// The buffers of `arch`.
    pub fn of(arch: &Arch) -> Self {
        let depth = if arch.memory.double_buffering { 2 } else { 1 };
        let (bpc, unified, cap) = match &arch.memory.core_buffers {
            CoreBuffers::Unified { buffer } => (
                [buffer.bytes_per_cycle; 3],
                true,
                buffer.capacity_kib * 1024.0,
            ),
            CoreBuffers::Split {
                ifmap,
                filter,
                ofmap,
            } => (
                [
                    ifmap.bytes_per_cycle,
                    filter.bytes_per_cycle,
                    ofmap.bytes_per_cycle,
                ],
                false,
                ifmap.capacity_kib * 1024.0,
            ),
        };
        Buffers {
            bpc,
            unified,
            depth,
            usable_activation: cap / depth as f64,
        }
    }
}

/// One step covering the whole op (GPU kernels, ops without a tiling).
pub(crate) fn single_step(cycles: u64) -> StepPlan {
    StepPlan {
        steps: vec![Step {
            cycles,
            a: 1.0,
            b: 1.0,
            c: 1.0,
        }],
        block: None,
    }
}

/// The step plan of one of `k` cores' share of an op. `overlap`: a GPU kernel, one step
/// whose transfers stream beside its compute.
pub(crate) fn op_plan(
    arch: &Arch,
    cost: &OpCost,
    k: f64,
    limits: StepLimits,
    overlap: bool,
    bufs: &Buffers,
) -> StepPlan {
    if overlap {
        single_step(cost.compute_cycles)
    } else if cost.unit == Unit::Array {
        compute_steps(arch, cost, limits).unwrap_or_else(|| single_step(cost.compute_cycles))
    } else {
        let model_bytes = cost.traffic.dram_bytes() / k;
        vector_steps(arch, cost, model_bytes, bufs.usable_activation, limits)
    }
}

/// Turns a plan's relative shares into bytes and busy cycles for one of `k` cores.
pub(crate) fn step_work(
    cost: &OpCost,
    plan: &StepPlan,
    dram: &OpDram,
    k: f64,
    bufs: &Buffers,
) -> Vec<StepWork> {
    let n = plan.steps.len();
    let sum = |f: fn(&Step) -> f64| -> f64 { plan.steps.iter().map(f).sum() };
    let (sa, sb, sc) = (sum(|s| s.a), sum(|s| s.b), sum(|s| s.c));
    let total_cycles: u64 = plan.steps.iter().map(|s| s.cycles).sum();
    let tr = &cost.traffic;
    let sram = [
        tr.ifmap_sram_bytes / k,
        tr.filter_sram_bytes / k,
        tr.ofmap_sram_bytes / k,
    ];
    let share = |part: f64, whole: f64, total: f64, first: bool| -> f64 {
        if total <= 0.0 {
            0.0
        } else if whole > 0.0 {
            total / k * part / whole
        } else if first {
            total / k
        } else {
            0.0
        }
    };
    plan.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let frac = if total_cycles > 0 {
                s.cycles as f64 / total_cycles as f64
            } else {
                1.0 / n as f64
            };
            let sram_cycles = if bufs.unified {
                ceil_cycles((sram[0] + sram[1] + sram[2]) * frac / bufs.bpc[0])
            } else {
                (0..3)
                    .map(|b| ceil_cycles(sram[b] * frac / bufs.bpc[b]))
                    .max()
                    .unwrap_or(0)
            };
            let a =
                share(s.a, sa, dram.loads[0], i == 0) + if i == 0 { dram.bias / k } else { 0.0 };
            StepWork {
                load: [a, share(s.b, sb, dram.loads[1], i == 0)],
                store: share(s.c, sc, dram.stores, i + 1 == n),
                cycles: s.cycles,
                busy: s.cycles.max(sram_cycles),
            }
        })
        .collect()
}

/// For every step and operand (`[A, B]`), the step whose compute completion frees the
/// buffer slot its load goes into (`None`: issued when the op starts). Steps that load
/// nothing of an operand get `None` (there is nothing to issue).
pub(crate) fn load_triggers(steps: &[StepWork], depth: usize) -> Vec<[Option<u32>; 2]> {
    let depth = depth.max(1);
    let mut out = vec![[None; 2]; steps.len()];
    #[allow(clippy::needless_range_loop)] // x indexes both operands' arrays
    for x in 0..2 {
        // Steps that load this operand, in order.
        let loaders: Vec<usize> = (0..steps.len())
            .filter(|&i| steps[i].load[x] > 0.0)
            .collect();
        for (j, &i) in loaders.iter().enumerate() {
            // Load j reuses the slot of load j − depth, free once the last step before
            // load j − depth + 1 has computed.
            if j >= depth {
                let next_after_old = loaders[j - depth + 1];
                out[i][x] = Some((next_after_old - 1) as u32);
            }
        }
    }
    out
}
