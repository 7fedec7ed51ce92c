//! Casting a tensor into its class's policy format (rounding, optional per-tensor
//! power-of-two scaling, MX blocks), and GEMM accumulation in a policy's accumulator with
//! optional chunking. Values travel as f64 holding exactly the format's values.

use crate::error::{InputError, InputResult};
use crate::numerics::mx::{mx_dequantize, mx_quantize, MxOptions};
use crate::numerics::{CastOptions, Caster, Format, Overflow, Rounding};
use crate::train::policy::{Accumulation, Scaling, TensorPolicy};

fn caster(format: Format, rounding: Rounding, seed: u64) -> InputResult<Caster> {
    Caster::new(
        format,
        CastOptions::new(rounding, Overflow::Ieee).with_seed(seed),
    )
    .map_err(|e| InputError::at("", format!("training policy: format {format}: {e}")))
}

/// The power-of-two scale mapping the tensor's absolute maximum to at most the format's
/// largest finite value (1 when the tensor is all zeros or the format is not a float).
pub fn per_tensor_scale(x: &[f64], format: Format) -> f64 {
    let Format::Float(f) = format else {
        return 1.0;
    };
    let amax = x
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    if amax == 0.0 {
        return 1.0;
    }
    (f.max_finite() / amax).log2().floor().exp2()
}

/// `x` cast to the policy's format (one rounding per value; stochastic draws from `seed`).
pub fn quantize(x: &[f64], p: &TensorPolicy, seed: u64) -> InputResult<Vec<f64>> {
    if p.format == Format::FP32 && p.rounding == Rounding::NearestEven && p.scaling == Scaling::None
    {
        return Ok(x.iter().map(|&v| v as f32 as f64).collect());
    }
    if let Format::Mx { elem, block } = p.format {
        let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut scales = vec![0u8; xs.len().div_ceil(block as usize)];
        let mut elems = vec![0u8; xs.len()];
        let opts = MxOptions {
            rounding: p.rounding,
            seed,
            ..MxOptions::default()
        };
        let e =
            |e: crate::numerics::NumericsError| InputError::at("", format!("training policy: {e}"));
        mx_quantize(elem, block as usize, &xs, opts, &mut scales, &mut elems).map_err(e)?;
        let mut out = vec![0f32; xs.len()];
        mx_dequantize(elem, block as usize, &scales, &elems, &mut out).map_err(e)?;
        return Ok(out.into_iter().map(f64::from).collect());
    }
    let s = match p.scaling {
        Scaling::None => 1.0,
        Scaling::PerTensor => per_tensor_scale(x, p.format),
    };
    let mut c = caster(p.format, p.rounding, seed)?;
    Ok(x.iter()
        .map(|&v| {
            let code = c.encode_f64(v * s);
            c.decode_f64(code) / s
        })
        .collect())
}

/// Sums products in an accumulator format, in index order, chunked.
pub struct Accumulator {
    acc: Accumulation,
    caster: Option<Caster>,
}

impl Accumulator {
    /// An accumulator for a GEMM kind's policy.
    pub fn new(acc: Accumulation) -> InputResult<Accumulator> {
        let caster = if acc.accumulator == Format::FP32 {
            None
        } else {
            Some(caster(acc.accumulator, Rounding::NearestEven, 0)?)
        };
        Ok(Accumulator { acc, caster })
    }

    fn add(&mut self, s: f64, t: f64) -> f64 {
        match &mut self.caster {
            None => (s as f32 + t as f32) as f64,
            Some(c) => {
                let code = c.encode_f64(s + t);
                c.decode_f64(code)
            }
        }
    }

    fn fma(&mut self, s: f64, a: f64, b: f64) -> f64 {
        match &mut self.caster {
            // fp32 FMA: one rounding of the exact a·b + s.
            None => (a as f32).mul_add(b as f32, s as f32) as f64,
            Some(c) => {
                let code = c.encode_f64(s + a * b);
                c.decode_f64(code)
            }
        }
    }

    /// Σ a[i]·b[i] for i in 0..n with a(i), b(i) given by index: FMA chain within chunks
    /// of `chunk` terms, chunk sums added into the running total (no chunks: one chain).
    pub fn dot(&mut self, n: usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> f64 {
        let chunk = if self.acc.chunk == 0 {
            n.max(1)
        } else {
            self.acc.chunk as usize
        };
        let mut total = 0.0;
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let mut s = 0.0;
            for i in start..end {
                s = self.fma(s, a(i), b(i));
            }
            total = if start == 0 { s } else { self.add(total, s) };
            start = end;
        }
        total
    }

    /// C[m×n] = A[m×k] · B[k×n] (row-major), each output one ordered dot product.
    pub fn gemm(&mut self, a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = self.dot(k, |p| a[i * k + p], |p| b[p * n + j]);
            }
        }
        c
    }
}

/// Transpose of a row-major `r × c` matrix.
pub fn transpose(x: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut t = vec![0.0; x.len()];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = x[i * c + j];
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stochastic_rounding_is_unbiased_within_the_binomial_error() {
        // 1/3 in bf16 lies between two neighbours: the rounded mean must be 1/3 within
        // a few binomial standard errors (the spacing times sqrt(p(1-p)/n)).
        let x = 1.0f64 / 3.0;
        let n = 100_000;
        let p = TensorPolicy {
            format: Format::BF16,
            rounding: Rounding::Stochastic,
            scaling: Scaling::None,
        };
        let q = quantize(&vec![x; n], &p, 7).unwrap();
        let lo = q.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = q.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        assert!(lo < x && x < hi && q.iter().all(|&v| v == lo || v == hi));
        let frac = (x - lo) / (hi - lo);
        let se = (hi - lo) * (frac * (1.0 - frac) / n as f64).sqrt();
        let mean = q.iter().sum::<f64>() / n as f64;
        assert!((mean - x).abs() < 3.0 * se, "mean {mean} vs {x}, se {se}");
        // Round to nearest is biased by comparison: the error is a fixed fraction of an ulp.
        let rne = quantize(
            &[x],
            &TensorPolicy {
                rounding: Rounding::NearestEven,
                ..p
            },
            0,
        )
        .unwrap()[0];
        assert!((rne - x).abs() > 10.0 * se);
    }

    #[test]
    fn per_tensor_scaling_maps_amax_below_the_format_max() {
        let x = [0.001, -0.003, 0.002];
        let s = per_tensor_scale(&x, Format::FP8_E4M3);
        assert!(0.003 * s <= 448.0 && 0.003 * s * 2.0 > 448.0);
        assert_eq!(s.log2().fract(), 0.0);
    }

    #[test]
    fn chunked_fp16_accumulation_beats_one_long_chain() {
        // 4096 ones: one fp16 chain stalls at 2048 (2048 + 1 ties to even, the spacing
        // there being 2); chunks of 64 keep every partial sum exact (Wang et al. 2018).
        let n = 4096;
        let mut long = Accumulator::new(Accumulation {
            accumulator: Format::FP16,
            chunk: 0,
        })
        .unwrap();
        let mut chunked = Accumulator::new(Accumulation {
            accumulator: Format::FP16,
            chunk: 64,
        })
        .unwrap();
        assert_eq!(long.dot(n, |_| 1.0, |_| 1.0), 2048.0);
        assert_eq!(chunked.dot(n, |_| 1.0, |_| 1.0), 4096.0);
    }
}
