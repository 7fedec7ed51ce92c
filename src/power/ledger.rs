//! The energy ledger of one run: every energy figure, its source, the layer-pipelining
//! correction of DRAM energy and the average power, computed once from the op costs and
//! the schedule. The power solver caps [`EnergyLedger::average_power_w`] and the report
//! copies the same figures, so the power that is capped is the power that is reported.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::arch::{energy, leakage, Arch, CoreBuffers, EnergyTable, StaticPower};
use crate::model::{self, OpCost};
use crate::numerics::Format;
use crate::sim::Timeline;

/// Energy split by where it is spent, pJ.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct EnergyBreakdown {
    /// MAC array: the multiply-add datapath.
    pub mac: f64,
    /// Vector unit.
    pub vector: f64,
    /// On-chip buffers.
    pub sram: f64,
    /// DRAM.
    pub dram: f64,
    /// Static power × time (uncore, DRAM background, leakage).
    #[serde(rename = "static")]
    pub static_: f64,
    /// PE clock tree (`idle_power`): the ungated array clock power × time plus the gated
    /// share charged per active PE-cycle. Absent from JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock: f64,
    /// GPU-style arrays: SM overhead beyond the MAC datapath (issue, register file, operand
    /// staging, SM clock). Absent from JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sm_overhead: f64,
    /// GPU-style arrays: L2 accesses (`sram` is then shared memory only). Absent from JSON
    /// when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub l2: f64,
    /// PE register files (`pe_level`). Absent from JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub register_file: f64,
    /// Operand distribution over the array network (`pe_level`). Absent from JSON when
    /// zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noc: f64,
    /// The global buffer of non-GPU arches (a GPU's is `l2`). Absent from JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub global_buffer: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl EnergyBreakdown {
    /// Sum of all parts.
    pub fn total(&self) -> f64 {
        self.mac
            + self.vector
            + self.sram
            + self.dram
            + self.static_
            + self.clock
            + self.sm_overhead
            + self.l2
            + self.register_file
            + self.noc
            + self.global_buffer
    }

    fn add(&mut self, o: &EnergyBreakdown) {
        self.mac += o.mac;
        self.vector += o.vector;
        self.sram += o.sram;
        self.dram += o.dram;
        self.static_ += o.static_;
        self.clock += o.clock;
        self.sm_overhead += o.sm_overhead;
        self.l2 += o.l2;
        self.register_file += o.register_file;
        self.noc += o.noc;
        self.global_buffer += o.global_buffer;
    }
}

/// Every energy figure of a run at its operating point.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyLedger {
    /// Per op (workload order): the planned energy, with DRAM energy re-priced for the
    /// bytes the schedule actually moved when layer pipelining kept some on chip, and the
    /// static energy the schedule charged to the op.
    pub ops: Vec<EnergyBreakdown>,
    /// Per op (workload order): access counts and energy per memory level and tensor
    /// ([`super::levels`]), whose energies add up to the op's `dram`, `global_buffer`,
    /// `sram`, `register_file`, `noc` and (GPU) `l2`; `None` for views and fused ops.
    pub levels: Vec<Option<super::levels::LayerLevels>>,
    /// Sum over ops, by component.
    pub total: EnergyBreakdown,
    /// Total energy of the run, pJ (`total.total()`).
    pub energy_pj: f64,
    /// Latency of the run, s.
    pub latency_s: f64,
    /// Average power over the run (all energy / latency), W.
    pub average_power_w: f64,
    /// The dynamic (activity) part of the average power, W.
    pub dynamic_power_w: f64,
    /// Static power by component, W.
    pub static_power: StaticPower,
    /// Samples the run processes (the workload's batch; 1 until [`Self::with_batch`]).
    pub batch: u64,
    /// Energy per sample, pJ (`energy_pj / batch`).
    pub energy_per_sample_pj: f64,
    /// Latency per sample, s (`latency_s / batch`: the batch's throughput, not one
    /// sample's response time).
    pub latency_per_sample_s: f64,
    /// Per-unit energy figures used (pJ): what → value.
    pub figures_pj: BTreeMap<String, f64>,
    /// Source of every figure: what → tag.
    pub sources: BTreeMap<String, String>,
}

