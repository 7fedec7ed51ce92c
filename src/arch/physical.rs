//! Physical ranges of every architecture number.
//!
//! Validation in `Arch::validate` first checks each value's sign and finiteness; this module
//! then checks that it lies in a range that makes physical sense for an accelerator, so that
//! values such as `clock_ghz: 1e300`, `macs_per_pe_per_cycle: 1e-300` or
//! `static_power_w: 1e308` are refused with a located error instead of producing infinite,
//! zero or saturated figures. The ranges are generous — several orders of magnitude beyond
//! any shipped chip in both directions — and listed in [`RANGES`] (printed in
//! `docs/robustness.md`).

use super::{Arch, Buffer, CoreBuffers};
use crate::error::{InputError, InputResult};

/// An inclusive range of physically sensible values, with its unit and the reason for the
/// bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhysicalRange {
    /// Field (JSON path pattern) the range applies to.
    pub field: &'static str,
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
    /// Why these bounds.
    pub why: &'static str,
}

const fn range(field: &'static str, min: f64, max: f64, why: &'static str) -> PhysicalRange {
    PhysicalRange {
        field,
        min,
        max,
        why,
    }
}

/// Clock: 1 MHz to 100 GHz.
pub const CLOCK_GHZ: PhysicalRange = range("clock_ghz", 1e-3, 100.0, "1 MHz to 100 GHz");
/// Cores (or SMs): up to 4096, 30x an H100's 132 SMs. The event engine keeps state per
/// core and per DMA engine, so this bound (with [`DMA_ENGINES`]) also bounds its memory.
pub const CORES: PhysicalRange = range("cores", 1.0, 4096.0, "1 to 4096 cores or SMs");
/// MAC rate per PE: from one MAC every 1024 cycles to 1024 MACs per cycle.
pub const MACS_PER_PE_PER_CYCLE: PhysicalRange = range(
    "precisions[*].macs_per_pe_per_cycle",
    1.0 / 1024.0,
    1024.0,
    "1/1024 to 1024 MACs per PE per cycle",
);
/// Array side (rows, cols, m, n, k).
pub const ARRAY_SIDE: PhysicalRange = range("array.*", 1.0, 65_536.0, "1 to 65536 per side");
/// Tensor-core units per core.
pub const UNITS_PER_CORE: PhysicalRange =
    range("array.units_per_core", 1.0, 65_536.0, "1 to 65536 units");
/// Vector lanes per core.
pub const VECTOR_LANES: PhysicalRange =
    range("vector_unit.lanes", 1.0, 1_048_576.0, "1 to 2^20 lanes");
/// Vector ops per lane per cycle.
pub const VECTOR_OPS_PER_LANE: PhysicalRange = range(
    "vector_unit.ops_per_lane_per_cycle",
    1.0 / 1024.0,
    1024.0,
    "1/1024 to 1024 ops per lane per cycle",
);
/// Largest bandwidth figure: far beyond any memory, it stands for an ideal (infinitely fast)
/// memory in what-if studies; transfers then take no time and every figure stays finite.
pub const IDEAL_BANDWIDTH: f64 = 1e30;

