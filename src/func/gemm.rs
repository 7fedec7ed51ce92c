//! GEMM kernels: `C[m×n] = A[m×k] · B[k×n]` (both row-major) for the executor.
//!
//! * [`gemm_int`]: integer products accumulated in an integer register. Operands that fit
//!   in i8 take the AVX-512 VNNI kernel (`vpdpbusd`) when the CPU has it; operands that fit
//!   in i16 take a blocked, vectorised kernel (AVX2 `vpmaddwd` when the CPU has it) with
//!   i32 accumulation; wrapping is order-independent, so the result is exact modulo 2^32
//!   and then wrapped to the register width. Saturating registers and wide operands take
//!   the per-element path of [`Accumulator::dot_i32`].
//! * [`gemm_float`]: float products in a float register in a chosen order. An fp32 RNE
//!   register in sequential or blocked order (the CPU FMA chain, ONNX Runtime's MatMul)
//!   takes a kernel that keeps each output's sequential FMA order and vectorises across
//!   output columns (FMA instructions when the CPU has them); every other accumulator
//!   goes through [`Accumulator::dot_f32`] per element, or an exact sum.
//!
//! Rows are distributed over rayon's threads; each output element is computed by one
//! thread in a fixed order, so results do not depend on the thread count.

use rayon::prelude::*;

use crate::numerics::{
    AccFormat, AccOrder, Accumulator, ExactSum, FloatFormat, Overflow, Rounding,
};

/// Rows of C computed per rayon task.
const ROW_BLOCK: usize = 16;

/// How float products are accumulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FloatAcc {
    /// An fp32 RNE register fed by FMAs: a sequential chain from +0 per block of `block`
    /// products, each block sum added to the register (`usize::MAX`: one chain).
    Fma32 {
        /// Products per block.
        block: usize,
    },
    /// Any other accumulator ([`Accumulator::dot_f32`] per element).
    General(Accumulator),
    /// An exact register rounded once, bias included, to `out`.
    Exact {
        /// The format the exact sum is rounded to.
        out: FloatFormat,
    },
}

impl FloatAcc {
    /// The fast or general form of an accumulator description; `out` is the op's output
    /// format (where exact sums are rounded to).
    pub fn of(acc: &Accumulator, out: FloatFormat) -> FloatAcc {
        match acc.format {
            AccFormat::Exact => FloatAcc::Exact { out },
            AccFormat::Float(f)
                if f == FloatFormat::FP32
                    && acc.fused
                    && acc.rounding == Rounding::NearestEven
                    && acc.overflow == Overflow::Ieee =>
            {
                match acc.order {
                    AccOrder::Sequential => FloatAcc::Fma32 { block: usize::MAX },
                    AccOrder::Blocked { size } => FloatAcc::Fma32 {
                        block: size.max(1) as usize,
                    },
                    _ => FloatAcc::General(*acc),
                }
            }
            _ => FloatAcc::General(*acc),
        }
    }

    /// Adds a bias to a register value with the register's rounding (exact sums take
    /// the bias inside the sum instead).
    fn add_bias(&self, x: f32, bias: f32) -> f32 {
        match self {
            FloatAcc::Fma32 { .. } | FloatAcc::Exact { .. } => x + bias,
            FloatAcc::General(a) => match a.format {
                AccFormat::Float(f)
                    if f == FloatFormat::FP32 && a.rounding == Rounding::NearestEven =>
                {
                    x + bias
                }
                AccFormat::Float(f) => {
                    f.decode_f32(f.encode_sum(x as f64, bias as f64, a.rounding, a.overflow, 0))
                }
                _ => x + bias,
            },
        }
    }
}

