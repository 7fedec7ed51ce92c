//! The axes of a sweep file turned into the dimensions of its design space. Each axis kind
//! has its own file (`axis_arch.rs`, `axis_precision.rs`, `axis_batch.rs`,
//! `axis_sparsity.rs`, `axis_policy.rs`, `axis_train_format.rs`); this file holds what they share and dispatches on the kind.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// The dimensions built so far and what the axes have claimed: every axis checks its values
/// against the base arch and workload and against the axes before it.
pub(super) struct Axes<'a> {
    /// The base arch as JSON (after the fixed `set` edits).
    pub(super) base_arch: &'a Value,
    /// The sweep file's folder (policy files resolve against it).
    pub(super) base_dir: &'a std::path::Path,
    /// The base workload as written.
    pub(super) base_workload: &'a WorkloadSpec,
    /// The base workload, built.
    pub(super) base_wl: &'a Workload,
    /// One per column of the space, in axis order.
    pub(super) dims: Vec<Dim>,
    /// Which axis varies each op's precision.
    pub(super) varied_ops: Vec<Option<usize>>,
    /// Tensors varied by sparsity axes: slot → (axis, first layer).
    pub(super) varied_slots: BTreeMap<Slot, (usize, usize)>,
    /// Arch variants that change which precisions run: (axis, value index, arch).
    pub(super) precision_archs: Vec<(usize, usize, Arch)>,
    /// Workload variants to check against every arch: (where, workload).
    pub(super) wl_checks: Vec<(String, Workload)>,
    /// (layer, class) varied by a train_format axis → that axis.
    pub(super) varied_classes: BTreeMap<(usize, crate::train::policy::TensorClass), usize>,
    /// The train_format axes (they need a policy axis).
    pub(super) train_format_axes: Vec<usize>,
}

impl<'a> Axes<'a> {
    /// Builds the dimensions of every axis in order; errors name `axes[i]…`.
    pub(super) fn build(
        axes: &[AxisSpec],
        base_arch: &'a Value,
        base_dir: &'a std::path::Path,
        base_workload: &'a WorkloadSpec,
        base_wl: &'a Workload,
    ) -> InputResult<Axes<'a>> {
        let mut ax = Axes {
            base_arch,
            base_dir,
            base_workload,
            base_wl,
            dims: Vec::new(),
            varied_ops: vec![None; base_workload.ops.len()],
            varied_slots: BTreeMap::new(),
            precision_archs: Vec::new(),
            wl_checks: Vec::new(),
            varied_classes: BTreeMap::new(),
            train_format_axes: Vec::new(),
        };
        for (i, axis) in axes.iter().enumerate() {
            let at = format!("axes[{i}]");
            match axis {
                AxisSpec::Arch {
                    name,
                    path,
                    paths,
                    values,
                } => ax.arch(i, &at, name, path, paths, values)?,
                AxisSpec::Precision {
                    name,
                    layers,
                    mode,
                    values,
                } => ax.precision(i, &at, name, layers, mode, values)?,
                AxisSpec::Batch { values } => ax.batch(&at, values)?,
                AxisSpec::Sparsity {
                    name,
                    layers,
                    mode,
                    operand,
                    values,
                } => ax.sparsity(i, name, layers, mode, operand, values)?,
                AxisSpec::Policy {
                    name,
                    loss,
                    output,
                    values,
                } => ax.policy(&at, name, *loss, output, values)?,
                AxisSpec::TrainFormat {
                    name,
                    layers,
                    mode,
                    tensor,
                    values,
                } => ax.train_format((i, &at), *tensor, layers, values, mode, name)?,
            }
        }
        let has_policy = ax
            .dims
            .iter()
            .any(|d| matches!(d.kind, DimKind::Policy { .. }));
        if let (Some(&k), false) = (ax.train_format_axes.first(), has_policy) {
            return Err(InputError::at(
                format!("axes[{k}]"),
                "a train_format axis sets formats of a training step: the sweep needs a policy axis (e.g. {\"kind\": \"policy\", \"values\": [\"bf16_mixed\"]})",
            ));
        }
        Ok(ax)
    }
}
