//! The sweep's pre-check: every precision a sweep can produce must run on every arch
//! variant that decides precisions, before any point is evaluated.

use std::collections::BTreeSet;

use super::*;

/// Binds the precision of every compute op of the base workload and of every workload
/// variant in `wl_checks` on each arch variant of `precision_archs` (or the base arch when
/// no axis touches precisions) — the binding a run does ([`crate::binding::bind`]), without
/// planning; returns the binding's warnings (precision fallbacks). An error names the axis
/// value (or `workload`) and the arch.
pub(super) fn check_precisions(
    base_wl: &Workload,
    base_arch_built: &Arch,
    precision_archs: &[(usize, usize, Arch)],
    wl_checks: &[(String, Workload)],
) -> InputResult<BTreeSet<String>> {
    let mut archs: Vec<(String, &Arch)> = precision_archs
        .iter()
        .map(|(i, j, a)| (format!(" with axes[{i}].values[{j}]"), a))
        .collect();
    if archs.is_empty() {
        archs.push((String::new(), base_arch_built));
    }
    let mut notes = std::collections::BTreeSet::new();
    for (what, arch) in &archs {
        bind_all(base_wl, arch, &mut notes).map_err(|e| {
            InputError::at(
                "workload",
                format!(
                    "the base workload cannot run on arch '{}'{what}: at {}: {}",
                    arch.name, e.json_path, e.message
                ),
            )
        })?;
        for (at, w) in wl_checks {
            bind_all(w, arch, &mut notes).map_err(|e| {
                InputError::at(
                    at.clone(),
                    format!(
                        "this precision cannot run on arch '{}'{what}: {}",
                        arch.name, e.message
                    ),
                )
            })?;
        }
    }
    Ok(notes)
}

/// Binds every compute op's precision of `w` on `arch` (at the op's JSON path, as planning
/// does), adding fallback warnings to `notes`.
fn bind_all(w: &Workload, arch: &Arch, notes: &mut BTreeSet<String>) -> InputResult<()> {
    for op in w.ops.iter().filter(|op| op.gemm.is_some()) {
        let bound = crate::model::bind_precision(op, arch)?;
        notes.extend(bound.fallback_warning(&op.name));
    }
    Ok(())
}
