//! HBM traffic of a GEMM kernel with L2 reuse.
//!
//! - If the operands and the output fit in L2 together, each operand is read from HBM
//!   once (compulsory traffic).
//! - Otherwise reuse happens only within a wave: the CTAs resident at one time cover a
//!   near-square block of `wm × wn` output tiles (rasterised/swizzled order, as libraries
//!   launch them), which reads `wm·bm` rows of A and `wn·bn` columns of B over the full K
//!   once. Blocks are visited one after another, so
//!   reads = ⌈tiles / (wm·wn)⌉ · (wm·bm·K·a + wn·bn·K·b), at least the compulsory traffic
//!   and at most every tile reading its own operands.
//!
//! Outputs are written once. Split-K partial sums stay in L2. Every operand's bytes are its
//! stored bytes in DRAM ([`GemmShape::storage`]: sparse data moves its kept values and
//! metadata, or its compressed form).

use super::kernel::GemmShape;

/// The parts of a kernel schedule the traffic depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// CTA tile rows.
    pub bm: u64,
    /// CTA tile columns.
    pub bn: u64,
    /// Split-K factor.
    pub split_k: u64,
    /// CTAs resident at one time (min(CTAs, SMs × occupancy)).
    pub concurrent_ctas: u64,
    /// L2 capacity in bytes.
    pub l2_bytes: f64,
}

/// HBM (read, write) bytes of a GEMM kernel.
pub fn hbm_bytes(g: &GemmShape, s: Schedule) -> (f64, f64) {
    let ([a, b], write) = hbm_bytes_split(g, s);
    (a + b, write)
}

/// HBM bytes of a GEMM kernel per tensor: `([A read, B read], C written)`. The read total
/// is [`hbm_bytes`]'s; A's share of it is its share in whichever bound applies
/// (compulsory, wave reuse or no reuse), B takes the rest.
pub fn hbm_bytes_split(g: &GemmShape, s: Schedule) -> ([f64; 2], f64) {
    let (m, n, k, cnt) = (g.m as f64, g.n as f64, g.k as f64, g.count as f64);
    // Stored over dense bytes in DRAM (applied last, so dense figures are unchanged).
    let (ra, rb, rc) = (g.storage[0].dram, g.storage[1].dram, g.storage[2].dram);
    let a_total = m * k * g.a_bytes * g.a_unique_ratio * ra;
    let b_total = k * n * g.b_bytes * rb;
    let write = cnt * m * n * g.c_bytes * rc;
    let compulsory = cnt * (a_total + b_total);
    let split = |read: f64, a: f64, b: f64| {
        let a_read = if a + b > 0.0 { read * a / (a + b) } else { 0.0 };
        ([a_read, read - a_read], write)
    };
    if compulsory + write <= s.l2_bytes {
        return split(compulsory, a_total, b_total);
    }
    let (tm, tn) = (g.m.div_ceil(s.bm), g.n.div_ceil(s.bn));
    // Output tiles in flight (each split of a tile works on the same A rows / B columns).
    let in_flight = (s.concurrent_ctas / s.split_k.max(1)).max(1);
    let wm = tm.min((in_flight as f64).sqrt().ceil() as u64).max(1);
    let wn = tn.min(in_flight.div_ceil(wm)).max(1);
    let blocks = (tm * tn).div_ceil(wm * wn) as f64;
    let block_a = (wm * s.bm).min(g.m) as f64 * k * g.a_bytes * g.a_unique_ratio * ra;
    let block_b = (wn * s.bn).min(g.n) as f64 * k * g.b_bytes * rb;
    let per_block = block_a + block_b;
    let tiles = (tm * tn) as f64;
    let tile_a = s.bm.min(g.m) as f64 * k * g.a_bytes * g.a_unique_ratio * ra;
    let tile_b = s.bn.min(g.n) as f64 * k * g.b_bytes * rb;
    let no_reuse = tiles * (tile_a + tile_b);
    let (lo, hi) = (a_total + b_total, no_reuse.max(a_total + b_total));
    let reads = blocks * per_block;
    let read = cnt * reads.clamp(lo, hi);
    if reads < lo {
        split(read, a_total, b_total)
    } else if reads > hi {
        split(read, tile_a, tile_b)
    } else {
        split(read, block_a, block_b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(m: u64, n: u64, k: u64) -> GemmShape {
        GemmShape::dense(1, m, n, k, 2.0, 2.0, 2.0, 4.0)
    }

    #[test]
    fn fits_in_l2_reads_once() {
        let s = Schedule {
            bm: 128,
            bn: 128,
            split_k: 1,
            concurrent_ctas: 4,
            l2_bytes: 1e9,
        };
        let (r, w) = hbm_bytes(&shape(1024, 1024, 1024), s);
        assert_eq!(r, 2.0 * 2.0 * 1024.0 * 1024.0);
        assert_eq!(w, 2.0 * 1024.0 * 1024.0);
    }

    #[test]
    fn wave_reuse_without_l2() {
        // 8×8 tiles, 4 in flight → 2×2 blocks, 16 blocks; each reads 256 rows of A and
        // 256 columns of B over K: 16 · 2 · 256 · 1024 · 2 bytes.
        let s = Schedule {
            bm: 128,
            bn: 128,
            split_k: 1,
            concurrent_ctas: 4,
            l2_bytes: 0.0,
        };
        let (r, _) = hbm_bytes(&shape(1024, 1024, 1024), s);
        assert_eq!(r, 16.0 * 2.0 * 256.0 * 1024.0 * 2.0);
        // A square GEMM with square blocks: half of it each.
        let ([a, b], _) = hbm_bytes_split(&shape(1024, 1024, 1024), s);
        assert_eq!((a, b), (r / 2.0, r / 2.0));
    }
}
