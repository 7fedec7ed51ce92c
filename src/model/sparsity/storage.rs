//! Stored size of a sparse tensor relative to its dense size, per storage format.
//!
//! For E elements of `b` value bits at density d (independent zeros):
//!
//! | format | bits per element |
//! |---|---|
//! | dense | b |
//! | bitmap | d·b + 1 (values + a 1-bit mask per element) |
//! | run length, r-bit runs | d / (1 − (1−d)^(2^r)) · (b + r) |
//! | CSR-like, i-bit index, p-bit row pointer, rows of L | d·(b + i) + p / L |
//! | N:M structured, μ metadata bits per kept value | (N/M)·(b + μ) |
//!
//! Run length (Eyeriss): each non-zero carries the count of zeros before it in r bits; a
//! run of L zeros longer than 2^r − 1 needs ⌊L / 2^r⌋ extra zero-valued entries. With
//! geometric runs (P(L ≥ l) = (1−d)^l), E⌊L / T⌋ = q^T / (1 − q^T) for q = 1 − d and
//! T = 2^r, so entries per element = d (1 + q^T / (1 − q^T)) = d / (1 − q^T) (→ 1/T as
//! d → 0). End-of-tensor effects are ignored.

use crate::arch::sparsity::StorageFormat;

/// Bits per element of a tensor with `value_bits` per value at `density`, stored in
/// `format`; `row_len` is the length of its last axis (CSR rows).
pub fn bits_per_element(
    format: &StorageFormat,
    density: f64,
    value_bits: f64,
    row_len: u64,
) -> f64 {
    let d = density.clamp(0.0, 1.0);
    match format {
        StorageFormat::Bitmap => d * value_bits + 1.0,
        StorageFormat::RunLength { run_bits } => {
            let t = 2f64.powi(*run_bits as i32);
            let entries = if d == 0.0 {
                1.0 / t
            } else {
                d / (1.0 - (1.0 - d).powf(t))
            };
            entries * (value_bits + *run_bits as f64)
        }
        StorageFormat::Csr {
            index_bits,
            pointer_bits,
        } => {
            let l = row_len.max(1);
            let idx = index_bits
                .map(|b| b as f64)
                .unwrap_or_else(|| (l as f64).log2().ceil().max(1.0));
            d * (value_bits + idx) + *pointer_bits as f64 / l as f64
        }
    }
}

/// Stored bytes over dense bytes for `format` (see [`bits_per_element`]).
pub fn ratio(format: &StorageFormat, density: f64, value_bits: f64, row_len: u64) -> f64 {
    bits_per_element(format, density, value_bits, row_len) / value_bits
}

/// Stored bytes over dense bytes of an N:M-compressed tensor: (n/m)·(b + μ)/b.
pub fn structured_ratio(n: u32, m: u32, value_bits: f64, metadata_bits: f64) -> f64 {
    n as f64 / m as f64 * (value_bits + metadata_bits) / value_bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn bitmap() {
        assert_relative_eq!(
            ratio(&StorageFormat::Bitmap, 0.25, 8.0, 64),
            0.25 + 1.0 / 8.0
        );
    }

    #[test]
    fn run_length_limits() {
        let f = StorageFormat::RunLength { run_bits: 2 };
        // dense: every element one entry of b + r bits.
        assert_relative_eq!(bits_per_element(&f, 1.0, 16.0, 1), 18.0);
        // all zero: one padding entry per 2^r = 4 elements.
        assert_relative_eq!(bits_per_element(&f, 0.0, 16.0, 1), 18.0 / 4.0);
        // d = 0.5, T = 4: entries = 0.5 / (1 − 1/16) = 8/15 per element.
        assert_relative_eq!(bits_per_element(&f, 0.5, 16.0, 1), 8.0 / 15.0 * 18.0);
    }

    #[test]
    fn csr_and_structured() {
        let f = StorageFormat::Csr {
            index_bits: None,
            pointer_bits: 32,
        };
        // rows of 256: 8-bit index; d = 0.1, 8-bit values: 0.1·16 + 32/256.
        assert_relative_eq!(bits_per_element(&f, 0.1, 8.0, 256), 1.6 + 0.125);
        assert_relative_eq!(structured_ratio(2, 4, 8.0, 2.0), 0.625);
    }
}
