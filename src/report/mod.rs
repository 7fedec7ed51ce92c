//! The [`Report`] of one run and its renderers (table, JSON, CSV). Knows how to present
//! numbers, not how they were computed.

mod csv;
mod sparsity;
mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::arch::Arch;
use crate::model::{self, OpCost, Unit};
use crate::sim::{StallReason, Timeline};
use crate::workload::Workload;

pub use csv::layers_csv;
pub use sparsity::SparsitySummary;
pub use table::render_table;

/// Energy split by where it is spent, pJ.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct EnergyBreakdown {
    /// MAC array.
    pub mac: f64,
    /// Vector unit.
    pub vector: f64,
    /// On-chip buffers.
    pub sram: f64,
    /// DRAM.
    pub dram: f64,
    /// Static power × time.
    #[serde(rename = "static")]
    pub static_: f64,
}

impl EnergyBreakdown {
    /// Sum of all parts.
    pub fn total(&self) -> f64 {
        self.mac + self.vector + self.sram + self.dram + self.static_
    }
    fn add(&mut self, o: &EnergyBreakdown) {
        self.mac += o.mac;
        self.vector += o.vector;
        self.sram += o.sram;
        self.dram += o.dram;
        self.static_ += o.static_;
    }
}

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
    /// 10^12 / energy_pj.
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
    /// What sparse data bought over the whole run (workloads with sparse tensors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<SparsitySummary>,
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
    /// Fraction of the unit's peak achieved over the op's cycles.
    pub utilization: f64,
    /// Fraction of array PE slots the mapping fills (compute ops).
    pub mapping_efficiency: Option<f64>,
    /// Cores used.
    pub cores_used: u32,
    /// Achieved DRAM reuse schedule (compute ops).
    pub reuse: Option<model::tiling::Reuse>,
    /// DRAM bytes.
    pub dram_bytes: f64,
    /// Buffer bytes.
    pub sram_bytes: f64,
    /// Total energy, pJ.
    pub energy_pj: f64,
    /// Energy by component, pJ.
    pub energy_breakdown_pj: EnergyBreakdown,
    /// Warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Density seen, speedup and energy saved (ops with a sparse tensor only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<model::sparsity::SparsityEffect>,
}

/// The full report of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Whole-run figures.
    pub summary: Summary,
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

