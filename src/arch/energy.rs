//! Per-operation energy table (Horowitz, ISSCC 2014, 45 nm) with documented derivations
//! for formats the paper lacks. Every entry carries a source tag.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{InputError, InputResult};
use crate::numerics::{Format, MxElem};

/// Tag for figures quoted directly from Horowitz, "Computing's energy problem (and what
/// we can do about it)", ISSCC 2014, 45 nm, 0.9 V.
pub const SRC_HOROWITZ: &str = "horowitz_isscc2014_45nm";
/// Tag for multiplier energies scaled with the square of the significand/operand width.
pub const SRC_MULT_SQUARE: &str = "derived:mult_scales_with_width_squared";
/// Tag for adder energies scaled linearly with width.
pub const SRC_ADD_LINEAR: &str = "derived:add_scales_linearly_with_width";
/// Tag for SRAM energy interpolated in log2(capacity) between Horowitz's 8 KiB/32 KiB/1 MiB.
pub const SRC_SRAM_LOG_INTERP: &str = "derived:sram_interpolated_in_log_capacity";
/// Tag for a value the architecture file set.
pub const SRC_ARCH_OVERRIDE: &str = "arch_file_override";
/// Tag for technology scaling with Stillmaker & Baas, "Scaling equations for the accurate
/// prediction of CMOS device performance from 180 nm to 7 nm", Integration 58 (2017) 74–81.
pub const SRC_STILLMAKER: &str = "stillmaker_baas2017";
/// Tag for dynamic-voltage scaling of dynamic energy, ∝ V².
pub const SRC_DVFS: &str = "dvfs_v_squared";

/// Node and supply voltage of the Horowitz table (ISSCC 2014: 45 nm, 0.9 V).
pub const HOROWITZ_NODE: (u32, f64) = (45, 0.9);

/// Stillmaker & Baas (2017) Table 5 energy fits: energy factor = a·V² + b·V + c per node
/// (bulk fits for 180–65 nm, high-performance "HP" fits for 45 nm and below, the flavour a
/// GPU or accelerator is built in). Energy scales between nodes (and voltages) by the ratio
/// of factors. Values as tabulated in the paper (the corrigendum's example checks the 65 nm
/// and 32 nm rows: 2.604 at 1.3 V and 0.4571 at 0.9 V).
pub const STILLMAKER_ENERGY_FIT: [(u32, [f64; 3]); 11] = [
    (180, [0.0, 24.64, -17.98]),
    (130, [7.171, -6.709, 2.904]),
    (90, [4.762, -4.781, 2.092]),
    (65, [3.755, -4.398, 1.975]),
    (45, [1.018, -0.3107, 0.1539]),
    (32, [0.8367, -0.4341, 0.1701]),
    (20, [0.373, -0.1582, 0.04104]),
    (16, [0.2958, -0.1241, 0.03024]),
    (14, [0.2363, -0.09675, 0.02239]),
    (10, [0.2068, -0.09311, 0.02375]),
    (7, [0.1776, -0.09097, 0.02447]),
];

/// Stillmaker & Baas energy factor of `node_nm` at `voltage_v` (None for an unknown node).
pub fn stillmaker_energy_factor(node_nm: u32, voltage_v: f64) -> Option<f64> {
    STILLMAKER_ENERGY_FIT
        .iter()
        .find(|(n, _)| *n == node_nm)
        .map(|(_, [a, b, c])| a * voltage_v * voltage_v + b * voltage_v + c)
}

/// Factor that scales an energy from (`from_nm`, `from_v`) to (`to_nm`, `to_v`).
pub fn technology_energy_scale(from_nm: u32, from_v: f64, to_nm: u32, to_v: f64) -> Option<f64> {
    let a = stillmaker_energy_factor(from_nm, from_v)?;
    let b = stillmaker_energy_factor(to_nm, to_v)?;
    (a > 0.0 && b > 0.0).then(|| b / a)
}

/// Nodes with a Stillmaker & Baas fit, largest first.
pub fn technology_nodes() -> Vec<u32> {
    STILLMAKER_ENERGY_FIT.iter().map(|(n, _)| *n).collect()
}

/// One energy figure with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnergyEntry {
    /// Energy in picojoules.
    pub pj: f64,
    /// Where the figure comes from.
    pub source: String,
}

/// The resolved energy table of an architecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnergyTable {
    /// Table name (e.g. `horowitz_45nm`).
    pub name: String,
    entries: BTreeMap<String, EnergyEntry>,
    /// Scalings applied to the whole table (technology, voltage), appended to every derived
    /// figure's source tag.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scaling: String,
}

