//! The metrics reported for every point (objectives, arch figures and the energy split),
//! their natural directions, and how each is computed from a run.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::arch::Arch;
use crate::evaluation::Evaluation;
use crate::workload::Workload;

/// Whether smaller or larger is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Smaller is better.
    Min,
    /// Larger is better.
    Max,
}

impl Goal {
    /// `min` or `max`.
    pub fn name(self) -> &'static str {
        match self {
            Goal::Min => "min",
            Goal::Max => "max",
        }
    }
}

/// A metric column of the results, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Latency of one run of the workload (the whole batch), seconds.
    LatencyS,
    /// Energy of one run of the workload (the whole batch), pJ.
    EnergyPj,
    /// Energy efficiency: 2 × MACs / energy in pJ (= 10^12 ops per joule per 10^12 = TOPS/W).
    TopsPerW,
    /// Energy-delay product: energy in J × latency in s (J·s).
    EdpJs,
    /// Largest buffer footprint of any op's DRAM tiling on one core, bytes.
    PeakSramBytes,
    /// DRAM bytes read + written.
    DramBytes,
    /// On-chip SRAM capacity of the arch (every core's buffers + the global buffer), KiB.
    SramKib,
    /// Processing elements of the whole chip (cores × PEs per core).
    Pes,
    /// Modelled MAC-array + on-chip SRAM area at the arch's node, mm² (`arch::area`).
    AreaMm2,
    /// Representational capacity: Σ over compute layers of (output elements per sample ×
    /// bit width of the layer's output activations).
    CapacityBits,
    /// Bit operations of one run: Σ over compute layers of MACs × weight bits × activation
    /// bits ([`super::footprint::bops`]).
    Bops,
    /// Weight memory footprint: every weight tensor in its format, bytes.
    WeightBytes,
    /// Activation memory footprint: the peak bytes of activations live at once, ops in
    /// topological order ([`super::footprint::activation_peak_bytes`]).
    ActivationBytes,
    /// Accuracy from the QAT results file, or modelled (`accuracy_model`; the
    /// `accuracy_source` column says which); empty when neither gives one.
    Accuracy,
    /// Energy in the MAC array, pJ.
    EnergyMacPj,
    /// Energy in the vector unit, pJ.
    EnergyVectorPj,
    /// Energy in on-chip buffers, pJ.
    EnergySramPj,
    /// Energy in DRAM, pJ.
    EnergyDramPj,
    /// Static energy, pJ.
    EnergyStaticPj,
    /// PE clock-tree energy (`idle_power`), pJ.
    EnergyClockPj,
    /// GPU SM overhead energy beyond the MAC datapath, pJ.
    EnergySmOverheadPj,
    /// GPU L2 energy, pJ.
    EnergyL2Pj,
    /// PE register-file energy (`pe_level`), pJ.
    EnergyRegisterFilePj,
    /// Array-network energy (`pe_level`), pJ.
    EnergyNocPj,
    /// Latency per sample: latency / the workload's batch, seconds.
    LatencyPerSampleS,
    /// Energy per sample: energy / the workload's batch, pJ.
    EnergyPerSamplePj,
    /// Global-buffer energy of non-GPU arches, pJ.
    EnergyGlobalBufferPj,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 27] = [
        Metric::LatencyS,
        Metric::EnergyPj,
        Metric::TopsPerW,
        Metric::EdpJs,
        Metric::PeakSramBytes,
        Metric::DramBytes,
        Metric::SramKib,
        Metric::Pes,
        Metric::AreaMm2,
        Metric::CapacityBits,
        Metric::Bops,
        Metric::WeightBytes,
        Metric::ActivationBytes,
        Metric::Accuracy,
        Metric::EnergyMacPj,
        Metric::EnergyVectorPj,
        Metric::EnergySramPj,
        Metric::EnergyDramPj,
        Metric::EnergyStaticPj,
        Metric::EnergyClockPj,
        Metric::EnergySmOverheadPj,
        Metric::EnergyL2Pj,
        Metric::EnergyRegisterFilePj,
        Metric::EnergyNocPj,
        Metric::LatencyPerSampleS,
        Metric::EnergyPerSamplePj,
        Metric::EnergyGlobalBufferPj,
    ];

    /// Column name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::LatencyS => "latency_s",
            Metric::EnergyPj => "energy_pj",
            Metric::TopsPerW => "tops_per_w",
            Metric::EdpJs => "edp_js",
            Metric::PeakSramBytes => "peak_sram_bytes",
            Metric::DramBytes => "dram_bytes",
            Metric::SramKib => "sram_kib",
            Metric::Pes => "pes",
            Metric::AreaMm2 => "area_mm2",
            Metric::CapacityBits => "capacity_bits",
            Metric::Bops => "bops",
            Metric::WeightBytes => "weight_bytes",
            Metric::ActivationBytes => "activation_bytes",
            Metric::Accuracy => "accuracy",
            Metric::EnergyMacPj => "energy_mac_pj",
            Metric::EnergyVectorPj => "energy_vector_pj",
            Metric::EnergySramPj => "energy_sram_pj",
            Metric::EnergyDramPj => "energy_dram_pj",
            Metric::EnergyStaticPj => "energy_static_pj",
            Metric::EnergyClockPj => "energy_clock_pj",
            Metric::EnergySmOverheadPj => "energy_sm_overhead_pj",
            Metric::EnergyL2Pj => "energy_l2_pj",
            Metric::EnergyRegisterFilePj => "energy_register_file_pj",
            Metric::EnergyNocPj => "energy_noc_pj",
            Metric::LatencyPerSampleS => "latency_per_sample_s",
            Metric::EnergyPerSamplePj => "energy_per_sample_pj",
            Metric::EnergyGlobalBufferPj => "energy_global_buffer_pj",
        }
    }

    /// Looks a metric up by column name.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Names of every metric, for error messages.
    pub fn names() -> String {
        Metric::ALL.map(Metric::name).join(", ")
    }

    /// The natural direction: larger is better for TOPS/W, capacity and accuracy.
    pub fn natural_goal(self) -> Goal {
        match self {
            Metric::TopsPerW | Metric::CapacityBits | Metric::Accuracy => Goal::Max,
            _ => Goal::Min,
        }
    }

    /// True for metrics known without running the point (arch figures, capacity,
    /// accuracy): constraints on them prune a point before it is evaluated.
    pub fn known_before_run(self) -> bool {
        matches!(
            self,
            Metric::SramKib
                | Metric::Pes
                | Metric::AreaMm2
                | Metric::CapacityBits
                | Metric::Bops
                | Metric::WeightBytes
                | Metric::ActivationBytes
                | Metric::Accuracy
        )
    }

    /// Position in [`Metric::ALL`].
    pub fn index(self) -> usize {
        Metric::ALL
            .iter()
            .position(|&m| m == self)
            .expect("every metric is in ALL")
    }
}

