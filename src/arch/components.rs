//! The component table: every energy and area figure accelsim prices with, its unit, its
//! source and the node it applies to (`accelsim energy-table [ARCH]`). Without an arch the
//! figures are the 45 nm base tables; with one, they are scaled to its technology and its
//! own buffers, DRAM, PE level and idle-power figures are added.

use serde::Serialize;

use super::{area, dram, leakage, Arch, EnergyTable};
use crate::numerics::Format;

/// One row of the component table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// Kind of component (`mac`, `sram`, `register_file`, `noc`, `dram`, `leakage`,
    /// `clock`, `area`).
    pub component: String,
    /// What exactly (format, size, technology).
    pub item: String,
    /// The figure.
    pub value: f64,
    /// Its unit (`pJ/MAC`, `pJ/64b`, `pJ/bit`, `nW/um2`, ...).
    pub unit: String,
    /// Technology node the figure applies to, nm.
    pub node_nm: u32,
    /// Where it comes from.
    pub source: String,
}

const FORMATS: [(&str, &str); 8] = [
    ("int4", "int32"),
    ("int8", "int32"),
    ("int16", "int32"),
    ("int32", "int32"),
    ("fp8_e4m3", "fp32"),
    ("bf16", "fp32"),
    ("fp16", "fp32"),
    ("fp32", "fp32"),
];

const SRAM_SIZES_KIB: [f64; 6] = [2.0, 8.0, 32.0, 256.0, 1024.0, 4096.0];

/// The component table of `arch` (None: the 45 nm base tables).
pub fn table(arch: Option<&Arch>) -> Vec<Component> {
    let t = arch
        .map(Arch::energy_table)
        .unwrap_or_else(EnergyTable::horowitz_45nm);
    let node = arch
        .and_then(|a| a.technology.as_ref())
        .map_or(45, |t| t.node_nm);
    let mut out = Vec::new();
    let mut put =
        |component: &str, item: String, value: f64, unit: &str, node_nm, source: String| {
            out.push(Component {
                component: component.into(),
                item,
                value,
                unit: unit.into(),
                node_nm,
                source,
            })
        };
    for (f, acc) in FORMATS {
        let (f, acc) = (
            Format::parse(f).expect("known format"),
            Format::parse(acc).expect("known format"),
        );
        let e = t.mac(f, acc);
        put(
            "mac",
            format!("{}x{}", f.name(), acc.name()),
            e.pj,
            "pJ/MAC",
            node,
            e.source,
        );
        put(
            "area",
            format!("mac.{}x{}", f.name(), acc.name()),
            area::mac_um2(f, acc),
            "um2",
            45,
            area::SRC_OPS.into(),
        );
    }
    for kib in SRAM_SIZES_KIB {
        let e = t.sram_read64(kib * 1024.0);
        put(
            "sram",
            format!("{kib} KiB, 64-bit access"),
            e.pj,
            "pJ/64b",
            node,
            e.source,
        );
    }
    put(
        "area",
        "sram bit cell / array efficiency".into(),
        area::um2::SRAM_BIT_CELL / area::SRAM_ARRAY_EFFICIENCY,
        "um2/bit",
        45,
        format!("{}+{}", area::SRC_SRAM_CELL, area::SRC_SRAM_EFFICIENCY),
    );
    for k in dram::ALL {
        put(
            "dram",
            k.name().into(),
            k.pj_per_bit(),
            "pJ/bit",
            0,
            k.source().into(),
        );
    }
    put(
        "leakage",
        "logic".into(),
        leakage::LOGIC_LEAKAGE_NW_PER_UM2,
        "nW/um2",
        45,
        leakage::SRC_LOGIC_LEAKAGE.into(),
    );
    put(
        "leakage",
        "sram bit".into(),
        leakage::SRAM_LEAKAGE_NW_PER_BIT,
        "nW/bit",
        45,
        leakage::SRC_SRAM_LEAKAGE.into(),
    );
    put(
        "clock",
        "register bit".into(),
        leakage::CLOCK_FJ_PER_REGISTER_BIT,
        "fJ/bit/cycle",
        45,
        leakage::SRC_CLOCK.into(),
    );
    if let Some(a) = arch {
        arch_rows(a, &t, node, &mut out);
    }
    out
}

fn arch_rows(a: &Arch, t: &EnergyTable, node: u32, out: &mut Vec<Component>) {
    let mut put = |component: &str, item: &str, value: f64, unit: &str, source: String| {
        out.push(Component {
            component: component.into(),
            item: format!("{}: {item}", a.name),
            value,
            unit: unit.into(),
            node_nm: node,
            source,
        })
    };
    let sram = crate::model::sram_energy_per_64b(a, t);
    for (name, v) in ["ifmap", "filter", "ofmap"].iter().zip(sram) {
        put(
            "sram",
            &format!("core buffer {name}"),
            v,
            "pJ/64b",
            "arch".into(),
        );
    }
    let d = &a.memory.dram;
    let src = match (d.energy_pj_per_bit, d.kind) {
        (Some(_), _) => super::energy::SRC_ARCH_OVERRIDE.to_string(),
        (None, Some(k)) => k.source().to_string(),
        (None, None) => t.dram_read64().source,
    };
    put(
        "dram",
        &format!("dram ({})", d.kind.map_or("unspecified", |k| k.name())),
        crate::model::dram_pj_per_byte(a, t) / 8.0,
        "pJ/bit",
        src,
    );
    if let Some(p) = &a.pe_level {
        let what = format!("{}-bit access", p.access_bits);
        put(
            "register_file",
            &what,
            p.rf_energy_pj_per_access,
            "pJ/access",
            super::energy::SRC_ARCH_OVERRIDE.into(),
        );
        put(
            "noc",
            &what,
            p.noc_energy_pj_per_access,
            "pJ/word",
            super::energy::SRC_ARCH_OVERRIDE.into(),
        );
    }
    if let Some(m) = leakage::model(a) {
        put(
            "leakage",
            "array per core",
            m.array_leakage_w_per_core,
            "W",
            leakage::source(a, leakage::SRC_LOGIC_LEAKAGE),
        );
        put(
            "leakage",
            "core buffers per core",
            m.core_buffer_leakage_w,
            "W",
            leakage::source(a, leakage::SRC_SRAM_LEAKAGE),
        );
        if let Some(c) = m.clock {
            put(
                "clock",
                "PE per cycle",
                c.pj_per_pe_cycle,
                "pJ",
                leakage::source(a, leakage::SRC_CLOCK),
            );
        }
    }
}

/// The table as aligned text, one row per component.
pub fn render(rows: &[Component]) -> String {
    let mut s = format!(
        "{:<14} {:<40} {:>12} {:<13} {:>5}  source\n",
        "component", "item", "value", "unit", "node"
    );
    for r in rows {
        let node = if r.node_nm == 0 {
            "-".to_string()
        } else {
            format!("{}nm", r.node_nm)
        };
        s.push_str(&format!(
            "{:<14} {:<40} {:>12.5} {:<13} {:>5}  {}\n",
            r.component, r.item, r.value, r.unit, node, r.source
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_table_carries_quoted_figures_with_sources() {
        let rows = table(None);
        let find = |c: &str, i: &str| {
            rows.iter()
                .find(|r| r.component == c && r.item == i)
                .unwrap()
        };
        assert!((find("mac", "int8xint32").value - 0.3).abs() < 1e-12);
        assert_eq!(find("sram", "8 KiB, 64-bit access").value, 10.0);
        assert_eq!(find("dram", "hbm2e").value, 3.9);
        assert!(rows.iter().all(|r| !r.source.is_empty()));
    }
}