/// DRAM energy per 64-bit access from Horowitz's 1.3–2.6 nJ range: accelsim uses the low
/// end, 1.3 nJ (≈ 20.3 pJ/bit), closest to modern DRAM interfaces. Arch files can override.
pub const DRAM_PJ_PER_64B: f64 = 1300.0;

impl EnergyTable {
    /// The Horowitz 45 nm base table: quoted entries plus derived ones for every format
    /// accelsim names (see [`EnergyTable::keys`]).
    pub fn horowitz_45nm() -> EnergyTable {
        let mut entries = BTreeMap::new();
        let mut put = |k: &str, pj: f64, src: &str| {
            entries.insert(
                k.to_string(),
                EnergyEntry {
                    pj,
                    source: src.to_string(),
                },
            );
        };
        // Quoted (Horowitz 2014, 45 nm).
        put("add.int8", 0.03, SRC_HOROWITZ);
        put("add.int32", 0.1, SRC_HOROWITZ);
        put("mult.int8", 0.2, SRC_HOROWITZ);
        put("mult.int32", 3.1, SRC_HOROWITZ);
        put("add.fp16", 0.4, SRC_HOROWITZ);
        put("mult.fp16", 1.1, SRC_HOROWITZ);
        put("add.fp32", 0.9, SRC_HOROWITZ);
        put("mult.fp32", 3.7, SRC_HOROWITZ);
        put("sram.8kib.read64", 10.0, SRC_HOROWITZ);
        put("sram.32kib.read64", 20.0, SRC_HOROWITZ);
        put("sram.1mib.read64", 100.0, SRC_HOROWITZ);
        put("dram.read64", DRAM_PJ_PER_64B, SRC_HOROWITZ);
        EnergyTable {
            name: "horowitz_45nm".into(),
            entries,
            scaling: String::new(),
        }
    }

    /// Multiplies every on-chip entry (all but `dram.*`: DRAM interface energy follows its
    /// own supply) by `factor`, appending `tag` to their sources and to [`Self::scaling`].
    pub fn scaled(mut self, factor: f64, tag: &str) -> EnergyTable {
        for (k, e) in self.entries.iter_mut() {
            if !k.starts_with("dram.") {
                e.pj *= factor;
                e.source.push_str(tag);
            }
        }
        self.scaling.push_str(tag);
        self
    }

    /// Builds the table for an arch: the base table scaled to `technology` (node, voltage)
    /// with Stillmaker & Baas, then the arch's overrides (taken as given at the technology's
    /// voltage), then dynamic-voltage scaling by `voltage_ratio`² (operating over reference
    /// voltage; 1 for none).
    pub fn from_config_scaled(
        cfg: &crate::arch::EnergyConfig,
        technology: Option<&crate::arch::Technology>,
        voltage_ratio: f64,
    ) -> InputResult<EnergyTable> {
        let mut t = base_table(&cfg.table)?;
        if let Some(tech) = technology {
            let (n0, v0) = HOROWITZ_NODE;
            let f = technology_energy_scale(n0, v0, tech.node_nm, tech.voltage_v).ok_or_else(
                || {
                    InputError::at(
                        "technology.node_nm",
                        format!(
                            "no Stillmaker & Baas energy fit for {} nm at {} V; expected a node in {:?} and a voltage giving a positive energy factor",
                            tech.node_nm,
                            tech.voltage_v,
                            technology_nodes()
                        ),
                    )
                },
            )?;
            t = t.scaled(
                f,
                &format!(
                    "*{SRC_STILLMAKER}({n0}nm@{v0}V->{}nm@{}V={f:.5})",
                    tech.node_nm, tech.voltage_v
                ),
            );
        }
        apply_overrides(&mut t, cfg)?;
        if (voltage_ratio - 1.0).abs() > 1e-12 {
            let f = voltage_ratio * voltage_ratio;
            t = t.scaled(f, &format!("*{SRC_DVFS}({f:.5})"));
        }
        Ok(t)
    }

    /// Builds the table an arch file asks for, applying its overrides.
    pub fn from_config(cfg: &crate::arch::EnergyConfig) -> InputResult<EnergyTable> {
        EnergyTable::from_config_scaled(cfg, None, 1.0)
    }

    /// Every explicit entry (quoted and overridden), sorted by key.
    pub fn keys(&self) -> impl Iterator<Item = (&String, &EnergyEntry)> {
        self.entries.iter()
    }

    fn get(&self, key: &str) -> Option<&EnergyEntry> {
        self.entries.get(key)
    }

