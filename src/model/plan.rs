//! A workload's plan: every op costed on an arch, with the decisions that costing took
//! (each GEMM's temporal mapping or GPU kernel, the fusion groups) kept so that the same
//! plan can be re-costed at another clock without planning again ([`Plan::at_clock`]).
//!
//! A compiler builds one binary for a chip; a power controller then runs it at whatever
//! clock fits the power cap. So the power solver ([`crate::power::solve`]) plans once at
//! the nominal clock and, at each probe clock, re-costs that plan: the decisions stay, what
//! depends on the clock is computed again — the cycles of bandwidth-bound work (DRAM,
//! HBM bytes per cycle), launch and host latencies given in time, energies scaled to the
//! voltage of the clock on the V-f curve.

use crate::arch::Arch;
use crate::error::InputResult;
use crate::workload::Workload;

use super::fusion::{self, FusedInto};
use super::options::Fusion;
use super::pins::{OpPins, Pins};
use super::{cost_op, OpCost, RunOptions};

/// Every op of a workload costed on an arch, with the decisions behind the costs.
#[derive(Debug, Clone)]
pub struct Plan<'w> {
    workload: &'w Workload,
    options: RunOptions,
    /// Fusion groups ([`fusion::plan`]); `None` with fusion off.
    fusion: Option<Vec<Option<FusedInto>>>,
    /// Each op's decisions.
    pins: Vec<OpPins>,
    /// Per-op costs on the arch the plan was made for (workload order).
    pub costs: Vec<OpCost>,
}

#[cfg(test)]
thread_local! {
    /// Plans made on this thread (tests count them).
    pub(crate) static PLANS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl<'w> Plan<'w> {
    /// Costs every op of `workload` on `arch`, in file order, under `options` (e.g. the
    /// GPU launch path), then fuses elementwise ops into their producers ([`fusion`])
    /// unless `options.fusion` is off. Errors name the op (e.g. an unsupported precision).
    pub fn new(workload: &'w Workload, arch: &Arch, options: &RunOptions) -> InputResult<Plan<'w>> {
        #[cfg(test)]
        PLANS.with(|n| n.set(n.get() + 1));
        let table = arch.energy_table();
        let mut pins = vec![OpPins::default(); workload.ops.len()];
        let mut costs = workload
            .ops
            .iter()
            .zip(&mut pins)
            .map(|(op, p)| cost_op(op, workload, arch, &table, options, &mut Pins::record(p)))
            .collect::<InputResult<Vec<OpCost>>>()?;
        let fusion = (options.fusion == Fusion::On).then(|| fusion::plan(workload, arch));
        if let Some(groups) = &fusion {
            fusion::apply(workload, arch, &table, &mut costs, groups);
        }
        Ok(Plan {
            workload,
            options: *options,
            fusion,
            pins,
            costs,
        })
    }

    /// The plan's costs on `arch` — the planned arch at another operating point
    /// ([`crate::power::at_clock`]): the same mappings, kernels and fusion, re-costed at
    /// `arch`'s clock and voltage. On the planned arch itself this gives [`Plan::costs`].
    pub fn at_clock(&self, arch: &Arch) -> InputResult<Vec<OpCost>> {
        let table = arch.energy_table();
        let w = self.workload;
        let mut costs = w
            .ops
            .iter()
            .zip(&self.pins)
            .map(|(op, p)| cost_op(op, w, arch, &table, &self.options, &mut Pins::replay(p)))
            .collect::<InputResult<Vec<OpCost>>>()?;
        if let Some(groups) = &self.fusion {
            fusion::apply(w, arch, &table, &mut costs, groups);
        }
        Ok(costs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESETS: [&str; 7] = [
        include_str!("../../arch_configs/a100_sxm.json"),
        include_str!("../../arch_configs/edge_npu_32x32.json"),
        include_str!("../../arch_configs/eyeriss.json"),
        include_str!("../../arch_configs/h100_sxm.json"),
        include_str!("../../arch_configs/scalesim_32x32.json"),
        include_str!("../../arch_configs/tensor_core_edge.json"),
        include_str!("../../arch_configs/tpu_v1.json"),
    ];

    fn workloads() -> Vec<Workload> {
        [
            include_str!("../../workloads/mlp6.json"),
            include_str!("../../workloads/tiny_cnn.json"),
            include_str!("../../workloads/sparsity_study_fp16_2x4.json"),
        ]
        .iter()
        .map(|t| Workload::from_json(t).unwrap())
        .collect()
    }

    fn at_clock(arch: &Arch, ghz: f64) -> Arch {
        let mut a = arch.clone();
        a.clock_ghz = ghz;
        a
    }

    /// Re-costing a plan on the arch it was made for reproduces it exactly, on every
    /// preset, with fusion on and off (sparse operands included).
    #[test]
    fn recosting_at_the_planned_clock_is_the_plan() {
        for text in PRESETS {
            let arch = Arch::from_json(text).unwrap();
            for w in &workloads() {
                for fusion in [Fusion::On, Fusion::Off] {
                    let opts = RunOptions::default().with_fusion(fusion);
                    let Ok(plan) = Plan::new(w, &arch, &opts) else {
                        continue; // a precision the preset cannot run
                    };
                    assert_eq!(plan.at_clock(&arch).unwrap(), plan.costs, "{}", arch.name);
                }
            }
        }
    }

    /// At another clock, an op whose decisions a fresh plan would take again costs what
    /// that fresh plan says: re-costing recomputes every clock-dependent figure (GPU
    /// kernels' HBM and launch cycles, host dispatch cycles, voltage-scaled energies).
    #[test]
    fn recosting_at_another_clock_matches_a_fresh_plan_with_the_same_decisions() {
        let h100 = Arch::from_json(PRESETS[3]).unwrap();
        let edge = Arch::from_json(PRESETS[1]).unwrap();
        for (arch, ghz) in [(&h100, 1.2), (&h100, 0.9), (&edge, 0.4)] {
            for w in &workloads() {
                let plan = Plan::new(w, arch, &RunOptions::default()).unwrap();
                let slow = at_clock(arch, ghz);
                let fresh = Plan::new(w, &slow, &RunOptions::default()).unwrap();
                let recost = plan.at_clock(&slow).unwrap();
                let mut same = 0;
                for (i, (pins, cost)) in plan.pins.iter().zip(&recost).enumerate() {
                    if fresh.pins[i] == *pins {
                        same += 1;
                        assert_eq!(*cost, fresh.costs[i], "{} op {i}", arch.name);
                    }
                }
                assert!(same * 2 >= w.ops.len(), "{}: {same} same", arch.name);
                // On the H100 (V-f curve, GPU kernels) the clock changes what the plan
                // costs; the edge NPU's costs do not depend on its clock.
                let moved = recost != plan.costs;
                assert_eq!(moved, arch.gpu().is_some(), "{} at {ghz} GHz", arch.name);
            }
        }
    }
}