/// DRAM bandwidth: from 1 MB/s up to an ideal memory (1e30 GB/s).
pub const DRAM_BANDWIDTH_GBPS: PhysicalRange = range(
    "memory.dram.bandwidth_gbps",
    1e-3,
    IDEAL_BANDWIDTH,
    "1 MB/s up to 1e30 GB/s, an ideal memory",
);
/// DRAM latency: 0 to 1 ms.
pub const DRAM_LATENCY_NS: PhysicalRange = range("memory.dram.latency_ns", 0.0, 1e6, "0 to 1 ms");
/// DRAM capacity: up to 1 PiB.
pub const DRAM_CAPACITY_GIB: PhysicalRange = range(
    "memory.dram.capacity_gib",
    1e-6,
    1_048_576.0,
    "1 KiB to 1 PiB",
);
/// DMA engines per core.
pub const DMA_ENGINES: PhysicalRange = range(
    "memory.dma_engines_per_core",
    1.0,
    64.0,
    "1 to 64 engines per core",
);
/// On-chip buffer capacity: 1 byte to 1 TiB.
pub const BUFFER_CAPACITY_KIB: PhysicalRange = range(
    "memory.*.capacity_kib",
    1.0 / 1024.0,
    1_073_741_824.0,
    "1 byte to 1 TiB",
);
/// On-chip buffer port width: from 1/1024 byte per cycle up to an ideal buffer.
pub const BUFFER_BYTES_PER_CYCLE: PhysicalRange = range(
    "memory.*.bytes_per_cycle",
    1.0 / 1024.0,
    IDEAL_BANDWIDTH,
    "1/1024 up to 1e30 bytes per cycle, an ideal buffer",
);
/// Buffer banks.
pub const BUFFER_BANKS: PhysicalRange = range("memory.*.banks", 1.0, 65_536.0, "1 to 65536 banks");
/// Any power (static, background, leakage, cap): up to 1 MW.
pub const POWER_W: PhysicalRange = range("*_w", 0.0, 1e6, "0 to 1 MW");
/// Any energy per event (per bit, per 64-bit access, per MAC, per SM cycle): up to 1 mJ.
pub const ENERGY_PJ: PhysicalRange = range("*energy*_pj*", 0.0, 1e9, "0 to 1 mJ per event");
/// Supply voltage.
pub const VOLTAGE_V: PhysicalRange = range("*voltage_v", 0.05, 5.0, "0.05 V to 5 V");
/// Times in microseconds (launch latency, host overhead): up to 1 s.
pub const TIME_US: PhysicalRange = range("*_us", 0.0, 1e6, "0 to 1 s");
/// GPU per-tile overhead in cycles.
pub const TILE_OVERHEAD_CYCLES: PhysicalRange = range(
    "array.gpu.tile_overhead_cycles",
    0.0,
    1e9,
    "0 to 1e9 cycles",
);
/// GPU register file per SM.
pub const REGISTER_FILE_KIB: PhysicalRange = range(
    "array.gpu.register_file_kib",
    1.0 / 1024.0,
    1_048_576.0,
    "1 byte to 1 GiB",
);
/// GPU cluster multicast factor.
pub const CLUSTER_MULTICAST: PhysicalRange =
    range("array.gpu.cluster_multicast", 1.0, 1024.0, "1 to 1024");
/// Leakage's voltage exponent.
pub const LEAKAGE_VOLTAGE_EXPONENT: PhysicalRange =
    range("power.leakage_voltage_exponent", 0.0, 16.0, "0 to 16");

/// Every range, for documentation and schema consumers.
pub const RANGES: &[PhysicalRange] = &[
    CLOCK_GHZ,
    CORES,
    MACS_PER_PE_PER_CYCLE,
    ARRAY_SIDE,
    UNITS_PER_CORE,
    VECTOR_LANES,
    VECTOR_OPS_PER_LANE,
    DRAM_BANDWIDTH_GBPS,
    DRAM_LATENCY_NS,
    DRAM_CAPACITY_GIB,
    DMA_ENGINES,
    BUFFER_CAPACITY_KIB,
    BUFFER_BYTES_PER_CYCLE,
    BUFFER_BANKS,
    POWER_W,
    ENERGY_PJ,
    VOLTAGE_V,
    TIME_US,
    TILE_OVERHEAD_CYCLES,
    REGISTER_FILE_KIB,
    CLUSTER_MULTICAST,
    LEAKAGE_VOLTAGE_EXPONENT,
];

/// Refuses `v` outside `r` with an error at `path` naming the range and its reason.
pub fn check(path: &str, v: f64, r: PhysicalRange) -> InputResult<()> {
    if v.is_finite() && v >= r.min && v <= r.max {
        Ok(())
    } else {
        Err(InputError::at(
            path,
            format!(
                "expected a value in [{}, {}] ({}), got {v}",
                r.min, r.max, r.why
            ),
        ))
    }
}

/// [`check`] for an integer.
pub(crate) fn check_u(path: &str, v: u64, r: PhysicalRange) -> InputResult<()> {
    check(path, v as f64, r)
}

fn check_opt(path: &str, v: Option<f64>, r: PhysicalRange) -> InputResult<()> {
    v.map_or(Ok(()), |v| check(path, v, r))
}

fn check_buffer(path: &str, b: &Buffer) -> InputResult<()> {
    check(
        &format!("{path}.capacity_kib"),
        b.capacity_kib,
        BUFFER_CAPACITY_KIB,
    )?;
    check(
        &format!("{path}.bytes_per_cycle"),
        b.bytes_per_cycle,
        BUFFER_BYTES_PER_CYCLE,
    )?;
    check_u(&format!("{path}.banks"), b.banks.into(), BUFFER_BANKS)?;
    check_opt(
        &format!("{path}.energy_pj_per_64b"),
        b.energy_pj_per_64b,
        ENERGY_PJ,
    )?;
    check(&format!("{path}.leakage_w"), b.leakage_w, POWER_W)
}

