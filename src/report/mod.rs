//! The [`Report`] of one run and its renderers (table, JSON, CSV). Knows how to present
//! numbers, not how they were computed.

pub(crate) mod checks;
mod csv;
mod levels;
mod log;
pub mod mapping;
mod sparsity;
mod table;
pub mod trace;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::arch::area::{self, AreaEstimate};
use crate::arch::StaticPower;
use crate::evaluation::Evaluation;
use crate::model::{self, Unit};
use crate::power::CapState;
use crate::sim::StallReason;
use crate::workload::Workload;

pub use crate::power::EnergyBreakdown;

pub use csv::layers_csv;
pub use levels::render_levels;
pub use log::log_run;
pub use mapping::render_mappings;
pub use sparsity::SparsitySummary;
pub use table::{render_table, render_table_details};
pub use trace::chrome_trace;

/// Whole-run figures. Units: cycles, seconds, pJ, bytes, TOPS = 10^12 ops/s (1 MAC = 2 ops).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Architecture name.
    pub arch: String,
    /// Workload name.
    pub workload: String,
    /// Scheduler used.
    pub engine: String,
    /// Clock, GHz.
    pub clock_ghz: f64,
    /// Makespan in cycles.
    pub cycles: u64,
    /// Makespan in seconds.
    pub latency_s: f64,
    /// MACs of all compute ops.
    pub macs: u64,
    /// Vector element-operations.
    pub vector_ops: u64,
    /// 2 × MACs / latency, in TOPS.
    pub achieved_tops: f64,
    /// Peak TOPS for this workload's mix of MAC formats (MAC-weighted harmonic mean of each
    /// format's peak), so achieved ≤ peak.
    pub peak_tops: f64,
    /// achieved_tops / peak_tops.
    pub utilization: f64,
    /// Total energy per inference, pJ.
    pub energy_pj: f64,
    /// Energy by component, pJ.
    pub energy_breakdown_pj: EnergyBreakdown,
    /// Samples per run (the workload's batch).
    pub batch: u64,
    /// Energy per sample, pJ (`energy_pj / batch`).
    pub energy_per_sample_pj: f64,
    /// Latency per sample, s (`latency_s / batch`).
    pub latency_per_sample_s: f64,
    /// Samples (inferences) per joule: 10^12 × batch / energy_pj.
    pub inferences_per_joule: f64,
    /// DRAM bytes read + written.
    pub dram_bytes: f64,
    /// On-chip buffer bytes read + written.
    pub sram_bytes: f64,
    /// Average power over the run, W.
    pub average_power_w: f64,
    /// Compute cycles summed over ops.
    pub compute_cycles: u64,
    /// Stall cycles summed over ops.
    pub stall_cycles: u64,
    /// Bytes moved at each memory level, bandwidth and on-chip occupancy.
    pub memory: MemoryLevels,
    /// Events the engine processed (0 for the analytic engine).
    pub events: u64,
    /// What sparse data bought over the whole run (workloads with sparse tensors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<SparsitySummary>,
    /// Modelled MAC-array + on-chip SRAM area, mm² (not a die area; see `Report::area`).
    pub area_mm2: f64,
}

/// Whole-run traffic per memory level. Per-layer sums of the byte figures equal these.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct MemoryLevels {
    /// DRAM bytes read.
    pub dram_read_bytes: f64,
    /// DRAM bytes written.
    pub dram_write_bytes: f64,
    /// DRAM traffic avoided by layer-to-layer pipelining (activations kept on chip).
    pub kept_on_chip_bytes: f64,
    /// Bytes through the global buffer: all DRAM traffic plus activations kept there
    /// (0 without a global buffer).
    pub global_buffer_bytes: f64,
    /// Bytes read and written at the per-core buffers (array side and fills).
    pub core_buffer_bytes: f64,
    /// DRAM bytes / latency, GB/s.
    pub achieved_dram_gbps: f64,
    /// achieved_dram_gbps / the arch's DRAM bandwidth.
    pub dram_bandwidth_utilization: f64,
    /// Peak on-chip bytes in use (tile working sets + resident activations).
    pub onchip_peak_bytes: f64,
}

