//! The optional per-layer additive accuracy model of a sweep (`"accuracy_model":
//! "additive"`): it fills the accuracy of precision configurations a partial QAT table
//! does not list, as HAWQ / HAQ-style mixed-precision studies do.
//!
//! Fit, from the table's measured rows:
//! - the **baseline** is the uniform configuration (every layer at one precision) with the
//!   widest precision (most storage bits; ties: the higher accuracy, then the name);
//! - for every layer `l` and precision `p`, the **drop** `d(l, p) = acc(baseline with l at
//!   p) − acc(baseline)`, from the row that changes that one layer only.
//!
//! Prediction for a configuration `c`: `acc(baseline) + Σ_l d(l, c[l])` (`d = 0` where `c[l]`
//! is the baseline precision). A configuration needing a drop no row measured gets no
//! accuracy. Measured rows are always used as measured; each sweep row says which in its
//! `accuracy_source` column (`measured`, `modelled`, or empty).
//!
//! The model ignores interactions between layers (the sum of one-layer drops); it is a
//! first-order estimate, to be checked against measured rows (see `docs/sweep.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::qat::AccuracyTable;
use crate::numerics::Format;

/// The accuracy models a sweep may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccuracyModelKind {
    /// Baseline accuracy plus one additive drop per (layer, precision).
    Additive,
}

/// Where a point's accuracy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccuracySource {
    /// A row of the QAT table.
    Measured,
    /// The additive model.
    Modelled,
}

impl AccuracySource {
    /// `measured` or `modelled` (the `accuracy_source` column).
    pub fn name(self) -> &'static str {
        match self {
            AccuracySource::Measured => "measured",
            AccuracySource::Modelled => "modelled",
        }
    }
}

/// A fitted additive model.
#[derive(Debug, Clone, PartialEq)]
pub struct AdditiveModel {
    /// The baseline precision of every layer.
    pub baseline: String,
    /// The baseline's measured accuracy.
    pub baseline_accuracy: f64,
    /// Accuracy change when one layer moves from the baseline to a precision:
    /// `(layer, precision) → drop` (negative when accuracy falls).
    pub drops: BTreeMap<(String, String), f64>,
}

/// Splits a canonical table key (`fc1=int8;fc2=int4`) into its configuration.
pub fn parse_key(key: &str) -> BTreeMap<String, String> {
    key.split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(l, p)| (l.to_string(), p.to_string()))
        .collect()
}

/// Storage bits of a precision label (the widest of its formats; unknown names: 0).
fn label_bits(label: &str) -> f64 {
    label
        .split_whitespace()
        .map(|part| part.split_once(':').map_or(part, |(_, f)| f))
        .filter_map(|f| Format::parse(f).ok())
        .map(|f| f.storage_bits())
        .fold(0.0, f64::max)
}

impl AdditiveModel {
    /// Fits the model to a table's measured rows; fails when no uniform (baseline)
    /// configuration is measured.
    pub fn fit(table: &AccuracyTable) -> Result<AdditiveModel, String> {
        let rows: Vec<(BTreeMap<String, String>, f64)> = table
            .entries
            .iter()
            .map(|(k, &a)| (parse_key(k), a))
            .collect();
        let baseline = rows
            .iter()
            .filter_map(|(c, a)| {
                let mut ps = c.values();
                let first = ps.next()?;
                ps.all(|p| p == first).then(|| (first.clone(), *a))
            })
            .max_by(|(p, a), (q, b)| {
                label_bits(p)
                    .total_cmp(&label_bits(q))
                    .then(a.total_cmp(b))
                    .then(q.cmp(p))
            })
            .ok_or_else(|| {
                format!(
                    "the additive accuracy model needs a baseline: a measured configuration with every layer ({}) at the same precision",
                    table.layers.join(", ")
                )
            })?;
        let (base, base_acc) = baseline;
        let mut drops = BTreeMap::new();
        for (c, a) in &rows {
            let changed: Vec<(&String, &String)> = c.iter().filter(|(_, p)| **p != base).collect();
            if let [(l, p)] = changed[..] {
                drops.insert((l.clone(), p.clone()), a - base_acc);
            }
        }
        Ok(AdditiveModel {
            baseline: base,
            baseline_accuracy: base_acc,
            drops,
        })
    }

    /// The modelled accuracy of a configuration (layer → canonical precision), `None`
    /// when a layer's drop at its precision was not measured.
    pub fn predict(&self, config: &BTreeMap<String, String>) -> Option<f64> {
        let mut acc = self.baseline_accuracy;
        for (l, p) in config {
            if *p != self.baseline {
                acc += self.drops.get(&(l.clone(), p.clone()))?;
            }
        }
        Some(acc)
    }
}

/// Counts of a sweep's evaluated rows by accuracy source: `(measured, modelled, none)`.
pub fn coverage(columns: &[String], rows: &[super::Row]) -> (usize, usize, usize) {
    let (mut m, mut p, mut n) = (0, 0, 0);
    for r in rows {
        match r.text(columns, "accuracy_source").as_str() {
            "measured" => m += 1,
            "modelled" => p += 1,
            _ => n += 1,
        }
    }
    (m, p, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, f64)]) -> AccuracyTable {
        AccuracyTable {
            layers: vec!["a".into(), "b".into(), "c".into()],
            entries: rows.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn fit_and_predict_by_hand() {
        // Baseline fp16 0.97; one-layer rows: a@int4 −0.05, b@int4 −0.02, c@int8 −0.01.
        let t = table(&[
            ("a=fp16;b=fp16;c=fp16", 0.97),
            ("a=int8;b=int8;c=int8", 0.96),
            ("a=int4;b=fp16;c=fp16", 0.92),
            ("a=fp16;b=int4;c=fp16", 0.95),
            ("a=fp16;b=fp16;c=int8", 0.96),
        ]);
        let m = AdditiveModel::fit(&t).unwrap();
        assert_eq!(m.baseline, "fp16");
        assert_eq!(m.drops.len(), 3);
        let c = parse_key("a=int4;b=int4;c=int8");
        // 0.97 − 0.05 − 0.02 − 0.01 = 0.89
        assert!((m.predict(&c).unwrap() - 0.89).abs() < 1e-12);
        assert_eq!(m.predict(&parse_key("a=int8;b=fp16;c=fp16")), None);
        assert_eq!(m.predict(&parse_key("a=fp16;b=fp16;c=fp16")), Some(0.97));
    }

    #[test]
    fn needs_a_uniform_baseline() {
        let e = AdditiveModel::fit(&table(&[("a=int4;b=fp16;c=fp16", 0.9)])).unwrap_err();
        assert!(e.contains("baseline"), "{e}");
    }
}
