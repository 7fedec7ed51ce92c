//! Tensor sparsity: the workload file's `sparsity` annotations and their resolved form
//! ([`TensorSparsity`]), plus pure functions on tensor values that the ONNX importer, the
//! functional executor and `accelsim prune` call:
//!
//! - [`measure`]: density and the finest N:M pattern along the reduction axis;
//! - [`validate_nm`]: checks a tensor really is N:M (error naming the tensor and the first
//!   offending group);
//! - [`prune_nm`] / [`prune_density`]: magnitude pruning with deterministic tie-breaking
//!   (larger magnitude first, then the lower index).
//!
//! An N:M pattern means: along the reduction axis, every aligned group of M consecutive
//! elements holds at most N non-zeros (a trailing partial group too). Knows nothing about
//! hardware: whether an arch can exploit a pattern is the model's business.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Op, OpAttrs, OpKind, Tensor, WorkloadSpec};
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
        if m < 2 || m > 256 {
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
        other.m % self.m == 0 && self.n as u64 * (other.m / self.m) as u64 <= other.n as u64
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
    /// Measured from values.
    Measured,
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
}

impl TensorSparsity {
    /// The file form: the shortest spec that resolves back to `self`.
    pub fn to_spec(&self) -> SparsitySpec {
        match (self.pattern, self.source) {
            (Some(p), SparsitySource::Declared) if self.density == p.ratio() => {
                SparsitySpec::Pattern(p)
            }
            (None, SparsitySource::Declared) => SparsitySpec::Density(self.density),
            (pattern, source) => SparsitySpec::Detailed(SparsityDetail {
                density: Some(self.density),
                pattern,
                measured: source == SparsitySource::Measured,
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
                        "weight '{}' already has a \"sparsity\" in \"weights\"; declare it in one place",
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

/// How a tensor's flat (row-major) elements sit around its reduction axis: element
/// `(o, k, i)` is at index `(o · k_len + k) · inner + i`. N:M groups run along `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReductionLayout {
    /// Product of the dimensions before the reduction axis.
    pub outer: usize,
    /// Length of the reduction axis.
    pub k: usize,
    /// Product of the dimensions after it.
    pub inner: usize,
}

impl ReductionLayout {
    /// The layout of a row-major tensor of `shape` around `axis`.
    pub fn along_axis(shape: &[u64], axis: usize) -> ReductionLayout {
        let prod = |d: &[u64]| d.iter().map(|&x| x as usize).product::<usize>();
        ReductionLayout {
            outer: prod(&shape[..axis.min(shape.len())]),
            k: shape.get(axis).map(|&x| x as usize).unwrap_or(1),
            inner: prod(shape.get(axis + 1..).unwrap_or(&[])),
        }
    }

    /// A flat vector (the reduction axis is the only one).
    pub fn flat(len: usize) -> ReductionLayout {
        ReductionLayout {
            outer: 1,
            k: len,
            inner: 1,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.outer * self.k * self.inner
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn index(&self, o: usize, k: usize, i: usize) -> usize {
        (o * self.k + k) * self.inner + i
    }
}

/// Which operand of a compute op a tensor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemmOperand {
    /// The first input (`[..., M, K]`, or the NCHW input of a conv).
    A,
    /// The weight, or the second input of an activation × activation matmul.
    B,
}

/// The reduction axis of operand `which` of a compute op whose tensor has `shape`:
/// K of `[..., M, K]` for A; K of `[..., K, N]` (or `[..., N, K]` with `transpose_b`) for B;
/// the input channels for a conv's input `[N, C, H, W]` and weight `[O, C/g, kh, kw]`
/// (N:M groups run over channels at a fixed kernel position, as NVIDIA's ASP prunes).
/// `None` for ops that are not matmul/conv2d or shapes of too low rank.
pub fn reduction_axis(op: &Op, which: GemmOperand, shape: &[u64]) -> Option<usize> {
    let r = shape.len();
    match (op.kind, which) {
        (OpKind::Matmul, GemmOperand::A) if r >= 2 => Some(r - 1),
        (OpKind::Matmul, GemmOperand::B) if r >= 2 => {
            let t = matches!(op.attrs, OpAttrs::Matmul { transpose_b: true });
            Some(if t { r - 1 } else { r - 2 })
        }
        (OpKind::Conv2d, _) if r == 4 => Some(1),
        _ => None,
    }
}

/// The reduction depth K of a compute op's GEMM view split as (length of the N:M axis,
/// factor): matmul `(K, 1)`; conv `(C/g, kh·kw)`. `None` for non-compute ops.
pub fn gemm_reduction_split(op: &Op) -> Option<(u64, u64)> {
    let g = op.gemm?;
    match &op.attrs {
        OpAttrs::Conv2d(c) => {
            let window = (c.kernel[0] * c.kernel[1]).max(1);
            Some((g.k / window, window))
        }
        _ => Some((g.k, 1)),
    }
}

/// Density and structure of a tensor measured from its values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Elements.
    pub elements: u64,
    /// Non-zero elements (NaN counts as non-zero, −0.0 as zero).
    pub nonzeros: u64,
    /// nonzeros / elements (1 for an empty tensor).
    pub density: f64,
    /// The finest N:M pattern the values satisfy (see [`detect_nm`]).
    pub pattern: Option<NmPattern>,
}

impl Measured {
    /// As a resolved tensor sparsity (source: measured).
    pub fn sparsity(&self) -> TensorSparsity {
        TensorSparsity {
            density: self.density,
            pattern: self.pattern,
            source: SparsitySource::Measured,
        }
    }
}

fn is_zero<T: PartialEq + Default>(v: &T) -> bool {
    *v == T::default()
}

/// Number of non-zero values (`x != T::default()`; −0.0 is zero, NaN is not).
pub fn count_nonzeros<T: PartialEq + Default>(values: &[T]) -> u64 {
    values.iter().filter(|v| !is_zero(*v)).count() as u64
}

/// Fraction of non-zero values (1.0 for an empty slice).
pub fn density<T: PartialEq + Default>(values: &[T]) -> f64 {
    if values.is_empty() {
        1.0
    } else {
        count_nonzeros(values) as f64 / values.len() as f64
    }
}

/// Calls `f(o, group, counts)` for every (outer index, group index) with the non-zero count
/// of each inner position's group of `m` elements along k.
fn for_each_group<T: PartialEq + Default>(
    values: &[T],
    layout: ReductionLayout,
    m: usize,
    mut f: impl FnMut(usize, usize, &[u32]) -> bool,
) {
    let mut counts = vec![0u32; layout.inner];
    for o in 0..layout.outer {
        for (g, k0) in (0..layout.k).step_by(m.max(1)).enumerate() {
            counts.iter_mut().for_each(|c| *c = 0);
            for k in k0..(k0 + m).min(layout.k) {
                let base = layout.index(o, k, 0);
                for (c, v) in counts.iter_mut().zip(&values[base..base + layout.inner]) {
                    *c += u32::from(!is_zero(v));
                }
            }
            if !f(o, g, &counts) {
                return;
            }
        }
    }
}

/// Largest number of non-zeros in any group of `m` along the reduction axis.
pub fn max_nonzeros_per_group<T: PartialEq + Default>(
    values: &[T],
    layout: ReductionLayout,
    m: u32,
) -> u32 {
    assert_eq!(values.len(), layout.len(), "values do not match the layout");
    let mut max = 0;
    for_each_group(values, layout, m as usize, |_, _, c| {
        max = max.max(c.iter().copied().max().unwrap_or(0));
        true
    });
    max
}

/// Group sizes [`detect_nm`] tries, finest first.
pub const DETECT_GROUP_SIZES: [u32; 4] = [2, 4, 8, 16];

/// The finest N:M pattern the values satisfy along the reduction axis: the smallest M in
/// [`DETECT_GROUP_SIZES`] whose busiest group has fewer than M non-zeros, with N that
/// count (at least 1). The finest pattern implies the coarser ones hardware supports
/// (1:2 ⇒ 2:4 ⇒ 4:8), so a 2:4-pruned weight is recognised as 2:4. `None` when no group
/// size leaves a zero in every group, or the reduction axis is shorter than 2.
pub fn detect_nm<T: PartialEq + Default>(
    values: &[T],
    layout: ReductionLayout,
) -> Option<NmPattern> {
    assert_eq!(values.len(), layout.len(), "values do not match the layout");
    if layout.is_empty() {
        return None;
    }
    DETECT_GROUP_SIZES
        .iter()
        .filter(|&&m| m as usize <= layout.k)
        .find_map(|&m| {
            let n = max_nonzeros_per_group(values, layout, m);
            (n < m).then(|| NmPattern { n: n.max(1), m })
        })
}

/// Density and the finest N:M pattern of a tensor's values.
pub fn measure<T: PartialEq + Default>(values: &[T], layout: ReductionLayout) -> Measured {
    let nonzeros = count_nonzeros(values);
    Measured {
        elements: values.len() as u64,
        nonzeros,
        density: density(values),
        pattern: detect_nm(values, layout),
    }
}

/// A tensor that is not N:M: the first group (by outer index, then group, then inner
/// index) with too many non-zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NmViolation {
    /// The tensor's name.
    pub tensor: String,
    /// The pattern it should satisfy.
    pub pattern: NmPattern,
    /// Outer index of the offending group.
    pub outer: usize,
    /// Its elements along the reduction axis: `k_start..k_end`.
    pub k_start: usize,
    /// End (exclusive) along the reduction axis.
    pub k_end: usize,
    /// Inner index of the offending group.
    pub inner: usize,
    /// Flat index of the group's first element.
    pub flat_index: usize,
    /// Non-zeros found in it.
    pub nonzeros: u32,
}

impl fmt::Display for NmViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tensor '{}' is declared {} but is not: the group of reduction-axis elements {}..{} (outer index {}, inner index {}, flat index {}) has {} non-zeros, at most {} allowed; prune it (accelsim prune --pattern {}) or drop the pattern",
            self.tensor,
            self.pattern,
            self.k_start,
            self.k_end,
            self.outer,
            self.inner,
            self.flat_index,
            self.nonzeros,
            self.pattern.n,
            self.pattern
        )
    }
}

