//! The sweep's fingerprint: a hash of everything that decides its rows, so a resumed or
//! merged run only keeps rows of the same sweep.

use super::*;

/// FNV-1a of the compact JSON of the base arch and workload, engine, axes, sample,
/// constraints, accuracy table and model, the launch path when it is not the default, and
/// the policies of a policy axis as loaded (so an edited policy file is a different sweep).
pub(super) fn fingerprint(
    spec: &SweepSpec,
    base_arch: &Value,
    base_workload: &WorkloadSpec,
    accuracy: Option<&AccuracyTable>,
    dims: &[Dim],
) -> String {
    let mut fp_doc = serde_json::json!({
        "arch": base_arch,
        "workload": base_workload,
        "engine": spec.engine,
        "axes": spec.axes,
        "sample": spec.sample,
        "constraints": spec.constraints,
        "accuracy": accuracy.map(|a| &a.entries),
    });
    if let Some(m) = &spec.accuracy_model {
        fp_doc["accuracy_model"] = serde_json::json!(m);
    }
    // The launch path joins the fingerprint only when it is not the default, so the
    // rows of sweeps written before it existed still resume.
    if spec.launch != crate::model::gpu::Launch::default() {
        fp_doc["launch"] = serde_json::json!(spec.launch);
    }
    // Likewise fusion, only when switched off.
    if !spec.fusion {
        fp_doc["fusion"] = serde_json::json!(false);
    }
    let policies: Vec<&crate::train::Policy> = dims
        .iter()
        .filter_map(|d| match &d.kind {
            DimKind::Policy { policies, .. } => Some(policies.iter().map(|p| p.as_ref())),
            _ => None,
        })
        .flatten()
        .collect();
    if !policies.is_empty() {
        fp_doc["policies"] = serde_json::json!(policies);
    }
    format!("{:016x}", fnv1a64(compact(&fp_doc).as_bytes()))
}
