//! Exact and order-aware dot products: float products accumulated in a chosen register
//! ([`Accumulator::dot_f32`]), integer products in a chosen width with wrap or saturation
//! ([`Accumulator::dot_i32`]), exact sums ([`exact_dot_f32`]) and binary XNOR-popcount.
//!
//! GEMM kernels call these per output element: decode A and B once to f32 (or i32), pack
//! the B columns contiguously, and call `acc.dot_f32(row, col)`. The common case (an fp32
//! FMA chain) takes a fast path without allocation; other orders use a small buffer.
//!
//! Every product of two values of formats up to fp32 is exact in f64, so "fused" means
//! the register adds the exact product with a single rounding (an FMA), and "unfused"
//! rounds the product to the register format first.

use super::accum::{AccFormat, AccOrder, Accumulator};
use super::error::check_len;
use super::exact::ExactSum;
use super::float::Spec;
use super::format::FloatFormat;
use super::rounding::{Overflow, Rounding};
use super::NumericsError;

/// The register arithmetic an order is run with.
trait Engine {
    type V: Copy;
    fn zero(&self) -> Self::V;
    /// `R(x + y)`.
    fn add(&self, x: Self::V, y: Self::V) -> Self::V;
    /// `R(x)` (a leaf that reaches the top of a tree unrounded).
    fn round(&self, x: Self::V) -> Self::V;
    /// `R(exact sum of terms)`.
    fn round_exact_sum(&self, terms: &mut dyn Iterator<Item = Self::V>) -> Self::V;
}

struct FloatEngine {
    format: FloatFormat,
    spec: Spec,
    rounding: Rounding,
    overflow: Overflow,
    fast32: bool,
}

impl FloatEngine {
    fn new(format: FloatFormat, rounding: Rounding, overflow: Overflow) -> Self {
        FloatEngine {
            format,
            spec: Spec::of(&format),
            rounding,
            overflow,
            fast32: format == FloatFormat::FP32
                && rounding == Rounding::NearestEven
                && overflow == Overflow::Ieee,
        }
    }

    #[inline]
    fn round_f64(&self, x: f64) -> f64 {
        let c = self.spec.encode_f64(x, self.rounding, self.overflow, 0);
        self.spec.decode_f64(c)
    }
}

impl Engine for FloatEngine {
    type V = f64;
    #[inline]
    fn zero(&self) -> f64 {
        0.0
    }
    #[inline]
    fn add(&self, x: f64, y: f64) -> f64 {
        if self.fast32 {
            let (x32, y32) = (x as f32, y as f32);
            if x32 as f64 == x && y32 as f64 == y {
                return (x32 + y32) as f64;
            }
        }
        let c = self.spec.encode_sum(x, y, self.rounding, self.overflow, 0);
        self.spec.decode_f64(c)
    }
    #[inline]
    fn round(&self, x: f64) -> f64 {
        self.round_f64(x)
    }
    fn round_exact_sum(&self, terms: &mut dyn Iterator<Item = f64>) -> f64 {
        let mut s = ExactSum::new();
        for t in terms {
            s.add_f64(t);
        }
        let c = s.encode(&self.format, self.rounding, self.overflow, 0);
        self.spec.decode_f64(c as u64)
    }
}

struct IntEngine {
    lo: i128,
    hi: i128,
    bits: u32,
    wrap: bool,
}

impl IntEngine {
    fn new(bits: u32, overflow: Overflow) -> Self {
        let hi = (1i128 << (bits - 1)) - 1;
        IntEngine {
            lo: -hi - 1,
            hi,
            bits,
            wrap: overflow == Overflow::Wrap,
        }
    }

    #[inline]
    fn fit(&self, v: i128) -> i128 {
        if self.wrap {
            let sh = 128 - self.bits;
            (v << sh) >> sh
        } else {
            v.clamp(self.lo, self.hi)
        }
    }
}

