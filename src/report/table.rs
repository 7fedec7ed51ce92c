//! Human-readable tables (tabled): a summary and a per-layer table, with a short legend.
//! The default summary is compact (long values wrapped, breakdowns of static power left out);
//! [`render_table_details`] prints every field in full.

use tabled::{
    builder::Builder,
    settings::{object::Columns, Style, Width},
};

use super::{LayerReport, Report};
use crate::model::Unit;

fn si(v: f64, unit: &str) -> String {
    let a = v.abs();
    let (s, p) = if a >= 1e15 {
        (v / 1e15, "P")
    } else if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else if a >= 1.0 || a == 0.0 {
        (v, "")
    } else if a >= 1e-3 {
        (v * 1e3, "m")
    } else if a >= 1e-6 {
        (v * 1e6, "µ")
    } else if a >= 1e-9 {
        (v * 1e9, "n")
    } else {
        (v * 1e12, "p")
    };
    format!("{s:.3} {p}{unit}")
}

fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.4} s")
    } else if s >= 1e-3 {
        format!("{:.4} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.4} µs", s * 1e6)
    } else {
        format!("{:.4} ns", s * 1e9)
    }
}

/// The layer's utilization in the column of `unit` (its unit's peak over its cycles), `-`
/// in the other column.
fn unit_share(x: &LayerReport, unit: Unit) -> String {
    if x.unit == unit {
        format!("{:.1}", 100.0 * x.utilization)
    } else {
        "-".to_string()
    }
}

fn clock_line(r: &Report) -> String {
    let p = &r.power;
    let v = p
        .voltage_v
        .map(|v| format!(", {v:.3} V"))
        .unwrap_or_default();
    if (p.clock_ghz - p.nominal_clock_ghz).abs() > 1e-12 {
        format!(
            "{} GHz (nominal {} GHz{v})",
            p.clock_ghz, p.nominal_clock_ghz
        )
    } else {
        format!("{} GHz{v}", p.clock_ghz)
    }
}

