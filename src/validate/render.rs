//! Renderers of validation results: plain text for the terminal, Markdown for
//! VALIDATION.md (the same tables), JSON via serde.

use super::h100::{H100Validation, ACCEPTANCE_MIN_SIZE};
use super::sweep::SweepRow;

fn pct(x: f64) -> String {
    format!("{:+.1}%", 100.0 * x)
}

fn us(s: f64) -> String {
    format!("{:.1}", s * 1e6)
}

fn cap(s: crate::power::CapState) -> &'static str {
    match s {
        crate::power::CapState::NoCap => "no cap",
        crate::power::CapState::UnderCap => "under",
        crate::power::CapState::Capped => "capped",
        crate::power::CapState::CapUnreachable => "unreachable",
    }
}

/// The per-point table as Markdown.
pub fn points_markdown(v: &H100Validation) -> String {
    let mut out = String::from(
        "| M=N=K | precision | measured µs | predicted µs | error | clock GHz | power W (meas / pred) | bound | CTA tile, split-K, waves |\n|---:|---|---:|---:|---:|---:|---|---|---|\n",
    );
    for r in &v.rows {
        let power = match r.measured_power_w {
            Some(m) => format!("{m:.0} / {:.0}", r.predicted_power_w),
            None => format!("— / {:.0}", r.predicted_power_w),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.3} | {} | {} | {} |\n",
            r.m,
            r.precision,
            us(r.measured_s),
            us(r.predicted_s),
            pct(r.latency_error),
            r.clock_ghz,
            power,
            r.bound,
            r.schedule
        ));
    }
    out
}

/// Median latency errors per precision as Markdown.
pub fn stats_markdown(v: &H100Validation) -> String {
    let mut out = format!(
        "| precision | points ≥ {ACCEPTANCE_MIN_SIZE}³ | median abs. latency error | max abs. latency error |\n|---|---:|---:|---:|\n"
    );
    for s in &v.stats {
        out.push_str(&format!(
            "| {} | {} | {:.1}% | {:.1}% |\n",
            s.precision,
            s.points,
            100.0 * s.median_abs_latency_error,
            100.0 * s.max_abs_latency_error
        ));
    }
    out
}

/// Energy per MAC comparison (points with measured energy) as Markdown.
pub fn energy_markdown(v: &H100Validation) -> String {
    let mut out = String::from(
        "| M=N=K | precision | measured pJ/MAC | predicted pJ/MAC | error |\n|---:|---|---:|---:|---:|\n",
    );
    for r in v.rows.iter().filter(|r| r.measured_pj_per_mac.is_some()) {
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {} |\n",
            r.m,
            r.precision,
            r.measured_pj_per_mac.unwrap_or(0.0),
            r.predicted_pj_per_mac,
            pct(r.energy_error.unwrap_or(0.0))
        ));
    }
    out
}

/// Precision ordering per size as Markdown.
pub fn ordering_markdown(v: &H100Validation) -> String {
    let mut out = String::from(
        "| M=N=K | measured (fastest first) | predicted (fastest first) | pairs agreeing / tied in model / opposite within noise / contradicted |\n|---:|---|---|---|\n",
    );
    for o in &v.ordering {
        let contradicted = pair_list(&o.pairs_contradicted);
        let noise = pair_list(&o.pairs_within_noise);
        out.push_str(&format!(
            "| {} | {} | {} | {} / {} / {} / {} |\n",
            o.size,
            o.measured.join(" < "),
            o.predicted_display,
            o.pairs_agree,
            o.pairs_tied,
            noise,
            contradicted
        ));
    }
    out
}

/// Precision pairs as `a/b, c/d` (`0` when there are none).
fn pair_list<T: std::fmt::Display>(pairs: &[(T, T)]) -> String {
    if pairs.is_empty() {
        return "0".to_string();
    }
    let names: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}/{b}")).collect();
    names.join(", ")
}

/// The power cap's effect per precision as Markdown.
pub fn cap_markdown(rows: &[super::cap::CapRow]) -> String {
    let header = "| precision | no cap: µs | power W | speed-up | pJ/MAC | 700 W cap: µs | clock GHz | speed-up | pJ/MAC |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    markdown_table(header, rows, |r| {
        format!(
            "| {} | {} | {:.0} | {:.2}× | {:.3} | {} | {:.3} | {:.2}× | {:.3} |\n",
            r.precision,
            us(r.uncapped_s),
            r.uncapped_power_w,
            r.speedup_uncapped,
            r.uncapped_pj_per_mac,
            us(r.capped_s),
            r.capped_clock_ghz,
            r.speedup_capped,
            r.capped_pj_per_mac
        )
    })
}

/// A Markdown table: `header` (its heading and alignment lines), then `line(row)` for
/// every row.
fn markdown_table<R>(header: &str, rows: &[R], line: impl Fn(&R) -> String) -> String {
    let mut out = String::from(header);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// A precision sweep as Markdown.
pub fn sweep_markdown(rows: &[SweepRow]) -> String {
    let header = "| precision | output | latency ms | vs first | reduction | energy J | power W | clock GHz | cap |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    markdown_table(header, rows, |r| {
        format!(
            "| {} | {} | {:.3} | {:.3} | {:.1}% | {:.3} | {:.0} | {:.3} | {} |\n",
            r.format,
            r.output,
            r.latency_s * 1e3,
            r.latency_vs_first,
            100.0 * (1.0 - r.latency_vs_first),
            r.energy_j,
            r.power_w,
            r.clock_ghz,
            cap(r.cap_state)
        )
    })
}

/// Everything as one Markdown document body (the generated part of VALIDATION.md).
pub fn h100_markdown(v: &H100Validation) -> String {
    format!(
        "### Median latency error per precision\n\n{}\n### Energy per MAC (whole board)\n\n{}\n### Precision ordering by latency\n\n{}\n### Every calibration point\n\n{}",
        stats_markdown(v),
        energy_markdown(v),
        ordering_markdown(v),
        points_markdown(v)
    )
}

/// Plain-text rendering for the terminal (Markdown tables read fine as text).
pub fn h100_text(v: &H100Validation) -> String {
    format!(
        "accelsim validate: {} against the H100 calibration set\n\n{}",
        v.arch,
        h100_markdown(v)
    )
}