impl std::error::Error for NmViolation {}

impl NmViolation {
    /// As an input error at `json_path` (where the tensor or its pattern is declared).
    pub fn into_input_error(self, json_path: impl Into<String>) -> InputError {
        InputError::at(json_path, self.to_string())
    }
}

/// Checks that `values` satisfy `pattern` along the reduction axis; the error names the
/// tensor and the first offending group.
pub fn validate_nm<T: PartialEq + Default>(
    tensor: &str,
    values: &[T],
    layout: ReductionLayout,
    pattern: NmPattern,
) -> Result<(), NmViolation> {
    assert_eq!(values.len(), layout.len(), "values do not match the layout");
    let m = pattern.m as usize;
    let mut found = None;
    for_each_group(values, layout, m, |o, g, counts| {
        match counts.iter().position(|&c| c > pattern.n) {
            Some(i) => {
                let k_start = g * m;
                found = Some(NmViolation {
                    tensor: tensor.to_string(),
                    pattern,
                    outer: o,
                    k_start,
                    k_end: (k_start + m).min(layout.k),
                    inner: i,
                    flat_index: layout.index(o, k_start, i),
                    nonzeros: counts[i],
                });
                false
            }
            None => true,
        }
    });
    found.map_or(Ok(()), Err)
}

/// Magnitude of a value for pruning.
pub trait Magnitude: Copy + PartialEq + Default {
    /// |x| as f64 (NaN stays NaN and ranks above every number, so it is kept).
    fn magnitude(self) -> f64;
}

