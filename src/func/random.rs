//! Seeded random values for tensors given no data: a SplitMix64 stream keyed by the
//! run's seed and the tensor's name, so values never depend on thread count or op order.
//!
//! * float formats: uniform in [-1, 1) (53 random bits), rounded to nearest-even;
//! * integer formats: uniform over the format's range, clipped to [-2^15, 2^15 - 1]
//!   for formats wider than 16 bits;
//! * binary: ±1 with probability 1/2.

use super::value::{kind_of, Data, Kind, Value};
use crate::numerics::{Format, Overflow, SplitMix64};

/// The stream seed of tensor `name` under run seed `seed`: FNV-1a of the name, mixed.
pub fn tensor_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    SplitMix64::draw_at(seed ^ h, 0)
}

/// A random value of `format` and `shape` for tensor `name`.
pub fn random_value(
    seed: u64,
    name: &str,
    format: Format,
    shape: &[usize],
) -> Result<Value, String> {
    let n: usize = shape.iter().product();
    let mut rng = SplitMix64::new(tensor_seed(seed, name));
    let data = match kind_of(format)? {
        Kind::Float(f) => {
            let x: Vec<f32> = (0..n)
                .map(|_| {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    (2.0 * u - 1.0) as f32
                })
                .collect();
            // Values in [-1, 1) never overflow any float format.
            Data::F32(super::value::round_vec(f, &x, Overflow::Ieee))
        }
        Kind::Int { min, max } => {
            let (lo, hi) = (min.max(-(1 << 15)), max.min((1 << 15) - 1));
            let span = (hi - lo + 1) as u64;
            Data::I32(
                (0..n)
                    .map(|_| (lo + (rng.next_u64() % span) as i64) as i32)
                    .collect(),
            )
        }
        Kind::Binary => Data::I32(
            (0..n)
                .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
                .collect(),
        ),
    };
    Ok(Value::new(format, shape.to_vec(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let a = random_value(7, "x", Format::INT8, &[100]).unwrap();
        let b = random_value(7, "x", Format::INT8, &[100]).unwrap();
        assert_eq!(a, b);
        let c = random_value(7, "y", Format::INT8, &[100]).unwrap();
        assert_ne!(a, c);
        assert!(a.i32s().unwrap().iter().all(|&v| (-128..=127).contains(&v)));
        let f = random_value(1, "w", Format::FP8_E4M3, &[64]).unwrap();
        assert!(f.f32s().unwrap().iter().all(|&v| (-1.0..=1.0).contains(&v)));
    }
}
