//! The f32 FMA-chain kernel: every output is `acc = fma(a[k], b[k][j], acc)` over k
//! ascending from +0 (per block of `block` products, block sums added to the register),
//! exactly as a scalar loop computes it, vectorised across output columns.
//!
//! On AVX2+FMA CPUs B is packed into panels of 16 columns (`[panel][k][16]`) and a 6×16
//! micro-kernel keeps 12 ymm accumulators — 96 independent chains — while walking one
//! block of k: per k, two panel loads, six broadcasts of A, twelve `vfmadd231ps`. The
//! order of each chain is untouched (one FMA per k per output, k ascending), so the
//! results are those of the scalar chain bit for bit. Rows are split over rayon tasks.

use rayon::prelude::*;

/// Columns per panel.
const NR: usize = 16;
/// Rows per micro-kernel.
const MR: usize = 6;
/// Rows per rayon task.
const MC: usize = 48;

/// `C = A·B` (m×k by k×n, row-major) with the FMA chain; `None` when the CPU lacks
/// AVX2/FMA (the caller uses the portable loop).
pub fn gemm_fma_chain(
    a: &[f32],
    b: &[f32],
    (m, n, k): (usize, usize, usize),
    block: usize,
) -> Option<Vec<f32>> {
    #[cfg(target_arch = "x86_64")]
    {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return None;
        }
        let mut c = vec![0f32; m * n];
        if m == 0 || n == 0 {
            return Some(c);
        }
        let np = n.div_ceil(NR);
        let mut bp = vec![0f32; np * k * NR];
        bp.par_chunks_mut(k.max(1) * NR)
            .enumerate()
            .for_each(|(jp, panel)| {
                let j0 = jp * NR;
                let w = NR.min(n - j0);
                for kk in 0..k {
                    panel[kk * NR..kk * NR + w].copy_from_slice(&b[kk * n + j0..kk * n + j0 + w]);
                }
            });
        let block = block.max(1);
        c.par_chunks_mut(MC * n).enumerate().for_each(|(t, cblk)| {
            let i0 = t * MC;
            let rows = cblk.len() / n;
            // SAFETY: AVX2 and FMA were detected above.
            unsafe {
                rows_avx2(
                    &a[i0 * k..(i0 + rows) * k],
                    &bp,
                    cblk,
                    rows,
                    n,
                    k,
                    np,
                    block,
                )
            };
        });
        Some(c)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b, m, n, k, block);
        None
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn rows_avx2(
    a: &[f32],
    bp: &[f32],
    c: &mut [f32],
    rows: usize,
    n: usize,
    k: usize,
    np: usize,
    block: usize,
) {
    let mut k0: usize = 0;
    let mut first = true;
    loop {
        let k1 = k0.saturating_add(block).min(k);
        for jp in 0..np {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            let panel = bp.as_ptr().add(jp * k * NR);
            let mut i = 0;
            while i + MR <= rows {
                micro::<MR>(a, k, i, panel, k0, k1, c, n, j0, w, first);
                i += MR;
            }
            match rows - i {
                0 => {}
                1 => micro::<1>(a, k, i, panel, k0, k1, c, n, j0, w, first),
                2 => micro::<2>(a, k, i, panel, k0, k1, c, n, j0, w, first),
                3 => micro::<3>(a, k, i, panel, k0, k1, c, n, j0, w, first),
                4 => micro::<4>(a, k, i, panel, k0, k1, c, n, j0, w, first),
                _ => micro::<5>(a, k, i, panel, k0, k1, c, n, j0, w, first),
            }
        }
        first = false;
        k0 = k1;
        if k0 >= k {
            break;
        }
    }
}

/// An `R × 16` block of chains over `k0..k1`; the first block stores its sums, later
/// blocks add them to C (one f32 add each).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn micro<const R: usize>(
    a: &[f32],
    k: usize,
    i: usize,
    panel: *const f32,
    k0: usize,
    k1: usize,
    c: &mut [f32],
    n: usize,
    j0: usize,
    w: usize,
    first: bool,
) {
    use std::arch::x86_64::*;
    let ap = a.as_ptr().add(i * k);
    let mut lo = [_mm256_setzero_ps(); R];
    let mut hi = [_mm256_setzero_ps(); R];
    for kk in k0..k1 {
        let bptr = panel.add(kk * NR);
        let b0 = _mm256_loadu_ps(bptr);
        let b1 = _mm256_loadu_ps(bptr.add(8));
        for r in 0..R {
            let x = _mm256_set1_ps(*ap.add(r * k + kk));
            lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);
            hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);
        }
    }
    for r in 0..R {
        let mut row = [0f32; NR];
        _mm256_storeu_ps(row.as_mut_ptr(), lo[r]);
        _mm256_storeu_ps(row.as_mut_ptr().add(8), hi[r]);
        let dst = &mut c[(i + r) * n + j0..(i + r) * n + j0 + w];
        if first {
            dst.copy_from_slice(&row[..w]);
        } else {
            for (x, &v) in dst.iter_mut().zip(&row) {
                *x += v;
            }
        }
    }
}
