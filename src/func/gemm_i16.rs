//! The packed integer GEMM kernel: i16 operands, i32 wrapping accumulation (the exact int8
//! GEMM of every x86 CPU without AVX-512 VNNI, and of int16 operands everywhere).
//!
//! Operands are packed once per call, as i32 words holding a pair of consecutive k values
//! `(x[2p] & 0xffff) | x[2p+1] << 16` (the word `vpmaddwd` multiplies pairwise):
//! * B into panels of [`NR`] = 16 columns, `[panel][k pair][16 columns]` (one aligned
//!   32-byte row per k pair; the last panel and an odd k padded with zeros);
//! * A into micro-panels of [`MR`] = 6 rows, `[block][k pair][6 rows]`, so the micro-kernel
//!   reads A sequentially (missing rows of the last block padded with zeros).
//!
//! Packing checks that every value fits in i16 (min/max folded into the same pass) and
//! returns `None` otherwise. The micro-kernel keeps a 6×16 block of C in 12 ymm
//! accumulators; per k pair it loads two B vectors, broadcasts six A words and issues 12
//! `vpmaddwd` (16 MACs each, exact: every product fits in i32 and the pair sum wraps only
//! when all four inputs are -32768, where its wrapped value is the sum modulo 2^32) and 12
//! wrapping `vpaddd`. Cache blocking: K is walked in blocks of [`KC`] pairs so a B
//! micro-panel (KC×16 words, 16 KiB) stays in L1 while the task's A block (≤ [`MC_MAX`]
//! rows × KC words) stays in L2; rayon tasks take row blocks, as many per thread as keeps
//! them balanced. The packing buffers are kept per thread between calls (up to
//! [`KEEP_MAX`] bytes), so repeated GEMMs neither allocate nor page-fault them.
//!
//! Integer addition modulo 2^32 is associative, so the blocking, the pairing and the
//! thread count cannot change a result.

use std::cell::RefCell;

use rayon::prelude::*;

/// Columns per panel (two ymm vectors of i32).
const NR: usize = 16;
/// Rows per micro-kernel (12 accumulators + 2 B vectors + 1 broadcast fit 16 ymm).
const MR: usize = 6;
/// k pairs per cache block (a 16 KiB B micro-panel).
const KC: usize = 256;
/// The most rows one rayon task takes (its A block, MC_MAX × KC words, stays in L2).
const MC_MAX: usize = 144;
/// Packing buffers up to this many bytes are kept for the thread's next call.
const KEEP_MAX: usize = 16 << 20;

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
    debug_assert_eq!(a.len(), m * k);
    debug_assert_eq!(b.len(), k * n);
    if m == 0 || n == 0 || k == 0 {
        return Some(vec![0i32; m * n]);
    }
    let dims = Dims::new(m, n, k);
    with_buffers(dims.a_len(), dims.b_len(), |ap, bp| {
        let (a_ok, b_ok) = rayon::join(|| pack_a(a, &dims, ap), || pack_b(b, &dims, bp));
        if !(a_ok && b_ok) {
            return None;
        }
        let mut c = vec![0i32; m * n];
        multiply(ap, bp, &mut c, &dims);
        Some(c)
    })
}

/// The problem's sizes and its packed layout.
#[derive(Debug, Clone, Copy)]
struct Dims {
    m: usize,
    n: usize,
    k: usize,
    /// k pairs (`k / 2` rounded up).
    kp: usize,
    /// B panels (`n / NR` rounded up).
    np: usize,
    /// A micro-panels (`m / MR` rounded up).
    mb: usize,
}

impl Dims {
    fn new(m: usize, n: usize, k: usize) -> Dims {
        Dims {
            m,
            n,
            k,
            kp: k.div_ceil(2),
            np: n.div_ceil(NR),
            mb: m.div_ceil(MR),
        }
    }

    fn a_len(&self) -> usize {
        self.mb * self.kp * MR
    }

    fn b_len(&self) -> usize {
        self.np * self.kp * NR
    }
}

