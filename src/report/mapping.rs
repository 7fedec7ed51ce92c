//! The searched mapping of each compute layer, for reports: the loop nest per level, bytes
//! per tensor per level, and the DRAM lower bound with the ratio (`docs/mapping.md`).

use serde::Serialize;
use tabled::{builder::Builder, settings::Style};

use crate::model::mapping::MemLevel;
use crate::model::search::Objective;
use crate::model::OpCost;

/// Bytes of the three tensors at one memory level (all GEMM instances of the layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelBytes {
    /// Memory level.
    pub level: MemLevel,
    /// Tile held per tensor `[a, b, c]` (c at the accumulator width on chip), bytes.
    pub tile_bytes: [f64; 3],
    /// Bytes read out of the level per tensor.
    pub reads: [f64; 3],
    /// Bytes written into the level from its parent per tensor.
    pub fills: [f64; 3],
    /// Bytes written into the level from its child per tensor (outputs, partial sums).
    pub updates: [f64; 3],
}

/// One layer's searched mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerMapping {
    /// What the search minimised.
    pub objective: Objective,
    /// Readable loop nest, one entry per on-chip level (outermost first).
    pub loop_nest: Vec<String>,
    /// Tile extents `[m, n, k]` per on-chip level (outermost first).
    pub tiles: Vec<[u64; 3]>,
    /// Bytes per tensor per level, DRAM first (memory side; the innermost level's
    /// array-side reads are in the layer's SRAM bytes).
    pub levels: Vec<LevelBytes>,
    /// DRAM bytes the mapping moves (all instances).
    pub dram_bytes: f64,
    /// Least DRAM bytes any mapping could move with this on-chip capacity.
    pub dram_lower_bound_bytes: f64,
    /// `dram_bytes / dram_lower_bound_bytes` (≥ 1).
    pub lower_bound_ratio: f64,
    /// Mappings the search evaluated for this op shape.
    pub evaluated: u64,
}

impl LayerMapping {
    /// The mapping of a compute op's cost (`None` for vector ops and GPU kernels).
    pub fn of(cost: &OpCost, instances: u64) -> Option<LayerMapping> {
        let s = cost.temporal.as_ref()?;
        let f = instances.max(1) as f64;
        let acc = s.accesses.scaled(f);
        let levels = acc
            .levels
            .iter()
            .map(|l| LevelBytes {
                level: l.level,
                tile_bytes: l.tensors.map(|t| t.tile_bytes),
                reads: l.tensors.map(|t| t.reads),
                fills: l.tensors.map(|t| t.fills),
                updates: l.tensors.map(|t| t.updates),
            })
            .collect();
        Some(LayerMapping {
            objective: s.objective,
            loop_nest: s.mapping.render(),
            tiles: s.mapping.levels.iter().map(|l| l.tile).collect(),
            levels,
            dram_bytes: acc.dram_bytes(),
            dram_lower_bound_bytes: s.lower_bound_bytes * f,
            lower_bound_ratio: s.lower_bound_ratio(),
            evaluated: s.evaluated,
        })
    }
}

fn bytes3(x: [f64; 3]) -> String {
    format!("{:.0} / {:.0} / {:.0}", x[0], x[1], x[2])
}

/// The details view: one block of rows per compute layer with its loop nest, the bytes
/// per tensor (A / B / C) at each level, and the DRAM lower bound and ratio.
pub fn render_mappings(r: &super::Report) -> String {
    let mut b = Builder::default();
    b.push_record([
        "layer",
        "level",
        "loop nest / tile",
        "A / B / C bytes moved",
    ]);
    let mut any = false;
    for x in &r.layers {
        let Some(m) = &x.temporal_mapping else {
            continue;
        };
        any = true;
        for (i, l) in m.levels.iter().enumerate() {
            let moved = [0, 1, 2].map(|t| l.reads[t] + l.fills[t] + l.updates[t]);
            let nest = if l.level == MemLevel::Dram {
                format!(
                    "{} ({} objective)",
                    m.loop_nest.join("; "),
                    m.objective.name()
                )
            } else {
                let t = m.tiles[i - 1];
                format!(
                    "tile m{} n{} k{} = {} B",
                    t[0],
                    t[1],
                    t[2],
                    bytes3(l.tile_bytes)
                )
            };
            b.push_record([
                if i == 0 {
                    x.name.clone()
                } else {
                    String::new()
                },
                l.level.name().to_string(),
                nest,
                bytes3(moved),
            ]);
        }
        b.push_record([
            String::new(),
            "lower bound".to_string(),
            format!(
                "DRAM ≥ {:.0} B; this mapping {:.0} B",
                m.dram_lower_bound_bytes, m.dram_bytes
            ),
            format!("ratio {:.2}", m.lower_bound_ratio),
        ]);
    }
    if !any {
        return "no compute layer with a searched mapping\n".to_string();
    }
    let mut t = b.build();
    t.with(Style::rounded());
    format!("{t}\n")
}