macro_rules! magnitude_impl {
    ($($t:ty),*) => {$(
        impl Magnitude for $t {
            fn magnitude(self) -> f64 {
                (self as f64).abs()
            }
        }
    )*};
}
magnitude_impl!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

/// Pruning order: larger magnitude first, then the lower index (deterministic).
fn keep_order<T: Magnitude>(a: (usize, T), b: (usize, T)) -> std::cmp::Ordering {
    b.1.magnitude()
        .abs()
        .total_cmp(&a.1.magnitude().abs())
        .then(a.0.cmp(&b.0))
}

/// Magnitude pruning to `pattern` along the reduction axis: in every group of M keeps the
/// N largest |values| (ties: the lower index) and zeroes the rest. Returns the number of
/// values set to zero.
pub fn prune_nm<T: Magnitude>(
    values: &mut [T],
    layout: ReductionLayout,
    pattern: NmPattern,
) -> u64 {
    assert_eq!(values.len(), layout.len(), "values do not match the layout");
    let m = pattern.m as usize;
    let n = pattern.n as usize;
    let mut zeroed = 0;
    let mut group: Vec<(usize, T)> = Vec::with_capacity(m);
    for o in 0..layout.outer {
        for i in 0..layout.inner {
            for k0 in (0..layout.k).step_by(m) {
                group.clear();
                for k in k0..(k0 + m).min(layout.k) {
                    let idx = layout.index(o, k, i);
                    group.push((idx, values[idx]));
                }
                if group.len() <= n {
                    continue;
                }
                group.sort_by(|a, b| keep_order(*a, *b));
                for &(idx, v) in &group[n..] {
                    if !is_zero(&v) {
                        zeroed += 1;
                    }
                    values[idx] = T::default();
                }
            }
        }
    }
    zeroed
}

