//! Tensor sparsity: the workload file's `sparsity` annotations and their resolved form
//! ([`TensorSparsity`]), pure functions on tensor values ([`values`]: measure, detect N:M,
//! validate, magnitude pruning) that the ONNX importer, the functional executor and
//! `accelsim prune` call, and pruning a whole workload ([`prune_workload`]).
//!
//! An N:M pattern means: along the reduction axis, every aligned group of M consecutive
//! elements holds at most N non-zeros (a trailing partial group too). Knows nothing about
//! hardware: whether an arch can exploit a pattern is the model's business.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod annotate;
mod functional;
pub mod values;

pub use annotate::{prune_workload, PruneOutcome, PruneTarget};
pub use functional::apply_functional;
pub use values::{
    count_nonzeros, density, detect_nm, gemm_reduction_split, kept_for_density,
    max_nonzeros_per_group, measure, prune_density, prune_nm, reduction_axis, validate_nm,
    GemmOperand, Magnitude, Measured, NmViolation, ReductionLayout, DETECT_GROUP_SIZES,
};

use super::{Op, Tensor, WorkloadSpec};
use crate::error::{InputError, InputResult};

/// An N:M structured-sparsity pattern: at most `n` non-zeros in every aligned group of `m`
/// consecutive elements along the reduction axis. Written `"N:M"` in files (e.g. `"2:4"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NmPattern {
    /// Most non-zeros per group (1 ≤ n < m).
    pub n: u32,
    /// Group size along the reduction axis (2 ≤ m ≤ 256).
    pub m: u32,
}

impl NmPattern {
    /// A pattern, checked: 1 ≤ n < m ≤ 256.
    pub fn new(n: u32, m: u32) -> Result<NmPattern, String> {
        if !(2..=256).contains(&m) {
            return Err(format!(
                "an N:M pattern needs 2 ≤ M ≤ 256, got {n}:{m} (e.g. \"2:4\")"
            ));
        }
        if n == 0 || n >= m {
            return Err(format!(
                "an N:M pattern needs 1 ≤ N < M, got {n}:{m} (e.g. \"2:4\")"
            ));
        }
        Ok(NmPattern { n, m })
    }

    /// Parses `"N:M"` (e.g. `"2:4"`).
    pub fn parse(s: &str) -> Result<NmPattern, String> {
        let bad = || format!("expected an N:M pattern such as \"2:4\", got \"{s}\"");
        let (a, b) = s.trim().split_once(':').ok_or_else(bad)?;
        let n: u32 = a.trim().parse().map_err(|_| bad())?;
        let m: u32 = b.trim().parse().map_err(|_| bad())?;
        NmPattern::new(n, m)
    }

    /// n / m: the density of a tensor whose every group is full.
    pub fn ratio(&self) -> f64 {
        self.n as f64 / self.m as f64
    }

    /// True when every tensor with this pattern also satisfies `other`: `other.m` is a
    /// multiple of `self.m` and `self.n · other.m / self.m ≤ other.n` (e.g. 1:2 implies 2:4,
    /// 2:4 implies 4:8, 1:4 implies 2:4; 2:4 does not imply 1:2).
    pub fn implies(&self, other: &NmPattern) -> bool {
        other.m.is_multiple_of(self.m)
            && self.n as u64 * (other.m / self.m) as u64 <= other.n as u64
    }

    /// Exact density of a tensor pruned to this pattern whose reduction axis has
    /// `axis_len` elements: full groups keep n of m, a trailing partial group of r keeps
    /// min(r, n).
    pub fn kept_fraction(&self, axis_len: u64) -> f64 {
        if axis_len == 0 {
            return 1.0;
        }
        let (m, n) = (self.m as u64, self.n as u64);
        let kept = axis_len / m * n + (axis_len % m).min(n);
        kept as f64 / axis_len as f64
    }
}

impl fmt::Display for NmPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.n, self.m)
    }
}

impl Serialize for NmPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NmPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NmPattern::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for NmPattern {
    fn schema_name() -> String {
        "NmPattern".into()
    }
    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut s = String::json_schema(gen).into_object();
        s.metadata().description = Some(
            "An N:M structured-sparsity pattern along the reduction axis, e.g. \"2:4\"".into(),
        );
        s.string().pattern = Some(r"^\s*[0-9]+\s*:\s*[0-9]+\s*$".into());
        s.into()
    }
}