impl EnergyLedger {
    /// The ledger of `costs` scheduled as `timeline` on `arch` (at its operating clock).
    pub fn new(arch: &Arch, costs: &[OpCost], timeline: &Timeline) -> EnergyLedger {
        let table = arch.energy_table();
        let dram_pj_per_byte = model::dram_pj_per_byte(arch, &table);
        let mut figures = BTreeMap::new();
        let mut sources = BTreeMap::new();
        let mut total = EnergyBreakdown::default();
        let static_power = arch.static_power();
        // The array clock's share of each op's time-proportional energy.
        let clock_share = if static_power.total_w() > 0.0 {
            static_power.array_clock_w / static_power.total_w()
        } else {
            0.0
        };
        let r = arch.voltage_ratio();
        let active_clock_pj = crate::arch::leakage::model(arch)
            .and_then(|m| m.clock)
            .map(|c| c.active_pj_per_pe_cycle() * r * r)
            .unwrap_or(0.0);
        let levels = costs
            .iter()
            .zip(&timeline.ops)
            .map(|(c, t)| {
                let (read, write) = charged_dram_bytes(c, t);
                super::levels::of(arch, &table, c, read, write)
            })
            .collect();
        let ops: Vec<EnergyBreakdown> = costs
            .iter()
            .zip(&timeline.ops)
            .map(|(c, t)| {
                let e = EnergyBreakdown {
                    mac: c.energy.mac_pj,
                    vector: c.energy.vector_pj,
                    sram: c.energy.sram_pj,
                    sm_overhead: c.energy.sm_overhead_pj,
                    l2: c.energy.l2_pj,
                    register_file: c.energy.rf_pj,
                    noc: c.energy.noc_pj,
                    global_buffer: c.energy.global_buffer_pj,
                    // Unchanged unless layer pipelining kept some of the planned traffic
                    // on chip.
                    dram: if t.kept_on_chip_bytes > 0.0 {
                        (t.dram_read_bytes + t.dram_write_bytes) * dram_pj_per_byte
                    } else {
                        c.energy.dram_pj
                    },
                    static_: t.static_pj - t.static_pj * clock_share,
                    clock: t.static_pj * clock_share
                        + c.mac
                            .as_ref()
                            .map(|m| active_clock_pj * c.macs as f64 / m.macs_per_pe_per_cycle)
                            .unwrap_or(0.0),
                };
                if let Some(mac) = &c.mac {
                    let key = format!("mac.{}x{}", mac.format, mac.accumulator);
                    let me = table.mac(mac.format, mac.accumulator);
                    figures.insert(key.clone(), me.pj);
                    sources.insert(key, me.source);
                }
                total.add(&e);
                e
            })
            .collect();
        unit_figures(arch, &table, &mut figures, &mut sources);
        let latency_s = timeline.cycles as f64 / arch.clock_hz();
        let energy_pj = total.total();
        let average_power_w = if latency_s > 0.0 {
            energy_pj * 1e-12 / latency_s
        } else {
            0.0
        };
        EnergyLedger {
            ops,
            levels,
            total,
            energy_pj,
            latency_s,
            average_power_w,
            dynamic_power_w: if latency_s > 0.0 {
                (average_power_w - static_power.total_w()).max(0.0)
            } else {
                0.0
            },
            static_power,
            batch: 1,
            energy_per_sample_pj: energy_pj,
            latency_per_sample_s: latency_s,
            figures_pj: figures,
            sources,
        }
    }
}

/// The DRAM bytes `(read, write)` the ledger charges an op: the plan's, unless layer
/// pipelining kept some on chip, then the schedule's.
pub fn charged_dram_bytes(c: &OpCost, t: &crate::sim::OpTiming) -> (f64, f64) {
    if t.kept_on_chip_bytes > 0.0 {
        (t.dram_read_bytes, t.dram_write_bytes)
    } else {
        (c.traffic.dram_read_bytes, c.traffic.dram_write_bytes)
    }
}

impl EnergyLedger {
    /// The ledger with per-sample figures for a run of `batch` samples (≥ 1).
    pub fn with_batch(mut self, batch: u64) -> EnergyLedger {
        self.batch = batch.max(1);
        self.energy_per_sample_pj = self.energy_pj / self.batch as f64;
        self.latency_per_sample_s = self.latency_s / self.batch as f64;
        self
    }
}