/// One op's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerReport {
    /// Op name.
    pub name: String,
    /// Op kind.
    pub op: String,
    /// Formats label.
    pub precision: String,
    /// MAC format actually used by the array (compute ops).
    pub mac_format: Option<String>,
    /// Executing unit.
    pub unit: Unit,
    /// The compute op whose epilogue or prologue runs this op (fused ops only; they move
    /// no bytes and take no cycles of their own, see `docs/fusion.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fused_into: Option<String>,
    /// How it is fused: `epilogue` (output path), `prologue` (operand load) or `folded`
    /// (computed once on constants at deployment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fused_stage: Option<model::fusion::Stage>,
    /// MACs.
    pub macs: u64,
    /// Vector element-operations.
    pub vector_ops: u64,
    /// GEMM view `[count, M, N, K]` (compute ops).
    pub gemm: Option<[u64; 4]>,
    /// Cycles from start to end.
    pub cycles: u64,
    /// Ideal-memory compute cycles (SCALE-Sim's figure for compute ops).
    pub compute_cycles: u64,
    /// Cycles beyond compute.
    pub stall_cycles: u64,
    /// Dominant stall reason.
    pub stall_reason: StallReason,
    /// Start cycle.
    pub start_cycle: u64,
    /// End cycle.
    pub end_cycle: u64,
    /// Cycle at which all inputs were available.
    pub ready_cycle: u64,
    /// Cycles between ready and start (waiting for free units).
    pub wait_cycles: u64,
    /// Stall cycles waiting for DRAM transfers.
    pub stall_dram_cycles: u64,
    /// Stall cycles limited by buffer bandwidth.
    pub stall_sram_cycles: u64,
    /// Cores the op ran on.
    pub cores: Vec<u32>,
    /// Steps (tiles) per core.
    pub tiles: u64,
    /// Fraction of the unit's peak achieved over the op's cycles.
    pub utilization: f64,
    /// Fraction of array PE slots the mapping fills (compute ops).
    pub mapping_efficiency: Option<f64>,
    /// Cores used.
    pub cores_used: u32,
    /// Achieved DRAM reuse schedule (compute ops).
    pub reuse: Option<model::tiling::Reuse>,
    /// The searched mapping: loop nest per level, bytes per tensor per level, DRAM lower
    /// bound and ratio (compute ops on non-GPU arrays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_mapping: Option<mapping::LayerMapping>,
    /// DRAM bytes (read + written).
    pub dram_bytes: f64,
    /// DRAM bytes read.
    pub dram_read_bytes: f64,
    /// DRAM bytes written.
    pub dram_write_bytes: f64,
    /// DRAM traffic avoided because activations stayed on chip.
    pub kept_on_chip_bytes: f64,
    /// Whether the output stayed on chip for its consumers.
    pub output_on_chip: bool,
    /// DRAM bytes / the op's cycles, GB/s.
    pub achieved_dram_gbps: f64,
    /// Buffer bytes.
    pub sram_bytes: f64,
    /// Peak bytes of one core's buffers used by the op's tiles.
    pub buffer_peak_bytes: f64,
    /// Total energy, pJ.
    pub energy_pj: f64,
    /// Energy by component, pJ.
    pub energy_breakdown_pj: EnergyBreakdown,
    /// Warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Register-file and array-network accesses and their energy (arches with a
    /// `pe_level`; the energy is in `energy_breakdown_pj.register_file` / `.noc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe_accesses: Option<model::pe_level::PeAccesses>,
    /// Access counts and energy per memory level and tensor, copied from the ledger
    /// ([`crate::power::levels`]: DRAM with the charged bytes, core buffers, register file
    /// and array network); the levels' energies add up to the `dram`, `sram`,
    /// `register_file` and `noc` buckets. Absent for GPU kernels, views and fused ops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_counts: Option<crate::power::levels::LayerLevels>,
    /// Density seen, speedup and energy saved (ops with a sparse tensor only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<model::sparsity::SparsityEffect>,
}

/// Clock, voltage, power and power-cap state of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerReport {
    /// Clock the workload ran at (after power capping), GHz.
    pub clock_ghz: f64,
    /// The arch's nominal clock, GHz.
    pub nominal_clock_ghz: f64,
    /// Supply voltage at the clock (None without technology / V-f data).
    pub voltage_v: Option<f64>,
    /// Power cap, W.
    pub cap_w: Option<f64>,
    /// Whether the cap lowered the clock.
    pub cap_state: CapState,
    /// Average power at the nominal clock, W.
    pub power_at_nominal_clock_w: f64,
    /// Average power of the run, W.
    pub average_power_w: f64,
    /// Dynamic (activity) part of the average power, W.
    pub dynamic_power_w: f64,
    /// Static power by component (leakage per memory level and array), W.
    pub static_power_w: StaticPower,
}

