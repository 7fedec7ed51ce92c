//! Block floating point (QPyTorch's `block_quantize`, MSFP-style): a block of elements
//! shares one exponent; each element is a signed `man_bits`-bit integer mantissa (sign
//! included).
//!
//! For a block with `amax = max |x_i|`: the shared exponent is `e = floor(log2(amax))`
//! (exact, f32 subnormals included) clamped to [-127, 127] and stored biased as a byte
//! (`e + 127`, like E8M0; an all-zero block stores 0); the quantum is
//! `2^(e - (man_bits - 2))`, so the largest element keeps `man_bits - 1` significant bits;
//! each mantissa is `round(x_i / quantum)` with the chosen rounding, clamped to
//! `±(2^(man_bits-1) - 1)` (QPyTorch clips the same symmetric range). QPyTorch's "nearest"
//! adds a large power of two in f32 before rounding, which rounds ties toward +∞; our
//! default RNE differs from it only on exact ties. A block containing NaN/Inf gets the
//! exponent byte 0xFF and zero mantissas (it decodes to NaN).
//!
//! Blocks run along a chosen axis of a row-major tensor ([`bfp_quantize_axis`]): `block`
//! consecutive indices along `axis`, at every position of the other axes, share an
//! exponent. A whole-tensor shared exponent (QPyTorch `dim=-1`) is a 1-d view with
//! `block = len`.

use super::error::check_len;
use super::format::pow2;
use super::rounding::{round_f64_to_integral, Rounding, SplitMix64};
use super::NumericsError;

/// The exponent byte of a block containing NaN or Inf.
pub const BFP_NAN_EXP: u8 = 0xff;

/// Block floating point parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BfpFormat {
    /// Mantissa width per element, sign included (2..=24).
    pub man_bits: u32,
    /// Elements per shared exponent (>= 1).
    pub block: usize,
}

impl BfpFormat {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), NumericsError> {
        if !(2..=24).contains(&self.man_bits) || self.block == 0 {
            return Err(NumericsError::InvalidFormat(format!(
                "bfp{}_b{}: mantissa must be 2..=24 bits and the block at least 1",
                self.man_bits, self.block
            )));
        }
        Ok(())
    }

    fn quantum_exp(&self, e: i32) -> i32 {
        e - (self.man_bits as i32 - 2)
    }

    /// Quantizes one block: returns the exponent byte and writes the mantissas.
    pub fn quantize_block(
        &self,
        x: &[f32],
        r: Rounding,
        rng: &mut SplitMix64,
        mants: &mut [i32],
    ) -> u8 {
        let mut amax = 0f32;
        for &v in x {
            if !v.is_finite() {
                mants.fill(0);
                rng.advance(x.len() as u64);
                return BFP_NAN_EXP;
            }
            amax = amax.max(v.abs());
        }
        if amax == 0.0 {
            mants.fill(0);
            rng.advance(x.len() as u64);
            return 0;
        }
        let b = amax.to_bits();
        let e = if b >> 23 == 0 {
            -149 + (31 - b.leading_zeros() as i32)
        } else {
            (b >> 23) as i32 - 127
        }
        .clamp(-127, 127);
        let inv = pow2(-self.quantum_exp(e));
        let lim = ((1i64 << (self.man_bits - 1)) - 1) as f64;
        for (m, &v) in mants.iter_mut().zip(x) {
            let rand = if r == Rounding::Stochastic {
                rng.next_u64()
            } else {
                0
            };
            *m = round_f64_to_integral(v as f64 * inv, r, rand).clamp(-lim, lim) as i32;
        }
        (e + 127) as u8
    }

    /// The value of a mantissa under an exponent byte (rounded once to f32).
    pub fn decode(&self, exp_byte: u8, mant: i32) -> f32 {
        if exp_byte == BFP_NAN_EXP {
            return f32::NAN;
        }
        (mant as f64 * pow2(self.quantum_exp(exp_byte as i32 - 127))) as f32
    }
}

/// A block-floating-point tensor: exponent bytes and mantissas, blocked along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub struct BfpTensor {
    /// The format.
    pub format: BfpFormat,
    /// Row-major shape.
    pub shape: Vec<usize>,
    /// The blocked axis.
    pub axis: usize,
    /// One exponent byte per block, ordered (outer, block index along axis, inner).
    pub exps: Vec<u8>,
    /// One mantissa per element, in the tensor's own layout.
    pub mants: Vec<i32>,
}

