//! Sparsity axes: the values (dense, an N:M pattern, a declared density), which tensor of
//! the workload file holds each selected layer's operand, the shape check for N:M
//! patterns, and writing a value into a workload spec.
//!
//! A value is *declared* on the tensor (as `accelsim prune` annotates a shape-only
//! workload): tensors whose values live in `.npy` files are not pruned, and a measured
//! annotation on the tensor is replaced. Costing only needs the declaration.

use serde_json::Value;

use super::spec::SparsityValue;
use crate::arch::sparsity::Operand;
use crate::workload::sparsity::{gemm_reduction_split, NmPattern, OpSparsitySpec, SparsitySpec};
use crate::workload::{Workload, WorkloadSpec};

/// A checked sparsity value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SparsityChoice {
    /// No sparsity annotation (any the base workload has is removed).
    Dense,
    /// An N:M pattern along the reduction axis (density N/M).
    Pattern(NmPattern),
    /// A declared unstructured density in (0, 1].
    Density(f64),
}

impl SparsityChoice {
    /// Checks a value as written: `"dense"`, `"N:M"` with 1 ≤ N < M ≤ 256, or a density in
    /// (0, 1].
    pub fn parse(v: &SparsityValue) -> Result<SparsityChoice, String> {
        match v {
            SparsityValue::Text(s) if s.trim() == "dense" => Ok(SparsityChoice::Dense),
            SparsityValue::Text(s) if s.contains(':') => {
                NmPattern::parse(s).map(SparsityChoice::Pattern)
            }
            SparsityValue::Text(s) => Err(format!(
                "expected \"dense\", an N:M pattern such as \"2:4\", or {{\"density\": D}}, got \"{s}\""
            )),
            SparsityValue::Density(d) => {
                let d = d.density;
                if d.is_finite() && d > 0.0 && d <= 1.0 {
                    Ok(SparsityChoice::Density(d))
                } else {
                    Err(format!(
                        "expected a density (fraction of non-zeros) in (0, 1], got {d}"
                    ))
                }
            }
        }
    }

    /// The value written in the results column: `"dense"`, `"2:4"` or `{"density": D}`.
    pub fn label(&self) -> Value {
        match self {
            SparsityChoice::Dense => Value::from("dense"),
            SparsityChoice::Pattern(p) => Value::from(p.to_string()),
            SparsityChoice::Density(d) => serde_json::json!({ "density": d }),
        }
    }

    /// The workload-file annotation (`None` for dense).
    pub fn to_spec(&self) -> Option<SparsitySpec> {
        match *self {
            SparsityChoice::Dense => None,
            SparsityChoice::Pattern(p) => Some(SparsitySpec::Pattern(p)),
            SparsityChoice::Density(d) => Some(SparsitySpec::Density(d)),
        }
    }
}

/// Where a tensor's sparsity annotation lives in a workload file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    /// `inputs[i].sparsity` (a graph input).
    Input(usize),
    /// `weights[i].sparsity` (a declared weight).
    Weight(usize),
    /// `ops[i].sparsity.weights` (the implicit weight of op i).
    OpWeight(usize),
    /// `ops[i].sparsity.output` (the output of op i).
    OpOutput(usize),
}

/// The slot of compute op `op`'s `operand` tensor: the weight (declared or implicit) or
/// the second input for `weights`, the first input for `activations`. `wl` is the built
/// `spec` (same op order).
pub fn slot_of(
    spec: &WorkloadSpec,
    wl: &Workload,
    op: usize,
    operand: Operand,
) -> Result<Slot, String> {
    let o = &spec.ops[op];
    let built = &wl.ops[op];
    let tensor = match operand {
        Operand::Weights => {
            if o.weight.is_none() && built.weight.is_some() {
                return Ok(Slot::OpWeight(op));
            }
            match (&o.weight, o.inputs.get(1)) {
                (Some(w), _) | (None, Some(w)) => w,
                (None, None) => {
                    return Err(format!("layer '{}' has no weight operand", o.name));
                }
            }
        }
        Operand::Activations => o
            .inputs
            .first()
            .ok_or_else(|| format!("layer '{}' has no activation input", o.name))?,
    };
    tensor_slot(spec, tensor).ok_or_else(|| {
        format!(
            "layer '{}': tensor '{tensor}' is not a graph input, a declared weight or an op's output",
            o.name
        )
    })
}