/// Checks every number of `arch` against its physical range (after the sign checks).
pub(crate) fn check_arch(a: &Arch) -> InputResult<()> {
    check("clock_ghz", a.clock_ghz, CLOCK_GHZ)?;
    check_u("cores", a.cores.into(), CORES)?;
    crate::model::array::of(&a.array).check_physical()?;
    for (i, p) in a.precisions.iter().enumerate() {
        check(
            &format!("precisions[{i}].macs_per_pe_per_cycle"),
            p.macs_per_pe_per_cycle,
            MACS_PER_PE_PER_CYCLE,
        )?;
    }
    check_u("vector_unit.lanes", a.vector_unit.lanes, VECTOR_LANES)?;
    check(
        "vector_unit.ops_per_lane_per_cycle",
        a.vector_unit.ops_per_lane_per_cycle,
        VECTOR_OPS_PER_LANE,
    )?;
    let d = &a.memory.dram;
    check(
        "memory.dram.bandwidth_gbps",
        d.bandwidth_gbps,
        DRAM_BANDWIDTH_GBPS,
    )?;
    check("memory.dram.latency_ns", d.latency_ns, DRAM_LATENCY_NS)?;
    check_opt(
        "memory.dram.energy_pj_per_bit",
        d.energy_pj_per_bit,
        ENERGY_PJ,
    )?;
    check_opt(
        "memory.dram.capacity_gib",
        d.capacity_gib,
        DRAM_CAPACITY_GIB,
    )?;
    check("memory.dram.background_w", d.background_w, POWER_W)?;
    check_u(
        "memory.dma_engines_per_core",
        a.memory.dma_engines_per_core.into(),
        DMA_ENGINES,
    )?;
    if let Some(g) = &a.memory.global_buffer {
        check_buffer("memory.global_buffer", g)?;
    }
    match &a.memory.core_buffers {
        CoreBuffers::Unified { buffer } => check_buffer("memory.core_buffers.buffer", buffer)?,
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => {
            check_buffer("memory.core_buffers.ifmap", ifmap)?;
            check_buffer("memory.core_buffers.filter", filter)?;
            check_buffer("memory.core_buffers.ofmap", ofmap)?;
        }
    }
    check("static_power_w", a.static_power_w, POWER_W)?;
    if let Some(t) = &a.technology {
        check("technology.voltage_v", t.voltage_v, VOLTAGE_V)?;
    }
    if let Some(p) = &a.power {
        check_opt("power.cap_w", p.cap_w, POWER_W)?;
        check_opt("power.min_clock_ghz", p.min_clock_ghz, CLOCK_GHZ)?;
        for (i, pt) in p.vf_curve.iter().enumerate() {
            check(
                &format!("power.vf_curve[{i}].clock_ghz"),
                pt.clock_ghz,
                CLOCK_GHZ,
            )?;
            check(
                &format!("power.vf_curve[{i}].voltage_v"),
                pt.voltage_v,
                VOLTAGE_V,
            )?;
        }
        check(
            "power.array_leakage_w_per_core",
            p.array_leakage_w_per_core,
            POWER_W,
        )?;
        check(
            "power.leakage_voltage_exponent",
            p.leakage_voltage_exponent,
            LEAKAGE_VOLTAGE_EXPONENT,
        )?;
    }
    for (k, v) in &a.energy.overrides_pj {
        check(&format!("energy.overrides_pj.{k}"), *v, ENERGY_PJ)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_ordered_and_finite() {
        for r in RANGES {
            assert!(
                r.min.is_finite() && r.max.is_finite() && r.min <= r.max,
                "{r:?}"
            );
        }
    }

    #[test]
    fn per_core_state_of_the_event_engine_stays_bounded() {
        // cores x DMA engines is the number of DMA engines the event engine allocates;
        // 2^20 cores x 1024 engines once asked for 60 GB.
        let max = |field: &str| RANGES.iter().find(|r| r.field == field).unwrap().max;
        assert!(max("cores") * max("memory.dma_engines_per_core") <= 262_144.0);
    }

    #[test]
    fn out_of_range_names_path_and_range() {
        let e = check("clock_ghz", 1e300, CLOCK_GHZ)
            .unwrap_err()
            .to_string();
        assert!(e.contains("clock_ghz") && e.contains("100 GHz"), "{e}");
        assert!(check("clock_ghz", 100.0, CLOCK_GHZ).is_ok());
        assert!(check("clock_ghz", 100.000001, CLOCK_GHZ).is_err());
        assert!(check("x", f64::NAN, POWER_W).is_err());
    }
}
