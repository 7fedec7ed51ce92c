//! Systolic-array fold model (SCALE-Sim v3's closed form, extended with precision packing).
//!
//! For an R × C array and a GEMM M × N × K (SCALE-Sim: M = Sr, N = Sc, K = T):
//!
//! | dataflow | folds                         | cycles per fold  |
//! |----------|-------------------------------|------------------|
//! | `os`     | ceil(M / R) · ceil(N / C)     | R + C + K − 2    |
//! | `ws`     | ceil(K / R) · ceil(N / C)     | 2R + C + M − 2   |
//! | `is`     | ceil(K / R) · ceil(M / C)     | 2R + C + N − 2   |
//!
//! total = folds × cycles per fold − 1 (SCALE-Sim's count: the last drain cycle overlaps).
//!
//! Precision: a PE doing `p` MACs per cycle (p integer ≥ 1) packs `p` reduction elements
//! per PE: the K term of `os` becomes ceil(K / p), and `ws`/`is` hold R·p reduction elements
//! per fold (ceil(K / (R·p)) folds). A multi-cycle MAC (p = 1/q) multiplies every cycle by q.
//! With p = 1 the formulas are exactly SCALE-Sim's.

use crate::arch::Dataflow;

/// The fold structure and ideal-memory cycles of one GEMM on a systolic array.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SystolicCost {
    /// Folds along the array's rows dimension (M for os, K for ws/is).
    pub row_folds: u64,
    /// Folds along the array's columns dimension (N for os/ws, M for is).
    pub col_folds: u64,
    /// Cycles of one fold.
    pub cycles_per_fold: u64,
    /// Ideal-memory compute cycles (SCALE-Sim's `total_cycles`).
    pub cycles: u64,
    /// PE-cycles doing useful MACs divided by PE-cycles spanned by all folds.
    pub mapping_efficiency: f64,
}

/// Packing factor for `macs_per_pe_per_cycle`: (elements packed per PE, cycle multiplier).
pub fn packing(macs_per_pe_per_cycle: f64) -> (u64, u64) {
    if macs_per_pe_per_cycle >= 1.0 {
        (macs_per_pe_per_cycle.round() as u64, 1)
    } else {
        (1, (1.0 / macs_per_pe_per_cycle).round() as u64)
    }
}

/// Folds and cycles of an `m × n × k` GEMM on a `rows × cols` array.
pub fn gemm_cost(
    m: u64,
    n: u64,
    k: u64,
    rows: u64,
    cols: u64,
    dataflow: Dataflow,
    macs_per_pe_per_cycle: f64,
) -> SystolicCost {
    let (p, slow) = packing(macs_per_pe_per_cycle);
    let (row_folds, col_folds, per_fold) = match dataflow {
        Dataflow::Os => (
            m.div_ceil(rows),
            n.div_ceil(cols),
            rows + cols + k.div_ceil(p) - 2,
        ),
        Dataflow::Ws => (
            k.div_ceil(rows * p),
            n.div_ceil(cols),
            2 * rows + cols + m - 2,
        ),
        Dataflow::Is => (
            k.div_ceil(rows * p),
            m.div_ceil(cols),
            2 * rows + cols + n - 2,
        ),
    };
    let folds = row_folds.saturating_mul(col_folds);
    let cycles_per_fold = per_fold.saturating_mul(slow);
    let cycles = folds.saturating_mul(cycles_per_fold).saturating_sub(1);
    // Spatial mapping efficiency: the fraction of the array the folds' tiles occupy.
    let (dim_r, dim_c) = match dataflow {
        Dataflow::Os => (m, n),
        Dataflow::Ws => (k.div_ceil(p), n),
        Dataflow::Is => (k.div_ceil(p), m),
    };
    let mapping_efficiency = (dim_r as f64 * dim_c as f64)
        / (row_folds as f64 * rows as f64 * col_folds as f64 * cols as f64);
    SystolicCost {
        row_folds,
        col_folds,
        cycles_per_fold,
        cycles,
        mapping_efficiency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_worked_example() {
        // g128_256_512 on 128x128 os: folds 1x2, per fold 766, total 1531.
        let c = gemm_cost(128, 256, 512, 128, 128, Dataflow::Os, 1.0);
        assert_eq!(
            (c.row_folds, c.col_folds, c.cycles_per_fold, c.cycles),
            (1, 2, 766, 1531)
        );
    }

    #[test]
    fn single_fold_exactly_fills_array() {
        // 32x32 os, M=N=32, K=10: one fold of 32+32+10-2 = 72 cycles, minus 1.
        let c = gemm_cost(32, 32, 10, 32, 32, Dataflow::Os, 1.0);
        assert_eq!(c.cycles, 71);
        assert_eq!(c.mapping_efficiency, 1.0);
    }

    #[test]
    fn many_folds_ws() {
        // ws: K=100 over R=8 -> 13 row folds; N=20 over C=4 -> 5 col folds; per fold 2*8+4+50-2=68.
        let c = gemm_cost(50, 20, 100, 8, 4, Dataflow::Ws, 1.0);
        assert_eq!((c.row_folds, c.col_folds, c.cycles_per_fold), (13, 5, 68));
        assert_eq!(c.cycles, 13 * 5 * 68 - 1);
    }

    #[test]
    fn packing_halves_reduction() {
        let a = gemm_cost(64, 64, 256, 32, 32, Dataflow::Os, 1.0);
        let b = gemm_cost(64, 64, 256, 32, 32, Dataflow::Os, 2.0);
        assert_eq!(a.cycles_per_fold, 32 + 32 + 256 - 2);
        assert_eq!(b.cycles_per_fold, 32 + 32 + 128 - 2);
        let slow = gemm_cost(64, 64, 256, 32, 32, Dataflow::Os, 0.25);
        assert_eq!(slow.cycles_per_fold, 4 * a.cycles_per_fold);
    }
}
