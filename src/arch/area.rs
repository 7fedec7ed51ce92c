//! Silicon area of an architecture's MAC array and on-chip SRAM, mm²: a first-order,
//! source-tagged model for design-space constraints, not a layout or a die area.
//!
//! - **MAC array** = PEs × the area of one PE's datapath: for every precision the array
//!   runs, `r × (multiplier + accumulator adder + registers)` with `r` its MACs per PE per
//!   cycle; the PE is sized by the precision that needs the most (usually the widest).
//!   Registers are two operand registers and one accumulator register of flip-flops.
//! - **SRAM** = bits × 6T bit-cell area / array efficiency, over every core's buffers, the
//!   global buffer and (GPU arrays) the register files.
//! - Both are 45 nm figures, scaled to the arch's `technology.node_nm` with Stillmaker &
//!   Baas's area factors.
//!
//! Not counted: the vector unit, control, interconnect, DRAM PHYs and I/O, pads.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Arch, CoreBuffers};
use crate::numerics::{Format, MxElem};

/// Tag of the arithmetic-unit areas: the 45 nm area column of Hennessy & Patterson,
/// *Computer Architecture: A Quantitative Approach*, 6th ed. (2019), Fig. 1.13 (also
/// reproduced beside Horowitz's ISSCC 2014 energies in Gholami et al., "A Survey of
/// Quantization Methods for Efficient Neural Network Inference", 2021, Fig. 15); the figure
/// notes the areas come from Design Compiler synthesis in TSMC 45 nm, FP units from the
/// DesignWare library.
pub const SRC_OPS: &str = "hennessy_patterson_2019_fig1.13_tsmc45nm_synthesis";
/// Tag of areas scaled from those: multipliers with the square of the (significand)
/// width, adders linearly with width (the same rules as the energy table).
pub const SRC_OPS_DERIVED: &str = "derived:mult_width_squared_add_linear";
/// Tag of the flip-flop area: DFF_X1 of the NanGate FreePDK45 Open Cell Library.
pub const SRC_DFF: &str = "nangate_freepdk45_ocl_dff_x1";
/// Tag of the SRAM bit cell: Nii et al., "A Cost-effective 45nm 6T-SRAM Reducing 50mV
/// Vmin and 53% Standby Leakage with multi-Vt Asymmetric Halo MOS and Write Assist
/// Circuitry", ISQED 2013 (Renesas, 45 nm bulk CMOS, 0.37 µm² cell).
pub const SRC_SRAM_CELL: &str = "nii_isqed2013_45nm_6t_sram";
/// Tag of the SRAM array efficiency (an assumption).
pub const SRC_SRAM_EFFICIENCY: &str = "assumption:sram_array_efficiency";
/// Tag of node scaling with Stillmaker & Baas (2017), Integration 58, 74–81, area factors.
pub const SRC_STILLMAKER_AREA: &str = "stillmaker_baas2017_area";
/// Tag of ideal (node / 45)² scaling, used for a node without a Stillmaker & Baas factor.
pub const SRC_IDEAL_AREA: &str = "ideal_node_squared";

/// 45 nm areas of single arithmetic operations, µm² ([`SRC_OPS`]).
pub mod um2 {
    /// 8-bit integer add.
    pub const ADD_INT8: f64 = 36.0;
    /// 16-bit integer add.
    pub const ADD_INT16: f64 = 67.0;
    /// 32-bit integer add.
    pub const ADD_INT32: f64 = 137.0;
    /// fp16 add.
    pub const ADD_FP16: f64 = 1360.0;
    /// fp32 add.
    pub const ADD_FP32: f64 = 4184.0;
    /// 8-bit integer multiply.
    pub const MULT_INT8: f64 = 282.0;
    /// 32-bit integer multiply.
    pub const MULT_INT32: f64 = 3495.0;
    /// fp16 multiply.
    pub const MULT_FP16: f64 = 1640.0;
    /// fp32 multiply.
    pub const MULT_FP32: f64 = 7700.0;
    /// One D flip-flop (NanGate FreePDK45 DFF_X1), per register bit.
    pub const DFF: f64 = 4.522;
    /// One 6T SRAM bit cell at 45 nm (Nii et al., ISQED 2013).
    pub const SRAM_BIT_CELL: f64 = 0.37;
}

/// Fraction of an SRAM macro's area that is bit cells (the rest: decoders, sense
/// amplifiers, write drivers, redundancy). An assumption in the range of compiled macros.
pub const SRAM_ARRAY_EFFICIENCY: f64 = 0.7;