fn cap_line(r: &Report) -> String {
    let p = &r.power;
    match p.cap_w {
        None => "none".to_string(),
        Some(c) => {
            let state = serde_json::to_value(p.cap_state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!(
                "{c} W: {state} ({:.1} W at the nominal clock)",
                p.power_at_nominal_clock_w
            )
        }
    }
}

fn static_line(r: &Report) -> String {
    let s = &r.power.static_power_w;
    format!(
        "{:.3} W (uncore {:.3} | DRAM background {:.3} | leakage: global buffer {:.3}, core buffers {:.3}, arrays {:.3} | array clock {:.3})",
        s.total_w(),
        s.uncore_w,
        s.dram_background_w,
        s.global_buffer_leakage_w,
        s.core_buffer_leakage_w,
        s.array_leakage_w,
        s.array_clock_w
    )
}

/// Width of the summary's value column in the compact table (longer values wrap).
const COMPACT_VALUE_WIDTH: usize = 64;

/// Printed under the per-layer table: what the columns that are easy to misread mean.
pub const LEGEND: &str = "\
legend: cycles = the layer's end − start; compute = cycles its unit computed, stall = cycles it
  waited on memory (why: the binding limit). Summary compute + stall add every layer's and can
  exceed the latency: layers overlap (cores, DMA prefetch, double buffering).
  array % = MACs / (cycles × the MAC array's peak MACs per cycle), for layers on the array;
  vector % = vector ops / (cycles × the vector unit's peak ops per cycle), for vector layers;
  '-' = the layer does not use that unit.
  op → host = fused into host's epilogue or operand load: its element-ops' energy, no DRAM bytes,
  cycles or launch of its own (--no-fusion runs every op on its own).
";

/// Renders the compact summary, the per-layer table and the legend.
pub fn render_table(r: &Report) -> String {
    render(r, false)
}

/// Like [`render_table`], with every summary field in full (no wrapping, static-power
/// breakdown included): `accelsim run --details`.
pub fn render_table_details(r: &Report) -> String {
    render(r, true)
}

/// The summary's energy per inference (per batch and per sample when the batch is > 1).
fn energy_line(s: &super::Summary) -> String {
    if s.batch > 1 {
        format!(
            "{} per batch of {} = {} per sample ({:.1} inferences/J; {} per sample)",
            si(s.energy_pj * 1e-12, "J"),
            s.batch,
            si(s.energy_per_sample_pj * 1e-12, "J"),
            s.inferences_per_joule,
            si(s.latency_per_sample_s, "s")
        )
    } else {
        format!(
            "{} ({:.1} inferences/J)",
            si(s.energy_pj * 1e-12, "J"),
            s.inferences_per_joule
        )
    }
}

/// The energy breakdown: the always-present buckets, then the non-zero optional ones.
fn breakdown_line(e: &super::EnergyBreakdown) -> String {
    format!(
        "MAC {} | vector {} | SRAM {} | DRAM {} | static {}{}",
        si(e.mac * 1e-12, "J"),
        si(e.vector * 1e-12, "J"),
        si(e.sram * 1e-12, "J"),
        si(e.dram * 1e-12, "J"),
        si(e.static_ * 1e-12, "J"),
        [
            ("clock", e.clock),
            ("SM overhead", e.sm_overhead),
            ("L2", e.l2),
            ("global buffer", e.global_buffer),
            ("register files", e.register_file),
            ("NoC", e.noc),
        ]
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(k, v)| format!(" | {k} {}", si(v * 1e-12, "J")))
        .collect::<String>()
    )
}

fn render(r: &Report, details: bool) -> String {
    let s = &r.summary;
    let e = &s.energy_breakdown_pj;
    let mut b = Builder::default();
    b.push_record(["metric", "value"]);
    let rows: Vec<(&str, String)> = vec![
        ("architecture", s.arch.clone()),
        ("workload", s.workload.clone()),
        ("engine", s.engine.clone()),
        (
            "latency",
            format!("{} cycles = {}", s.cycles, seconds(s.latency_s)),
        ),
        (
            "compute / stall cycles",
            format!("{} / {}", s.compute_cycles, s.stall_cycles),
        ),
        ("MACs", format!("{} ({})", s.macs, si(s.macs as f64, "MAC"))),
        (
            "achieved / peak",
            format!("{:.3} / {:.3} TOPS", s.achieved_tops, s.peak_tops),
        ),
        ("utilization", format!("{:.2} %", 100.0 * s.utilization)),
        ("energy / inference", energy_line(s)),
        ("energy breakdown", breakdown_line(e)),
        ("average power", format!("{:.3} W", s.average_power_w)),
        ("clock", clock_line(r)),
        ("power cap", cap_line(r)),
        (
            "static power",
            if details {
                static_line(r)
            } else {
                format!("{:.3} W", r.power.static_power_w.total_w())
            },
        ),
        (
            "DRAM traffic",
            format!(
                "{} (read {} | write {} | kept on chip {})",
                si(s.dram_bytes, "B"),
                si(s.memory.dram_read_bytes, "B"),
                si(s.memory.dram_write_bytes, "B"),
                si(s.memory.kept_on_chip_bytes, "B")
            ),
        ),
        (
            "DRAM bandwidth",
            format!(
                "{:.2} GB/s achieved ({:.1} % of peak)",
                s.memory.achieved_dram_gbps,
                100.0 * s.memory.dram_bandwidth_utilization
            ),
        ),
        ("SRAM traffic", si(s.sram_bytes, "B")),
        ("on-chip peak", si(s.memory.onchip_peak_bytes, "B")),
        (
            "area (model)",
            if details {
                format!(
                    "{:.3} mm² at {} nm (MAC array {:.3} + SRAM {:.3}; not a die area)",
                    r.area.total_mm2, r.area.node_nm, r.area.array_mm2, r.area.sram_mm2
                )
            } else {
                format!(
                    "{:.3} mm² at {} nm (not a die area)",
                    r.area.total_mm2, r.area.node_nm
                )
            },
        ),
    ];
    let mut rows = rows;
    if s.events > 0 {
        rows.push(("events", s.events.to_string()));
    }
    for (k, v) in rows {
        b.push_record([k.to_string(), v]);
    }
    let mut summary = b.build();
    summary.with(Style::rounded());
    if !details {
        summary.modify(
            Columns::single(1),
            Width::wrap(COMPACT_VALUE_WIDTH).keep_words(true),
        );
    }

    let mut l = Builder::default();
    l.push_record([
        "layer",
        "op",
        "precision",
        "MACs",
        "cycles",
        "compute",
        "stall",
        "why",
        "array %",
        "vector %",
        "DRAM B",
        "energy pJ",
    ]);
    for x in &r.layers {
        l.push_record([
            x.name.clone(),
            match &x.fused_into {
                Some(h) => format!("{} → {h}", x.op),
                None => x.op.clone(),
            },
            x.precision.clone(),
            x.macs.to_string(),
            x.cycles.to_string(),
            x.compute_cycles.to_string(),
            x.stall_cycles.to_string(),
            serde_json::to_value(x.stall_reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            unit_share(x, Unit::Array),
            unit_share(x, Unit::Vector),
            format!("{:.0}", x.dram_bytes),
            format!("{:.4e}", x.energy_pj),
        ]);
    }
    let mut layers = l.build();
    layers.with(Style::rounded());
    let mut out = format!("{summary}\n{layers}\n{LEGEND}");
    out.push_str(&super::sparsity::render_table(r));
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
