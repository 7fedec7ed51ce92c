//! Shared test data and references for the integer GEMM kernels' unit tests.

use crate::numerics::SplitMix64;

/// Shapes every integer kernel test covers: a single value, ragged panels and blocks, a K
/// spanning more than one cache block.
pub(crate) const EDGE_SHAPES: [(usize, usize, usize); 4] =
    [(1, 1, 1), (5, 17, 3), (13, 33, 1030), (70, 40, 9)];

/// One random problem and its reference result.
pub(crate) struct Case {
    pub a: Vec<i32>,
    pub b: Vec<i32>,
    /// `(m, n, k)`: A is m×k, B k×n.
    pub dims: (usize, usize, usize),
    /// [`naive_wrapping`] of `a` and `b`.
    pub want: Vec<i32>,
}

/// Wrapping i32 sums of exact products, k ascending (an independent reference).
pub(crate) fn naive_wrapping(a: &[i32], b: &[i32], m: usize, n: usize, k: usize) -> Vec<i32> {
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).fold(0i32, |acc, kk| {
                acc.wrapping_add(a[i * k + kk].wrapping_mul(b[kk * n + j]))
            });
        }
    }
    c
}

/// `len` values drawn from `s` by `value`.
pub(crate) fn values(s: &mut SplitMix64, len: usize, value: impl Fn(u64) -> i32) -> Vec<i32> {
    (0..len).map(|_| value(s.next_u64())).collect()
}

/// `len` values uniform in the int8 range `-128..=127`.
pub(crate) fn int8_values(s: &mut SplitMix64, len: usize) -> Vec<i32> {
    values(s, len, |x| (x % 256) as i32 - 128)
}

/// A problem per shape (A then B drawn from one stream seeded `seed`), with its reference.
pub(crate) fn cases(
    seed: u64,
    shapes: impl IntoIterator<Item = (usize, usize, usize)>,
    value_a: impl Fn(u64) -> i32,
    value_b: impl Fn(u64) -> i32,
) -> Vec<Case> {
    let mut s = SplitMix64::new(seed);
    shapes
        .into_iter()
        .map(|(m, n, k)| {
            let a = values(&mut s, m * k, &value_a);
            let b = values(&mut s, k * n, &value_b);
            let want = naive_wrapping(&a, &b, m, n, k);
            Case {
                a,
                b,
                dims: (m, n, k),
                want,
            }
        })
        .collect()
}
