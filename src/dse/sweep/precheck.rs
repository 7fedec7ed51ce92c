//! The sweep's pre-check: every precision a sweep can produce must run on every arch
//! variant that decides precisions, before any point is evaluated.

use std::collections::BTreeSet;

use super::*;

/// Plans the base workload and every workload variant in `wl_checks` on each arch variant of
/// `precision_archs` (or the base arch when no axis touches precisions); returns the
/// planner's warnings. An error names the axis value (or `workload`) and the arch.
pub(super) fn check_precisions(
    base_wl: &Workload,
    base_arch_built: &Arch,
    precision_archs: &[(usize, usize, Arch)],
    wl_checks: &[(String, Workload)],
    launch: crate::model::gpu::Launch,
) -> InputResult<BTreeSet<String>> {
    let mut archs: Vec<(String, &Arch)> = precision_archs
        .iter()
        .map(|(i, j, a)| (format!(" with axes[{i}].values[{j}]"), a))
        .collect();
    if archs.is_empty() {
        archs.push((String::new(), base_arch_built));
    }
    let mut notes = std::collections::BTreeSet::new();
    let run_options = crate::model::RunOptions::with_launch(launch);
    for (what, arch) in &archs {
        let costs =
            quietly(|| crate::model::plan_with(base_wl, arch, &run_options)).map_err(|e| {
                InputError::at(
                    "workload",
                    format!(
                        "the base workload cannot run on arch '{}'{what}: at {}: {}",
                        arch.name, e.json_path, e.message
                    ),
                )
            })?;
        notes.extend(costs.into_iter().flat_map(|c| c.warnings));
        for (at, w) in wl_checks {
            let costs =
                quietly(|| crate::model::plan_with(w, arch, &run_options)).map_err(|e| {
                    InputError::at(
                        at.clone(),
                        format!(
                            "this precision cannot run on arch '{}'{what}: {}",
                            arch.name, e.message
                        ),
                    )
                })?;
            notes.extend(costs.into_iter().flat_map(|c| c.warnings));
        }
    }
    Ok(notes)
}
