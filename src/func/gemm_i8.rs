//! The 8-bit integer GEMM kernel on AVX-512 VNNI: i8 operands, i32 wrapping accumulation.
//!
//! `vpdpbusd` multiplies unsigned bytes by signed bytes and adds groups of four products
//! into i32 lanes. A's values (signed, in `-128..=127`) are offset by +128 into unsigned
//! bytes, so each output first collects `Σ (a + 128)·b = Σ a·b + 128·Σ_k b[k][j]`; C
//! starts at `-128·Σ_k b[k][j]` (wrapping), which cancels the offset exactly. Every
//! product `(a + 128)·b` is at most 255·128 in magnitude, a group of four fits easily in
//! i32, and `vpdpbusd` (unlike `vpdpbusds`) wraps, so all sums are exact modulo 2^32.
//!
//! Layout: B is packed into panels of 32 columns with four consecutive k interleaved
//! (`[panel][k/4][32 columns][4]`, k padded with zeros), A into rows of u32 words holding
//! four offset bytes. A 12×32 micro-kernel keeps 24 zmm accumulators; per k quad it loads
//! two panel vectors, broadcasts 12 A words and issues 24 `vpdpbusd` (64 MACs each). K is
//! walked in blocks of [`KC`] quads so a panel block stays in L1; rayon tasks take row
//! blocks sized so both cores get work even for small matrices.
//!
//! Integer addition modulo 2^32 is associative, so blocking and thread count cannot change
//! a result.

use rayon::prelude::*;

/// Columns per panel.
const NR: usize = 32;
/// Rows per micro-kernel call (24 accumulators + 2 panel vectors + 1 broadcast ≤ 32 zmm).
const MR: usize = 12;
/// k quads per block (512 values of k: a 16 KiB panel block).
const KC: usize = 128;

/// True when the CPU runs the AVX-512 VNNI kernel (and `ACCELSIM_ISA` allows it).
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        super::isa::allow_avx512()
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when every value lies in `-128..=127`.
fn all_i8(v: &[i32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if available() {
        // SAFETY: AVX-512 F was detected by `available`.
        return unsafe { all_i8_avx512(v) };
    }
    all_i8_portable(v)
}

fn all_i8_portable(v: &[i32]) -> bool {
    super::gemm_i16::within(v, i8::MIN as i32, i8::MAX as i32)
}

/// [`all_i8_portable`] compiled for AVX-512 (16 lanes of min/max).
///
/// # Safety
/// The CPU must support AVX-512 F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn all_i8_avx512(v: &[i32]) -> bool {
    all_i8_portable(v)
}

/// Below this many MACs the whole GEMM runs on the calling thread: waking rayon's
/// workers costs more than splitting the work saves.
const SERIAL_MACS: usize = 1 << 25;

