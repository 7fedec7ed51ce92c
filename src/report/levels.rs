//! The per-level energy view of each layer (`run --mapping`): for every level and tensor,
//! the reads, fills and updates in accesses, the energy of one access and the energy,
//! copied from `layers[].access_counts`.

use tabled::{builder::Builder, settings::Style};

/// One table: a row per (layer, level, tensor) and a total row per level.
pub fn render_levels(r: &super::Report) -> String {
    let mut b = Builder::default();
    b.push_record([
        "layer",
        "level (bucket)",
        "tensor",
        "reads / fills / updates (accesses)",
        "bytes",
        "pJ/access",
        "energy pJ",
    ]);
    let mut any = false;
    for x in &r.layers {
        let Some(a) = &x.access_counts else {
            continue;
        };
        any = true;
        let mut name = x.name.clone();
        for l in a.levels.iter().filter(|l| !l.tensors.is_empty()) {
            let mut lev = format!("{} ({}, {} b)", l.level, l.bucket, l.access_bits);
            for t in &l.tensors {
                b.push_record([
                    std::mem::take(&mut name),
                    std::mem::take(&mut lev),
                    t.tensor.to_string(),
                    format!("{:.0} / {:.0} / {:.0}", t.reads, t.fills, t.updates),
                    format!("{:.0}", t.bytes.total()),
                    format!("{:.4}", t.pj_per_access),
                    format!("{:.1}", t.energy_pj),
                ]);
            }
            b.push_record([
                String::new(),
                String::new(),
                "total".to_string(),
                String::new(),
                String::new(),
                String::new(),
                format!("{:.1}", l.energy_pj),
            ]);
        }
    }
    if !any {
        return "no layer with per-level access counts\n".to_string();
    }
    let mut t = b.build();
    t.with(Style::rounded());
    format!("{t}\n")
}