/// Stillmaker & Baas (2017) area factors from 45 nm to each node (area at the node / area
/// at 45 nm), as tabulated for 45 nm in the paper's area-scaling table.
pub const STILLMAKER_AREA_FROM_45NM: [(u32, f64); 11] = [
    (180, 19.0),
    (130, 6.4),
    (90, 2.8),
    (65, 1.5),
    (45, 1.0),
    (32, 0.46),
    (20, 0.21),
    (16, 0.19),
    (14, 0.17),
    (10, 0.10),
    (7, 0.059),
];

/// Area of a design at 45 nm scaled to `node_nm`, and the source of the factor: the
/// Stillmaker & Baas factor, else ideal (node / 45)².
pub fn node_area_scale(node_nm: u32) -> (f64, &'static str) {
    match STILLMAKER_AREA_FROM_45NM
        .iter()
        .find(|(n, _)| *n == node_nm)
    {
        Some((_, f)) => (*f, SRC_STILLMAKER_AREA),
        None => ((node_nm as f64 / 45.0).powi(2), SRC_IDEAL_AREA),
    }
}

fn int_mult(bits: u32) -> f64 {
    let bits = bits as f64;
    if bits <= 8.0 {
        um2::MULT_INT8 * (bits / 8.0).powi(2)
    } else {
        um2::MULT_INT32 * (bits / 32.0).powi(2)
    }
}

/// 45 nm area of one multiplier for operands in `format`, µm²: integers (fixed point,
/// block-FP mantissas, binary) ∝ width² from the int8 (≤ 8 bits) or int32 point; floats ∝
/// significand² from fp16 (≤ 11 bits: bf16, fp8, fp6, fp4) or fp32; MX formats: their
/// element's multiplier.
pub fn mult_um2(format: Format) -> f64 {
    match format {
        Format::Float(f) => {
            let sig = (f.man_bits + 1) as f64;
            if sig <= 11.0 {
                um2::MULT_FP16 * (sig / 11.0).powi(2)
            } else {
                um2::MULT_FP32 * (sig / 24.0).powi(2)
            }
        }
        Format::Mx { elem, .. } => match elem {
            MxElem::Int8 => um2::MULT_INT8,
            MxElem::Float(f) => mult_um2(Format::Float(f)),
        },
        Format::BlockFp { man_bits, .. } => int_mult(man_bits),
        other => int_mult(other.element_bits()),
    }
}

/// 45 nm area of one adder in `format` (an accumulator), µm²: integers piecewise linear in
/// width through the 8-, 16- and 32-bit points (∝ width below 8 bits, the 16→32 slope
/// above 32); floats ∝ total width from fp16 (≤ 16 bits) or fp32.
pub fn add_um2(format: Format) -> f64 {
    match format {
        Format::Float(f) => {
            let bits = f.bits() as f64;
            if bits <= 16.0 {
                um2::ADD_FP16 * bits / 16.0
            } else {
                um2::ADD_FP32 * bits / 32.0
            }
        }
        Format::Mx { elem, .. } => match elem {
            MxElem::Int8 => um2::ADD_INT8,
            MxElem::Float(f) => add_um2(Format::Float(f)),
        },
        other => {
            let b = other.element_bits() as f64;
            if b <= 8.0 {
                um2::ADD_INT8 * b / 8.0
            } else if b <= 16.0 {
                um2::ADD_INT8 + (um2::ADD_INT16 - um2::ADD_INT8) * (b - 8.0) / 8.0
            } else {
                um2::ADD_INT16 + (um2::ADD_INT32 - um2::ADD_INT16) * (b - 16.0) / 16.0
            }
        }
    }
}

/// 45 nm area of one MAC datapath for `operand` × `operand` accumulated in `accumulator`,
/// µm²: multiplier + adder + flip-flops for two operand registers and the accumulator.
/// A binary (XNOR-popcount) MAC's adder is a 1-bit share of an 8-bit adder.
pub fn mac_um2(operand: Format, accumulator: Format) -> f64 {
    let add = if operand == Format::Binary {
        um2::ADD_INT8 / 8.0
    } else {
        add_um2(accumulator)
    };
    let reg_bits = 2 * operand.element_bits() + accumulator.element_bits();
    mult_um2(operand) + add + um2::DFF * reg_bits as f64
}

/// On-chip SRAM of the arch, KiB: every core's buffers plus the global buffer (without
/// GPU register files).
pub fn sram_kib(arch: &Arch) -> f64 {
    let per_core = match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => buffer.capacity_kib,
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => ifmap.capacity_kib + filter.capacity_kib + ofmap.capacity_kib,
    };
    let global = arch
        .memory
        .global_buffer
        .as_ref()
        .map(|b| b.capacity_kib)
        .unwrap_or(0.0);
    per_core * arch.cores as f64 + global
}