/// The full report of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Whole-run figures.
    pub summary: Summary,
    /// Clock, power and power cap.
    pub power: PowerReport,
    /// The area model's figures and sources (docs/sweep.md, "Area model").
    pub area: AreaEstimate,
    /// Per op, in workload file order.
    pub layers: Vec<LayerReport>,
    /// Source of every energy figure used: what → tag.
    pub energy_sources: BTreeMap<String, String>,
    /// Per-unit energy figures used (pJ): what → value.
    pub energy_figures_pj: BTreeMap<String, f64>,
    /// Warnings gathered from all ops.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One layer's row: its timing and traffic from the timeline, energy from the ledger, and
/// its utilization (MACs or vector ops against the arch's peak); adds the op's time at peak
/// to `time_at_peak_s`.
fn layer_report(
    arch: &crate::arch::Arch,
    workload: &crate::workload::Workload,
    op: &crate::workload::Op,
    c: &model::OpCost,
    t: &crate::sim::OpTiming,
    e: EnergyBreakdown,
    time_at_peak_s: &mut f64,
) -> LayerReport {
    let clock = arch.clock_hz();
    let dram_bytes = t.dram_read_bytes + t.dram_write_bytes;
    let cycles = t.end_cycle - t.start_cycle;
    let utilization = match (&c.mac, c.unit) {
        (Some(mac), _) => {
            let peak_per_cycle =
                arch.pes_per_core() as f64 * mac.macs_per_pe_per_cycle * arch.cores as f64;
            // Sparse ops count dense-equivalent MACs against a dense-equivalent peak.
            let peak_per_cycle =
                peak_per_cycle * c.sparsity.as_ref().map_or(1.0, |s| s.peak_multiplier);
            let peak_per_s = peak_per_cycle * clock;
            *time_at_peak_s += c.macs as f64 / peak_per_s;
            ratio(c.macs as f64, cycles as f64 * peak_per_cycle)
        }
        (None, Unit::Vector) => ratio(
            c.vector_ops as f64,
            cycles as f64
                * arch.vector_unit.lanes as f64
                * arch.vector_unit.ops_per_lane_per_cycle
                * arch.cores as f64,
        ),
        _ => 0.0,
    };
    LayerReport {
        name: op.name.clone(),
        op: op.kind.name().to_string(),
        precision: op.precision.label(),
        mac_format: c.mac.as_ref().map(|m| m.format.name()),
        unit: c.unit,
        fused_into: c.fused.map(|f| workload.ops[f.host].name.clone()),
        fused_stage: c.fused.map(|f| f.stage),
        macs: c.macs,
        vector_ops: c.vector_ops,
        gemm: op.gemm.map(|g| [g.count, g.m, g.n, g.k]),
        cycles,
        compute_cycles: t.compute_cycles,
        stall_cycles: t.stall_cycles,
        stall_reason: t.stall_reason,
        start_cycle: t.start_cycle,
        end_cycle: t.end_cycle,
        ready_cycle: t.ready_cycle,
        wait_cycles: t.wait_cycles,
        stall_dram_cycles: t.stall_dram_cycles,
        stall_sram_cycles: t.stall_sram_cycles,
        cores: t.cores.clone(),
        tiles: t.tiles,
        utilization,
        mapping_efficiency: c.mapping.map(|m| m.mapping_efficiency()),
        cores_used: c.cores_used,
        reuse: c.tiling.map(|t| t.reuse),
        temporal_mapping: op.gemm.and_then(|g| mapping::LayerMapping::of(c, g.count)),
        dram_bytes,
        dram_read_bytes: t.dram_read_bytes,
        dram_write_bytes: t.dram_write_bytes,
        kept_on_chip_bytes: t.kept_on_chip_bytes,
        output_on_chip: t.output_on_chip,
        achieved_dram_gbps: ratio(dram_bytes, cycles as f64) * arch.clock_ghz,
        sram_bytes: c.traffic.sram_bytes(),
        buffer_peak_bytes: t.buffer_peak_bytes,
        energy_pj: e.total(),
        energy_breakdown_pj: e,
        warnings: c.warnings.clone(),
        sparsity: c.sparsity.clone(),
        pe_accesses: c.pe_accesses,
        access_counts: None,
    }
}