/// Number of values kept when pruning `elements` values to `density`: round(density ·
/// elements), halves rounded up.
pub fn kept_for_density(elements: usize, density: f64) -> usize {
    ((density.clamp(0.0, 1.0) * elements as f64).round() as usize).min(elements)
}

/// Unstructured magnitude pruning: keeps the [`kept_for_density`] largest |values| of the
/// whole tensor (ties: the lower index) and zeroes the rest. Returns the number of values
/// set to zero.
pub fn prune_density<T: Magnitude>(values: &mut [T], density: f64) -> u64 {
    let keep = kept_for_density(values.len(), density);
    if keep >= values.len() {
        return 0;
    }
    let mut order: Vec<(usize, T)> = values.iter().copied().enumerate().collect();
    if keep > 0 {
        order.select_nth_unstable_by(keep - 1, |a, b| keep_order(*a, *b));
    }
    let mut zeroed = 0;
    for &(idx, v) in &order[keep..] {
        if !is_zero(&v) {
            zeroed += 1;
        }
        values[idx] = T::default();
    }
    zeroed
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
    fn layout_along_axis() {
        let l = ReductionLayout::along_axis(&[8, 16, 3, 3], 1);
        assert_eq!((l.outer, l.k, l.inner), (8, 16, 9));
        let l = ReductionLayout::along_axis(&[64, 32], 0);
        assert_eq!((l.outer, l.k, l.inner), (1, 64, 32));
    }

    #[test]
    fn prune_nm_keeps_largest_with_lower_index_on_ties() {
        let mut v = [1.0f32, -3.0, 3.0, 0.5, 2.0, 2.0, 2.0, 2.0];
        let z = prune_nm(
            &mut v,
            ReductionLayout::flat(8),
            NmPattern::new(2, 4).unwrap(),
        );
        assert_eq!(v, [0.0, -3.0, 3.0, 0.0, 2.0, 2.0, 0.0, 0.0]);
        assert_eq!(z, 4);
    }

    #[test]
    fn prune_density_is_deterministic() {
        let mut v = [1i8, -4, 2, 2, 0, 3];
        // keep round(0.5 · 6) = 3: -4, 3, then the first 2 (index 2).
        prune_density(&mut v, 0.5);
        assert_eq!(v, [0, -4, 2, 0, 0, 3]);
    }
}
