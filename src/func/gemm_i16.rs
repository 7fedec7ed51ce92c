//! The packed integer GEMM kernel: i16 operands, i32 wrapping accumulation.
//!
//! B is packed once into panels of 16 columns with pairs of consecutive k interleaved
//! (`[panel][k/2][16 columns][2]`), A into i32 words holding pairs `(a[2p], a[2p+1])`.
//! A micro-kernel keeps a 4×16 block of C in registers and, per k pair, multiplies a
//! broadcast A pair with a B panel row: on AVX2 one `vpmaddwd` yields 8 columns of
//! `a0·b0 + a1·b1` (exact: |products| ≤ 2^30 each, and the pair sum cannot saturate
//! unless all four inputs are -32768, which the callers' operands never are), added to
//! i32 accumulators with wrapping adds. K is processed in blocks of [`KC`] so a B panel
//! block stays in L1; rayon splits the rows into blocks of [`MC`].
//!
//! Integer addition modulo 2^32 is associative, so the blocking, the pairing and the
//! thread count cannot change a result.

use rayon::prelude::*;

/// Columns per panel.
const NR: usize = 16;
/// Rows per micro-kernel call.
const MR: usize = 4;
/// Rows per rayon task (a multiple of the AVX2 micro-kernel's 6 rows).
const MC: usize = 72;
/// k pairs per block (512 values of k: a 16 KiB B panel block).
const KC: usize = 256;

/// `C = A·B` with wrapping i32 sums; `a` is m×k, `b` is k×n, both row-major, every
/// value in the i16 range (callers check; values are truncated to 16 bits).
pub fn gemm_i16(a: &[i32], b: &[i32], m: usize, n: usize, k: usize) -> Vec<i32> {
    gemm_i16_checked(a, b, m, n, k).unwrap_or_else(|| {
        let t = |v: &[i32]| v.iter().map(|&x| x as i16 as i32).collect::<Vec<_>>();
        gemm_i16_checked(&t(a), &t(b), m, n, k).expect("values truncated to i16 fit")
    })
}

/// Like [`gemm_i16`], but checks while packing that every value fits in i16 and
/// returns `None` (without multiplying) when one does not.
pub fn gemm_i16_checked(a: &[i32], b: &[i32], m: usize, n: usize, k: usize) -> Option<Vec<i32>> {
    let mut c = vec![0i32; m * n];
    if m == 0 || n == 0 || k == 0 {
        return Some(c);
    }
    let kp = k.div_ceil(2);
    let np = n.div_ceil(NR);
    let (bp, b_ok) = pack_b(b, n, k, kp, np);
    let (ap, a_ok) = pack_a(a, m, k, kp);
    if !(a_ok && b_ok) {
        return None;
    }
    let avx2 = has_avx2();
    c.par_chunks_mut(MC * n)
        .enumerate()
        .for_each(|(blk, cblk)| {
            let i0 = blk * MC;
            let rows = cblk.len() / n;
            let ablk = &ap[i0 * kp..(i0 + rows) * kp];
            if avx2 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: AVX2 was detected at run time.
                unsafe {
                    block_avx2(ablk, &bp, cblk, rows, n, kp, np)
                };
            } else {
                block_portable(ablk, &bp, cblk, rows, n, kp, np);
            }
        });
    Some(c)
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        super::isa::allow_avx2() && std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Below this many values packing runs on the calling thread: a rayon hand-off costs
/// more than the work.
pub(super) const PAR_MIN: usize = 1 << 18;