/// On-chip SRAM capacity in KiB: every core's buffers plus the global buffer.
pub fn sram_kib(arch: &Arch) -> f64 {
    crate::arch::area::sram_kib(arch)
}

/// Modelled MAC-array + SRAM area in mm² ([`crate::arch::area::estimate`]).
pub fn area_mm2(arch: &Arch) -> f64 {
    crate::arch::area::estimate(arch).total_mm2
}

/// Processing elements of the whole chip.
pub fn pes(arch: &Arch) -> f64 {
    arch.pes_per_core() as f64 * arch.cores as f64
}

/// Representational capacity in bits: Σ over compute ops (matmul, conv2d) of the output
/// tensor's elements per sample (elements / first dimension) × the bit width of its
/// format's element code (block scales excluded).
pub fn capacity_bits(workload: &Workload) -> f64 {
    workload
        .ops
        .iter()
        .filter(|o| o.kind.is_compute())
        .map(|o| {
            let t = &workload.tensors[o.output];
            let batch = t.shape.first().copied().unwrap_or(1).max(1);
            (t.elements / batch) as f64 * t.format.element_bits() as f64
        })
        .sum()
}

/// The metrics that need a run, filled into `values` (indexed like [`Metric::ALL`]) from
/// the evaluation's timeline and energy ledger.
pub fn fill_from_run(values: &mut [f64], eval: &Evaluation) {
    let ledger = &eval.energy;
    let e = &ledger.total;
    let set = |values: &mut [f64], m: Metric, v: f64| values[m.index()] = v;
    let energy_pj = ledger.energy_pj;
    let macs: u64 = eval.costs.iter().map(|c| c.macs).sum();
    set(values, Metric::LatencyS, ledger.latency_s);
    set(values, Metric::EnergyPj, energy_pj);
    let tops_w = if energy_pj > 0.0 {
        2.0 * macs as f64 / energy_pj
    } else {
        0.0
    };
    set(values, Metric::TopsPerW, tops_w);
    set(values, Metric::EdpJs, energy_pj * 1e-12 * ledger.latency_s);
    let peak = eval
        .costs
        .iter()
        .filter_map(|c| c.tiling.map(|t| t.peak_buffer_bytes))
        .fold(0.0f64, f64::max);
    set(values, Metric::PeakSramBytes, peak);
    let dram: f64 = eval
        .timeline
        .ops
        .iter()
        .map(|t| t.dram_read_bytes)
        .sum::<f64>()
        + eval
            .timeline
            .ops
            .iter()
            .map(|t| t.dram_write_bytes)
            .sum::<f64>();
    set(values, Metric::DramBytes, dram);
    set(values, Metric::EnergyMacPj, e.mac);
    set(values, Metric::EnergyVectorPj, e.vector);
    set(values, Metric::EnergySramPj, e.sram);
    set(values, Metric::EnergyDramPj, e.dram);
    set(values, Metric::EnergyStaticPj, e.static_);
    set(values, Metric::EnergyClockPj, e.clock);
    set(values, Metric::EnergySmOverheadPj, e.sm_overhead);
    set(values, Metric::EnergyL2Pj, e.l2);
    set(values, Metric::EnergyRegisterFilePj, e.register_file);
    set(values, Metric::EnergyNocPj, e.noc);
    set(values, Metric::EnergyGlobalBufferPj, e.global_buffer);
    set(
        values,
        Metric::LatencyPerSampleS,
        ledger.latency_per_sample_s,
    );
    set(
        values,
        Metric::EnergyPerSamplePj,
        ledger.energy_per_sample_pj,
    );
}
