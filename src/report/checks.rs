//! The last line of defence against out-of-range inputs: a report whose figures are not
//! finite, or whose counts saturated at 2^64 − 1, is refused instead of printed.
//!
//! Arch and workload validation keep every input in a physical range with checked shape
//! arithmetic, so this check should never fire; when it does, the run fails with a located
//! error (exit 2) rather than reporting `inf`, `NaN`, `null` or a saturated count as a figure.

use super::Report;
use crate::error::{InputError, InputResult};

/// A count at this value saturated: it is not a figure.
const SATURATED: u64 = u64::MAX;

/// The figures of a run to check: summary floats and counts (named as in the report's
/// `summary`), and each layer's counts.
pub(crate) struct Figures<'a> {
    /// `summary.<name>` floats, in report order.
    pub floats: Vec<(&'static str, f64)>,
    /// `summary.<name>` counts, in report order.
    pub counts: Vec<(&'static str, u64)>,
    /// Each layer's name and its `macs`, `vector_ops`, `cycles`, `end_cycle`.
    pub layers: Vec<(&'a str, [u64; 4])>,
}

impl Figures<'_> {
    /// Refuses a non-finite float or a saturated count, naming the first one.
    pub(crate) fn check(&self) -> InputResult<()> {
        for (name, v) in &self.floats {
            if !v.is_finite() {
                return Err(not_a_figure(&format!("summary.{name}"), &v.to_string()));
            }
        }
        for (name, v) in &self.counts {
            if *v == SATURATED {
                return Err(not_a_figure(
                    &format!("summary.{name}"),
                    "2^64 - 1 (saturated)",
                ));
            }
        }
        for (i, (layer, values)) in self.layers.iter().enumerate() {
            let names = ["macs", "vector_ops", "cycles", "end_cycle"];
            for (name, v) in names.into_iter().zip(values) {
                if *v == SATURATED {
                    return Err(not_a_figure(
                        &format!("layers[{i}].{name} ('{layer}')"),
                        "2^64 - 1 (saturated)",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Report {
    /// Refuses a report with a non-finite float figure or a saturated count, naming the
    /// figure (`summary.energy_pj`, `layers[3].cycles`, ...).
    pub fn check_figures(&self) -> InputResult<()> {
        let s = &self.summary;
        let e = &s.energy_breakdown_pj;
        let m = &s.memory;
        Figures {
            floats: vec![
                ("latency_s", s.latency_s),
                ("achieved_tops", s.achieved_tops),
                ("peak_tops", s.peak_tops),
                ("utilization", s.utilization),
                ("energy_pj", s.energy_pj),
                ("energy_breakdown_pj.mac", e.mac),
                ("energy_breakdown_pj.vector", e.vector),
                ("energy_breakdown_pj.sram", e.sram),
                ("energy_breakdown_pj.dram", e.dram),
                ("energy_breakdown_pj.static", e.static_),
                ("energy_breakdown_pj.clock", e.clock),
                ("energy_breakdown_pj.sm_overhead", e.sm_overhead),
                ("energy_breakdown_pj.l2", e.l2),
                ("energy_breakdown_pj.register_file", e.register_file),
                ("energy_breakdown_pj.noc", e.noc),
                ("energy_breakdown_pj.global_buffer", e.global_buffer),
                ("inferences_per_joule", s.inferences_per_joule),
                ("energy_per_sample_pj", s.energy_per_sample_pj),
                ("latency_per_sample_s", s.latency_per_sample_s),
                ("dram_bytes", s.dram_bytes),
                ("sram_bytes", s.sram_bytes),
                ("average_power_w", s.average_power_w),
                ("memory.dram_read_bytes", m.dram_read_bytes),
                ("memory.dram_write_bytes", m.dram_write_bytes),
                ("memory.achieved_dram_gbps", m.achieved_dram_gbps),
                ("memory.onchip_peak_bytes", m.onchip_peak_bytes),
                ("area_mm2", s.area_mm2),
            ],
            counts: vec![
                ("cycles", s.cycles),
                ("macs", s.macs),
                ("vector_ops", s.vector_ops),
                ("compute_cycles", s.compute_cycles),
                ("stall_cycles", s.stall_cycles),
            ],
            layers: self
                .layers
                .iter()
                .map(|l| {
                    (
                        l.name.as_str(),
                        [l.macs, l.vector_ops, l.cycles, l.end_cycle],
                    )
                })
                .collect(),
        }
        .check()
    }
}

fn not_a_figure(figure: &str, got: &str) -> InputError {
    InputError::at(
        "$",
        format!(
            "the run's {figure} is {got}, not a figure: an input is beyond what the model can \
             represent (check the arch's physical ranges, docs/robustness.md, and the workload's sizes)"
        ),
    )
}