impl Engine for IntEngine {
    type V = i128;
    #[inline]
    fn zero(&self) -> i128 {
        0
    }
    #[inline]
    fn add(&self, x: i128, y: i128) -> i128 {
        self.fit(x + y)
    }
    #[inline]
    fn round(&self, x: i128) -> i128 {
        self.fit(x)
    }
    fn round_exact_sum(&self, terms: &mut dyn Iterator<Item = i128>) -> i128 {
        self.fit(terms.sum())
    }
}

/// Adds the sums `block_sum(range)` of consecutive blocks of `size` terms (the last one
/// shorter) into a register starting at zero.
fn by_blocks<E: Engine>(
    e: &E,
    n: usize,
    size: u32,
    block_sum: impl Fn(std::ops::Range<usize>) -> E::V,
) -> E::V {
    let size = size.max(1) as usize;
    let mut acc = e.zero();
    let mut start = 0;
    while start < n {
        let end = (start + size).min(n);
        acc = e.add(acc, block_sum(start..end));
        start = end;
    }
    acc
}

/// Runs a summation order over `n` terms given by `term(k)`.
fn run_order<E: Engine>(e: &E, order: AccOrder, n: usize, term: impl Fn(usize) -> E::V) -> E::V {
    match order {
        AccOrder::Sequential => (0..n).fold(e.zero(), |acc, k| e.add(acc, term(k))),
        AccOrder::Pairwise => {
            if n == 0 {
                return e.zero();
            }
            let mut v: Vec<E::V> = (0..n).map(&term).collect();
            while v.len() > 1 {
                let next: Vec<E::V> = v
                    .chunks(2)
                    .map(|p| {
                        if p.len() == 2 {
                            e.add(p[0], p[1])
                        } else {
                            p[0]
                        }
                    })
                    .collect();
                v = next;
            }
            e.round(v[0])
        }
        AccOrder::Chunked { size } => {
            by_blocks(e, n, size, |ks| e.round_exact_sum(&mut ks.map(&term)))
        }
        AccOrder::Blocked { size } => {
            by_blocks(e, n, size, |ks| ks.fold(e.zero(), |a, k| e.add(a, term(k))))
        }
        AccOrder::Lanes { lanes } => {
            let lanes = lanes.max(1) as usize;
            let main = n - n % lanes;
            let mut lane: Vec<E::V> = vec![e.zero(); lanes];
            for k in 0..main {
                lane[k % lanes] = e.add(lane[k % lanes], term(k));
            }
            let mut width = lanes;
            while width > 1 {
                let half = width / 2;
                for i in 0..half {
                    lane[i] = e.add(lane[i], lane[i + half]);
                }
                width = half;
            }
            (main..n).fold(lane[0], |acc, k| e.add(acc, term(k)))
        }
    }
}

impl Accumulator {
    /// Dot product of two f32 vectors (values of any format up to fp32, decoded exactly)
    /// accumulated in this register. Float registers return the register value (exact in
    /// f32); the exact register returns the exact sum rounded once to f32 with
    /// `self.rounding`. Integer registers are rejected (use [`Accumulator::dot_i32`]).
    pub fn dot_f32(&self, a: &[f32], b: &[f32]) -> Result<f32, NumericsError> {
        check_len("dot operand b", a.len(), b.len())?;
        self.validate()?;
        match self.format {
            AccFormat::Exact => {
                let mut s = ExactSum::new();
                for (x, y) in a.iter().zip(b) {
                    s.add_product_f32(*x, *y);
                }
                Ok(s.to_f32(self.rounding))
            }
            AccFormat::Float(f) => Ok(self.float_dot(f, a, b)),
            AccFormat::Int { .. } => Err(NumericsError::WrongFormat {
                format: self.format.name(),
                reason: "dot_f32 needs a float or exact accumulator; use dot_i32".into(),
            }),
        }
    }

    /// Sum of f32 values in this register (a dot product with ones).
    pub fn sum_f32(&self, x: &[f32]) -> Result<f32, NumericsError> {
        let ones = vec![1.0f32; x.len()];
        self.dot_f32(x, &ones)
    }

