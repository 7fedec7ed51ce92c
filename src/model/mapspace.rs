//! The space of temporal mappings the search walks, with its pruning.
//!
//! Per on-chip level and dimension, tile extents are every value `1..=extent` when the
//! extent is at most [`EXHAUSTIVE_EXTENT`] (so small problems are searched exhaustively and
//! the result is the model's exact optimum), and otherwise the powers of two below the
//! extent, the balanced splits `ceil(extent / 2^j)` (no ragged edge tile) and the extent
//! itself. Loop orders are all six.
//!
//! Pruning (exact for the cost model of [`super::nest`]): a larger `K` tile never increases
//! any refetch count or spill (fewer trips of a loop never make a tensor move more), so for
//! each `(m, n)` tile only the largest `K` tile that fits is kept. A tile fits when each
//! operand's tile (partial sums at the accumulator width), doubled under double buffering,
//! fits its buffer (split buffers) or when their sum does (one unified buffer).

use super::nest::ElemBytes;
use super::tiling::Capacity;

/// Extents up to this are searched over every tile size.
pub const EXHAUSTIVE_EXTENT: u64 = 32;

/// Candidate tile extents of a dimension of `extent` elements, ascending.
pub fn tile_candidates(extent: u64) -> Vec<u64> {
    if extent <= EXHAUSTIVE_EXTENT {
        return (1..=extent.max(1)).collect();
    }
    let mut v = vec![extent];
    let mut p = 1u64;
    while p < extent {
        v.push(p);
        v.push(extent.div_ceil(p));
        p = p.saturating_mul(2);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether tiles of `[m, n, k]` fit a level of capacity `cap` with element sizes `eb`.
pub fn fits(cap: Capacity, eb: ElemBytes, double_buffer: bool, tile: [u64; 3]) -> bool {
    let db = if double_buffer { 2.0 } else { 1.0 };
    let [m, n, k] = tile.map(|d| d as f64);
    let (a, b, c) = (m * k * eb.a * db, k * n * eb.b * db, m * n * eb.acc * db);
    match cap {
        Capacity::Split {
            a: ca,
            b: cb,
            c: cc,
        } => a <= ca && b <= cb && c <= cc,
        Capacity::Unified(u) => a + b + c <= u,
    }
}

/// Candidate `(m, n, k)` tiles within a parent tile of `parent` extents: every `(m, n)`
/// candidate pair with the largest fitting `k` candidate (pairs where none fits dropped).
pub fn level_tiles(
    parent: [u64; 3],
    cap: Capacity,
    eb: ElemBytes,
    double_buffer: bool,
) -> Vec<[u64; 3]> {
    let ms = tile_candidates(parent[0]);
    let ns = tile_candidates(parent[1]);
    let ks = tile_candidates(parent[2]);
    let mut out = Vec::with_capacity(ms.len() * ns.len());
    for &m in &ms {
        for &n in &ns {
            if !fits(cap, eb, double_buffer, [m, n, 1]) {
                continue;
            }
            // Fitting is monotone in k: binary search the largest candidate.
            let (mut lo, mut hi) = (0usize, ks.len());
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if fits(cap, eb, double_buffer, [m, n, ks[mid]]) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push([m, n, ks[lo]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_cover_powers_of_two_balanced_splits_and_the_extent() {
        assert_eq!(tile_candidates(5), vec![1, 2, 3, 4, 5]);
        assert_eq!(tile_candidates(32).len(), 32);
        let c = tile_candidates(100);
        for x in [1, 2, 4, 8, 16, 32, 64, 100, 50, 25, 13, 7] {
            assert!(c.contains(&x), "{x} in {c:?}");
        }
        assert!(c.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn largest_fitting_k_is_kept() {
        let eb = ElemBytes {
            a: 1.0,
            b: 1.0,
            c: 1.0,
            acc: 4.0,
        };
        let cap = Capacity::Split {
            a: 1024.0,
            b: 1024.0,
            c: 1024.0,
        };
        // m=n=8: psums 8·8·4·2 = 512 fit; A 8·k·2 ≤ 1024 → k ≤ 64.
        let t = level_tiles([8, 8, 200], cap, eb, true);
        assert!(t.contains(&[8, 8, 64]));
        assert!(t.iter().all(|t| fits(cap, eb, true, *t)));
    }
}