/// True when every value lies in `lo..=hi` (a vectorisable min/max; true when empty).
#[inline]
pub(super) fn within(v: &[i32], lo: i32, hi: i32) -> bool {
    let (min, max) = v
        .iter()
        .fold((i32::MAX, i32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    v.is_empty() || (min >= lo && max <= hi)
}

/// True when every value fits in i16.
fn all_fit(v: &[i32]) -> bool {
    within(v, i16::MIN as i32, i16::MAX as i32)
}

/// One panel of B: columns `[jp·16, jp·16 + 16)` as `[k/2][16][2]`.
fn pack_panel(b: &[i32], n: usize, k: usize, jp: usize, panel: &mut [i16]) {
    let j0 = jp * NR;
    let w = NR.min(n - j0);
    for kk in 0..k {
        let (p, t) = (kk / 2, kk % 2);
        let src = &b[kk * n + j0..kk * n + j0 + w];
        let dst = &mut panel[p * NR * 2..(p + 1) * NR * 2];
        for (c, &v) in src.iter().enumerate() {
            dst[c * 2 + t] = v as i16;
        }
    }
}

/// Packs B (k×n) into `[panel][k/2][16][2]`. Returns whether every value fits in i16.
fn pack_b(b: &[i32], n: usize, k: usize, kp: usize, np: usize) -> (Vec<i16>, bool) {
    let mut bp = vec![0i16; np * kp * NR * 2];
    let panel_len = kp * NR * 2;
    if b.len() < PAR_MIN {
        for (jp, panel) in bp.chunks_mut(panel_len).enumerate() {
            pack_panel(b, n, k, jp, panel);
        }
        return (bp, all_fit(b));
    }
    bp.par_chunks_mut(panel_len)
        .enumerate()
        .for_each(|(jp, panel)| pack_panel(b, n, k, jp, panel));
    (bp, b.par_chunks(1 << 16).all(all_fit))
}

/// Rows of A as i32 words of k pairs.
fn pack_rows(a: &[i32], k: usize, kp: usize, i0: usize, rows: &mut [i32]) {
    let word =
        |x0: i32, x1: i32| (x0 as i16 as u16 as u32 | ((x1 as i16 as u16 as u32) << 16)) as i32;
    for (r, row) in rows.chunks_mut(kp).enumerate() {
        let src = &a[(i0 + r) * k..(i0 + r + 1) * k];
        let pairs = src.chunks_exact(2);
        let rem = pairs.remainder();
        for (w, pr) in row.iter_mut().zip(pairs) {
            *w = word(pr[0], pr[1]);
        }
        if let [x0] = rem {
            row[kp - 1] = word(*x0, 0);
        }
    }
}

/// Packs A (m×k) into i32 words of k pairs. Returns whether every value fits in i16.
fn pack_a(a: &[i32], m: usize, k: usize, kp: usize) -> (Vec<i32>, bool) {
    let mut ap = vec![0i32; m * kp];
    if a.len() < PAR_MIN {
        pack_rows(a, k, kp, 0, &mut ap);
        return (ap, all_fit(a));
    }
    ap.par_chunks_mut(kp * 8)
        .enumerate()
        .for_each(|(blk, rows)| pack_rows(a, k, kp, blk * 8, rows));
    (ap, a.par_chunks(1 << 16).all(all_fit))
}

/// Adds an `r × w` block of `acc` (row stride NR) into C at (i, j0).
#[inline(always)]
fn store(c: &mut [i32], n: usize, i: usize, j0: usize, r: usize, w: usize, acc: &[[i32; NR]; MR]) {
    for (rr, accr) in acc.iter().enumerate().take(r) {
        let row = &mut c[(i + rr) * n + j0..(i + rr) * n + j0 + w];
        for (x, &v) in row.iter_mut().zip(accr) {
            *x = x.wrapping_add(v);
        }
    }
}

fn block_portable(
    ap: &[i32],
    bp: &[i16],
    c: &mut [i32],
    rows: usize,
    n: usize,
    kp: usize,
    np: usize,
) {
    debug_assert!(ap.len() >= rows * kp && c.len() >= rows * n);
    debug_assert!(bp.len() >= np * kp * NR * 2 && np * NR >= n);
    for p0 in (0..kp).step_by(KC) {
        let p1 = (p0 + KC).min(kp);
        for jp in 0..np {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            let panel = &bp[jp * kp * NR * 2..(jp + 1) * kp * NR * 2];
            let mut i = 0;
            while i < rows {
                let r = MR.min(rows - i);
                let mut acc = [[0i32; NR]; MR];
                for p in p0..p1 {
                    let brow = &panel[p * NR * 2..(p + 1) * NR * 2];
                    for (rr, accr) in acc.iter_mut().enumerate().take(r) {
                        let word = ap[(i + rr) * kp + p];
                        let (lo, hi) = (word as i16 as i32, (word >> 16) as i16 as i32);
                        for (cc, x) in accr.iter_mut().enumerate() {
                            let v = lo
                                .wrapping_mul(brow[2 * cc] as i32)
                                .wrapping_add(hi.wrapping_mul(brow[2 * cc + 1] as i32));
                            *x = x.wrapping_add(v);
                        }
                    }
                }
                store(c, n, i, j0, r, w, &acc);
                i += r;
            }
        }
    }
}

/// A block of C rows over every k pair and panel (AVX2), added into C.
///
/// # Safety
/// The CPU must support AVX2. `ap` holds `rows` packed rows of `kp` pairs, `bp` the `np`
/// packed panels (`np * kp * 32` values), `c` holds `rows` rows of `n` and `np * 16 >= n`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_avx2(
    ap: &[i32],
    bp: &[i16],
    c: &mut [i32],
    rows: usize,
    n: usize,
    kp: usize,
    np: usize,
) {
    for p0 in (0..kp).step_by(KC) {
        let p1 = (p0 + KC).min(kp);
        for jp in 0..np {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            let panel = bp[jp * kp * NR * 2..(jp + 1) * kp * NR * 2].as_ptr();
            let mut i = 0;
            while i + MR_AVX <= rows {
                micro_avx2::<MR_AVX>(ap, kp, i, panel, p0, p1, c, n, j0, w);
                i += MR_AVX;
            }
            match rows - i {
                0 => {}
                1 => micro_avx2::<1>(ap, kp, i, panel, p0, p1, c, n, j0, w),
                2 => micro_avx2::<2>(ap, kp, i, panel, p0, p1, c, n, j0, w),
                3 => micro_avx2::<3>(ap, kp, i, panel, p0, p1, c, n, j0, w),
                4 => micro_avx2::<4>(ap, kp, i, panel, p0, p1, c, n, j0, w),
                _ => micro_avx2::<5>(ap, kp, i, panel, p0, p1, c, n, j0, w),
            }
        }
    }
}

/// Rows per AVX2 micro-kernel call (12 accumulators + 2 B vectors + 1 broadcast fit the
/// 16 ymm registers).
#[cfg(target_arch = "x86_64")]
const MR_AVX: usize = 6;

/// An `R × 16` block of C over k pairs `p0..p1`, added into C.
///
/// # Safety
/// The CPU must support AVX2. `ap` holds packed rows `i..i + R` of `kp` pairs,
/// `p0 <= p1 <= kp`, `panel` points to a packed panel of at least `p1 * 32` readable i16s,
/// and `c` holds rows `i..i + R` of `n` values with `j0 + w <= n`, `w <= 16`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_avx2<const R: usize>(
    ap: &[i32],
    kp: usize,
    i: usize,
    panel: *const i16,
    p0: usize,
    p1: usize,
    c: &mut [i32],
    n: usize,
    j0: usize,
    w: usize,
) {
    use std::arch::x86_64::*;
    debug_assert!((i + R) * kp <= ap.len() && p0 <= p1 && p1 <= kp);
    debug_assert!(j0 + w <= n && w <= NR && (i + R) * n <= c.len());
    let a = ap.as_ptr().add(i * kp);
    let mut lo = [_mm256_setzero_si256(); R];
    let mut hi = [_mm256_setzero_si256(); R];
    for p in p0..p1 {
        let bptr = panel.add(p * NR * 2) as *const __m256i;
        let b0 = _mm256_loadu_si256(bptr);
        let b1 = _mm256_loadu_si256(bptr.add(1));
        for r in 0..R {
            let x = _mm256_set1_epi32(*a.add(r * kp + p));
            lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(x, b0));
            hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(x, b1));
        }
    }
    for r in 0..R {
        let mut row = [0i32; NR];
        _mm256_storeu_si256(row.as_mut_ptr() as *mut __m256i, lo[r]);
        _mm256_storeu_si256(row.as_mut_ptr().add(8) as *mut __m256i, hi[r]);
        let dst = &mut c[(i + r) * n + j0..(i + r) * n + j0 + w];
        for (x, &v) in dst.iter_mut().zip(&row) {
            *x = x.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_naive_wrapping() {
        let mut s = crate::numerics::SplitMix64::new(11);
        for &(m, n, k) in &[
            (1, 1, 1),
            (5, 17, 3),
            (13, 33, 1030),
            (64, 16, 64),
            (70, 40, 9),
        ] {
            let a: Vec<i32> = (0..m * k).map(|_| s.next_u64() as i16 as i32).collect();
            let b: Vec<i32> = (0..k * n)
                .map(|_| (s.next_u64() % 511) as i32 - 255)
                .collect();
            let got = gemm_i16(&a, &b, m, n, k);
            let kp = k.div_ceil(2);
            let np = n.div_ceil(NR);
            let mut port = vec![0i32; m * n];
            block_portable(
                &pack_a(&a, m, k, kp).0,
                &pack_b(&b, n, k, kp, np).0,
                &mut port,
                m,
                n,
                kp,
                np,
            );
            for i in 0..m {
                for j in 0..n {
                    let want = (0..k).fold(0i32, |acc, kk| {
                        acc.wrapping_add(a[i * k + kk].wrapping_mul(b[kk * n + j]))
                    });
                    assert_eq!(got[i * n + j], want, "({m},{n},{k}) [{i},{j}]");
                    assert_eq!(port[i * n + j], want);
                }
            }
        }
    }
}