    fn float_dot(&self, f: FloatFormat, a: &[f32], b: &[f32]) -> f32 {
        let e = FloatEngine::new(f, self.rounding, self.overflow);
        if e.fast32 && self.order == AccOrder::Sequential {
            let mut acc = 0f32;
            if self.fused {
                for (&x, &y) in a.iter().zip(b) {
                    let p = x as f64 * y as f64;
                    let p32 = p as f32;
                    acc = if p32 as f64 == p {
                        acc + p32
                    } else {
                        x.mul_add(y, acc)
                    };
                }
            } else {
                for (&x, &y) in a.iter().zip(b) {
                    acc += x * y;
                }
            }
            return acc;
        }
        let v = if self.fused {
            run_order(&e, self.order, a.len(), |k| a[k] as f64 * b[k] as f64)
        } else {
            run_order(&e, self.order, a.len(), |k| {
                e.round_f64(a[k] as f64 * b[k] as f64)
            })
        };
        v as f32
    }

    /// Dot product of two integer vectors accumulated in this integer register (width and
    /// overflow policy from `self`). Products are exact; every register update wraps or
    /// saturates. Float and exact registers are rejected.
    pub fn dot_i32(&self, a: &[i32], b: &[i32]) -> Result<i64, NumericsError> {
        check_len("dot operand b", a.len(), b.len())?;
        self.validate()?;
        let AccFormat::Int { bits } = self.format else {
            return Err(NumericsError::WrongFormat {
                format: self.format.name(),
                reason: "dot_i32 needs an integer accumulator (int{N})".into(),
            });
        };
        let e = IntEngine::new(bits, self.overflow);
        if e.wrap {
            // Wrapping is order-independent: sum exactly modulo 2^64, then wrap.
            let s = a
                .iter()
                .zip(b)
                .fold(0i64, |acc, (&x, &y)| acc.wrapping_add(x as i64 * y as i64));
            return Ok(e.fit(s as i128) as i64);
        }
        Ok(run_order(&e, self.order, a.len(), |k| {
            e.fit(a[k] as i128 * b[k] as i128)
        }) as i64)
    }
}

/// The exact sum of products of two f32 vectors (round it with [`ExactSum::to_f32`],
/// [`ExactSum::to_f64`] or [`ExactSum::encode`]).
pub fn exact_dot_f32(a: &[f32], b: &[f32]) -> Result<ExactSum, NumericsError> {
    check_len("dot operand b", a.len(), b.len())?;
    let mut s = ExactSum::new();
    for (x, y) in a.iter().zip(b) {
        s.add_product_f32(*x, *y);
    }
    Ok(s)
}

/// Exact int8 dot product in a wrapping int32 register (exact while |sum| < 2^31, which
/// holds for k <= 131072).
#[inline]
pub fn dot_i8(a: &[i8], b: &[i8]) -> Result<i32, NumericsError> {
    check_len("dot operand b", a.len(), b.len())?;
    Ok(a.iter()
        .zip(b)
        .fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32)))
}

/// Packs binary codes (1 = +1, 0 = -1; only the low bit counts) LSB-first into u64 words:
/// element k is bit `k % 64` of word `k / 64`; unused tail bits are 0.
pub fn pack_binary(codes: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; codes.len().div_ceil(64)];
    for (k, &c) in codes.iter().enumerate() {
        words[k / 64] |= ((c & 1) as u64) << (k % 64);
    }
    words
}

/// Number of equal positions among the first `k` elements of two packed binary vectors:
/// `Σ popcount(!(a ^ b) & valid_mask)` (the tail mask matters: two zero pad bits XNOR to 1).
pub fn binary_matches_packed(a: &[u64], b: &[u64], k: usize) -> Result<u32, NumericsError> {
    let words = k.div_ceil(64);
    if a.len() < words || b.len() < words {
        return Err(NumericsError::LengthMismatch {
            what: "packed binary operand",
            expected: words,
            got: a.len().min(b.len()),
        });
    }
    let mut m = 0u32;
    for w in 0..words {
        let valid = k - w * 64;
        let mask = if valid >= 64 {
            u64::MAX
        } else {
            (1u64 << valid) - 1
        };
        m += (!(a[w] ^ b[w]) & mask).count_ones();
    }
    Ok(m)
}

