//! Scheduling op costs in time. Two engines build on the same [`OpCost`]s:
//!
//! - [`Engine::Event`] (default): the discrete-event engine in [`event`] — DMA engines,
//!   a shared DRAM channel, compute arrays and vector units at tile granularity, a
//!   critical-path list scheduler over the workload DAG, layer-to-layer pipelining;
//! - [`Engine::Analytic`]: the per-op roofline in [`analytic`] (each op alone, loads
//!   overlapped with compute when double buffered).

pub mod analytic;
mod channel;
pub mod event;
mod pipeline;
mod queue;
mod residency;
mod sched;
pub mod static_energy;
mod steps;
pub mod tiles;
pub mod trace;

use serde::Serialize;

use crate::arch::Arch;
use crate::model::OpCost;
use crate::workload::Workload;

pub use trace::TraceLog;

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
    /// Ready (inputs available) but waiting for a busy core; the op's own run did not
    /// stall (event engine).
    CoreBusy,
}

impl StallReason {
    /// The dominant reason among DRAM stall, SRAM stall and wait cycles (ties: DRAM, then
    /// SRAM, then dependency); `None` when all are zero.
    pub fn dominant(dram: u64, sram: u64, wait: u64) -> StallReason {
        let m = dram.max(sram).max(wait);
        if m == 0 {
            StallReason::None
        } else if dram == m {
            StallReason::DramBound
        } else if sram == m {
            StallReason::SramBound
        } else {
            StallReason::Dependency
        }
    }
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
    /// Cycles beyond compute (end − start − compute) = DRAM + SRAM stall cycles.
    pub stall_cycles: u64,
    /// Dominant reason among the stalls and the wait before the start.
    pub stall_reason: StallReason,
    /// Static energy charged to this op, pJ (see [`static_energy`]).
    pub static_pj: f64,
    /// Cycle at which all the op's inputs were available.
    pub ready_cycle: u64,
    /// Cycles between ready and start, waiting for free units (dependency wait).
    pub wait_cycles: u64,
    /// Stall cycles waiting for DMA transfers (DRAM bandwidth, latency, contention).
    pub stall_dram_cycles: u64,
    /// Stall cycles where the buffers' bytes per cycle, not the array, set the pace.
    pub stall_sram_cycles: u64,
    /// Cores the op ran on.
    pub cores: Vec<u32>,
    /// Steps (tiles) per core.
    pub tiles: u64,
    /// DRAM bytes read.
    pub dram_read_bytes: f64,
    /// DRAM bytes written.
    pub dram_write_bytes: f64,
    /// DRAM traffic of the model's plan avoided because activations stayed on chip.
    pub kept_on_chip_bytes: f64,
    /// Whether the op's output stayed on chip (layer-to-layer pipelining).
    pub output_on_chip: bool,
    /// Peak bytes of one core's buffers used by the op's tiles (double buffering included).
    pub buffer_peak_bytes: f64,
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
    /// Events the engine processed (0 for the analytic engine).
    pub events: u64,
    /// Peak on-chip bytes in use (tile working sets of running ops + resident activations).
    pub onchip_peak_bytes: f64,
    /// Detailed record for trace output, when asked for.
    #[serde(skip)]
    pub trace: Option<TraceLog>,
}

/// Which scheduler to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Discrete-event simulation over the whole DAG with the memory hierarchy.
    #[default]
    Event,
    /// Per-op roofline, ops one after another.
    Analytic,
}

impl Engine {
    /// Lower-case name (`event`, `analytic`).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Event => "event",
            Engine::Analytic => "analytic",
        }
    }
}

/// Options of a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimOptions {
    /// Record spans and counters for a trace ([`Timeline::trace`]); event engine only.
    pub record_trace: bool,
    /// Step-count bounds per op and core (event engine).
    pub steps: tiles::StepLimits,
}

/// Schedules the op costs of a workload.
pub fn simulate(workload: &Workload, arch: &Arch, costs: &[OpCost], engine: Engine) -> Timeline {
    simulate_with(workload, arch, costs, engine, &SimOptions::default())
}

/// Schedules the op costs of a workload with options.
pub fn simulate_with(
    workload: &Workload,
    arch: &Arch,
    costs: &[OpCost],
    engine: Engine,
    options: &SimOptions,
) -> Timeline {
    match engine {
        Engine::Analytic => analytic::run(workload, arch, costs, options),
        Engine::Event => event::run(workload, arch, costs, options),
    }
}

/// Rounds a fractional cycle time up to a whole cycle, treating times within a tiny
/// tolerance above an integer as that integer (so transfers of ~0 cycles take 0).
pub(crate) fn ceil_cycles(t: f64) -> u64 {
    let tol = 1e-6f64.max(t.abs() * 1e-12);
    let r = t.round();
    if (t - r).abs() <= tol {
        r.max(0.0) as u64
    } else {
        t.ceil().max(0.0) as u64
    }
}