/// Float GEMM. `a` is m×k, `b` is k×n, `bias` (length n) is added to each output after
/// the chain with the register's rounding. Returns register values (for
/// [`FloatAcc::Exact`], values of its `out` format).
pub fn gemm_float(
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    (m, n, k): (usize, usize, usize),
    acc: &FloatAcc,
) -> Vec<f32> {
    debug_assert_eq!(a.len(), m * k);
    debug_assert_eq!(b.len(), k * n);
    let mut c = vec![0f32; m * n];
    if m == 0 || n == 0 {
        return c;
    }
    match acc {
        FloatAcc::Fma32 { block } => {
            if let Some(fast) = super::gemm_f32::gemm_fma_chain(a, b, (m, n, k), *block) {
                c = fast;
            } else {
                c.par_chunks_mut(ROW_BLOCK * n)
                    .enumerate()
                    .for_each(|(blk, rows)| {
                        let i0 = blk * ROW_BLOCK;
                        for (r, crow) in rows.chunks_mut(n).enumerate() {
                            let arow = &a[(i0 + r) * k..(i0 + r + 1) * k];
                            fma_row_portable(arow, b, crow, n, *block);
                        }
                    });
            }
        }
        FloatAcc::General(accum) => {
            let bt = transpose(b, k, n);
            c.par_chunks_mut(n).enumerate().for_each(|(i, crow)| {
                let arow = &a[i * k..(i + 1) * k];
                for (j, out) in crow.iter_mut().enumerate() {
                    // Validated by the caller: a float register never fails here.
                    *out = accum
                        .dot_f32(arow, &bt[j * k..(j + 1) * k])
                        .unwrap_or(f32::NAN);
                }
            });
        }
        FloatAcc::Exact { out } => {
            let bt = transpose(b, k, n);
            c.par_chunks_mut(n).enumerate().for_each(|(i, crow)| {
                let arow = &a[i * k..(i + 1) * k];
                for (j, o) in crow.iter_mut().enumerate() {
                    let mut s = ExactSum::new();
                    for (x, y) in arow.iter().zip(&bt[j * k..(j + 1) * k]) {
                        s.add_product_f32(*x, *y);
                    }
                    if let Some(bias) = bias {
                        s.add_f64(bias[j] as f64);
                    }
                    *o = out.decode_f32(s.encode(out, Rounding::NearestEven, Overflow::Ieee, 0));
                }
            });
            return c;
        }
    }
    if let Some(bias) = bias {
        c.par_chunks_mut(n).for_each(|crow| {
            for (x, &bv) in crow.iter_mut().zip(bias) {
                *x = acc.add_bias(*x, bv);
            }
        });
    }
    c
}

/// Columns processed together (fits the register file: 4 × 8 f32 lanes).
const COL_TILE: usize = 32;

/// One output row of the FMA chain (portable): `crow[j] = chain_k fma(a[k], b[k][j],
/// acc)`, per block of `block` products, block sums added to the register.
#[inline(always)]
fn fma_row_portable(arow: &[f32], b: &[f32], crow: &mut [f32], n: usize, block: usize) {
    let k = arow.len();
    let mut j0 = 0;
    while j0 < n {
        let w = COL_TILE.min(n - j0);
        let mut acc = [0f32; COL_TILE];
        let mut k0 = 0;
        let mut first = true;
        while k0 < k || first {
            let k1 = k0.saturating_add(block).min(k);
            let mut part = [0f32; COL_TILE];
            if w == COL_TILE {
                for kk in k0..k1 {
                    let av = arow[kk];
                    let brow = &b[kk * n + j0..kk * n + j0 + COL_TILE];
                    for (p, &bv) in part.iter_mut().zip(brow) {
                        *p = av.mul_add(bv, *p);
                    }
                }
            } else {
                for kk in k0..k1 {
                    let av = arow[kk];
                    let brow = &b[kk * n + j0..kk * n + j0 + w];
                    for (p, &bv) in part[..w].iter_mut().zip(brow) {
                        *p = av.mul_add(bv, *p);
                    }
                }
            }
            if first {
                acc = part;
                first = false;
            } else {
                for (x, p) in acc.iter_mut().zip(part) {
                    *x += p;
                }
            }
            k0 = k1;
            if k0 >= k {
                break;
            }
        }
        crow[j0..j0 + w].copy_from_slice(&acc[..w]);
        j0 += w;
    }
}

/// `b` (k×n) transposed to n×k.
pub fn transpose<T: Copy + Default>(b: &[T], k: usize, n: usize) -> Vec<T> {
    let mut t = vec![T::default(); k * n];
    for kk in 0..k {
        for j in 0..n {
            t[j * k + kk] = b[kk * n + j];
        }
    }
    t
}

