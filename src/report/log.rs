//! Log lines of a finished run (`tracing`): one debug line per op with the decisions the
//! model took for it — precision binding, unit, GEMM view and mapping, tiling and reuse,
//! the engine's figures — and one info line with the engine's summary. Shown with
//! `accelsim -vv run …` or `RUST_LOG=accelsim=debug`.

use super::Report;
use crate::model::Unit;

/// A serde enum's snake_case name (`dram_bound`, `weights_resident`).
fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Emits the run's debug lines (one per op) and its info summary line.
pub fn log_run(r: &Report) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    for x in &r.layers {
        let unit = match x.unit {
            Unit::Array => match &x.mac_format {
                Some(f) => format!("on the MAC array in {f}"),
                None => "on the MAC array".to_string(),
            },
            Unit::Vector => "on the vector unit".to_string(),
            Unit::None => match &x.fused_into {
                Some(h) => format!("fused into '{h}'"),
                None => "as a view (no compute unit)".to_string(),
            },
        };
        let gemm = x
            .gemm
            .map(|[c, m, n, k]| format!("; GEMM {c}×{m}×{n}×{k} (count×M×N×K)"))
            .unwrap_or_default();
        let mapping = x
            .mapping_efficiency
            .map(|e| format!("; mapping fills {:.1} % of PE slots", 100.0 * e))
            .unwrap_or_default();
        let reuse = x
            .reuse
            .as_ref()
            .map(|r| format!(", reuse {}", name_of(r)))
            .unwrap_or_default();
        tracing::debug!(
            "op '{}' ({}): precision {} {unit}{gemm}{mapping}; {} tile(s) on {} core(s){reuse}; \
             cycles {}..{} (compute {}, stall {} {}), DRAM {:.0} B, output {}",
            x.name,
            x.op,
            x.precision,
            x.tiles,
            x.cores_used,
            x.start_cycle,
            x.end_cycle,
            x.compute_cycles,
            x.stall_cycles,
            name_of(&x.stall_reason),
            x.dram_bytes,
            if x.output_on_chip {
                "kept on chip"
            } else {
                "written to DRAM"
            },
        );
    }
    let s = &r.summary;
    tracing::info!(
        "{} engine: {} ops, {} events, {} cycles, {:.4e} pJ",
        s.engine,
        r.layers.len(),
        s.events,
        s.cycles,
        s.energy_pj
    );
}
