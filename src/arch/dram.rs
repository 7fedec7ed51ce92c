//! DRAM technologies and their energy per bit moved (`memory.dram.kind`).
//!
//! | kind | pJ/bit | source |
//! |---|---|---|
//! | `ddr3` | 20.31 | Horowitz, ISSCC 2014: 1.3 nJ per 64-bit access (low end of 1.3–2.6 nJ) |
//! | `ddr4` | 13.00 | DDR3 × (1.2 V / 1.5 V)²: JEDEC JESD79-4 vs JESD79-3 supplies, energy ∝ V² |
//! | `lpddr4x` | 8.00 | Accelergy's DRAM table (Wu, Emer, Sze, "Accelergy", ICCAD 2019; its CACTI plug-in, `hwcomponents-cacti` `DRAM.type2energy`): LPDDR4 8 pJ/bit, taken for LPDDR4x without crediting its lower 0.6 V I/O supply (no published split) |
//! | `lpddr5` | 7.29 | LPDDR4x × (1.05 V / 1.1 V)²: JEDEC JESD209-5 vs JESD209-4X core supply |
//! | `hbm2e` | 3.90 | O'Connor et al., "Fine-Grained DRAM", MICRO 2017: HBM2 ≈ 3.9 pJ/bit |
//! | `hbm3` | 3.28 | HBM2e × (1.1 V / 1.2 V)²: JEDEC JESD238 vs JESD235 core supply |
//!
//! A measured `energy_pj_per_bit` in the arch file overrides the technology's figure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A DRAM technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DramKind {
    /// DDR3 SDRAM.
    Ddr3,
    /// DDR4 SDRAM.
    Ddr4,
    /// LPDDR4x (mobile).
    Lpddr4x,
    /// LPDDR5 (mobile).
    Lpddr5,
    /// HBM2e (stacked).
    Hbm2e,
    /// HBM3 (stacked).
    Hbm3,
}

/// Every kind, in table order.
pub const ALL: [DramKind; 6] = [
    DramKind::Ddr3,
    DramKind::Ddr4,
    DramKind::Lpddr4x,
    DramKind::Lpddr5,
    DramKind::Hbm2e,
    DramKind::Hbm3,
];

const DDR3_PJ_PER_BIT: f64 = super::energy::DRAM_PJ_PER_64B / 64.0;
/// Accelergy's LPDDR4 figure (see the module table).
const LPDDR4X_PJ_PER_BIT: f64 = 8.0;
const HBM2E_PJ_PER_BIT: f64 = 3.9;

impl DramKind {
    /// Lower-case name as in arch files.
    pub fn name(self) -> &'static str {
        match self {
            DramKind::Ddr3 => "ddr3",
            DramKind::Ddr4 => "ddr4",
            DramKind::Lpddr4x => "lpddr4x",
            DramKind::Lpddr5 => "lpddr5",
            DramKind::Hbm2e => "hbm2e",
            DramKind::Hbm3 => "hbm3",
        }
    }

    /// Energy per bit moved, pJ.
    pub fn pj_per_bit(self) -> f64 {
        match self {
            DramKind::Ddr3 => DDR3_PJ_PER_BIT,
            DramKind::Ddr4 => DDR3_PJ_PER_BIT * (1.2f64 / 1.5).powi(2),
            DramKind::Lpddr4x => LPDDR4X_PJ_PER_BIT,
            DramKind::Lpddr5 => LPDDR4X_PJ_PER_BIT * (1.05f64 / 1.1).powi(2),
            DramKind::Hbm2e => HBM2E_PJ_PER_BIT,
            DramKind::Hbm3 => HBM2E_PJ_PER_BIT * (1.1f64 / 1.2).powi(2),
        }
    }

    /// Source tag of [`Self::pj_per_bit`].
    pub fn source(self) -> &'static str {
        match self {
            DramKind::Ddr3 => "horowitz_isscc2014_45nm:dram_1.3nJ_per_64b",
            DramKind::Ddr4 => "derived:ddr3*(1.2V/1.5V)^2_jedec_jesd79-4_vs_jesd79-3",
            DramKind::Lpddr4x => {
                "accelergy_iccad2019_cacti_plugin_dram_table:lpddr4_8pj_per_bit(taken_for_lpddr4x)"
            }
            DramKind::Lpddr5 => "derived:lpddr4x*(1.05V/1.1V)^2_jedec_jesd209-5_vs_jesd209-4x",
            DramKind::Hbm2e => "oconnor_micro2017_fine_grained_dram:hbm2_3.9pj_per_bit",
            DramKind::Hbm3 => "derived:hbm2e*(1.1V/1.2V)^2_jedec_jesd238_vs_jesd235",
        }
    }

    /// Whether the kind is a low-power mobile DRAM.
    pub fn is_lpddr(self) -> bool {
        matches!(self, DramKind::Lpddr4x | DramKind::Lpddr5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_their_derivations() {
        assert!((DramKind::Ddr3.pj_per_bit() - 20.3125).abs() < 1e-12);
        assert!((DramKind::Ddr4.pj_per_bit() - 13.0).abs() < 1e-12);
        assert!((DramKind::Hbm3.pj_per_bit() - 3.9 * 121.0 / 144.0).abs() < 1e-12);
        assert_eq!(DramKind::Lpddr4x.pj_per_bit(), 8.0);
        assert!((DramKind::Lpddr5.pj_per_bit() - 8.0 * (1.05f64 / 1.1).powi(2)).abs() < 1e-12);
        for k in ALL {
            if k.is_lpddr() {
                assert!(k.pj_per_bit() < 10.0);
            }
        }
    }
}