/// A tensor's sparsity as written in a workload file: a density (`0.3`: 30 % non-zeros,
/// unstructured), a pattern (`"2:4"`), or an object with both.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SparsitySpec {
    /// Fraction of non-zero values in [0, 1], zeros spread at random.
    Density(f64),
    /// An N:M pattern along the reduction axis; density defaults to N/M.
    Pattern(NmPattern),
    /// Pattern and/or density, and whether they were measured from values.
    Detailed(SparsityDetail),
}

/// The object form of [`SparsitySpec`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SparsityDetail {
    /// Fraction of non-zero values in [0, 1] (default: the pattern's N/M, else 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<f64>,
    /// N:M pattern along the reduction axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<NmPattern>,
    /// True when the figures were measured from the tensor's values (ONNX import,
    /// functional mode, pruning values) rather than declared.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub measured: bool,
}

impl<'de> Deserialize<'de> for SparsitySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SparsitySpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a density in [0, 1], an N:M pattern such as \"2:4\", or an object {density, pattern, measured}",
                )
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SparsitySpec, E> {
                Ok(SparsitySpec::Density(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SparsitySpec, E> {
                Ok(SparsitySpec::Density(v as f64))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SparsitySpec, E> {
                Ok(SparsitySpec::Density(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SparsitySpec, E> {
                NmPattern::parse(s)
                    .map(SparsitySpec::Pattern)
                    .map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SparsitySpec, A::Error> {
                SparsityDetail::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(SparsitySpec::Detailed)
            }
        }
        d.deserialize_any(V)
    }
}

impl SparsitySpec {
    /// Checks the figures and resolves defaults; `path` is the JSON path for errors.
    pub fn resolve(&self, path: &str) -> InputResult<TensorSparsity> {
        let (density, pattern, measured) = match self {
            SparsitySpec::Density(d) => (Some(*d), None, false),
            SparsitySpec::Pattern(p) => (None, Some(*p), false),
            SparsitySpec::Detailed(d) => (d.density, d.pattern, d.measured),
        };
        if let Some(d) = density {
            if !(d.is_finite() && (0.0..=1.0).contains(&d)) {
                let at = match self {
                    SparsitySpec::Detailed(_) => format!("{path}.density"),
                    _ => path.to_string(),
                };
                return Err(InputError::at(
                    at,
                    format!("expected a density (fraction of non-zeros) in [0, 1], got {d}"),
                ));
            }
        }
        Ok(TensorSparsity {
            density: density.unwrap_or_else(|| pattern.map(|p| p.ratio()).unwrap_or(1.0)),
            pattern,
            source: if measured {
                SparsitySource::Measured
            } else {
                SparsitySource::Declared
            },
            replaces: None,
        })
    }
}

/// Per-op sparsity annotations: of the op's weight (declared or implicit) and of its output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpSparsitySpec {
    /// Sparsity of the op's weight (matmul/conv2d); for a declared weight, annotate the
    /// tensor in `weights` instead (one place only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<SparsitySpec>,
    /// Sparsity of the op's output (e.g. a ReLU's measured 0.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<SparsitySpec>,
}

/// Where a tensor's sparsity figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SparsitySource {
    /// Written in the workload file.
    Declared,
    /// Measured from values (ONNX import, or `"measured": true` in the file).
    Measured,
    /// Measured on the values functional execution bound or computed
    /// ([`apply_functional`]).
    Functional,
}

impl SparsitySource {
    /// In words, for reports: `declared`, `measured`, `measured in functional execution`.
    pub fn describe(self) -> &'static str {
        match self {
            SparsitySource::Declared => "declared",
            SparsitySource::Measured => "measured",
            SparsitySource::Functional => "measured in functional execution",
        }
    }
}

/// A tensor's resolved sparsity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TensorSparsity {
    /// Fraction of non-zero values in [0, 1].
    pub density: f64,
    /// N:M pattern along the reduction axis, if the tensor has one.
    pub pattern: Option<NmPattern>,
    /// Declared or measured.
    pub source: SparsitySource,
    /// The figures these replaced, when functional execution measured something other
    /// than what the workload declared (reports say so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<PriorSparsity>,
}

/// The sparsity a tensor carried before functional execution measured different figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriorSparsity {
    /// Fraction of non-zero values it declared.
    pub density: f64,
    /// N:M pattern it declared.
    pub pattern: Option<NmPattern>,
    /// Where those figures came from.
    pub source: SparsitySource,
}

