//! Scheduling op costs in time. `analytic` is the per-op roofline (each op alone, loads
//! overlapped with compute when double buffered); the discrete-event engine builds on the
//! same [`OpCost`]s.

pub mod analytic;

use serde::Serialize;

use crate::arch::Arch;
use crate::model::OpCost;
use crate::workload::Workload;

/// Why an op stalled beyond its compute cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StallReason {
    /// No stall.
    None,
    /// Waiting for DRAM bandwidth.
    DramBound,
    /// Waiting for on-chip buffer bandwidth.
    SramBound,
    /// Waiting for a producer op or a free unit.
    Dependency,
    /// Waiting for the host to dispatch the op (GPU-style arrays).
    HostBound,
}

/// When one op ran and why it took what it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpTiming {
    /// First cycle.
    pub start_cycle: u64,
    /// Cycle after the last.
    pub end_cycle: u64,
    /// Ideal-memory compute cycles.
    pub compute_cycles: u64,
    /// Cycles beyond compute (end − start − compute).
    pub stall_cycles: u64,
    /// Dominant stall reason.
    pub stall_reason: StallReason,
    /// Static energy charged to this op's duration, pJ.
    pub static_pj: f64,
}

/// The outcome of scheduling a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Per op, in workload file order.
    pub ops: Vec<OpTiming>,
    /// Makespan in cycles.
    pub cycles: u64,
    /// Engine that produced it.
    pub engine: &'static str,
}

/// Which scheduler to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Per-op roofline, ops one after another.
    #[default]
    Analytic,
}

/// Schedules the op costs of a workload.
pub fn simulate(workload: &Workload, arch: &Arch, costs: &[OpCost], engine: Engine) -> Timeline {
    match engine {
        Engine::Analytic => analytic::run(workload, arch, costs),
    }
}