/// Register files of a GPU-style array (`array.gpu.register_file_kib` × cores), KiB; 0
/// for other arrays.
pub fn register_file_kib(arch: &Arch) -> f64 {
    crate::model::array::of(&arch.array).register_file_kib_per_core() * arch.cores as f64
}

/// The area estimate of an arch and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaEstimate {
    /// MAC array + SRAM at the arch's node, mm².
    pub total_mm2: f64,
    /// MAC array (all cores), mm².
    pub array_mm2: f64,
    /// On-chip SRAM, mm².
    pub sram_mm2: f64,
    /// PEs of the whole chip.
    pub pes: u64,
    /// Area of one PE at 45 nm, µm².
    pub pe_um2_45nm: f64,
    /// The precision that sizes the PE (`fp16×1`: format × MACs per PE per cycle).
    pub pe_sized_by: String,
    /// SRAM counted, KiB (buffers, global buffer, register files).
    pub sram_kib: f64,
    /// Technology node the figures are scaled to (45 without a `technology` block).
    pub node_nm: u32,
    /// Area at the node / area at 45 nm.
    pub node_scale: f64,
    /// Source of every constant: what → tag.
    pub sources: BTreeMap<String, String>,
}

/// Estimates the MAC-array and SRAM area of `arch` (see the module docs).
pub fn estimate(arch: &Arch) -> AreaEstimate {
    let mut pe = 0.0f64;
    let mut sized_by = String::new();
    let mut derived = false;
    for p in &arch.precisions {
        let acc = p.accumulator.unwrap_or(p.format.default_accumulator());
        let a = p.macs_per_pe_per_cycle * mac_um2(p.format, acc);
        if a > pe {
            pe = a;
            sized_by = format!("{}×{}", p.format.name(), p.macs_per_pe_per_cycle);
        }
        derived |= !is_quoted_mult(p.format) || !is_quoted_add(acc);
    }
    let pes = arch.pes_per_core().saturating_mul(u64::from(arch.cores));
    let sram = sram_kib(arch) + register_file_kib(arch);
    let node_nm = arch.technology.as_ref().map_or(45, |t| t.node_nm);
    let (scale, scale_src) = node_area_scale(node_nm);
    let array_mm2 = pes as f64 * pe * 1e-6 * scale;
    let sram_mm2 = sram * 8192.0 * um2::SRAM_BIT_CELL / SRAM_ARRAY_EFFICIENCY * 1e-6 * scale;
    let mut sources = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        sources.insert(k.to_string(), v.to_string());
    };
    put("mac_datapath", SRC_OPS);
    if derived {
        put("mac_datapath.derived", SRC_OPS_DERIVED);
    }
    put("registers", SRC_DFF);
    put("sram_bit_cell", SRC_SRAM_CELL);
    put("sram_array_efficiency", SRC_SRAM_EFFICIENCY);
    if node_nm != 45 {
        put("node_scaling", scale_src);
    }
    AreaEstimate {
        total_mm2: array_mm2 + sram_mm2,
        array_mm2,
        sram_mm2,
        pes,
        pe_um2_45nm: pe,
        pe_sized_by: sized_by,
        sram_kib: sram,
        node_nm,
        node_scale: scale,
        sources,
    }
}

fn is_quoted_mult(f: Format) -> bool {
    [Format::INT8, Format::INT32, Format::FP16, Format::FP32].contains(&f)
}

fn is_quoted_add(f: Format) -> bool {
    is_quoted_mult(f) || f == Format::INT16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_points_are_returned_exactly() {
        assert_eq!(mult_um2(Format::INT8), 282.0);
        assert_eq!(mult_um2(Format::INT32), 3495.0);
        assert_eq!(mult_um2(Format::FP16), 1640.0);
        assert_eq!(mult_um2(Format::FP32), 7700.0);
        assert_eq!(add_um2(Format::INT8), 36.0);
        assert_eq!(add_um2(Format::INT16), 67.0);
        assert_eq!(add_um2(Format::INT32), 137.0);
        assert_eq!(add_um2(Format::FP16), 1360.0);
        assert_eq!(add_um2(Format::FP32), 4184.0);
    }

    #[test]
    fn derived_widths_follow_the_rules() {
        // int4: (4/8)² of int8; bf16: 8-bit significand, (8/11)² of fp16.
        assert_eq!(mult_um2(Format::INT4), 282.0 / 4.0);
        let bf16 = Format::parse("bf16").unwrap();
        assert!((mult_um2(bf16) - 1640.0 * 64.0 / 121.0).abs() < 1e-9);
        assert_eq!(add_um2(bf16), 1360.0);
        assert_eq!(node_area_scale(7), (0.059, SRC_STILLMAKER_AREA));
        assert_eq!(node_area_scale(90).0, 2.8);
        assert_eq!(node_area_scale(22).1, SRC_IDEAL_AREA);
    }
}
