//! Text rendering of a [`TrainReport`]: summary, phases, layers, memory footprint.

use std::fmt::Write;

use super::cost::{PhaseCost, TrainReport};

fn mib(b: f64) -> f64 {
    b / (1024.0 * 1024.0)
}

fn phase_line(out: &mut String, label: &str, p: &PhaseCost, total_pj: f64, time_s: f64) {
    let share = if total_pj > 0.0 {
        100.0 * p.energy_pj / total_pj
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "  {label:<22} {:<6} {:>5} {:>16} {:>14} {:>12.3} {:>12.3} {:>6.1}% {:>12.3}",
        p.phase.name(),
        p.ops,
        p.macs,
        p.vector_ops,
        time_s * 1e3,
        p.energy_pj * 1e-6,
        share,
        mib(p.dram_bytes),
    );
}

/// The report as text tables.
pub fn render_text(r: &TrainReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "training step: {} on {} under policy {}",
        r.workload, r.arch, r.policy
    );
    let _ = writeln!(
        out,
        "  latency {:.6} ms at {:.3} GHz, energy {:.3} uJ, {} MACs, DRAM {:.3} MiB",
        r.latency_s * 1e3,
        r.clock_ghz,
        r.energy_pj * 1e-6,
        r.macs,
        mib(r.dram_bytes)
    );
    let head = format!(
        "  {:<22} {:<6} {:>5} {:>16} {:>14} {:>12} {:>12} {:>7} {:>12}",
        "", "phase", "ops", "MACs", "vector ops", "span ms", "energy uJ", "energy", "DRAM MiB"
    );
    let _ = writeln!(out, "\nper phase:\n{head}");
    for p in &r.phases {
        phase_line(&mut out, "step", p, r.energy_pj, p.span_s);
    }
    let _ = writeln!(out, "\nper layer:\n{}", head.replace("span ms", "op ms  "));
    for l in &r.layers {
        for p in &l.phases {
            phase_line(&mut out, &l.name, p, r.energy_pj, p.op_time_s);
        }
    }
    let m = &r.memory;
    let _ = writeln!(out, "\nmemory footprint (MiB):");
    for (k, v) in [
        ("weights", m.weights_bytes),
        ("master weights", m.master_weights_bytes),
        ("optimizer state", m.optimizer_state_bytes),
        ("weight gradients", m.weight_gradients_bytes),
        ("stored activations", m.stored_activations_bytes),
    ] {
        let _ = writeln!(out, "  {k:<20} {:>12.3}", mib(v as f64));
    }
    let _ = writeln!(
        out,
        "  {:<20} {:>12.3}  (at {})",
        "peak",
        mib(m.peak_bytes as f64),
        m.peak_at
    );
    let _ = writeln!(out, "  (span: first start to last end of the phase's ops, phases may overlap; op ms: sum of its ops' durations)");
    out
}
