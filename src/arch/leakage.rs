//! Static and idle power derived from the hardware (the arch's `idle_power` block):
//!
//! - **PE leakage** = PEs × the 45 nm area of one PE ([`super::area::estimate`]: the
//!   precision that needs the most datapath sizes the PE, so leakage follows the MAC
//!   formats) × the logic leakage density [`LOGIC_LEAKAGE_NW_PER_UM2`];
//! - **SRAM leakage** = bits of every buffer × [`SRAM_LEAKAGE_NW_PER_BIT`];
//! - **PE clock** = PEs × register bits per PE × [`CLOCK_FJ_PER_REGISTER_BIT`] × clock: the
//!   clock tree toggles every PE's pipeline registers each cycle whether or not it computes.
//!   A `clock_gating` fraction `g` of an *idle* PE's clock energy is gated off: the
//!   time-proportional part is `(1 − g)` of the whole array's clock power; the `g` share is
//!   charged per active PE-cycle instead ([`ClockModel::active_pj_per_pe_cycle`]).
//!
//! All three are 45 nm, 0.9 V figures scaled to `technology` (node, voltage) by the ratio
//! of Stillmaker & Baas energy factors (an assumption for leakage: per-device leakage tracks
//! per-device switched energy, both ∝ device width) and, for leakage, the existing
//! `power.leakage_voltage_exponent` under DVFS; the clock energy is a dynamic energy and
//! scales with V². GPU-style arrays (an `array.gpu` block) get no PE clock term: their
//! calibrated `sm_active_pj_per_cycle` already contains the SM clock tree.

use serde::Serialize;

use super::energy::{self, HOROWITZ_NODE};
use super::{area, Arch, CoreBuffers};

/// Logic leakage density at 45 nm, nW per µm² of cell area: the NanGate FreePDK45 Open Cell
/// Library (typical corner, 1.1 V, 25 °C) INV_X1 `cell_leakage_power` 14.353185 nW over its
/// 0.532 µm² area. The library's corner is 1.1 V; no correction to 0.9 V is made (the
/// figure errs high).
pub const LOGIC_LEAKAGE_NW_PER_UM2: f64 = 14.353185 / 0.532;
/// Source tag of [`LOGIC_LEAKAGE_NW_PER_UM2`].
pub const SRC_LOGIC_LEAKAGE: &str = "nangate_freepdk45_ocl_typical_inv_x1_leakage_per_area";
/// Standby leakage of one 6T SRAM bit cell, nW: "standard 6T-SRAM, standby power ~1 nW,
/// V_DD < 1 V" (Sci. Rep. 7, 2017, doi:10.1038/s41598-017-12347-x, Table 2), taken at
/// 45 nm, 0.9 V (assumption: the table names no node).
pub const SRAM_LEAKAGE_NW_PER_BIT: f64 = 1.0;
/// Source tag of [`SRAM_LEAKAGE_NW_PER_BIT`].
pub const SRC_SRAM_LEAKAGE: &str = "scirep2017_6t_sram_standby_1nw_per_cell(assumed_45nm)";
/// Clock energy per register bit per cycle at 45 nm, 0.9 V, fJ: C·V² with ≈ 1 fJ for a
/// DFF_X1-class clock pin (≈ 1.2 fF × 0.81 V²), doubled for the clock-tree wires and buffers
/// that drive it (assumption).
pub const CLOCK_FJ_PER_REGISTER_BIT: f64 = 2.0;
/// Source tag of [`CLOCK_FJ_PER_REGISTER_BIT`].
pub const SRC_CLOCK: &str = "assumption:dff_clock_pin_cv2_x2_for_tree_45nm";
/// Source tag of the node scaling of leakage and clock figures.
pub const SRC_LEAKAGE_NODE: &str = "assumption:leakage_scales_with_stillmaker_baas2017_energy";

/// The idle-power model of an arch, resolved at its technology (before DVFS).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleModel {
    /// Leakage of one core's PEs, W.
    pub array_leakage_w_per_core: f64,
    /// Leakage of one core's buffers, W.
    pub core_buffer_leakage_w: f64,
    /// Leakage of the global buffer, W.
    pub global_buffer_leakage_w: f64,
    /// The PE clock model (None for GPU-style arrays).
    pub clock: Option<ClockModel>,
    /// Node scaling factor applied to the 45 nm figures.
    pub node_factor: f64,
}

/// Clock energy of the PE array.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClockModel {
    /// Clock energy of one PE for one cycle at the technology's voltage, pJ.
    pub pj_per_pe_cycle: f64,
    /// PEs of the whole chip.
    pub pes: u64,
    /// Fraction of an idle PE's clock energy gated off (0..=1).
    pub clock_gating: f64,
}

