//! A workload run at several precisions on one arch: latency, energy and power of each,
//! and latency relative to the first (e.g. int8 and int4 against fp16).

use serde::Serialize;

use crate::arch::Arch;
use crate::error::InputResult;
use crate::numerics::Format;
use crate::power::CapState;
use crate::sim::Engine;
use crate::workload::{Workload, WorkloadSpec};

use super::gemm::with_precision;

/// One precision of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// Format every op computes in.
    pub format: String,
    /// Latency, s.
    pub latency_s: f64,
    /// Latency over the first row's.
    pub latency_vs_first: f64,
    /// Energy per inference, J.
    pub energy_j: f64,
    /// Average power, W.
    pub power_w: f64,
    /// Clock after power capping, GHz.
    pub clock_ghz: f64,
    /// Power-cap state.
    pub cap_state: CapState,
}

/// Runs `spec` re-typed to each of `formats` on `arch`.
pub fn precision_sweep(
    arch: &Arch,
    spec: &WorkloadSpec,
    formats: &[Format],
) -> InputResult<Vec<SweepRow>> {
    let mut rows: Vec<SweepRow> = Vec::with_capacity(formats.len());
    for &f in formats {
        let w = Workload::from_spec(with_precision(spec, f))?;
        let r = crate::run(&w, arch, Engine::Analytic)?;
        let first = rows
            .first()
            .map(|x| x.latency_s)
            .unwrap_or(r.summary.latency_s);
        rows.push(SweepRow {
            format: f.name(),
            latency_s: r.summary.latency_s,
            latency_vs_first: r.summary.latency_s / first,
            energy_j: r.summary.energy_pj * 1e-12,
            power_w: r.power.average_power_w,
            clock_ghz: r.power.clock_ghz,
            cap_state: r.power.cap_state,
        });
    }
    Ok(rows)
}