    /// Energy of one multiply of two operands in `format`.
    ///
    /// Integers (and fixed point, binary): `mult.int8 × (bits/8)²`, anchored at the nearest
    /// quoted width (int8 or int32). Floats: `mult.fp16 × (significand/11)²` for
    /// significands ≤ 11 bits (bf16, fp8, fp6, fp4), `mult.fp32` scaled from 24 bits above.
    /// MX formats: the element format's multiply (the shared-scale add is charged separately).
    pub fn mult(&self, format: Format) -> EnergyEntry {
        let key = format!("mult.{}", format.name());
        if let Some(e) = self.get(&key) {
            return e.clone();
        }
        match format {
            Format::Mx { elem, .. } => match elem {
                MxElem::Int8 => self.mult(Format::INT8),
                MxElem::Float(f) => self.mult(Format::Float(f)),
            },
            Format::Float(f) => {
                let sig = (f.man_bits + 1) as f64;
                let (anchor, anchor_sig) = if sig <= 11.0 {
                    (self.entry_or("mult.fp16"), 11.0)
                } else {
                    (self.entry_or("mult.fp32"), 24.0)
                };
                self.derived(anchor.pj * (sig / anchor_sig).powi(2), SRC_MULT_SQUARE)
            }
            Format::BlockFp { man_bits, .. } => self.int_mult(man_bits),
            _ => self.int_mult(format.element_bits()),
        }
    }

    fn int_mult(&self, bits: u32) -> EnergyEntry {
        let bits = bits as f64;
        let (anchor, anchor_bits) = if bits <= 8.0 {
            (self.entry_or("mult.int8"), 8.0)
        } else {
            (self.entry_or("mult.int32"), 32.0)
        };
        self.derived(anchor.pj * (bits / anchor_bits).powi(2), SRC_MULT_SQUARE)
    }

    /// Energy of one add in `format` (the accumulator format of a MAC).
    ///
    /// Integers: linear in width through the quoted int8 and int32 points (extrapolated
    /// linearly from int8 below 8 bits). Floats: linear in total width from fp16 (≤ 16 bits)
    /// or fp32 (above).
    pub fn add(&self, format: Format) -> EnergyEntry {
        let key = format!("add.{}", format.name());
        if let Some(e) = self.get(&key) {
            return e.clone();
        }
        match format {
            Format::Mx { elem, .. } => match elem {
                MxElem::Int8 => self.add(Format::INT8),
                MxElem::Float(f) => self.add(Format::Float(f)),
            },
            Format::Float(f) => {
                let bits = f.bits() as f64;
                let (anchor, anchor_bits) = if bits <= 16.0 {
                    (self.entry_or("add.fp16"), 16.0)
                } else {
                    (self.entry_or("add.fp32"), 32.0)
                };
                self.derived(anchor.pj * bits / anchor_bits, SRC_ADD_LINEAR)
            }
            _ => {
                let bits = format.element_bits() as f64;
                let a8 = self.entry_or("add.int8").pj;
                let a32 = self.entry_or("add.int32").pj;
                let pj = if bits <= 8.0 {
                    a8 * bits / 8.0
                } else {
                    a8 + (a32 - a8) * (bits - 8.0) / 24.0
                };
                self.derived(pj, SRC_ADD_LINEAR)
            }
        }
    }

    /// Energy of one MAC: a multiply in the operand format plus an add at the accumulator's
    /// width. Binary (XNOR-popcount) MACs use a 1-bit adder (their popcount tree's share)
    /// instead of a full accumulator add. MX formats add one 8-bit scale-exponent add per
    /// block, amortised over the block.
    pub fn mac(&self, operand: Format, accumulator: Format) -> EnergyEntry {
        let m = self.mult(operand);
        let a = if operand == Format::Binary {
            self.derived(self.entry_or("add.int8").pj / 8.0, SRC_ADD_LINEAR)
        } else {
            self.add(accumulator)
        };
        let mut pj = m.pj + a.pj;
        let mut source = format!("mult:{}+add:{}", m.source, a.source);
        if let Format::Mx { block, .. } = operand {
            pj += self.entry_or("add.int8").pj / block as f64;
            source.push_str("+scale_add_per_block");
        }
        EnergyEntry { pj, source }
    }

    /// Energy of one 64-bit SRAM access for a buffer of `capacity_bytes`, interpolated
    /// linearly in log2(capacity) through the 8 KiB, 32 KiB and 1 MiB points, extrapolated
    /// with the nearest segment's slope above 1 MiB, and ∝ √capacity below 8 KiB.
    pub fn sram_read64(&self, capacity_bytes: f64) -> EnergyEntry {
        let e8 = self.pj_or("sram.8kib.read64");
        let e32 = self.pj_or("sram.32kib.read64");
        let e1m = self.pj_or("sram.1mib.read64");
        let l = capacity_bytes.max(1.0).log2();
        let pj = if l < 13.0 {
            e8 * (capacity_bytes.max(1.0) / 8192.0).sqrt()
        } else if l <= 15.0 {
            e8 + (e32 - e8) * (l - 13.0) / 2.0
        } else {
            e32 + (e1m - e32) * (l - 15.0) / 5.0
        };
        self.derived(pj, SRC_SRAM_LOG_INTERP)
    }