/// The per-unit figures of memories, static power, the GPU and the vector unit.
fn unit_figures(
    arch: &Arch,
    table: &EnergyTable,
    figures: &mut BTreeMap<String, f64>,
    sources: &mut BTreeMap<String, String>,
) {
    let mut put = |key: &str, v: f64, src: String| {
        figures.insert(key.to_string(), v);
        sources.insert(key.to_string(), src);
    };
    let sram_e = model::sram_energy_per_64b(arch, table);
    for (name, v) in ["ifmap", "filter", "ofmap"].iter().zip(sram_e) {
        put(
            &format!("sram.{name}.per_64b"),
            v,
            sram_source(arch, table, name),
        );
    }
    let dram_src = match (arch.memory.dram.energy_pj_per_bit, arch.memory.dram.kind) {
        (Some(_), _) => energy::SRC_ARCH_OVERRIDE.to_string(),
        (None, Some(k)) => format!("dram_kind:{}:{}", k.name(), k.source()),
        (None, None) => table.dram_read64().source,
    };
    put(
        "dram.per_byte",
        model::dram_pj_per_byte(arch, table),
        dram_src,
    );
    let stat = arch.static_power();
    let r = arch.voltage_ratio();
    let scaled = (r - 1.0).abs() > 1e-12;
    let idle = leakage::model(arch);
    let leak_src = |field: &str, derived: &str| {
        let mut s = format!("arch_file:{field}");
        if idle.is_some() {
            s.push_str(&format!("+{}", leakage::source(arch, derived)));
        }
        if scaled {
            s.push_str(&format!("*leakage_voltage_scaling({r:.4})"));
        }
        s
    };
    put(
        "static.uncore_w",
        stat.uncore_w,
        "arch_file:static_power_w".into(),
    );
    put(
        "static.dram_background_w",
        stat.dram_background_w,
        "arch_file:memory.dram.background_w".into(),
    );
    put(
        "static.global_buffer_leakage_w",
        stat.global_buffer_leakage_w,
        leak_src("memory.global_buffer.leakage_w", SRAM_LEAK),
    );
    put(
        "static.core_buffer_leakage_w",
        stat.core_buffer_leakage_w,
        leak_src("memory.core_buffers.*.leakage_w", SRAM_LEAK),
    );
    put(
        "static.array_leakage_w",
        stat.array_leakage_w,
        leak_src("power.array_leakage_w_per_core", PE_LEAK),
    );
    if let Some(c) = idle.as_ref().and_then(|m| m.clock) {
        let src = leakage::source(
            arch,
            &format!(
                "{}:pe_register_bits*clock_fj_per_bit*(1-clock_gating={})*clock*V^2",
                leakage::SRC_CLOCK,
                c.clock_gating
            ),
        );
        put("static.array_clock_w", stat.array_clock_w, src.clone());
        put("clock.pe_cycle", c.pj_per_pe_cycle * r * r, src);
    }
    if let Some(g) = arch.gpu() {
        let src = if scaled {
            format!(
                "arch_file:array.gpu.sm_active_pj_per_cycle*{}({:.5})",
                energy::SRC_DVFS,
                r * r
            )
        } else {
            "arch_file:array.gpu.sm_active_pj_per_cycle".into()
        };
        put(
            "gpu.sm_active_per_cycle",
            g.sm_active_pj_per_cycle * r * r,
            src,
        );
        let (l2, l2_src) = model::gpu::op::l2_energy_per_64b(arch, table);
        put("sram.l2.per_64b", l2, l2_src);
    }
    if let (None, Some(b)) = (arch.gpu(), arch.memory.global_buffer.as_ref()) {
        let src = if b.energy_pj_per_64b.is_some() {
            energy::SRC_ARCH_OVERRIDE.to_string()
        } else {
            table.sram_read64(b.capacity_kib * 1024.0).source
        };
        let e = model::global_buffer_energy_per_64b(arch, table).unwrap_or(0.0);
        put("sram.global_buffer.per_64b", e, src);
    }
    let vec_f = table.add(Format::FP32);
    put("vector.op.fp32", vec_f.pj, vec_f.source);
    let vec_i = table.add(Format::INT32);
    put("vector.op.int32", vec_i.pj, vec_i.source);
    // A source without a per-unit figure: static energy as a whole.
    sources.insert("static".into(), "arch_file:static_power_w".into());
}

const SRAM_LEAK: &str = "idle_power:sram_bits*scirep2017_6t_sram_standby_1nw_per_cell";
const PE_LEAK: &str =
    "idle_power:pe_area_45nm*nangate_freepdk45_ocl_typical_inv_x1_leakage_per_area";

fn sram_source(arch: &Arch, table: &EnergyTable, which: &str) -> String {
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
        energy::SRC_ARCH_OVERRIDE.to_string()
    } else {
        table.sram_read64(b.capacity_kib * 1024.0).source
    }
}
