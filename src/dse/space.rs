//! The point space: a mixed-radix product of dimensions (first dimension most
//! significant), deterministic random samples of it and deterministic shards.
//!
//! A point's id is its index in the full product, so ids are stable across samples,
//! shards, resumed runs and merges.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A product of dimensions with `radices[d]` values each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    radices: Vec<u64>,
    total: u64,
}

impl Space {
    /// The product space; an empty dimension or more than 2^64 − 1 points is an error.
    pub fn new(radices: Vec<u64>) -> Result<Space, String> {
        let mut total: u64 = 1;
        for &r in &radices {
            if r == 0 {
                return Err("a dimension has no values".into());
            }
            total = total.checked_mul(r).ok_or_else(|| {
                "the design space has more than 2^64 - 1 points, more than 64-bit point ids \
                 can number (sampling cannot help); use fewer axis values or split the axes \
                 over several sweeps"
                    .to_string()
            })?;
        }
        Ok(Space { radices, total })
    }

    /// Number of points in the full product.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Values per dimension.
    pub fn radices(&self) -> &[u64] {
        &self.radices
    }

    /// The value index of each dimension for point `id` (first dimension most significant).
    pub fn digits(&self, mut id: u64) -> Vec<usize> {
        let mut d = vec![0usize; self.radices.len()];
        for (slot, &r) in d.iter_mut().zip(&self.radices).rev() {
            *slot = (id % r) as usize;
            id /= r;
        }
        d
    }
}

/// SplitMix64: a small, well-mixed deterministic generator (Steele et al. 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A value in `0..n` (multiply-shift; n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// `count` distinct ids from `0..total`, ascending (Floyd's algorithm, seeded); all of
/// them when `count ≥ total`.
pub fn sample(total: u64, count: u64, seed: u64) -> Vec<u64> {
    if count >= total {
        return (0..total).collect();
    }
    let mut rng = SplitMix64::new(seed);
    let mut set = BTreeSet::new();
    for j in (total - count)..total {
        let t = rng.below(j + 1);
        if !set.insert(t) {
            set.insert(j);
        }
    }
    set.into_iter().collect()
}

/// The points a sweep evaluates: the whole product or a sample of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointSet {
    /// Every id in `0..n`.
    All(u64),
    /// These ids, ascending.
    Sample(Vec<u64>),
}

impl PointSet {
    /// Number of points.
    pub fn len(&self) -> u64 {
        match self {
            PointSet::All(n) => *n,
            PointSet::Sample(v) => v.len() as u64,
        }
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `id` is one of the points of `shard`.
    pub fn shard_contains(&self, id: u64, shard: Shard) -> bool {
        let (k, n) = (shard.index, shard.count);
        match self {
            PointSet::All(total) => id < *total && id >= k && (id - k).is_multiple_of(n),
            PointSet::Sample(v) => v.binary_search(&id).is_ok_and(|pos| pos as u64 % n == k),
        }
    }

    /// Number of points in one shard, counted without allocating.
    pub fn shard_len(&self, shard: Shard) -> u64 {
        let (k, n) = (shard.index, shard.count);
        let len = self.len();
        if k >= len {
            0
        } else {
            (len - k).div_ceil(n)
        }
    }

    /// The ids of one shard, ascending: the points at positions `p` with
    /// `p mod count == index` (round robin, so every shard gets a similar mix).
    pub fn shard_ids(&self, shard: Shard) -> Vec<u64> {
        let (k, n) = (shard.index, shard.count);
        match self {
            PointSet::All(total) => (k..*total).step_by(n as usize).collect(),
            PointSet::Sample(v) => v
                .iter()
                .skip(k as usize)
                .step_by(n as usize)
                .copied()
                .collect(),
        }
    }
}

/// One slice `index/count` of a sweep (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    /// Parses `K/N` with 0 ≤ K < N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let err = || format!("expected K/N with 0 ≤ K < N (e.g. 0/8), got '{s}'");
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let index: u64 = k.trim().parse().map_err(|_| err())?;
        let count: u64 = n.trim().parse().map_err(|_| err())?;
        if count == 0 || index >= count || count > u32::MAX as u64 {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_mixed_radix_first_most_significant() {
        let s = Space::new(vec![2, 3, 4]).unwrap();
        assert_eq!(s.total(), 24);
        assert_eq!(s.digits(0), vec![0, 0, 0]);
        assert_eq!(s.digits(1), vec![0, 0, 1]);
        assert_eq!(s.digits(4), vec![0, 1, 0]);
        assert_eq!(s.digits(23), vec![1, 2, 3]);
        assert!(Space::new(vec![2, 0]).is_err());
        assert!(Space::new(vec![u64::MAX, 2]).is_err());
    }

    #[test]
    fn samples_are_distinct_sorted_and_seeded() {
        let a = sample(1000, 100, 7);
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|&x| x < 1000));
        assert_eq!(a, sample(1000, 100, 7));
        assert_ne!(a, sample(1000, 100, 8));
        assert_eq!(sample(5, 10, 1), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn shards_partition_the_points() {
        for set in [
            PointSet::All(10),
            PointSet::Sample(vec![1, 4, 5, 8, 9, 20, 33]),
        ] {
            let mut all: Vec<u64> = (0..3)
                .flat_map(|k| set.shard_ids(Shard { index: k, count: 3 }))
                .collect();
            all.sort_unstable();
            assert_eq!(all, set.shard_ids(Shard::WHOLE));
        }
        assert_eq!(
            "2/8".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 8 }
        );
        assert!("8/8".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
    }
}
