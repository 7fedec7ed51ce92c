//! Sparsity measured in functional execution, put on a workload's tensors so the cost
//! model charges for the zeros that were really there (e.g. after a ReLU).

use std::collections::BTreeMap;

use super::{Measured, PriorSparsity, SparsitySource, TensorSparsity};
use crate::workload::Workload;

/// Replaces the sparsity of every tensor of `w` named in `measured` (as
/// [`crate::func::Outputs::measured`] records it) by the measured figures, tagged
/// [`SparsitySource::Functional`].
///
/// A tensor measured fully dense (density 1, no N:M pattern) with no sparsity of its own
/// stays unannotated, so it costs exactly as before. A tensor that carried a sparsity
/// (declared, or measured at import) gets the measured figures whatever they are; when
/// they differ from what it carried, the old figures are kept in
/// [`TensorSparsity::replaces`] and reports say so. Tensors not named in `measured` keep
/// their sparsity. `w.spec` is left as the file declared it.
pub fn apply_functional(w: &mut Workload, measured: &BTreeMap<String, Measured>) {
    for t in &mut w.tensors {
        let Some(m) = measured.get(&t.name) else {
            continue;
        };
        if t.sparsity.is_none() && m.density == 1.0 && m.pattern.is_none() {
            continue;
        }
        let replaces = t
            .sparsity
            .filter(|old| old.density != m.density || old.pattern != m.pattern)
            .map(|old| PriorSparsity {
                density: old.density,
                pattern: old.pattern,
                source: old.source,
            });
        t.sparsity = Some(TensorSparsity {
            density: m.density,
            pattern: m.pattern,
            source: SparsitySource::Functional,
            replaces,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::sparsity::NmPattern;

    fn workload() -> Workload {
        Workload::from_json(
            r#"{"name": "t", "inputs": [{"name": "x", "shape": [2, 4], "format": "fp32"}],
                "ops": [{"name": "r", "op": "relu", "inputs": ["x"], "output": "a",
                         "sparsity": {"output": 0.25}},
                        {"name": "s", "op": "relu", "inputs": ["a"], "output": "b"}]}"#,
        )
        .unwrap()
    }

    fn m(nonzeros: u64, pattern: Option<NmPattern>) -> Measured {
        Measured {
            elements: 8,
            nonzeros,
            density: nonzeros as f64 / 8.0,
            pattern,
        }
    }

    #[test]
    fn dense_tensors_stay_unannotated_and_declarations_are_replaced() {
        let mut w = workload();
        let measured = BTreeMap::from([
            ("x".to_string(), m(8, None)),
            ("a".to_string(), m(5, None)),
            ("b".to_string(), m(5, None)),
        ]);
        apply_functional(&mut w, &measured);
        let by = |n: &str| w.tensors[w.tensor_by_name(n).unwrap()].sparsity;
        assert_eq!(by("x"), None);
        let a = by("a").unwrap();
        assert_eq!((a.density, a.source), (0.625, SparsitySource::Functional));
        let prior = a.replaces.expect("the declared 0.25 was replaced");
        assert_eq!(
            (prior.density, prior.source),
            (0.25, SparsitySource::Declared)
        );
        let b = by("b").unwrap();
        assert_eq!((b.density, b.replaces), (0.625, None));
    }

    #[test]
    fn a_matching_declaration_is_not_reported_as_replaced() {
        let mut w = workload();
        apply_functional(&mut w, &BTreeMap::from([("a".to_string(), m(2, None))]));
        let a = w.tensors[w.tensor_by_name("a").unwrap()].sparsity.unwrap();
        assert_eq!((a.source, a.replaces), (SparsitySource::Functional, None));
    }
}
