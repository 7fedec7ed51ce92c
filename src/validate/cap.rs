//! What the power cap does to each precision: one GEMM per precision run with and without
//! the arch's power cap; latency, clock, speed-up over the first precision and energy per
//! MAC in both cases.

use serde::Serialize;

use crate::arch::Arch;
use crate::error::{InputError, InputResult};
use crate::sim::Engine;

use super::calibration::precision_formats;
use super::gemm::gemm_workload;
use super::h100::MEASURED_LAUNCH;

/// One precision with and without the cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapRow {
    /// Calibration precision name.
    pub precision: String,
    /// Latency without a power cap, s.
    pub uncapped_s: f64,
    /// Latency under the cap, s.
    pub capped_s: f64,
    /// Clock under the cap, GHz.
    pub capped_clock_ghz: f64,
    /// Speed-up over the first precision without the cap.
    pub speedup_uncapped: f64,
    /// Speed-up over the first precision under the cap.
    pub speedup_capped: f64,
    /// Energy per MAC without the cap, pJ.
    pub uncapped_pj_per_mac: f64,
    /// Energy per MAC under the cap, pJ.
    pub capped_pj_per_mac: f64,
    /// Average power without the cap, W.
    pub uncapped_power_w: f64,
}

/// Runs an `n`³ GEMM in each precision (calibration names) with and without the cap.
pub fn cap_effect(arch: &Arch, n: u64, precisions: &[&str]) -> InputResult<Vec<CapRow>> {
    let mut free = arch.clone();
    if let Some(p) = free.power.as_mut() {
        p.cap_w = None;
    }
    let mut rows: Vec<CapRow> = Vec::new();
    for &p in precisions {
        let (op, out) = precision_formats(p).map_err(|e| InputError::at("precision", e))?;
        let w = gemm_workload(n, n, n, op, out)?;
        let c = crate::run_with(&w, arch, Engine::Analytic, &MEASURED_LAUNCH)?;
        let u = crate::run_with(&w, &free, Engine::Analytic, &MEASURED_LAUNCH)?;
        let macs = (n * n * n) as f64;
        let (base_u, base_c) = rows
            .first()
            .map(|r| (r.uncapped_s, r.capped_s))
            .unwrap_or((u.summary.latency_s, c.summary.latency_s));
        rows.push(CapRow {
            precision: p.to_string(),
            uncapped_s: u.summary.latency_s,
            capped_s: c.summary.latency_s,
            capped_clock_ghz: c.power.clock_ghz,
            speedup_uncapped: base_u / u.summary.latency_s,
            speedup_capped: base_c / c.summary.latency_s,
            uncapped_pj_per_mac: u.summary.energy_pj / macs,
            capped_pj_per_mac: c.summary.energy_pj / macs,
            uncapped_power_w: u.power.average_power_w,
        });
    }
    Ok(rows)
}