/// An integer register: its width and overflow policy (`bits` 64 = exact for any sum the
/// operands can produce here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntAcc {
    /// Register width in bits (2..=64).
    pub bits: u32,
    /// Wrap (true) or saturate (false) on overflow.
    pub wrap: bool,
}

impl IntAcc {
    /// A wrapping int32 register (ONNX Runtime, most hardware).
    pub const INT32_WRAP: IntAcc = IntAcc {
        bits: 32,
        wrap: true,
    };

    fn fit(&self, v: i128) -> i64 {
        if self.bits >= 64 && !self.wrap {
            return v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        }
        if self.wrap {
            let sh = 128 - self.bits;
            ((v << sh) >> sh) as i64
        } else {
            let hi = (1i128 << (self.bits - 1)) - 1;
            v.clamp(-hi - 1, hi) as i64
        }
    }

    fn accumulator(&self) -> Accumulator {
        Accumulator::new(AccFormat::Int {
            bits: self.bits.clamp(2, 64),
        })
        .with_overflow(if self.wrap {
            Overflow::Wrap
        } else {
            Overflow::Saturate
        })
    }
}

/// Integer GEMM: `a` (m×k) and `b` (k×n) hold exact operand values (zero points already
/// subtracted); `bias` (length n) is added to the register after the products. Returns
/// the register values.
pub fn gemm_int(
    a: &[i32],
    b: &[i32],
    bias: Option<&[i32]>,
    (m, n, k): (usize, usize, usize),
    acc: IntAcc,
) -> IntRegs {
    debug_assert_eq!(a.len(), m * k);
    debug_assert_eq!(b.len(), k * n);
    // A wrapping register of at most 32 bits: sums modulo 2^32 are all it needs, so the
    // packed kernel runs whenever the operands fit in i16 (checked while packing).
    if acc.wrap && acc.bits <= 32 {
        let packed = super::gemm_i8::gemm_i8_vnni(a, b, m, n, k)
            .or_else(|| super::gemm_i16::gemm_i16_checked(a, b, m, n, k));
        if let Some(mut c32) = packed {
            if n > 0 && (bias.is_some() || acc.bits < 32) {
                c32.par_chunks_mut(n).for_each(|row| {
                    for (j, v) in row.iter_mut().enumerate() {
                        let s = v.wrapping_add(bias.map(|bv| bv[j]).unwrap_or(0));
                        *v = if acc.bits == 32 {
                            s
                        } else {
                            acc.fit(s as i128) as i32
                        };
                    }
                });
            }
            return IntRegs::I32(c32);
        }
    }
    let max_abs = |v: &[i32]| -> i64 {
        v.par_chunks(1 << 16)
            .map(|c| c.iter().map(|&x| (x as i64).abs()).max().unwrap_or(0))
            .max()
            .unwrap_or(0)
    };
    let (max_a, max_b) = (max_abs(a), max_abs(b));
    let max_bias = bias.map(max_abs).unwrap_or(0);
    let fits16 = max_a <= i16::MAX as i64 && max_b <= i16::MAX as i64;
    // The largest |partial sum| the register can see.
    let bound = (max_a as i128) * (max_b as i128) * (k as i128) + max_bias as i128;
    let reg_max = if acc.bits >= 64 {
        i64::MAX as i128
    } else {
        (1i128 << (acc.bits - 1)) - 1
    };
    let never_overflows = bound <= reg_max;
    let kernel_exact = never_overflows && bound < (1i128 << 31);
    if fits16 && (kernel_exact || (acc.wrap && acc.bits <= 32)) {
        // i32 wrapping sums are exact modulo 2^32; wrapping to bits <= 32 commutes.
        let mut c32 = super::gemm_i16::gemm_i16(a, b, m, n, k);
        if n > 0 && (bias.is_some() || !(kernel_exact || acc.bits == 32)) {
            c32.par_chunks_mut(n).for_each(|row| {
                for (j, v) in row.iter_mut().enumerate() {
                    let b = bias.map(|bv| bv[j]).unwrap_or(0);
                    *v = if kernel_exact {
                        *v + b
                    } else if acc.bits == 32 {
                        v.wrapping_add(b)
                    } else {
                        acc.fit(v.wrapping_add(b) as i128) as i32
                    };
                }
            });
        }
        return IntRegs::I32(c32);
    }
    // General path: exact products, the register's order and overflow per update.
    let bt = transpose(b, k, n);
    let accum = acc.accumulator();
    let mut c = vec![0i64; m * n];
    if n == 0 {
        return IntRegs::I64(c);
    }
    c.par_chunks_mut(n).enumerate().for_each(|(i, crow)| {
        let arow = &a[i * k..(i + 1) * k];
        for (j, o) in crow.iter_mut().enumerate() {
            let v = if never_overflows {
                arow.iter()
                    .zip(&bt[j * k..(j + 1) * k])
                    .map(|(&x, &y)| x as i64 * y as i64)
                    .sum::<i64>()
            } else {
                accum.dot_i32(arow, &bt[j * k..(j + 1) * k]).unwrap_or(0)
            };
            *o = acc.fit(v as i128 + bias.map(|bv| bv[j] as i128).unwrap_or(0));
        }
    });
    IntRegs::I64(c)
}

