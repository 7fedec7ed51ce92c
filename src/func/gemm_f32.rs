//! The f32 FMA-chain kernel: every output is `acc = fma(a[k], b[k][j], acc)` over k
//! ascending from +0 (per block of `block` products, block sums added to the register),
//! exactly as a scalar loop computes it, vectorised across output columns.
//!
//! On AVX2+FMA CPUs B is packed into panels of 16 columns (`[panel][k][16]`) and a 6×16
//! micro-kernel keeps 12 ymm accumulators — 96 independent chains — while walking one
//! block of k: per k, two panel loads, six broadcasts of A, twelve `vfmadd231ps`. On
//! AVX-512 CPUs the panels are 32 columns wide and a 12×32 micro-kernel keeps 24 zmm
//! accumulators (384 chains; per k two panel loads, twelve broadcasts, 24 FMAs). The
//! order of each chain is untouched (one FMA per k per output, k ascending), so the
//! results are those of the scalar chain bit for bit. Rows are split over rayon tasks.

use rayon::prelude::*;

/// Columns per panel (AVX2).
const NR: usize = 16;
/// Rows per micro-kernel (AVX2).
const MR: usize = 6;
/// Columns per panel (AVX-512).
const NR512: usize = 32;
/// Rows per micro-kernel (AVX-512).
const MR512: usize = 12;
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
        if !(super::isa::allow_avx2()
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return None;
        }
        let wide = super::isa::allow_avx512() && std::arch::is_x86_feature_detected!("avx512f");
        Some(chain_x86(a, b, (m, n, k), block, wide))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b, m, n, k, block);
        None
    }
}

/// The x86 kernel with AVX-512 (`wide`) or AVX2 micro-kernels; the caller has checked
/// the CPU features.
#[cfg(target_arch = "x86_64")]
fn chain_x86(
    a: &[f32],
    b: &[f32],
    (m, n, k): (usize, usize, usize),
    block: usize,
    wide: bool,
) -> Vec<f32> {
    {
        let mut c = vec![0f32; m * n];
        if m == 0 || n == 0 {
            return c;
        }
        let nr = if wide { NR512 } else { NR };
        let np = n.div_ceil(nr);
        let bp = pack_b(b, n, k, nr);
        let block = block.max(1);
        let mc = if wide { 4 * MR512 } else { MC };
        c.par_chunks_mut(mc * n).enumerate().for_each(|(t, cblk)| {
            let i0 = t * mc;
            let rows = cblk.len() / n;
            let a_rows = &a[i0 * k..(i0 + rows) * k];
            // SAFETY: AVX2 and FMA (and AVX-512 F when `wide`) were detected above.
            unsafe {
                if wide {
                    rows_avx512(a_rows, &bp, cblk, rows, n, k, np, block)
                } else {
                    rows_avx2(a_rows, &bp, cblk, rows, n, k, np, block)
                }
            };
        });
        c
    }
}

/// B (k×n) as panels of `nr` columns, `[panel][k][nr]`, zero-padded.
#[cfg(target_arch = "x86_64")]
fn pack_b(b: &[f32], n: usize, k: usize, nr: usize) -> Vec<f32> {
    let np = n.div_ceil(nr);
    let mut bp = vec![0f32; np * k * nr];
    bp.par_chunks_mut(k.max(1) * nr)
        .enumerate()
        .for_each(|(jp, panel)| {
            let j0 = jp * nr;
            let w = nr.min(n - j0);
            for kk in 0..k {
                panel[kk * nr..kk * nr + w].copy_from_slice(&b[kk * n + j0..kk * n + j0 + w]);
            }
        });
    bp
}

/// A row driver: for each block of k (`block` products) and each panel, runs the
/// `$mr`-row micro-kernel down the rows, then the remainder rows (`$tail` lists the
/// remainder sizes, `1..$mr`). The AVX2 and AVX-512 drivers differ only in these.
///
/// The generated functions are unsafe. Safety: the CPU must support `$features`; `a`
/// holds `rows` rows of `k` values, `bp` the `np` packed panels of B (`np * k * $nr`
/// values, [`pack_b`]), `c` holds `rows` rows of `n` values and `np * $nr >= n`.
macro_rules! row_driver {
    ($name:ident, $features:literal, $nr:expr, $mr:expr, $micro:ident, [$($tail:literal)*]) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(
            a: &[f32],
            bp: &[f32],
            c: &mut [f32],
            rows: usize,
            n: usize,
            k: usize,
            np: usize,
            block: usize,
        ) {
            debug_assert!(a.len() >= rows * k && c.len() >= rows * n);
            debug_assert!(bp.len() >= np * k * $nr && np * $nr >= n);
            let mut k0: usize = 0;
            let mut first = true;
            loop {
                let k1 = k0.saturating_add(block).min(k);
                for jp in 0..np {
                    let j0 = jp * $nr;
                    let w = ($nr as usize).min(n - j0);
                    let panel = bp.as_ptr().add(jp * k * $nr);
                    let mut i = 0;
                    while i + $mr <= rows {
                        $micro::<{ $mr }>(a, k, i, panel, k0, k1, c, n, j0, w, first);
                        i += $mr;
                    }
                    match rows - i {
                        $($tail => $micro::<$tail>(a, k, i, panel, k0, k1, c, n, j0, w, first),)*
                        _ => {}
                    }
                }
                first = false;
                k0 = k1;
                if k0 >= k {
                    break;
                }
            }
        }
    };
}