impl Report {
    /// Assembles the report of an evaluation: copies and formats its figures (energy and
    /// power from its [`crate::power::EnergyLedger`], clock and cap from its operating
    /// point).
    pub fn build(workload: &Workload, eval: &Evaluation) -> Report {
        let (arch, costs, timeline, ledger) =
            (&eval.arch, &eval.costs, &eval.timeline, &eval.energy);
        let mut layers = Vec::with_capacity(costs.len());
        let mut warnings = Vec::new();
        let mut time_at_peak_s = 0.0;
        let mut mem = MemoryLevels::default();
        for (i, (op, c)) in workload.ops.iter().zip(costs).enumerate() {
            let t = &timeline.ops[i];
            let e = ledger.ops[i];
            mem.dram_read_bytes += t.dram_read_bytes;
            mem.dram_write_bytes += t.dram_write_bytes;
            mem.kept_on_chip_bytes += t.kept_on_chip_bytes;
            mem.core_buffer_bytes += c.traffic.sram_bytes();
            warnings.extend(c.warnings.iter().cloned());
            layers.push(layer_report(
                arch,
                workload,
                op,
                c,
                t,
                e,
                &mut time_at_peak_s,
            ));
            if let Some(l) = layers.last_mut() {
                l.access_counts = ledger.levels[i].clone();
            }
        }
        let cycles = timeline.cycles;
        let latency_s = ledger.latency_s;
        let macs: u64 = costs.iter().map(|c| c.macs).sum();
        let ops = 2.0 * macs as f64;
        let achieved_tops = if latency_s > 0.0 {
            ops / latency_s / 1e12
        } else {
            0.0
        };
        let peak_tops = if time_at_peak_s > 0.0 {
            ops / time_at_peak_s / 1e12
        } else {
            0.0
        };
        let energy_pj = ledger.energy_pj;
        let dram_bytes = mem.dram_read_bytes + mem.dram_write_bytes;
        let sram_bytes = mem.core_buffer_bytes;
        if arch.memory.global_buffer.is_some() {
            mem.global_buffer_bytes = dram_bytes + mem.kept_on_chip_bytes;
        }
        mem.achieved_dram_gbps = ratio(dram_bytes, latency_s) / 1e9;
        mem.dram_bandwidth_utilization =
            ratio(mem.achieved_dram_gbps, arch.memory.dram.bandwidth_gbps);
        mem.onchip_peak_bytes = timeline.onchip_peak_bytes;
        let area = area::estimate(arch);
        let summary = Summary {
            arch: arch.name.clone(),
            workload: workload.name.clone(),
            engine: timeline.engine.to_string(),
            clock_ghz: arch.clock_ghz,
            cycles,
            latency_s,
            macs,
            vector_ops: costs.iter().map(|c| c.vector_ops).sum(),
            achieved_tops,
            peak_tops,
            utilization: ratio(achieved_tops, peak_tops),
            energy_pj,
            energy_breakdown_pj: ledger.total,
            batch: ledger.batch,
            energy_per_sample_pj: ledger.energy_per_sample_pj,
            latency_per_sample_s: ledger.latency_per_sample_s,
            inferences_per_joule: if ledger.energy_per_sample_pj > 0.0 {
                1e12 / ledger.energy_per_sample_pj
            } else {
                0.0
            },
            dram_bytes,
            sram_bytes,
            average_power_w: ledger.average_power_w,
            compute_cycles: timeline.ops.iter().map(|t| t.compute_cycles).sum(),
            stall_cycles: timeline.ops.iter().map(|t| t.stall_cycles).sum(),
            memory: mem,
            events: timeline.events,
            sparsity: SparsitySummary::from_costs(costs),
            area_mm2: area.total_mm2,
        };
        let point = &eval.point;
        if point.cap_state == CapState::Capped || point.cap_state == CapState::CapUnreachable {
            warnings.push(format!(
                "power cap: {:.1} W at the nominal {} GHz exceeds the {:.1} W cap; running at {} GHz ({:.1} W)",
                point.power_at_nominal_w,
                point.nominal_clock_ghz,
                point.cap_w.unwrap_or(0.0),
                point.clock_ghz,
                point.power_w
            ));
        }
        Report {
            power: PowerReport {
                clock_ghz: arch.clock_ghz,
                nominal_clock_ghz: point.nominal_clock_ghz,
                voltage_v: arch.operating_voltage_v(),
                cap_w: point.cap_w,
                cap_state: point.cap_state,
                power_at_nominal_clock_w: point.power_at_nominal_w,
                average_power_w: ledger.average_power_w,
                dynamic_power_w: ledger.dynamic_power_w,
                static_power_w: ledger.static_power,
            },
            summary,
            area,
            layers,
            energy_sources: ledger.sources.clone(),
            energy_figures_pj: ledger.figures_pj.clone(),
            warnings,
        }
    }

    /// Pretty JSON (deterministic: fixed field order, shortest round-trip floats).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}