/// Integer register values of a GEMM: i32 when every value fits (the packed kernel's
/// results), i64 otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntRegs {
    /// Values that fit in i32.
    I32(Vec<i32>),
    /// Wider values.
    I64(Vec<i64>),
}

impl IntRegs {
    /// Value `i`.
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        match self {
            IntRegs::I32(v) => v[i] as i64,
            IntRegs::I64(v) => v[i],
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            IntRegs::I32(v) => v.len(),
            IntRegs::I64(v) => v.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value as i64.
    pub fn to_i64(&self) -> Vec<i64> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_f32(a: &[f32], b: &[f32], m: usize, n: usize, k: usize, block: usize) -> Vec<f32> {
        let mut c = vec![0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0f32;
                let mut k0 = 0;
                let mut first = true;
                while k0 < k {
                    let k1 = (k0 + block).min(k);
                    let mut p = 0f32;
                    for kk in k0..k1 {
                        p = a[i * k + kk].mul_add(b[kk * n + j], p);
                    }
                    acc = if first { p } else { acc + p };
                    first = false;
                    k0 = k1;
                }
                c[i * n + j] = acc;
            }
        }
        c
    }

    #[test]
    fn fma_kernel_keeps_the_chain_order() {
        let (m, n, k) = (19, 45, 300);
        let mut s = crate::numerics::SplitMix64::new(3);
        let mut r = |_| ((s.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 3.0;
        let a: Vec<f32> = (0..m * k).map(&mut r).collect();
        let b: Vec<f32> = (0..k * n).map(&mut r).collect();
        for block in [usize::MAX, 256, 7] {
            let got = gemm_float(&a, &b, None, (m, n, k), &FloatAcc::Fma32 { block });
            let want = naive_f32(&a, &b, m, n, k, block);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(x, y)| x.to_bits() == y.to_bits()),
                "block {block}"
            );
        }
        // The general path agrees with the fast path for the same accumulator.
        let gen = gemm_float(
            &a,
            &b,
            None,
            (m, n, k),
            &FloatAcc::General(Accumulator::FP32_SEQ.with_order(AccOrder::Pairwise)),
        );
        assert_eq!(gen.len(), m * n);
    }

    #[test]
    fn int_paths_agree() {
        let (m, n, k) = (9, 37, 70);
        let mut s = crate::numerics::SplitMix64::new(5);
        let a = crate::func::kernel_tests::int8_values(&mut s, m * k);
        let b = crate::func::kernel_tests::int8_values(&mut s, k * n);
        let fast = gemm_int(&a, &b, None, (m, n, k), IntAcc::INT32_WRAP);
        for i in 0..m {
            for j in 0..n {
                let want: i64 = (0..k)
                    .map(|kk| a[i * k + kk] as i64 * b[kk * n + j] as i64)
                    .sum();
                assert_eq!(fast.get(i * n + j), want);
            }
        }
        // A 12-bit saturating register clips.
        let sat = gemm_int(
            &a,
            &b,
            None,
            (m, n, k),
            IntAcc {
                bits: 12,
                wrap: false,
            },
        );
        assert!(sat.to_i64().iter().all(|&v| (-2048..=2047).contains(&v)));
    }
}
