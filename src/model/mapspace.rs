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
//!
//! Output-stationary arrays ([`PeAccumulators`]): each PE accumulates one output in its own
//! register, so a core-buffer tile whose `C` block is no bigger than `rows × cols` and whose
//! partial sums are never sent back up (no `K` loop with more than one trip outside `C`'s
//! innermost relevant loop, over every level above it: `K` innermost) keeps its partial
//! sums in the PEs for the whole reduction. The ofmap buffer then holds only the finished
//! output tile at the output width (doubled under double buffering while it drains); every
//! other tile and loop order is held to the rule above ([`fits_core`]). Such tiles are
//! candidates of their own ([`Candidate::psums_in_array`]), valid only under loop orders that
//! keep `K` innermost, so the pruning stays exact when outputs are no wider than partial
//! sums.

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

/// The accumulators of an output-stationary array (one per PE), which hold a `rows × cols`
/// block of partial sums for a whole reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeAccumulators {
    /// PE rows (`M` of the output block).
    pub rows: u64,
    /// PE columns (`N` of the output block).
    pub cols: u64,
}

impl PeAccumulators {
    /// The accumulators of `arch`'s array if it is an output-stationary systolic array (one
    /// core's `rows × cols`), else `None`.
    pub fn of(arch: &crate::arch::Arch) -> Option<PeAccumulators> {
        crate::model::array::of(&arch.array)
            .output_stationary_accumulators()
            .map(|(rows, cols)| PeAccumulators { rows, cols })
    }
}

/// A candidate core-buffer tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Tile extents `[m, n, k]`.
    pub tile: [u64; 3],
    /// Whether the tile was sized with its partial sums in the PE accumulators: valid only
    /// under loops that never refetch `C` (see [`psums_in_array`]); otherwise valid only
    /// under loops for which [`psums_in_array`] is false.
    pub psums_in_array: bool,
}

/// Whether a core-buffer tile's partial sums stay in the PE accumulators: the array is
/// output stationary (`acc`), the tile's `C` block fits it and the loops above the tile
/// bring `C` back `c_refetch` = 1 times (no partial sum ever leaves the array).
pub fn psums_in_array(acc: Option<PeAccumulators>, tile: [u64; 3], c_refetch: u64) -> bool {
    acc.is_some_and(|a| tile[0] <= a.rows && tile[1] <= a.cols) && c_refetch == 1
}

/// Whether `tile` fits the core buffers when the loops above it refetch `C` `c_refetch`
/// times: with its partial sums in the PE accumulators ([`psums_in_array`]) the ofmap
/// buffer holds the output tile at the output width, otherwise the partial-sum tile at the
/// accumulator width ([`fits`]).
pub fn fits_core(
    cap: Capacity,
    eb: ElemBytes,
    double_buffer: bool,
    acc: Option<PeAccumulators>,
    tile: [u64; 3],
    c_refetch: u64,
) -> bool {
    if psums_in_array(acc, tile, c_refetch) {
        fits(cap, output_width(eb), double_buffer, tile)
    } else {
        fits(cap, eb, double_buffer, tile)
    }
}

/// `eb` with the `C` tile held at the output width (partial sums live elsewhere).
fn output_width(eb: ElemBytes) -> ElemBytes {
    ElemBytes { acc: eb.c, ..eb }
}

/// Whether tiles of `[m, n, k]` fit a level of capacity `cap` with element sizes `eb`
/// (partial sums at the accumulator width in the level).
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

/// Candidate tiles within a parent tile of `parent` extents: every `(m, n)` candidate pair
/// with the largest fitting `k` candidate (pairs where none fits dropped) under the buffer
/// rule ([`fits`]), and, on an output-stationary array (`acc`), every pair whose `C` block
/// fits the array again with the largest `k` that fits with the partial sums in the PEs.
pub fn level_tiles(
    parent: [u64; 3],
    cap: Capacity,
    eb: ElemBytes,
    double_buffer: bool,
    acc: Option<PeAccumulators>,
) -> Vec<Candidate> {
    let ms = tile_candidates(parent[0]);
    let ns = tile_candidates(parent[1]);
    let ks = tile_candidates(parent[2]);
    let mut out = Vec::with_capacity(ms.len() * ns.len());
    for &m in &ms {
        for &n in &ns {
            if let Some(k) = largest_k(&ks, |k| fits(cap, eb, double_buffer, [m, n, k])) {
                out.push(Candidate {
                    tile: [m, n, k],
                    psums_in_array: false,
                });
            }
            if !psums_in_array(acc, [m, n, 1], 1) {
                continue;
            }
            let eo = output_width(eb);
            if let Some(k) = largest_k(&ks, |k| fits(cap, eo, double_buffer, [m, n, k])) {
                out.push(Candidate {
                    tile: [m, n, k],
                    psums_in_array: true,
                });
            }
        }
    }
    out
}

/// The largest of the ascending candidates `ks` that `fit` admits (fitting is monotone in
/// `k`: binary search), if any.
fn largest_k(ks: &[u64], fit: impl Fn(u64) -> bool) -> Option<u64> {
    if !fit(ks[0]) {
        return None;
    }
    let (mut lo, mut hi) = (0usize, ks.len());
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fit(ks[mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(ks[lo])
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
        let t = level_tiles([8, 8, 200], cap, eb, true, None);
        assert!(t.contains(&Candidate {
            tile: [8, 8, 64],
            psums_in_array: false
        }));
        assert!(t
            .iter()
            .all(|c| fits(cap, eb, true, c.tile) && !c.psums_in_array));
    }

    #[test]
    fn output_stationary_tiles_keep_partial_sums_in_the_pes() {
        // user_bw10_128x128_os: 64 KiB buffers, int8 operands and outputs, int32 sums.
        let eb = ElemBytes {
            a: 1.0,
            b: 1.0,
            c: 1.0,
            acc: 4.0,
        };
        let cap = Capacity::Split {
            a: 65536.0,
            b: 65536.0,
            c: 65536.0,
        };
        let acc = Some(PeAccumulators {
            rows: 128,
            cols: 128,
        });
        // 128×128 int32 sums are 64 KiB, twice the ofmap buffer's half; the int8 output
        // tile (16 KiB, 32 KiB doubled) fits, and A, B (128×128 int8 doubled) fill theirs.
        assert!(!fits(cap, eb, true, [128, 128, 64]));
        assert!(fits_core(cap, eb, true, acc, [128, 128, 64], 1));
        assert!(fits_core(cap, eb, true, acc, [128, 128, 256], 1));
        assert!(!fits_core(cap, eb, true, acc, [128, 128, 257], 1));
        // K outside the C tile: the sums leave the array, today's rule holds.
        assert!(!fits_core(cap, eb, true, acc, [128, 128, 64], 2));
        // A C block larger than the array, or a weight-stationary array: today's rule.
        assert!(!fits_core(cap, eb, true, acc, [256, 64, 64], 1));
        assert!(!fits_core(cap, eb, true, None, [128, 128, 64], 1));
        let t = level_tiles([1024, 1024, 1024], cap, eb, true, acc);
        assert!(t.contains(&Candidate {
            tile: [128, 128, 256],
            psums_in_array: true
        }));
        assert!(t
            .iter()
            .filter(|c| c.psums_in_array)
            .all(|c| c.tile[0] <= 128 && c.tile[1] <= 128));
        assert!(t.iter().all(|c| fits_core(
            cap,
            eb,
            true,
            acc,
            c.tile,
            if c.psums_in_array { 1 } else { 2 }
        )));
    }
}