/// `C = A·B` with wrapping i32 sums (`a` m×k, `b` k×n, row-major) when the CPU has AVX-512
/// VNNI and every operand value fits in i8; `None` otherwise (nothing computed).
pub fn gemm_i8_vnni(a: &[i32], b: &[i32], m: usize, n: usize, k: usize) -> Option<Vec<i32>> {
    if !available() || !all_i8(a) || !all_i8(b) {
        return None;
    }
    if m == 0 || n == 0 || k == 0 {
        return Some(vec![0i32; m * n]);
    }
    #[cfg(target_arch = "x86_64")]
    {
        let kq = k.div_ceil(4);
        let np = n.div_ceil(NR);
        let (bp, colsum) = pack_b(b, n, k, kq, np);
        let ap = pack_a(a, m, k, kq);
        // Each row starts at -128·colsum (wrapping): the offset of A's bytes cancels.
        let init: Vec<i32> = colsum.iter().map(|&s| s.wrapping_mul(-128)).collect();
        let mut c = vec![0i32; m * n];
        let run = |i0: usize, cblk: &mut [i32]| {
            for row in cblk.chunks_mut(n) {
                row.copy_from_slice(&init);
            }
            let rows = cblk.len() / n;
            // SAFETY: AVX-512 F/BW/VNNI were detected by `available`.
            unsafe { block(&ap[i0 * kq..(i0 + rows) * kq], &bp, cblk, rows, n, kq, np) };
        };
        if m.saturating_mul(n).saturating_mul(k) < SERIAL_MACS {
            run(0, &mut c);
        } else {
            let mc = rows_per_task(m);
            c.par_chunks_mut(mc * n)
                .enumerate()
                .for_each(|(t, cblk)| run(t * mc, cblk));
        }
        Some(c)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// Rows per rayon task: a multiple of [`MR`], small enough that every thread gets about
/// four tasks, at most 96.
fn rows_per_task(m: usize) -> usize {
    let tasks = rayon::current_num_threads().max(1) * 4;
    let rows = m.div_ceil(tasks).div_ceil(MR) * MR;
    rows.clamp(MR, 8 * MR)
}

/// One panel of B: columns `[jp·32, jp·32 + 32)` as `[k/4][32][4]`.
fn pack_panel(b: &[i32], n: usize, k: usize, jp: usize, panel: &mut [i8]) {
    let j0 = jp * NR;
    let w = NR.min(n - j0);
    for kk in 0..k {
        let (q, t) = (kk / 4, kk % 4);
        let src = &b[kk * n + j0..kk * n + j0 + w];
        let dst = &mut panel[q * NR * 4..(q + 1) * NR * 4];
        for (c, &v) in src.iter().enumerate() {
            dst[c * 4 + t] = v as i8;
        }
    }
}

/// Packs B (k×n) into `[panel][k/4][32][4]` i8 and returns the column sums.
fn pack_b(b: &[i32], n: usize, k: usize, kq: usize, np: usize) -> (Vec<i8>, Vec<i32>) {
    let panel_len = kq * NR * 4;
    let mut bp = vec![0i8; np * panel_len];
    if b.len() < super::gemm_i16::PAR_MIN {
        for (jp, panel) in bp.chunks_mut(panel_len).enumerate() {
            pack_panel(b, n, k, jp, panel);
        }
    } else {
        bp.par_chunks_mut(panel_len)
            .enumerate()
            .for_each(|(jp, panel)| pack_panel(b, n, k, jp, panel));
    }
    let mut colsum = vec![0i32; n];
    for row in b.chunks_exact(n) {
        for (s, &v) in colsum.iter_mut().zip(row) {
            *s = s.wrapping_add(v);
        }
    }
    (bp, colsum)
}

/// Rows of A (from row `i0`) as u32 words of four offset bytes `a + 128` (padding bytes
/// are 128, i.e. a zero operand; they meet B's zero padding anyway).
fn pack_rows(a: &[i32], k: usize, kq: usize, i0: usize, rows: &mut [u32]) {
    let byte = |v: i32| (v + 128) as u32 & 0xff;
    for (r, row) in rows.chunks_mut(kq).enumerate() {
        let src = &a[(i0 + r) * k..(i0 + r + 1) * k];
        let quads = src.chunks_exact(4);
        let rem = quads.remainder();
        for (w, q) in row.iter_mut().zip(quads) {
            *w = byte(q[0]) | byte(q[1]) << 8 | byte(q[2]) << 16 | byte(q[3]) << 24;
        }
        if !rem.is_empty() {
            let mut w = 0x8080_8080u32;
            for (t, &v) in rem.iter().enumerate() {
                w = (w & !(0xff << (8 * t))) | byte(v) << (8 * t);
            }
            row[kq - 1] = w;
        }
    }
}

/// Packs A (m×k) into rows of u32 words of four offset bytes.
fn pack_a(a: &[i32], m: usize, k: usize, kq: usize) -> Vec<u32> {
    let mut ap = vec![0u32; m * kq];
    if a.len() < super::gemm_i16::PAR_MIN {
        pack_rows(a, k, kq, 0, &mut ap);
    } else {
        ap.par_chunks_mut(kq * 16)
            .enumerate()
            .for_each(|(blk, rows)| pack_rows(a, k, kq, blk * 16, rows));
    }
    ap
}

/// A block of C rows over every k quad and panel (AVX-512 VNNI), added into C.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VNNI. `ap` holds `rows` packed rows of `kq`
/// quads, `bp` the `np` packed panels (`np * kq * 128` bytes), `c` holds `rows` rows of
/// `n` and `np * 32 >= n`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn block(ap: &[u32], bp: &[i8], c: &mut [i32], rows: usize, n: usize, kq: usize, np: usize) {
    debug_assert!(ap.len() >= rows * kq && c.len() >= rows * n);
    debug_assert!(bp.len() >= np * kq * NR * 4 && np * NR >= n);
    for q0 in (0..kq).step_by(KC) {
        let q1 = (q0 + KC).min(kq);
        for jp in 0..np {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            let panel = bp.as_ptr().add(jp * kq * NR * 4);
            let mut i = 0;
            while i + MR <= rows {
                micro::<MR>(ap, kq, i, panel, q0, q1, c, n, j0, w);
                i += MR;
            }
            macro_rules! tail {
                ($($r:literal)*) => {
                    match rows - i {
                        $($r => micro::<$r>(ap, kq, i, panel, q0, q1, c, n, j0, w),)*
                        _ => {}
                    }
                };
            }
            tail!(1 2 3 4 5 6 7 8 9 10 11);
        }
    }
}

/// An `R × 32` block of C over k quads `q0..q1`, added into C (wrapping).
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VNNI. `ap` holds packed rows `i..i + R` of `kq`
/// quads, `q0 <= q1 <= kq`, `panel` points to a packed panel of at least `q1 * 128`
/// readable bytes, and `c` holds rows `i..i + R` of `n` values with `j0 + w <= n`,
/// `w <= 32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn micro<const R: usize>(
    ap: &[u32],
    kq: usize,
    i: usize,
    panel: *const i8,
    q0: usize,
    q1: usize,
    c: &mut [i32],
    n: usize,
    j0: usize,
    w: usize,
) {
    use std::arch::x86_64::*;
    debug_assert!((i + R) * kq <= ap.len() && q0 <= q1 && q1 <= kq);
    debug_assert!(j0 + w <= n && w <= NR && (i + R) * n <= c.len());
    let a = ap.as_ptr().add(i * kq);
    let mut lo = [_mm512_setzero_si512(); R];
    let mut hi = [_mm512_setzero_si512(); R];
    for q in q0..q1 {
        let bptr = panel.add(q * NR * 4) as *const __m512i;
        let b0 = _mm512_loadu_si512(bptr);
        let b1 = _mm512_loadu_si512(bptr.add(1));
        for r in 0..R {
            let x = _mm512_set1_epi32(*a.add(r * kq + q) as i32);
            lo[r] = _mm512_dpbusd_epi32(lo[r], x, b0);
            hi[r] = _mm512_dpbusd_epi32(hi[r], x, b1);
        }
    }
    for r in 0..R {
        let dst = c.as_mut_ptr().add((i + r) * n + j0);
        if w == NR {
            let d0 = dst as *mut __m512i;
            let d1 = dst.add(16) as *mut __m512i;
            _mm512_storeu_si512(d0, _mm512_add_epi32(_mm512_loadu_si512(d0), lo[r]));
            _mm512_storeu_si512(d1, _mm512_add_epi32(_mm512_loadu_si512(d1), hi[r]));
        } else {
            let mut row = [0i32; NR];
            _mm512_storeu_si512(row.as_mut_ptr() as *mut __m512i, lo[r]);
            _mm512_storeu_si512(row.as_mut_ptr().add(16) as *mut __m512i, hi[r]);
            let dst = &mut c[(i + r) * n + j0..(i + r) * n + j0 + w];
            for (x, &v) in dst.iter_mut().zip(&row) {
                *x = x.wrapping_add(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::kernel_tests::{cases, EDGE_SHAPES};

    #[test]
    fn vnni_kernel_matches_naive_sums_including_extremes() {
        if !available() {
            return;
        }
        let i8_value = |x: u64| x as i8 as i32;
        let shapes = EDGE_SHAPES.into_iter().chain([(25, 64, 515), (12, 32, 4)]);
        for t in cases(5, shapes, i8_value, i8_value) {
            let (m, n, k) = t.dims;
            assert_eq!(gemm_i8_vnni(&t.a, &t.b, m, n, k).unwrap(), t.want);
        }
        // All -128 (the largest products) over a long K: 16384·2^14 = 2^28 per output.
        let (m, n, k) = (3, 35, 16384);
        let a = vec![-128; m * k];
        let b = vec![-128; k * n];
        assert_eq!(gemm_i8_vnni(&a, &b, m, n, k).unwrap(), vec![1 << 28; m * n]);
        // Values outside i8 are declined, not truncated.
        assert!(gemm_i8_vnni(&[128], &[1], 1, 1, 1).is_none());
    }
}
