//! The sparsity part of a report: the run's totals and a per-layer table of the density
//! seen, the compute speedup and the energy saved (shown only when some tensor is sparse);
//! with densities measured in functional execution, their source and the declarations
//! they replaced.

use serde::Serialize;
use tabled::{builder::Builder, settings::Style};

use super::Report;
use crate::model::OpCost;
use crate::workload::sparsity::SparsitySource;

/// Whole-run sparsity figures: what the sparse tensors bought on this architecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SparsitySummary {
    /// Ops with at least one sparse tensor.
    pub sparse_ops: usize,
    /// Ops where the architecture exploited the sparsity.
    pub exploited_ops: usize,
    /// Compute cycles the sparse ops would take on dense data.
    pub dense_compute_cycles: u64,
    /// Compute cycles they take here.
    pub compute_cycles: u64,
    /// DRAM bytes saved.
    pub dram_bytes_saved: f64,
    /// Dynamic energy saved, pJ.
    pub energy_saved_pj: f64,
}

impl SparsitySummary {
    /// Sums the per-op effects; `None` when no op has a sparse tensor.
    pub fn from_costs(costs: &[OpCost]) -> Option<SparsitySummary> {
        let mut s = SparsitySummary {
            sparse_ops: 0,
            exploited_ops: 0,
            dense_compute_cycles: 0,
            compute_cycles: 0,
            dram_bytes_saved: 0.0,
            energy_saved_pj: 0.0,
        };
        for (c, e) in costs
            .iter()
            .filter_map(|c| c.sparsity.as_ref().map(|e| (c, e)))
        {
            s.sparse_ops += 1;
            s.exploited_ops += usize::from(!e.exploited.is_empty());
            s.dense_compute_cycles += e.dense_compute_cycles;
            s.compute_cycles += c.compute_cycles;
            s.dram_bytes_saved += e.dram_bytes_saved;
            s.energy_saved_pj += e.energy_saved_pj;
        }
        (s.sparse_ops > 0).then_some(s)
    }
}

fn density(d: Option<f64>) -> String {
    d.map(|d| format!("{d:.3}")).unwrap_or_else(|| "-".into())
}

/// The per-layer sparsity table (empty string when no op has a sparse tensor).
pub fn render_table(r: &Report) -> String {
    let Some(s) = &r.summary.sparsity else {
        return String::new();
    };
    let effects = || r.layers.iter().filter_map(|l| l.sparsity.as_ref());
    // The source column appears only when functional execution measured densities, so
    // reports of declared sparsity read as before.
    let with_source = effects().any(|e| e.density_source.is_some());
    let mut b = Builder::default();
    let mut header = vec![
        "layer",
        "density A",
        "density W",
        "density out",
        "compute speedup",
        "DRAM B saved",
        "energy saved pJ",
        "exploited",
    ];
    if with_source {
        header.insert(4, "density source");
    }
    b.push_record(header);
    for l in &r.layers {
        let Some(e) = &l.sparsity else { continue };
        let how = if e.exploited.is_empty() {
            format!(
                "none: {}",
                e.not_exploited
                    .first()
                    .map(String::as_str)
                    .unwrap_or("dense")
            )
        } else {
            e.features.join(", ")
        };
        let mut row = vec![
            l.name.clone(),
            density(e.density_activations),
            match (e.density_weights, e.pattern_weights) {
                (Some(d), Some(p)) => format!("{d:.3} ({p})"),
                (d, _) => density(d),
            },
            density(e.density_output),
            format!("{:.3}", e.compute_speedup),
            format!("{:.0}", e.dram_bytes_saved),
            format!("{:.4e}", e.energy_saved_pj),
            how,
        ];
        if with_source {
            let source = match e.density_source {
                Some(SparsitySource::Functional) => "functional",
                _ => "workload",
            };
            row.insert(4, source.to_string());
        }
        b.push_record(row);
    }
    let mut t = b.build();
    t.with(Style::rounded());
    let mut out = format!(
        "sparsity: {} of {} sparse ops exploited; compute cycles {} → {} (dense → sparse); {:.0} DRAM bytes and {:.4e} pJ dynamic energy saved\n{t}\n",
        s.exploited_ops,
        s.sparse_ops,
        s.dense_compute_cycles,
        s.compute_cycles,
        s.dram_bytes_saved,
        s.energy_saved_pj
    );
    let mut replaced: Vec<&str> = Vec::new();
    for note in effects().flat_map(|e| &e.replaced) {
        if !replaced.contains(&note.as_str()) {
            replaced.push(note);
        }
    }
    for note in replaced {
        out.push_str(&format!("replaced: {note}\n"));
    }
    out
}