thread_local! {
    /// The calling thread's packing buffers (A, B), reused between calls.
    static BUFFERS: RefCell<(Vec<u32>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Runs `f` with packing buffers of `a_len` and `b_len` words (contents unspecified: the
/// packers overwrite every word). The thread's kept buffers are used when free (a nested
/// call on the same thread, e.g. from a rayon task stolen while waiting, allocates its own);
/// buffers over [`KEEP_MAX`] bytes are released afterwards.
fn with_buffers<R>(a_len: usize, b_len: usize, f: impl FnOnce(&mut [u32], &mut [u32]) -> R) -> R {
    let fresh = |f: &mut dyn FnMut(&mut [u32], &mut [u32]) -> R| {
        f(&mut vec![0u32; a_len], &mut vec![0u32; b_len])
    };
    let mut f = Some(f);
    let mut call = |ap: &mut [u32], bp: &mut [u32]| (f.take().expect("called once"))(ap, bp);
    BUFFERS
        .try_with(|cell| {
            let Ok(mut bufs) = cell.try_borrow_mut() else {
                return None;
            };
            let (ab, bb) = &mut *bufs;
            ab.resize(a_len.max(ab.len()), 0);
            bb.resize(b_len.max(bb.len()), 0);
            let r = call(&mut ab[..a_len], &mut bb[..b_len]);
            for v in [ab, bb] {
                if v.len() * 4 > KEEP_MAX {
                    *v = Vec::new();
                }
            }
            Some(r)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| fresh(&mut call))
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

/// The pair word of `(x0, x1)`: `x0` in the low 16 bits, `x1` in the high 16 bits.
#[inline(always)]
fn word(x0: i32, x1: i32) -> u32 {
    (x0 as u32 & 0xffff) | ((x1 as u32) << 16)
}

/// The running (min, max) of values.
type Range = (i32, i32);

const EMPTY: Range = (i32::MAX, i32::MIN);

#[inline(always)]
fn fits16((min, max): Range) -> bool {
    min >= i16::MIN as i32 && max <= i16::MAX as i32
}

/// Packs B (k×n) into `[panel][k pair][NR]` words. Returns whether every value fits in i16.
fn pack_b(b: &[i32], d: &Dims, bp: &mut [u32]) -> bool {
    pack::<false>(b, d, bp)
}

/// Packs A (m×k) into `[block][k pair][MR]` words. Returns whether every value fits in i16.
fn pack_a(a: &[i32], d: &Dims, ap: &mut [u32]) -> bool {
    pack::<true>(a, d, ap)
}

/// Packs operand A (`IS_A`, into micro-panels of [`MR`] rows) or B (into panels of [`NR`]
/// columns), units in parallel when the operand is large. Returns whether every value fits
/// in i16.
fn pack<const IS_A: bool>(src: &[i32], d: &Dims, out: &mut [u32]) -> bool {
    let width = if IS_A { MR } else { NR };
    let unit_len = d.kp * width;
    let per_task = (PAR_MIN / (d.k * width)).max(1);
    let range = |(t, chunk): (usize, &mut [u32])| {
        let mut r = EMPTY;
        for (i, unit) in chunk.chunks_mut(unit_len).enumerate() {
            r = merge(r, pack_unit::<IS_A>(src, d, t * per_task + i, unit));
        }
        r
    };
    let r = if src.len() < PAR_MIN {
        range((0, out))
    } else {
        out.par_chunks_mut(unit_len * per_task)
            .enumerate()
            .map(range)
            .reduce(|| EMPTY, merge)
    };
    fits16(r)
}

fn merge(x: Range, y: Range) -> Range {
    (x.0.min(y.0), x.1.max(y.1))
}

/// Packs unit `idx` of an operand (an A micro-panel with `IS_A`, else a B panel) with the
/// AVX2 build of the packer when the CPU has it.
fn pack_unit<const IS_A: bool>(src: &[i32], d: &Dims, idx: usize, out: &mut [u32]) -> Range {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: AVX2 was detected at run time.
        return unsafe { pack_unit_avx2::<IS_A>(src, d, idx, out) };
    }
    pack_unit_portable::<IS_A>(src, d, idx, out)
}

/// [`pack_unit_portable`] compiled for AVX2 (B's full-width case vectorises, 16 words per
/// k pair; so does A's range fold).
///
/// # Safety
/// The CPU must support AVX2 (callers check `has_avx2()` at run time). The body is safe
/// code; only the target feature makes it `unsafe`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn pack_unit_avx2<const IS_A: bool>(
    src: &[i32],
    d: &Dims,
    idx: usize,
    out: &mut [u32],
) -> Range {
    pack_unit_portable::<IS_A>(src, d, idx, out)
}

#[inline(always)]
fn pack_unit_portable<const IS_A: bool>(
    src: &[i32],
    d: &Dims,
    idx: usize,
    out: &mut [u32],
) -> Range {
    if IS_A {
        pack_a_block(src, d, idx, out)
    } else {
        pack_panel(src, d, idx, out)
    }
}

/// One panel of B: columns `[jp·NR, jp·NR + NR)` as `[k pair][NR]` words, with the range
/// of the values read.
#[inline(always)]
fn pack_panel(b: &[i32], d: &Dims, jp: usize, panel: &mut [u32]) -> Range {
    let (n, k) = (d.n, d.k);
    let j0 = jp * NR;
    let w = NR.min(n - j0);
    let (mut lo, mut hi) = EMPTY;
    for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
        let r0 = &b[2 * p * n + j0..2 * p * n + j0 + w];
        let r1 = if 2 * p + 1 < k {
            &b[(2 * p + 1) * n + j0..(2 * p + 1) * n + j0 + w]
        } else {
            &[][..]
        };
        if w == NR && r1.len() == NR {
            let (r0, r1): (&[i32; NR], &[i32; NR]) =
                (r0.try_into().expect("NR"), r1.try_into().expect("NR"));
            for c in 0..NR {
                dst[c] = word(r0[c], r1[c]);
                lo = lo.min(r0[c].min(r1[c]));
                hi = hi.max(r0[c].max(r1[c]));
            }
        } else {
            dst.fill(0);
            for (c, &x0) in r0.iter().enumerate() {
                let x1 = r1.get(c).copied().unwrap_or(0);
                dst[c] = word(x0, x1);
                lo = lo.min(x0.min(x1));
                hi = hi.max(x0.max(x1));
            }
        }
    }
    (lo, hi)
}

/// One micro-panel of A: rows `[ib·MR, ib·MR + MR)` as `[k pair][MR]` words.
#[inline(always)]
fn pack_a_block(a: &[i32], d: &Dims, ib: usize, blk: &mut [u32]) -> Range {
    let (m, k, kp) = (d.m, d.k, d.kp);
    let i0 = ib * MR;
    let rows = MR.min(m - i0);
    if rows == MR && k % 2 == 0 {
        // Full block, no padding: six row streams, sequential writes.
        let src: [&[i32]; MR] = std::array::from_fn(|r| &a[(i0 + r) * k..(i0 + r + 1) * k]);
        for (p, dst) in blk.chunks_exact_mut(MR).enumerate() {
            for r in 0..MR {
                dst[r] = word(src[r][2 * p], src[r][2 * p + 1]);
            }
        }
        let r = src.iter().fold(EMPTY, |acc, row| merge(acc, range_of(row)));
        return r;
    }
    let (mut lo, mut hi) = EMPTY;
    if rows < MR {
        blk.fill(0);
    }
    for r in 0..rows {
        let src = &a[(i0 + r) * k..(i0 + r + 1) * k];
        let pairs = src.chunks_exact(2);
        let rem = pairs.remainder();
        for (p, pr) in pairs.enumerate() {
            blk[p * MR + r] = word(pr[0], pr[1]);
            lo = lo.min(pr[0].min(pr[1]));
            hi = hi.max(pr[0].max(pr[1]));
        }
        if let [x0] = rem {
            blk[(kp - 1) * MR + r] = word(*x0, 0);
            lo = lo.min(*x0);
            hi = hi.max(*x0);
        }
    }
    (lo, hi)
}

/// The (min, max) of values (a vectorisable fold).
#[inline(always)]
fn range_of(v: &[i32]) -> Range {
    v.iter().fold(EMPTY, |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// Rows per rayon task: a multiple of MR, at most [`MC_MAX`], with the task count a
/// multiple of the thread count where the rows allow (so the threads finish together).
fn rows_per_task(m: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let rounds = m.div_ceil(threads * MC_MAX).max(1);
    let tasks = threads * rounds;
    m.div_ceil(tasks).next_multiple_of(MR).min(MC_MAX)
}

/// `C += A·B` from the packed operands, row blocks in parallel.
fn multiply(ap: &[u32], bp: &[u32], c: &mut [i32], d: &Dims) {
    let mc = rows_per_task(d.m);
    let avx2 = has_avx2();
    let task = |(t, cblk): (usize, &mut [i32])| {
        let i0 = t * mc;
        let rows = cblk.len() / d.n;
        let ablk = &ap[(i0 / MR) * d.kp * MR..(i0 + rows).div_ceil(MR) * d.kp * MR];
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: AVX2 was detected at run time.
            unsafe { block_avx2(ablk, bp, cblk, rows, d) };
            return;
        }
        let _ = avx2;
        block_portable(ablk, bp, cblk, rows, d);
    };
    if (d.m * d.n).saturating_mul(d.k) < 1 << 21 {
        c.chunks_mut(mc * d.n).enumerate().for_each(task);
    } else {
        c.par_chunks_mut(mc * d.n).enumerate().for_each(task);
    }
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

/// Adds tile `t`'s `MR × NR` register block into the task's C (`n` columns; only the
/// tile's first `r` rows and `w` columns exist).
#[inline(always)]
fn add_block(c: &mut [i32], n: usize, t: &Tile, acc: &[[i32; NR]; MR]) {
    let (i, j0) = (t.ib * MR, t.j0);
    for (rr, accr) in acc.iter().enumerate().take(t.r) {
        let row = &mut c[(i + rr) * n + j0..(i + rr) * n + j0 + t.w];
        for (x, &v) in row.iter_mut().zip(accr) {
            *x = x.wrapping_add(v);
        }
    }
}

/// One micro-kernel call of a task: K block `p0..p0 + kc`, B panel `jp` (columns
/// `j0..j0 + w`), A micro-panel `ib` (`r` rows from task row `ib·MR`), with the slices
/// of the packed operands it reads (`apan`: `kc × MR` words, `panel`: `kc × NR`).
struct Tile<'a> {
    apan: &'a [u32],
    panel: &'a [u32],
    kc: usize,
    ib: usize,
    j0: usize,
    r: usize,
    w: usize,
}

/// Walks one task's tiles in the kernels' order: per K block, per B panel, every A
/// micro-panel (the blocking both kernels share).
#[inline(always)]
fn for_each_tile(ap: &[u32], bp: &[u32], rows: usize, d: &Dims, mut f: impl FnMut(Tile)) {
    let (n, kp) = (d.n, d.kp);
    for p0 in (0..kp).step_by(KC) {
        let kc = KC.min(kp - p0);
        for jp in 0..d.np {
            let j0 = jp * NR;
            let panel = &bp[(jp * kp + p0) * NR..(jp * kp + p0 + kc) * NR];
            for ib in 0..rows.div_ceil(MR) {
                f(Tile {
                    apan: &ap[(ib * kp + p0) * MR..(ib * kp + p0 + kc) * MR],
                    panel,
                    kc,
                    ib,
                    j0,
                    r: MR.min(rows - ib * MR),
                    w: NR.min(n - j0),
                });
            }
        }
    }
}

/// The portable kernel over one task's rows (same packing and blocking as AVX2's).
fn block_portable(ap: &[u32], bp: &[u32], c: &mut [i32], rows: usize, d: &Dims) {
    for_each_tile(ap, bp, rows, d, |t| {
        let mut acc = [[0i32; NR]; MR];
        for p in 0..t.kc {
            let brow = &t.panel[p * NR..(p + 1) * NR];
            for (r, accr) in acc.iter_mut().enumerate() {
                let x = t.apan[p * MR + r];
                let (x0, x1) = (x as i16 as i32, (x >> 16) as i16 as i32);
                for (v, &y) in accr.iter_mut().zip(brow) {
                    let (y0, y1) = (y as i16 as i32, (y >> 16) as i16 as i32);
                    let s = x0.wrapping_mul(y0).wrapping_add(x1.wrapping_mul(y1));
                    *v = v.wrapping_add(s);
                }
            }
        }
        add_block(c, d.n, &t, &acc);
    });
}

/// The AVX2 kernel over one task's rows: per K block, per B panel, every micro-panel.
///
/// # Safety
/// The CPU must support AVX2. `ap` holds the task's packed A micro-panels (`kp × MR` words
/// each), `bp` every packed B panel (`kp × NR` words each) and `c` the task's `rows × n`
/// outputs; slicing checks those bounds before [`micro_avx2`] reads through pointers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_avx2(ap: &[u32], bp: &[u32], c: &mut [i32], rows: usize, d: &Dims) {
    for_each_tile(ap, bp, rows, d, |t| {
        // SAFETY: the caller's CPU has AVX2; the tile's slices hold `kc` k pairs.
        unsafe { micro_avx2(&t, c, d.n) }
    });
}

/// Accumulates rows of the 6×16 block for one k pair: broadcasts A word `$r` of `$ar`,
/// multiplies it pairwise with the two B vectors and adds into the row's two
/// accumulators `$lo`, `$hi` (wrapping).
#[cfg(target_arch = "x86_64")]
macro_rules! madd_rows {
    ($ar:ident, $b0:ident, $b1:ident; $($r:literal => $lo:ident $hi:ident),*) => {
        $(
            let x = _mm256_set1_epi32(*$ar.add($r));
            $lo = _mm256_add_epi32($lo, _mm256_madd_epi16(x, $b0));
            $hi = _mm256_add_epi32($hi, _mm256_madd_epi16(x, $b1));
        )*
    };
}

/// Tile `t`'s 6×16 block of C over its `kc` k pairs, added into the task's C (`n`
/// columns) at row `i = ib·MR`, column `j0` (`r` rows, `w` columns of it exist).
///
/// # Safety
/// The CPU must support AVX2; `apan.len() ≥ kc·MR`, `panel.len() ≥ kc·NR`, `r ≤ MR`,
/// `w ≤ NR` and C holds rows `i..i + r` of `n` columns from `j0 + w ≤ n` (debug-asserted).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn micro_avx2(t: &Tile, c: &mut [i32], n: usize) {
    use std::arch::x86_64::*;
    let (apan, panel, kc) = (t.apan, t.panel, t.kc);
    let (i, j0, r, w) = (t.ib * MR, t.j0, t.r, t.w);
    debug_assert!(apan.len() >= kc * MR && panel.len() >= kc * NR);
    debug_assert!(r <= MR && w <= NR && j0 + w <= n && (i + r) * n <= c.len());
    let (a, b) = (
        apan.as_ptr() as *const i32,
        panel.as_ptr() as *const __m256i,
    );
    let z = _mm256_setzero_si256();
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21) = (z, z, z, z, z, z);
    let (mut c30, mut c31, mut c40, mut c41, mut c50, mut c51) = (z, z, z, z, z, z);
    for p in 0..kc {
        // SAFETY: p < kc; both slices hold kc rows (checked above).
        let b0 = _mm256_loadu_si256(b.add(2 * p));
        let b1 = _mm256_loadu_si256(b.add(2 * p + 1));
        let ar = a.add(p * MR);
        madd_rows!(ar, b0, b1;
            0 => c00 c01, 1 => c10 c11, 2 => c20 c21, 3 => c30 c31, 4 => c40 c41, 5 => c50 c51);
    }
    let acc = [
        [c00, c01],
        [c10, c11],
        [c20, c21],
        [c30, c31],
        [c40, c41],
        [c50, c51],
    ];
    if r == MR && w == NR {
        for (rr, [v0, v1]) in acc.iter().enumerate() {
            let row = c[(i + rr) * n + j0..(i + rr) * n + j0 + NR].as_mut_ptr() as *mut __m256i;
            // SAFETY: the row slice holds NR = 16 i32 (two ymm).
            _mm256_storeu_si256(row, _mm256_add_epi32(_mm256_loadu_si256(row), *v0));
            let row = row.add(1);
            _mm256_storeu_si256(row, _mm256_add_epi32(_mm256_loadu_si256(row), *v1));
        }
    } else {
        let mut tmp = [[0i32; NR]; MR];
        for (t, [v0, v1]) in tmp.iter_mut().zip(&acc) {
            _mm256_storeu_si256(t.as_mut_ptr() as *mut __m256i, *v0);
            _mm256_storeu_si256(t.as_mut_ptr().add(8) as *mut __m256i, *v1);
        }
        add_block(c, n, t, &tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::func::kernel_tests::{cases, int8_values, naive_wrapping, EDGE_SHAPES};

    #[test]
    fn kernels_match_naive_wrapping() {
        let shapes = EDGE_SHAPES
            .into_iter()
            .chain([(64, 16, 64), (7, 300, 600), (150, 31, 513)]);
        let i16_value = |x: u64| x as i16 as i32;
        for t in cases(11, shapes, i16_value, |x| (x % 511) as i32 - 255) {
            let (m, n, k) = t.dims;
            assert_eq!(gemm_i16(&t.a, &t.b, m, n, k), t.want, "({m},{n},{k})");
            // The portable kernel on the same packing.
            let d = Dims::new(m, n, k);
            let (mut ap, mut bp) = (vec![0u32; d.a_len()], vec![0u32; d.b_len()]);
            assert!(pack_a(&t.a, &d, &mut ap) && pack_b(&t.b, &d, &mut bp));
            let mut port = vec![0i32; m * n];
            block_portable(&ap, &bp, &mut port, m, &d);
            assert_eq!(port, t.want, "portable ({m},{n},{k})");
        }
    }

    #[test]
    fn extremes_wrap_exactly_and_out_of_range_values_are_refused() {
        // All four inputs of a pair at -32768: the pair sum 2^31 wraps to i32::MIN.
        let (m, n, k) = (7, 19, 4);
        let a = vec![-32768; m * k];
        let b = vec![-32768; k * n];
        assert_eq!(gemm_i16(&a, &b, m, n, k), vec![0; m * n]); // 4 · 2^30 = 2^32 ≡ 0
        let a3 = vec![-32768; m * 3];
        let b3 = vec![-32768; 3 * n];
        assert_eq!(gemm_i16(&a3, &b3, m, n, 3), vec![-(1 << 30); m * n]); // 3 · 2^30
        let mut b_big = vec![1; k * n];
        b_big[k * n - 1] = 32768;
        assert!(gemm_i16_checked(&a, &b_big, m, n, k).is_none());
        let mut a_big = vec![1; m * k];
        a_big[0] = -32769;
        assert!(gemm_i16_checked(&a_big, &b, m, n, k).is_none());
    }

    #[test]
    fn reused_buffers_do_not_leak_between_calls() {
        // A large call, then a smaller one on the same thread: the smaller one must not
        // see the larger one's packed words (padding included).
        let mut s = crate::numerics::SplitMix64::new(4);
        for &(m, n, k) in &[(40, 50, 61), (5, 7, 3), (13, 9, 1), (40, 50, 61)] {
            let a = int8_values(&mut s, m * k);
            let b = int8_values(&mut s, k * n);
            assert_eq!(gemm_i16(&a, &b, m, n, k), naive_wrapping(&a, &b, m, n, k));
        }
    }
}

#[cfg(test)]
mod phase_times {
    use super::*;
    use std::time::Instant;

    /// Profiling aid, not a check: min-of-N time of each phase (`cargo test --release --lib
    /// gemm_i16::phase_times -- --ignored --nocapture`, with RAYON_NUM_THREADS / ACCELSIM_ISA).
    #[test]
    #[ignore]
    fn phase_times() {
        let shapes: Vec<(usize, usize, usize)> = std::env::var("SHAPES")
            .map(|v| {
                v.split(',')
                    .map(|t| {
                        let x: Vec<usize> = t.split('x').map(|u| u.parse().unwrap()).collect();
                        (x[0], x[1], x[2])
                    })
                    .collect()
            })
            .unwrap_or(vec![(512, 512, 512), (1024, 1024, 1024)]);
        for (m, n, k) in shapes {
            let mut s = crate::numerics::SplitMix64::new(1);
            let a = crate::func::kernel_tests::int8_values(&mut s, m * k);
            let b = crate::func::kernel_tests::int8_values(&mut s, k * n);
            let d = Dims::new(m, n, k);
            let (mut ap, mut bp) = (vec![0u32; d.a_len()], vec![0u32; d.b_len()]);
            let mut c = vec![0i32; m * n];
            let mut best = [f64::MAX; 5];
            for _ in 0..15 {
                let t = Instant::now();
                pack_a(&a, &d, &mut ap);
                let t1 = Instant::now();
                pack_b(&b, &d, &mut bp);
                let t2 = Instant::now();
                multiply(&ap, &bp, &mut c, &d);
                let t3 = Instant::now();
                let v = vec![0i32; m * n];
                std::hint::black_box(&v);
                let t4 = Instant::now();
                std::hint::black_box(gemm_i16_checked(&a, &b, m, n, k));
                let t5 = Instant::now();
                for (x, y) in best
                    .iter_mut()
                    .zip([t1 - t, t2 - t1, t3 - t2, t4 - t3, t5 - t4])
                {
                    *x = x.min(y.as_secs_f64() * 1e3);
                }
            }
            let g = |ms: f64| (m * n * k) as f64 / ms / 1e6;
            println!(
                "{m}x{n}x{k}: pack_a {:.3} ms, pack_b {:.3} ms, multiply {:.3} ms ({:.1} GMAC/s), alloc C {:.3} ms, whole {:.3} ms ({:.1} GMAC/s)",
                best[0], best[1], best[2], g(best[2]), best[3], best[4], g(best[4])
            );
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod peak {
    use super::*;
    use std::arch::x86_64::*;
    use std::time::Instant;

    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma_loop(a: &[f32], b: &[f32], kc: usize, reps: usize) -> f32 {
        let mut acc = [_mm256_setzero_ps(); 12];
        for _ in 0..reps {
            for p in 0..kc {
                let b0 = _mm256_loadu_ps(b.as_ptr().add(16 * p));
                let b1 = _mm256_loadu_ps(b.as_ptr().add(16 * p + 8));
                for r in 0..6 {
                    let x = _mm256_set1_ps(*a.get_unchecked(p * 6 + r));
                    acc[2 * r] = _mm256_fmadd_ps(x, b0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(x, b1, acc[2 * r + 1]);
                }
            }
        }
        let mut s = _mm256_setzero_ps();
        for v in acc {
            s = _mm256_add_ps(s, v);
        }
        _mm256_cvtss_f32(s)
    }

    /// Profiling aid: the micro-kernel's throughput with operands in L1 against a 6×16
    /// f32 FMA loop of the same shape (peak 2 FMA/cycle: gives the clock).
    #[test]
    #[ignore]
    fn micro_peak() {
        let kc = 256;
        let apan = vec![0x0003_0002u32; kc * MR];
        let panel = vec![0x0005_0007u32; kc * NR];
        let mut c = vec![0i32; MR * NR];
        let (af, bf) = (vec![1.0f32; kc * 6], vec![0.5f32; kc * 16]);
        let reps = 2000;
        for _ in 0..3 {
            let t = Instant::now();
            for _ in 0..reps {
                let t = Tile {
                    apan: &apan,
                    panel: &panel,
                    kc,
                    ib: 0,
                    j0: 0,
                    r: MR,
                    w: NR,
                };
                unsafe { micro_avx2(&t, &mut c, NR) };
            }
            let ti = t.elapsed().as_secs_f64();
            let t = Instant::now();
            std::hint::black_box(unsafe { fma_loop(&af, &bf, kc, reps) });
            let tf = t.elapsed().as_secs_f64();
            let steps = (reps * kc) as f64;
            println!(
                "int: {:.2} ns/step ({:.1} GMAC/s), f32: {:.2} ns/step ({:.1} GMAC/s) => clock ~{:.2} GHz if f32 = 6 cycles/step, int {:.2} cycles/step",
                ti / steps * 1e9, steps * 192.0 / ti / 1e9, tf / steps * 1e9, steps * 96.0 / tf / 1e9,
                6.0 * steps / tf / 1e9, ti / tf * 6.0
            );
        }
        std::hint::black_box(&c);
    }
}
