//! Pure functions on tensor values: density, N:M detection and validation along the
//! reduction axis, and magnitude pruning with deterministic tie-breaking (larger magnitude
//! first, then the lower index). Generic over element types with `PartialEq + Default`
//! (zero is `T::default()`: −0.0 is zero, NaN is not).

use std::fmt;

use super::{NmPattern, SparsitySource, TensorSparsity};
use crate::error::InputError;
use crate::workload::{Op, OpAttrs, OpKind};

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
            replaces: None,
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
    max_nonzeros_capped(values, layout, m, u32::MAX)
}

/// [`max_nonzeros_per_group`], stopping early once the maximum reaches `cap`.
fn max_nonzeros_capped<T: PartialEq + Default>(
    values: &[T],
    layout: ReductionLayout,
    m: u32,
    cap: u32,
) -> u32 {
    let mut max = 0;
    for_each_group(values, layout, m as usize, |_, _, c| {
        max = max.max(c.iter().copied().max().unwrap_or(0));
        max < cap
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
            // A group full of non-zeros rules M out: stop scanning at the first one.
            let n = max_nonzeros_capped(values, layout, m, m);
            (n < m).then(|| NmPattern { n: n.max(1), m })
        })
}

/// Density and the finest N:M pattern of a tensor's values.
pub fn measure<T: PartialEq + Default>(values: &[T], layout: ReductionLayout) -> Measured {
    let nonzeros = count_nonzeros(values);
    Measured {
        elements: values.len() as u64,
        nonzeros,
        density: if values.is_empty() {
            1.0
        } else {
            nonzeros as f64 / values.len() as f64
        },
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

/// Pruning order of (|value|, index) keys: larger magnitude first, then the lower index
/// (deterministic; a total order, NaN magnitudes first). Magnitudes are ≥ 0 or +NaN.
fn keep_order(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
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
    let mut group: Vec<(f64, usize)> = Vec::with_capacity(m);
    // Group rows outermost and inner positions innermost, so the M rows of a group stay in
    // cache while every inner position is pruned.
    for o in 0..layout.outer {
        for k0 in (0..layout.k).step_by(m) {
            let k1 = (k0 + m).min(layout.k);
            if k1 - k0 <= n {
                continue;
            }
            for i in 0..layout.inner {
                group.clear();
                group.extend((k0..k1).map(|k| {
                    let idx = layout.index(o, k, i);
                    (values[idx].magnitude(), idx)
                }));
                group.sort_unstable_by(keep_order);
                for &(_, idx) in &group[n..] {
                    zeroed += u64::from(!is_zero(&values[idx]));
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
    let mut order: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.magnitude(), i))
        .collect();
    if keep > 0 {
        order.select_nth_unstable_by(keep - 1, keep_order);
    }
    let mut zeroed = 0;
    for &(_, idx) in &order[keep..] {
        zeroed += u64::from(!is_zero(&values[idx]));
        values[idx] = T::default();
    }
    zeroed
}

#[cfg(test)]
mod tests {
    use super::*;

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