impl Report {
    /// Assembles a report from the costs and the timeline.
    pub fn build(
        workload: &Workload,
        arch: &Arch,
        costs: &[OpCost],
        timeline: &Timeline,
    ) -> Report {
        let table = arch.energy_table();
        let mut layers = Vec::with_capacity(costs.len());
        let mut total = EnergyBreakdown::default();
        let mut warnings = Vec::new();
        let mut sources = BTreeMap::new();
        let mut figures = BTreeMap::new();
        let mut time_at_peak_s = 0.0;
        let clock = arch.clock_hz();
        for (i, (op, c)) in workload.ops.iter().zip(costs).enumerate() {
            let t = &timeline.ops[i];
            let e = EnergyBreakdown {
                mac: c.energy.mac_pj,
                vector: c.energy.vector_pj,
                sram: c.energy.sram_pj,
                dram: c.energy.dram_pj,
                static_: t.static_pj,
            };
            total.add(&e);
            let cycles = t.end_cycle - t.start_cycle;
            let utilization = match (&c.mac, c.unit) {
                (Some(mac), _) => {
                    let peak_per_cycle =
                        arch.pes_per_core() as f64 * mac.macs_per_pe_per_cycle * arch.cores as f64;
                    // Sparse ops count dense-equivalent MACs against a dense-equivalent peak.
                    let peak_per_cycle =
                        peak_per_cycle * c.sparsity.as_ref().map_or(1.0, |s| s.peak_multiplier);
                    let peak_per_s = peak_per_cycle * clock;
                    time_at_peak_s += c.macs as f64 / peak_per_s;
                    let key = format!("mac.{}x{}", mac.format, mac.accumulator);
                    let me = table.mac(mac.format, mac.accumulator);
                    figures.insert(key.clone(), me.pj);
                    sources.insert(key, me.source);
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
            warnings.extend(c.warnings.iter().cloned());
            layers.push(LayerReport {
                name: op.name.clone(),
                op: op.kind.name().to_string(),
                precision: op.precision.label(),
                mac_format: c.mac.as_ref().map(|m| m.format.name()),
                unit: c.unit,
                macs: c.macs,
                vector_ops: c.vector_ops,
                gemm: op.gemm.map(|g| [g.count, g.m, g.n, g.k]),
                cycles,
                compute_cycles: t.compute_cycles,
                stall_cycles: t.stall_cycles,
                stall_reason: t.stall_reason,
                start_cycle: t.start_cycle,
                end_cycle: t.end_cycle,
                utilization,
                mapping_efficiency: c.mapping.map(|m| m.mapping_efficiency()),
                cores_used: c.cores_used,
                reuse: c.tiling.map(|t| t.reuse),
                dram_bytes: c.traffic.dram_bytes(),
                sram_bytes: c.traffic.sram_bytes(),
                energy_pj: e.total(),
                energy_breakdown_pj: e,
                warnings: c.warnings.clone(),
                sparsity: c.sparsity.clone(),
            });
        }
        // Memory and static figures.
        let sram_e = model::sram_energy_per_64b(arch, &table);
        for (name, v) in ["ifmap", "filter", "ofmap"].iter().zip(sram_e) {
            let key = format!("sram.{name}.per_64b");
            figures.insert(key.clone(), v);
            sources.insert(key, sram_source(arch, &table, name));
        }
        figures.insert(
            "dram.per_byte".into(),
            model::dram_pj_per_byte(arch, &table),
        );
        sources.insert(
            "dram.per_byte".into(),
            if arch.memory.dram.energy_pj_per_bit.is_some() {
                energy_src_override()
            } else {
                table.dram_read64().source
            },
        );
        sources.insert("static".into(), "arch_file:static_power_w".into());
        let vec_f = table.add(crate::numerics::Format::FP32);
        figures.insert("vector.op.fp32".into(), vec_f.pj);
        sources.insert("vector.op.fp32".into(), vec_f.source);
        let vec_i = table.add(crate::numerics::Format::INT32);
        figures.insert("vector.op.int32".into(), vec_i.pj);
        sources.insert("vector.op.int32".into(), vec_i.source);

        let cycles = timeline.cycles;
        let latency_s = cycles as f64 / clock;
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
        let energy_pj = total.total();
        let dram_bytes: f64 = costs.iter().map(|c| c.traffic.dram_bytes()).sum();
        let sram_bytes: f64 = costs.iter().map(|c| c.traffic.sram_bytes()).sum();
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
            energy_breakdown_pj: total,
            inferences_per_joule: if energy_pj > 0.0 {
                1e12 / energy_pj
            } else {
                0.0
            },
            dram_bytes,
            sram_bytes,
            average_power_w: if latency_s > 0.0 {
                energy_pj * 1e-12 / latency_s
            } else {
                0.0
            },
            compute_cycles: timeline.ops.iter().map(|t| t.compute_cycles).sum(),
            stall_cycles: timeline.ops.iter().map(|t| t.stall_cycles).sum(),
            sparsity: SparsitySummary::from_costs(costs),
        };
        Report {
            summary,
            layers,
            energy_sources: sources,
            energy_figures_pj: figures,
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

fn energy_src_override() -> String {
    crate::arch::energy::SRC_ARCH_OVERRIDE.to_string()
}

fn sram_source(arch: &Arch, table: &crate::arch::EnergyTable, which: &str) -> String {
    use crate::arch::CoreBuffers;
    let b = match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => buffer,
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => match which {
            "ifmap" => ifmap,
            "filter" => filter,
            _ => ofmap,
        },
    };
    if b.energy_pj_per_64b.is_some() {
        energy_src_override()
    } else {
        table.sram_read64(b.capacity_kib * 1024.0).source
    }
}