impl ClockModel {
    /// Time-proportional (ungated) clock energy of the whole array per cycle, pJ.
    pub fn idle_pj_per_cycle(&self) -> f64 {
        self.pes as f64 * self.pj_per_pe_cycle * (1.0 - self.clock_gating)
    }

    /// Clock energy charged per *active* PE-cycle beyond the time-proportional part, pJ
    /// (the gated share an idle PE would not pay).
    pub fn active_pj_per_pe_cycle(&self) -> f64 {
        self.pj_per_pe_cycle * self.clock_gating
    }
}

/// Register bits of one PE: for the precision that sizes the PE (see [`area::estimate`]),
/// MACs per PE per cycle × (two operand registers + the accumulator).
pub fn register_bits_per_pe(arch: &Arch) -> f64 {
    let mut best = (0.0f64, 0.0f64);
    for p in &arch.precisions {
        let acc = p.accumulator.unwrap_or(p.format.default_accumulator());
        let a = p.macs_per_pe_per_cycle * area::mac_um2(p.format, acc);
        if a > best.0 {
            let bits = 2 * p.format.element_bits() + acc.element_bits();
            best = (a, p.macs_per_pe_per_cycle * bits as f64);
        }
    }
    best.1
}

/// Stillmaker & Baas energy ratio from 45 nm, 0.9 V to the arch's technology (1 without
/// one or for a node without a fit).
pub fn node_factor(arch: &Arch) -> f64 {
    let (n0, v0) = HOROWITZ_NODE;
    arch.technology
        .as_ref()
        .and_then(|t| energy::technology_energy_scale(n0, v0, t.node_nm, t.voltage_v))
        .unwrap_or(1.0)
}

fn buffer_bits(b: &super::Buffer) -> f64 {
    b.capacity_kib * 1024.0 * 8.0
}

/// The idle-power model of `arch` when it declares an `idle_power` block.
pub fn model(arch: &Arch) -> Option<IdleModel> {
    let cfg = arch.idle_power.as_ref()?;
    let f = node_factor(arch);
    let logic = cfg
        .logic_leakage_nw_per_um2
        .unwrap_or(LOGIC_LEAKAGE_NW_PER_UM2);
    let sram = cfg
        .sram_leakage_nw_per_bit
        .unwrap_or(SRAM_LEAKAGE_NW_PER_BIT);
    let pe_um2 = area::estimate(arch).pe_um2_45nm;
    let array = arch.pes_per_core() as f64 * pe_um2 * logic * 1e-9 * f;
    let core_bits = match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => buffer_bits(buffer),
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => buffer_bits(ifmap) + buffer_bits(filter) + buffer_bits(ofmap),
    };
    let rf_bits = arch
        .pe_level
        .as_ref()
        .map(|p| p.register_file_bytes * 8.0 * arch.pes_per_core() as f64)
        .unwrap_or(0.0);
    let core_bits = core_bits + rf_bits;
    let global_bits = arch
        .memory
        .global_buffer
        .as_ref()
        .map(buffer_bits)
        .unwrap_or(0.0);
    let clock_tree = crate::model::array::of(&arch.array).has_pe_clock_tree();
    let clock = clock_tree.then(|| ClockModel {
        pj_per_pe_cycle: register_bits_per_pe(arch)
            * cfg
                .clock_fj_per_register_bit
                .unwrap_or(CLOCK_FJ_PER_REGISTER_BIT)
            * 1e-3
            * f,
        pes: arch.pes_per_core().saturating_mul(u64::from(arch.cores)),
        clock_gating: cfg.clock_gating,
    });
    Some(IdleModel {
        array_leakage_w_per_core: array,
        core_buffer_leakage_w: core_bits * sram * 1e-9 * f,
        global_buffer_leakage_w: global_bits * sram * 1e-9 * f,
        clock,
        node_factor: f,
    })
}

/// Source tag of a derived figure: `what` with the node scaling when it applies.
pub fn source(arch: &Arch, what: &str) -> String {
    let f = node_factor(arch);
    if (f - 1.0).abs() > 1e-12 {
        format!("{what}*{SRC_LEAKAGE_NODE}({f:.5})")
    } else {
        what.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logic_density_is_the_library_figure() {
        assert!((LOGIC_LEAKAGE_NW_PER_UM2 - 26.9797).abs() < 1e-3);
    }

    #[test]
    fn gating_splits_clock_energy() {
        let c = ClockModel {
            pj_per_pe_cycle: 0.1,
            pes: 10,
            clock_gating: 0.75,
        };
        // 10 PEs × 0.1 pJ × 0.25 ungated; 0.075 pJ per active PE-cycle.
        assert!((c.idle_pj_per_cycle() - 0.25).abs() < 1e-12);
        assert!((c.active_pj_per_pe_cycle() - 0.075).abs() < 1e-12);
    }
}