/// The ±1 dot product of two packed binary vectors of length `k`: `2·matches - k`.
pub fn binary_dot_packed(a: &[u64], b: &[u64], k: usize) -> Result<i64, NumericsError> {
    Ok(2 * binary_matches_packed(a, b, k)? as i64 - k as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_differ_and_agree() {
        // 1 + 2^-24 * 3 terms: sequential loses the small terms, exact keeps them.
        let a = [1.0f32, 5.960_464_5e-8, 5.960_464_5e-8, 5.960_464_5e-8];
        let b = [1.0f32; 4];
        let seq = Accumulator::FP32_SEQ.dot_f32(&a, &b).unwrap();
        assert_eq!(seq, 1.0);
        let exact = Accumulator::EXACT.dot_f32(&a, &b).unwrap();
        assert_eq!(exact, 1.0 + 2.0 * f32::EPSILON);
        let pw = Accumulator::FP32_SEQ
            .with_order(AccOrder::Pairwise)
            .dot_f32(&a, &b)
            .unwrap();
        assert_eq!(pw, 1.0 + f32::EPSILON);
        let ch = Accumulator::FP32_SEQ
            .with_order(AccOrder::Chunked { size: 4 })
            .dot_f32(&a, &b)
            .unwrap();
        assert_eq!(ch, exact);
        // Generic engine agrees with the fast path.
        let slow = Accumulator::FP32_SEQ
            .with_order(AccOrder::Blocked { size: 1000 })
            .dot_f32(&a, &b)
            .unwrap();
        assert_eq!(slow, seq);
    }

    #[test]
    fn lanes_is_ort_global_average_pool_order() {
        let x = [1.0f32, 1e8, -1e8, 3.0, 0.1, 7.0, 2.5];
        let acc = Accumulator::FP32_SEQ.with_order(AccOrder::Lanes { lanes: 4 });
        // Lanes l0..l3 take x0..x3; then (l0+l2)+(l1+l3); then x4, x5, x6 in order.
        let want = (((x[0] + x[2]) + (x[1] + x[3])) + x[4] + x[5]) + x[6];
        assert_eq!(acc.sum_f32(&x).unwrap(), want);
        let y: Vec<f32> = (0..11).map(|i| i as f32 * 0.3).collect();
        let mut l = [0f32; 4];
        for (k, v) in y[..8].iter().enumerate() {
            l[k % 4] += v;
        }
        let want = ((l[0] + l[2]) + (l[1] + l[3])) + y[8] + y[9] + y[10];
        assert_eq!(acc.sum_f32(&y).unwrap(), want);
    }

    #[test]
    fn int_wrap_and_saturate() {
        let a = [200i32, 200, -200];
        let b = [100i32, 100, 100];
        let w = Accumulator::new(AccFormat::Int { bits: 16 }).with_overflow(Overflow::Wrap);
        // Wrap-around is a ring homomorphism: the transient overflow cancels.
        assert_eq!(w.dot_i32(&a, &b).unwrap(), 20000);
        let s = Accumulator::new(AccFormat::Int { bits: 16 }).with_overflow(Overflow::Saturate);
        assert_eq!(s.dot_i32(&a, &b).unwrap(), 32767 - 20000);
        let w2 = w.dot_i32(&[200], &[200]).unwrap();
        assert_eq!(w2, 40000 - 65536);
    }

    #[test]
    fn binary_tail_mask() {
        let a = pack_binary(&[1, 0, 1]);
        let b = pack_binary(&[1, 1, 1]);
        assert_eq!(binary_matches_packed(&a, &b, 3).unwrap(), 2);
        assert_eq!(binary_dot_packed(&a, &b, 3).unwrap(), 1);
    }
}