/// Geometry: (outer, n along axis, inner).
fn split(shape: &[usize], axis: usize) -> Result<(usize, usize, usize), NumericsError> {
    let n = *shape.get(axis).ok_or_else(|| {
        NumericsError::InvalidOption(format!(
            "axis {axis} out of range for a {}-d tensor",
            shape.len()
        ))
    })?;
    Ok((
        shape[..axis].iter().product(),
        n,
        shape[axis + 1..].iter().product(),
    ))
}

/// Quantizes a row-major tensor to block floating point with blocks of `block`
/// consecutive elements along `axis` (the last block of each fiber may be shorter).
/// Stochastic rounding consumes one draw per element in the order blocks are visited.
pub fn bfp_quantize_axis(
    format: BfpFormat,
    x: &[f32],
    shape: &[usize],
    axis: usize,
    r: Rounding,
    seed: u64,
) -> Result<BfpTensor, NumericsError> {
    format.validate()?;
    check_len("tensor data", shape.iter().product(), x.len())?;
    let (outer, n, inner) = split(shape, axis)?;
    let nb = n.div_ceil(format.block);
    let mut exps = Vec::with_capacity(outer * nb * inner);
    let mut mants = vec![0i32; x.len()];
    let mut rng = SplitMix64::new(seed);
    let mut buf = Vec::with_capacity(format.block);
    let mut mbuf = vec![0i32; format.block];
    for o in 0..outer {
        for bi in 0..nb {
            let (start, end) = (bi * format.block, ((bi + 1) * format.block).min(n));
            for i in 0..inner {
                let idx = |a: usize| (o * n + a) * inner + i;
                buf.clear();
                buf.extend((start..end).map(|a| x[idx(a)]));
                let len = buf.len();
                exps.push(format.quantize_block(&buf, r, &mut rng, &mut mbuf[..len]));
                for (j, a) in (start..end).enumerate() {
                    mants[idx(a)] = mbuf[j];
                }
            }
        }
    }
    Ok(BfpTensor {
        format,
        shape: shape.to_vec(),
        axis,
        exps,
        mants,
    })
}

impl BfpTensor {
    /// The dequantized values (row-major, same shape).
    pub fn dequantize(&self) -> Vec<f32> {
        let (outer, n, inner) = split(&self.shape, self.axis).unwrap_or((0, 0, 0));
        let nb = n.div_ceil(self.format.block);
        let mut out = vec![0f32; self.mants.len()];
        for o in 0..outer {
            for a in 0..n {
                for i in 0..inner {
                    let idx = (o * n + a) * inner + i;
                    let e = self.exps[(o * nb + a / self.format.block) * inner + i];
                    out[idx] = self.format.decode(e, self.mants[idx]);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_along_axis() {
        let f = BfpFormat {
            man_bits: 4,
            block: 2,
        };
        // 2x3 tensor, blocks along axis 0 (columns): pairs (x[0][j], x[1][j]).
        let x = [1.0f32, 0.3, -8.0, 0.124, 0.25, 1.0];
        let t = bfp_quantize_axis(f, &x, &[2, 3], 0, Rounding::NearestEven, 0).unwrap();
        assert_eq!(t.exps.len(), 3);
        // Column 0: amax 1 -> e 0, quantum 2^-2: 1 -> 4, 0.124 -> 0.496 -> 0.
        assert_eq!(t.exps[0], 127);
        assert_eq!((t.mants[0], t.mants[3]), (4, 0));
        // Column 2: amax 8 -> e 3, quantum 2: -8 -> -4, 1 -> 0.5 -> 0 (even).
        assert_eq!((t.mants[2], t.mants[5]), (-4, 0));
        let dq = t.dequantize();
        assert_eq!(dq[0], 1.0);
        assert_eq!(dq[2], -8.0);
        // Saturation: 1.99 with 4 bits: quantum 2^-2 -> 7.96 -> 8 -> clamped to 7.
        let mut m = [0i32; 1];
        let e = f.quantize_block(
            &[1.99],
            Rounding::NearestEven,
            &mut SplitMix64::new(0),
            &mut m,
        );
        assert_eq!((e, m[0]), (127, 7));
    }
}
