//! The figure check on an [`Evaluation`], without building a report: the same refusal as
//! [`crate::report::Report::check_figures`] (a non-finite figure or a saturated count),
//! on the figures the evaluation holds and those a report derives by plain arithmetic.
//! Sweeps call it per point instead of assembling a whole report.

use super::Evaluation;
use crate::error::InputResult;
use crate::report::checks::Figures;
use crate::workload::Workload;

impl Evaluation {
    /// Refuses an evaluation with a non-finite figure or a saturated count, naming the
    /// figure as the report would (`summary.energy_pj`, `layers[3].cycles`, ...). Checks
    /// the report's summary figures except `peak_tops` and `utilization` (bounded by the
    /// arch's peak, itself checked when the arch is validated).
    pub fn check_figures(&self, workload: &Workload) -> InputResult<()> {
        let (t, l) = (&self.timeline, &self.energy);
        let e = &l.total;
        let macs: u64 = self.costs.iter().map(|c| c.macs).sum();
        let dram_read: f64 = t.ops.iter().map(|o| o.dram_read_bytes).sum();
        let dram_write: f64 = t.ops.iter().map(|o| o.dram_write_bytes).sum();
        let dram = dram_read + dram_write;
        let per_s = |x: f64| {
            if l.latency_s > 0.0 {
                x / l.latency_s
            } else {
                0.0
            }
        };
        Figures {
            floats: vec![
                ("latency_s", l.latency_s),
                ("achieved_tops", per_s(2.0 * macs as f64) / 1e12),
                ("energy_pj", l.energy_pj),
                ("energy_breakdown_pj.mac", e.mac),
                ("energy_breakdown_pj.vector", e.vector),
                ("energy_breakdown_pj.sram", e.sram),
                ("energy_breakdown_pj.dram", e.dram),
                ("energy_breakdown_pj.static", e.static_),
                (
                    "inferences_per_joule",
                    if l.energy_pj > 0.0 {
                        1e12 / l.energy_pj
                    } else {
                        0.0
                    },
                ),
                ("dram_bytes", dram),
                (
                    "sram_bytes",
                    self.costs.iter().map(|c| c.traffic.sram_bytes()).sum(),
                ),
                ("average_power_w", l.average_power_w),
                ("memory.dram_read_bytes", dram_read),
                ("memory.dram_write_bytes", dram_write),
                ("memory.achieved_dram_gbps", per_s(dram) / 1e9),
                ("memory.onchip_peak_bytes", t.onchip_peak_bytes),
            ],
            counts: vec![
                ("cycles", t.cycles),
                ("macs", macs),
                ("vector_ops", self.costs.iter().map(|c| c.vector_ops).sum()),
                (
                    "compute_cycles",
                    t.ops.iter().map(|o| o.compute_cycles).sum(),
                ),
                ("stall_cycles", t.ops.iter().map(|o| o.stall_cycles).sum()),
            ],
            layers: workload
                .ops
                .iter()
                .zip(&self.costs)
                .zip(&t.ops)
                .map(|((op, c), o)| {
                    let cycles = o.end_cycle - o.start_cycle;
                    (
                        op.name.as_str(),
                        [c.macs, c.vector_ops, cycles, o.end_cycle],
                    )
                })
                .collect(),
        }
        .check()
    }
}