    /// Energy of one 64-bit DRAM access.
    pub fn dram_read64(&self) -> EnergyEntry {
        self.entry_or("dram.read64")
    }

    fn derived(&self, pj: f64, source: &str) -> EnergyEntry {
        EnergyEntry {
            pj,
            source: format!("{source}{}", self.scaling),
        }
    }

    /// The figure of [`EnergyTable::entry_or`] without copying its source tag (called per op).
    fn pj_or(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(e) => e.pj,
            None => self.entry_or(key).pj,
        }
    }

    fn entry_or(&self, key: &str) -> EnergyEntry {
        self.get(key)
            .cloned()
            .or_else(|| EnergyTable::horowitz_45nm().get(key).cloned())
            .unwrap_or(EnergyEntry {
                pj: 0.0,
                source: "missing".into(),
            })
    }
}

fn base_table(name: &str) -> InputResult<EnergyTable> {
    match name {
        "horowitz_45nm" => Ok(EnergyTable::horowitz_45nm()),
        other => Err(InputError::at(
            "energy.table",
            format!("unknown energy table '{other}'; expected 'horowitz_45nm'"),
        )),
    }
}

fn apply_overrides(t: &mut EnergyTable, cfg: &crate::arch::EnergyConfig) -> InputResult<()> {
    for (k, v) in &cfg.overrides_pj {
        if !v.is_finite() || *v < 0.0 {
            return Err(InputError::at(
                format!("energy.overrides_pj.{k}"),
                format!("expected a finite energy ≥ 0 pJ, got {v}"),
            ));
        }
        if !is_valid_key(k) {
            return Err(InputError::at(
                format!("energy.overrides_pj.{k}"),
                "unknown energy key; expected 'add.<format>', 'mult.<format>', \
                 'sram.8kib.read64', 'sram.32kib.read64', 'sram.1mib.read64' or 'dram.read64'"
                    .to_string(),
            ));
        }
        t.entries.insert(
            k.clone(),
            EnergyEntry {
                pj: *v,
                source: SRC_ARCH_OVERRIDE.into(),
            },
        );
    }
    Ok(())
}

fn is_valid_key(k: &str) -> bool {
    if let Some(f) = k.strip_prefix("add.").or_else(|| k.strip_prefix("mult.")) {
        return Format::parse(f).is_ok();
    }
    matches!(
        k,
        "sram.8kib.read64" | "sram.32kib.read64" | "sram.1mib.read64" | "dram.read64"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn quoted_and_derived_mults() {
        let t = EnergyTable::horowitz_45nm();
        assert_eq!(t.mult(Format::INT8).pj, 0.2);
        assert_eq!(t.mult(Format::FP16).pj, 1.1);
        assert_relative_eq!(t.mult(Format::INT4).pj, 0.05);
        assert_relative_eq!(t.mult(Format::BF16).pj, 1.1 * (8.0f64 / 11.0).powi(2));
        assert_relative_eq!(t.mult(Format::FP8_E4M3).pj, 1.1 * (4.0f64 / 11.0).powi(2));
        assert_relative_eq!(t.mult(Format::INT16).pj, 3.1 * 0.25);
    }

    #[test]
    fn macs() {
        let t = EnergyTable::horowitz_45nm();
        assert_relative_eq!(t.mac(Format::INT8, Format::INT32).pj, 0.3);
        assert_relative_eq!(t.mac(Format::FP16, Format::FP32).pj, 2.0);
        assert_relative_eq!(t.mac(Format::FP32, Format::FP32).pj, 4.6);
    }

    #[test]
    fn sram_interpolation() {
        let t = EnergyTable::horowitz_45nm();
        assert_relative_eq!(t.sram_read64(8192.0).pj, 10.0);
        assert_relative_eq!(t.sram_read64(16384.0).pj, 15.0);
        assert_relative_eq!(t.sram_read64(32768.0).pj, 20.0);
        assert_relative_eq!(t.sram_read64(1048576.0).pj, 100.0);
        assert_relative_eq!(t.sram_read64(2097152.0).pj, 116.0);
        assert_relative_eq!(t.sram_read64(2048.0).pj, 5.0);
    }
}