fn tensor_slot(spec: &WorkloadSpec, name: &str) -> Option<Slot> {
    if let Some(i) = spec.inputs.iter().position(|t| t.name == name) {
        return Some(Slot::Input(i));
    }
    if let Some(i) = spec.weights.iter().position(|t| t.name == name) {
        return Some(Slot::Weight(i));
    }
    spec.ops
        .iter()
        .position(|o| o.output == name)
        .map(Slot::OpOutput)
}

/// A human name of the tensor in `slot` (for errors).
pub fn slot_tensor(spec: &WorkloadSpec, slot: Slot) -> String {
    match slot {
        Slot::Input(i) => spec.inputs[i].name.clone(),
        Slot::Weight(i) => spec.weights[i].name.clone(),
        Slot::OpWeight(i) => format!("{}.weight", spec.ops[i].name),
        Slot::OpOutput(i) => spec.ops[i].output.clone(),
    }
}

/// Writes `value` (`None`: dense) into `slot`. A declared weight's annotation moves to
/// `weights[i]`, and any `sparsity.weights` of the ops naming it is dropped, so the tensor
/// is annotated in one place; op sparsity blocks left empty are removed.
pub fn apply(w: &mut WorkloadSpec, slot: Slot, value: Option<SparsitySpec>) {
    match slot {
        Slot::Input(i) => w.inputs[i].sparsity = value,
        Slot::Weight(i) => {
            let name = w.weights[i].name.clone();
            w.weights[i].sparsity = value;
            for k in 0..w.ops.len() {
                if w.ops[k].weight.as_deref() == Some(name.as_str()) {
                    edit_op(w, k, |s| s.weights = None);
                }
            }
        }
        Slot::OpWeight(i) => edit_op(w, i, |s| s.weights = value),
        Slot::OpOutput(i) => edit_op(w, i, |s| s.output = value),
    }
}

fn edit_op(w: &mut WorkloadSpec, op: usize, f: impl FnOnce(&mut OpSparsitySpec)) {
    let block = &mut w.ops[op].sparsity;
    let mut s = block.take().unwrap_or_default();
    f(&mut s);
    if s.weights.is_some() || s.output.is_some() {
        *block = Some(s);
    }
}

/// Checks that N:M groups tile compute op `op`'s reduction axis exactly (its length is
/// a multiple of M; for a conv, the input channels per group, as N:M groups run over
/// channels at a fixed kernel position). A partial trailing group would make the declared
/// density differ from N/M, so a sweep refuses it.
pub fn check_fits(wl: &Workload, op: usize, p: NmPattern) -> Result<(), String> {
    let o = &wl.ops[op];
    let Some((axis, _)) = gemm_reduction_split(o) else {
        return Err(format!("layer '{}' is not a compute layer", o.name));
    };
    if axis % p.m as u64 != 0 {
        return Err(format!(
            "pattern {p} does not fit layer '{}': its reduction axis has {axis} elements, not a multiple of {}",
            o.name, p.m
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dse::spec::DensityValue;

    fn text(s: &str) -> SparsityValue {
        SparsityValue::Text(s.into())
    }

    #[test]
    fn values_parse_and_label() {
        assert_eq!(
            SparsityChoice::parse(&text("dense")).unwrap(),
            SparsityChoice::Dense
        );
        let p = SparsityChoice::parse(&text("2:4")).unwrap();
        assert_eq!(p, SparsityChoice::Pattern(NmPattern { n: 2, m: 4 }));
        assert_eq!(p.label(), Value::from("2:4"));
        for bad in ["3:2", "0:4", "4:4", "2-4", "sparse", ""] {
            assert!(SparsityChoice::parse(&text(bad)).is_err(), "{bad}");
        }
        for (d, ok) in [
            (0.5, true),
            (1.0, true),
            (0.0, false),
            (1.5, false),
            (-0.1, false),
        ] {
            let v = SparsityValue::Density(DensityValue { density: d });
            assert_eq!(SparsityChoice::parse(&v).is_ok(), ok, "{d}");
        }
    }
}
