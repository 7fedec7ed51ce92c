//! Pruning a whole workload's weights (`accelsim prune`): every matmul/conv2d weight is
//! magnitude-pruned to an N:M pattern along its reduction axis or to a density.
//!
//! Weights declared without values (the usual case for shape-only workloads) are
//! annotated with the sparsity pruning would produce: for N:M, the exact density of the
//! pattern on that reduction axis (a trailing partial group of r keeps min(r, N)); for a
//! density, that density. Weights whose values live in `.npy` files need the values
//! pruned, which needs the `.npy` reader; until it lands they are an error rather than a
//! silently wrong annotation.

use super::values::{reduction_axis, GemmOperand, ReductionLayout};
use super::{NmPattern, OpSparsitySpec, SparsitySource, SparsitySpec, TensorSparsity};
use crate::error::{InputError, InputResult};
use crate::workload::{TensorRole, Workload, WorkloadSpec};

/// What to prune to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PruneTarget {
    /// N:M along the reduction axis.
    Pattern(NmPattern),
    /// A fraction of non-zeros in [0, 1], unstructured.
    Density(f64),
}

/// The pruned workload and what happened to each weight.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneOutcome {
    /// The new workload file.
    pub spec: WorkloadSpec,
    /// Weights pruned (annotated), with their resulting sparsity.
    pub pruned: Vec<(String, TensorSparsity)>,
    /// Weights left dense, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Magnitude-prunes every matmul/conv2d weight of `w` (except those of the ops named in
/// `exclude`) to `target`; returns the new spec. Errors name the JSON path: an unknown op
/// in `exclude`, a density outside [0, 1], a weight with a values file.
pub fn prune_workload(
    w: &Workload,
    target: PruneTarget,
    exclude: &[String],
) -> InputResult<PruneOutcome> {
    if let PruneTarget::Density(d) = target {
        if !(d.is_finite() && (0.0..=1.0).contains(&d)) {
            return Err(InputError::at(
                "$",
                format!("expected a density (fraction of non-zeros) in [0, 1], got {d}"),
            ));
        }
    }
    for name in exclude {
        if !w.ops.iter().any(|o| &o.name == name) {
            return Err(InputError::at(
                "ops",
                format!("--exclude names no op: '{name}'"),
            ));
        }
    }
    let mut spec = w.spec.clone();
    let mut pruned: Vec<(String, TensorSparsity)> = Vec::new();
    let mut skipped = Vec::new();
    for (i, op) in w.ops.iter().enumerate() {
        let Some(wid) = op.weight else { continue };
        let t = &w.tensors[wid];
        debug_assert_eq!(t.role, TensorRole::Weight);
        if pruned.iter().any(|(n, _)| n == &t.name) {
            continue;
        }
        if exclude.contains(&op.name) {
            skipped.push((t.name.clone(), format!("op '{}' excluded", op.name)));
            continue;
        }
        let declared = spec.weights.iter().position(|s| s.name == t.name);
        if let Some(file) = &t.file {
            let j = declared.unwrap_or(0);
            return Err(InputError::at(
                format!("weights[{j}].file"),
                format!(
                    "weight '{}' has values in '{file}': pruning values needs the .npy reader, which this build lacks; remove the file reference to prune by annotation, or prune the values with workload::sparsity::prune_nm / prune_density",
                    t.name
                ),
            ));
        }
        let sparsity = match target {
            PruneTarget::Density(d) => TensorSparsity {
                density: d,
                pattern: None,
                source: SparsitySource::Declared,
                replaces: None,
            },
            PruneTarget::Pattern(p) => {
                let axis = reduction_axis(op, GemmOperand::B, &t.shape)
                    .map(|a| ReductionLayout::along_axis(&t.shape, a).k as u64)
                    .unwrap_or(0);
                if axis < p.m as u64 {
                    skipped.push((
                        t.name.clone(),
                        format!(
                            "its reduction axis has {axis} elements, fewer than a group of {}",
                            p.m
                        ),
                    ));
                    continue;
                }
                TensorSparsity {
                    density: p.kept_fraction(axis),
                    pattern: Some(p),
                    source: SparsitySource::Declared,
                    replaces: None,
                }
            }
        };
        let file_form: SparsitySpec = sparsity.to_spec();
        let op_spec = &mut spec.ops[i];
        match declared {
            Some(j) => {
                spec.weights[j].sparsity = Some(file_form);
                if let Some(s) = &mut op_spec.sparsity {
                    s.weights = None;
                }
            }
            None => {
                op_spec
                    .sparsity
                    .get_or_insert_with(OpSparsitySpec::default)
                    .weights = Some(file_form);
            }
        }
        pruned.push((t.name.clone(), sparsity));
    }
    // Drop now-empty op sparsity blocks.
    for op in &mut spec.ops {
        if op
            .sparsity
            .as_ref()
            .is_some_and(|s| s.weights.is_none() && s.output.is_none())
        {
            op.sparsity = None;
        }
    }
    Ok(PruneOutcome {
        spec,
        pruned,
        skipped,
    })
}