row_driver!(rows_avx2, "avx2,fma", NR, MR, micro, [1 2 3 4 5]);
row_driver!(rows_avx512, "avx512f,fma", NR512, MR512, micro512, [1 2 3 4 5 6 7 8 9 10 11]);

/// Writes one register row's first `dst.len()` values into C: stored by the first block
/// of k, added (one f32 add each) by later blocks.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn store_row(dst: &mut [f32], row: &[f32], first: bool) {
    if first {
        dst.copy_from_slice(&row[..dst.len()]);
    } else {
        for (x, &v) in dst.iter_mut().zip(row) {
            *x += v;
        }
    }
}

/// A micro-kernel: an `R × $nr` block of chains over `k0..k1` in `$ty` registers (two
/// per row: `lo` columns `0..$half`, `hi` columns `$half..$nr`); the first block stores its
/// sums, later blocks add them to C (one f32 add each). The AVX2 and AVX-512 kernels
/// differ only in the register type, its intrinsics and the panel width.
///
/// The generated functions are unsafe. Safety: the CPU must support `$features`; `a` holds
/// rows `i..i + R` of `k` values, `k0 <= k1 <= k`, `panel` points to a packed panel of at
/// least `k1 * $nr` readable f32s, and `c` holds rows `i..i + R` of `n` values with
/// `j0 + w <= n`, `w <= $nr`.
macro_rules! micro_kernel {
    (
        $(#[$doc:meta])*
        $name:ident, $features:literal, $nr:expr, $half:literal,
        $zero:ident, $load:ident, $splat:ident, $fmadd:ident, $store:ident
    ) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        #[inline]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name<const R: usize>(
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
            debug_assert!((i + R) * k <= a.len() && k0 <= k1 && k1 <= k);
            debug_assert!(j0 + w <= n && w <= $nr && (i + R) * n <= c.len());
            let ap = a.as_ptr().add(i * k);
            let mut lo = [$zero(); R];
            let mut hi = [$zero(); R];
            for kk in k0..k1 {
                let bptr = panel.add(kk * $nr);
                let b0 = $load(bptr);
                let b1 = $load(bptr.add($half));
                for r in 0..R {
                    let x = $splat(*ap.add(r * k + kk));
                    lo[r] = $fmadd(x, b0, lo[r]);
                    hi[r] = $fmadd(x, b1, hi[r]);
                }
            }
            for r in 0..R {
                let mut row = [0f32; $nr];
                $store(row.as_mut_ptr(), lo[r]);
                $store(row.as_mut_ptr().add($half), hi[r]);
                store_row(&mut c[(i + r) * n + j0..(i + r) * n + j0 + w], &row, first);
            }
        }
    };
}

micro_kernel!(
    /// An `R × 16` block of chains (AVX2, ymm).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; the slice bounds are those of `micro_kernel!`.
    micro, "avx2,fma", NR, 8,
    _mm256_setzero_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps
);
micro_kernel!(
    /// An `R × 32` block of chains (AVX-512, zmm).
    ///
    /// # Safety
    /// The CPU must support AVX-512 F and FMA; the slice bounds are those of `micro_kernel!`.
    micro512, "avx512f,fma", NR512, 16,
    _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps
);

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Both micro-kernel families give the scalar FMA chain bit for bit.
    #[test]
    fn avx2_and_avx512_kernels_equal_the_scalar_chain() {
        let (m, n, k) = (29, 77, 131);
        let mut s = crate::numerics::SplitMix64::new(9);
        let mut r = |_| ((s.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 5.0;
        let a: Vec<f32> = (0..m * k).map(&mut r).collect();
        let b: Vec<f32> = (0..k * n).map(&mut r).collect();
        let mut want = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let (mut acc, mut part) = (0f32, 0f32);
                for kk in 0..k {
                    part = a[i * k + kk].mul_add(b[kk * n + j], part);
                    if kk % 50 == 49 || kk == k - 1 {
                        acc = if kk < 50 { part } else { acc + part };
                        part = 0.0;
                    }
                }
                want[i * n + j] = acc;
            }
        }
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let has = |f: &str| match f {
            "avx2" => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            _ => std::arch::is_x86_feature_detected!("avx512f"),
        };
        if has("avx2") {
            assert_eq!(bits(&chain_x86(&a, &b, (m, n, k), 50, false)), bits(&want));
        }
        if has("avx2") && has("avx512") {
            assert_eq!(bits(&chain_x86(&a, &b, (m, n, k), 50, true)), bits(&want));
        }
    }
}