impl TensorSparsity {
    /// The file form: the shortest spec that resolves back to `self` (figures measured in
    /// functional execution are written as measured; `replaces` is not written).
    pub fn to_spec(&self) -> SparsitySpec {
        match (self.pattern, self.source) {
            (Some(p), SparsitySource::Declared) if self.density == p.ratio() => {
                SparsitySpec::Pattern(p)
            }
            (None, SparsitySource::Declared) => SparsitySpec::Density(self.density),
            (pattern, source) => SparsitySpec::Detailed(SparsityDetail {
                density: Some(self.density),
                pattern,
                measured: source != SparsitySource::Declared,
            }),
        }
    }
}

/// Resolves every `sparsity` annotation of a spec onto the built tensors (graph inputs,
/// declared weights, op weights and outputs). Called by the workload builder.
pub(super) fn attach(spec: &WorkloadSpec, tensors: &mut [Tensor], ops: &[Op]) -> InputResult<()> {
    fn set(tensors: &mut [Tensor], name: &str, s: &SparsitySpec, path: String) -> InputResult<()> {
        let r = s.resolve(&path)?;
        if let Some(t) = tensors.iter_mut().find(|t| t.name == name) {
            t.sparsity = Some(r);
        }
        Ok(())
    }
    for (i, t) in spec.inputs.iter().enumerate() {
        if let Some(s) = &t.sparsity {
            set(tensors, &t.name, s, format!("inputs[{i}].sparsity"))?;
        }
    }
    for (i, t) in spec.weights.iter().enumerate() {
        if let Some(s) = &t.sparsity {
            set(tensors, &t.name, s, format!("weights[{i}].sparsity"))?;
        }
    }
    for (op_spec, op) in spec.ops.iter().zip(ops) {
        let Some(sp) = &op_spec.sparsity else {
            continue;
        };
        let path = format!("{}.sparsity", op.json_path);
        if let Some(s) = &sp.weights {
            let wpath = format!("{path}.weights");
            let Some(w) = op.weight else {
                return Err(InputError::at(
                    wpath,
                    format!(
                        "op '{}' has no weight tensor; annotate the tensor feeding it (its producer's \"sparsity\": {{\"output\": ...}} or the graph input)",
                        op.name
                    ),
                ));
            };
            if op_spec.weight.is_some() && tensors[w].sparsity.is_some() {
                return Err(InputError::at(
                    wpath,
                    format!(
                        "weight '{}' already has a \"sparsity\" (in \"weights\" or from another op); declare it in one place",
                        tensors[w].name
                    ),
                ));
            }
            let name = tensors[w].name.clone();
            set(tensors, &name, s, wpath)?;
        }
        if let Some(s) = &sp.output {
            let name = tensors[op.output].name.clone();
            set(tensors, &name, s, format!("{path}.output"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_parse_and_implies() {
        let p = NmPattern::parse("2:4").unwrap();
        assert_eq!((p.n, p.m), (2, 4));
        assert_eq!(p.to_string(), "2:4");
        assert!(NmPattern::parse("4:4").is_err());
        assert!(NmPattern::parse("0:4").is_err());
        assert!(NmPattern::parse("2-4").is_err());
        let one_two = NmPattern::new(1, 2).unwrap();
        let one_four = NmPattern::new(1, 4).unwrap();
        let four_eight = NmPattern::new(4, 8).unwrap();
        assert!(one_two.implies(&p));
        assert!(one_four.implies(&p));
        assert!(p.implies(&four_eight));
        assert!(!p.implies(&one_two));
        assert!(!four_eight.implies(&p));
    }

    #[test]
    fn kept_fraction_handles_partial_groups() {
        let p = NmPattern::new(2, 4).unwrap();
        assert_eq!(p.kept_fraction(64), 0.5);
        assert_eq!(p.kept_fraction(6), 4.0 / 6.0);
        assert_eq!(p.kept_fraction(1), 1.0);
    }

    #[test]
    fn spec_forms_round_trip() {
        for (text, density, pattern) in [
            ("0.25", 0.25, None),
            ("\"2:4\"", 0.5, Some((2, 4))),
            (
                "{\"pattern\": \"1:4\", \"density\": 0.2, \"measured\": true}",
                0.2,
                Some((1, 4)),
            ),
        ] {
            let s: SparsitySpec = serde_json::from_str(text).unwrap();
            let r = s.resolve("$").unwrap();
            assert_eq!(r.density, density);
            assert_eq!(r.pattern.map(|p| (p.n, p.m)), pattern);
            assert_eq!(r.to_spec().resolve("$").unwrap(), r);
        }
        let bad: SparsitySpec = serde_json::from_str("1.5").unwrap();
        assert!(bad.resolve("weights[0].sparsity").is_err());
        assert!(serde_json::from_str::<SparsitySpec>("\"4:2\"").is_err());
    }
}
