//! Nest analysis: what a [`Mapping`] moves at each memory level, per tensor (pure, no prices).
//!
//! Flatten the loops above an on-chip level (those of every level above it, outermost
//! first). A tile of an operand held at the level changes only when a loop *relevant* to the
//! operand advances, so the operand is fetched again once per iteration of every
//! *irrelevant* loop that sits outside its innermost relevant loop (loops of one trip never
//! advance and are ignored). With `P` that product, the level's fills of the operand are
//! `P × its size`, and the parent's reads are the same bytes.
//!
//! The output `C` is irrelevant only to `K`: when a `K` loop with more than one trip sits
//! outside its innermost relevant loop, each output tile leaves the level `P` times, `P − 1`
//! of them as partial sums (accumulator width) that come back later (parent reads, level
//! fills), and once as the finished output (output width). Otherwise it leaves once.
//!
//! When the innermost tile's partial sums stay in an output-stationary array's PEs
//! ([`Mapping::psums_in_array`]), nothing spills (no `K` loop sits outside `C`) and the
//! innermost level holds the output tile at the output width.
//!
//! The innermost level's reads toward the array and updates from it follow the array's
//! dataflow and are passed in ([`ArraySide`]), so [`Accesses`] is complete for pricing.

use serde::Serialize;

use super::mapping::{Dim, Mapping, MemLevel, Operand};

/// Bytes per element of each tensor and of partial sums (fractional for sub-byte formats).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ElemBytes {
    /// A (activations).
    pub a: f64,
    /// B (weights).
    pub b: f64,
    /// C (final outputs).
    pub c: f64,
    /// Partial sums (accumulator format).
    pub acc: f64,
}

impl ElemBytes {
    /// `[a, b, c]` stored bytes per element.
    pub fn stored(&self) -> [f64; 3] {
        [self.a, self.b, self.c]
    }
}

/// Array-side traffic of the innermost level (from the array model's dataflow), bytes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ArraySide {
    /// Reads of `[A, B, C]` toward the array (C: partial sums read back for accumulation).
    pub reads: [f64; 3],
    /// Writes of C from the array (partial sums and outputs).
    pub c_updates: f64,
}

/// Accesses of one tensor at one level, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct TensorAccesses {
    /// Bytes of the tile the level holds (the whole tensor at DRAM).
    pub tile_bytes: f64,
    /// Bytes read out of the level (toward the child level or the array).
    pub reads: f64,
    /// Bytes written into the level from its parent.
    pub fills: f64,
    /// Bytes written into the level from its child (partial sums and outputs).
    pub updates: f64,
}

/// Accesses of every tensor at one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelAccesses {
    /// The level.
    pub level: MemLevel,
    /// `[A, B, C]`.
    pub tensors: [TensorAccesses; 3],
}

impl LevelAccesses {
    /// Reads + fills + updates of all tensors.
    pub fn total_bytes(&self) -> f64 {
        self.tensors
            .iter()
            .map(|t| t.reads + t.fills + t.updates)
            .sum()
    }
}

/// Per-tensor, per-level accesses of a mapping: DRAM first, then each on-chip level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accesses {
    /// Levels, outermost (DRAM) first.
    pub levels: Vec<LevelAccesses>,
}

impl Accesses {
    /// DRAM bytes read (A, B and partial sums coming back).
    pub fn dram_read_bytes(&self) -> f64 {
        self.levels[0].tensors.iter().map(|t| t.reads).sum()
    }
    /// DRAM bytes written (outputs and spilled partial sums).
    pub fn dram_write_bytes(&self) -> f64 {
        self.levels[0].tensors.iter().map(|t| t.updates).sum()
    }
    /// All DRAM bytes.
    pub fn dram_bytes(&self) -> f64 {
        self.dram_read_bytes() + self.dram_write_bytes()
    }
    /// DRAM bytes of one tensor (reads + updates).
    pub fn dram_bytes_of(&self, t: Operand) -> f64 {
        let x = &self.levels[0].tensors[t.index()];
        x.reads + x.updates
    }
    /// Accesses at `level`, if the mapping uses it.
    pub fn at(&self, level: MemLevel) -> Option<&LevelAccesses> {
        self.levels.iter().find(|l| l.level == level)
    }
    /// Every count multiplied by `f` (independent GEMM instances).
    pub fn scaled(&self, f: f64) -> Accesses {
        let mut out = self.clone();
        for l in &mut out.levels {
            for t in &mut l.tensors {
                t.reads *= f;
                t.fills *= f;
                t.updates *= f;
            }
        }
        out
    }
}

/// Refetch multiplier of each tensor below a flattened nest given as `(dim, trips)` pairs,
/// outermost first: the product of the trips of irrelevant loops outside the innermost
/// relevant loop (one-trip loops ignored).
pub fn refetch(loops: &[(Dim, u64)]) -> [u64; 3] {
    let mut out = [1u64; 3];
    for t in Operand::ALL {
        let innermost = loops
            .iter()
            .rposition(|&(d, trips)| trips > 1 && t.relevant(d));
        if let Some(pos) = innermost {
            out[t.index()] = loops[..pos]
                .iter()
                .filter(|&&(d, trips)| trips > 1 && !t.relevant(d))
                .fold(1u64, |p, &(_, trips)| p.saturating_mul(trips));
        }
    }
    out
}

/// The accesses `mapping` makes with element sizes `eb`; `array` is the innermost level's
/// traffic toward the array.
pub fn analyze(mapping: &Mapping, eb: ElemBytes, array: ArraySide) -> Accesses {
    let [m, n, k] = mapping.dims.map(|d| d as f64);
    let sizes = [m * k * eb.a, k * n * eb.b, m * n * eb.c];
    let c_acc = m * n * eb.acc;
    let mut levels = Vec::with_capacity(mapping.levels.len() + 1);
    levels.push(LevelAccesses {
        level: MemLevel::Dram,
        tensors: [0, 1, 2].map(|i| TensorAccesses {
            tile_bytes: sizes[i],
            ..TensorAccesses::default()
        }),
    });
    let last = mapping.levels.len().saturating_sub(1);
    for (i, nest) in mapping.levels.iter().enumerate() {
        let [tm, tn, tk] = nest.tile.map(|d| d as f64);
        let c_width = if i == last && mapping.psums_in_array {
            eb.c
        } else {
            eb.acc
        };
        let mut here = LevelAccesses {
            level: nest.level,
            tensors: [tm * tk * eb.a, tk * tn * eb.b, tm * tn * c_width].map(|b| TensorAccesses {
                tile_bytes: b,
                ..TensorAccesses::default()
            }),
        };
        let loops: Vec<(Dim, u64)> = mapping
            .loops_above(i)
            .iter()
            .map(|l| (l.dim, l.trips))
            .collect();
        let p = refetch(&loops);
        debug_assert!(!(i == last && mapping.psums_in_array) || p[2] == 1);
        let parent = levels.last_mut().expect("dram level");
        for t in [Operand::A, Operand::B] {
            let bytes = sizes[t.index()] * p[t.index()] as f64;
            parent.tensors[t.index()].reads += bytes;
            here.tensors[t.index()].fills += bytes;
        }
        let spills = (p[2] - 1) as f64 * c_acc;
        let c = &mut parent.tensors[2];
        c.updates += sizes[2] + spills;
        c.reads += spills;
        here.tensors[2].fills += spills;
        levels.push(here);
    }
    if let Some(inner) = levels.last_mut() {
        if inner.level != MemLevel::Dram {
            for (t, r) in inner.tensors.iter_mut().zip(array.reads) {
                t.reads += r;
            }
            inner.tensors[2].updates += array.c_updates;
        }
    }
    Accesses { levels }
}

#[cfg(test)]
mod tests {
    use super::super::mapping::{LevelNest, ORDERS};
    use super::*;

    const EB: ElemBytes = ElemBytes {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        acc: 4.0,
    };

    fn one_level(dims: [u64; 3], tile: [u64; 3], order: [Dim; 3]) -> Accesses {
        let m = Mapping {
            dims,
            levels: vec![LevelNest {
                level: MemLevel::CoreBuffer,
                tile,
                order,
            }],
            psums_in_array: false,
        };
        analyze(&m, EB, ArraySide::default())
    }

    #[test]
    fn weights_resident_reads_b_once_and_a_per_n_tile() {
        // n outer, m, k inner: B (k × nt panel) is relevant to n and k; A is re-read once
        // per n tile (4 of them).
        let a = one_level([256, 256, 128], [64, 64, 128], [Dim::N, Dim::M, Dim::K]);
        let d = &a.levels[0].tensors;
        assert_eq!(d[0].reads, 256.0 * 128.0 * 4.0);
        assert_eq!(d[1].reads, 128.0 * 256.0);
        assert_eq!(d[2].updates, 256.0 * 256.0);
        assert_eq!(d[2].reads, 0.0);
    }

    #[test]
    fn k_outside_spills_partial_sums_once_per_extra_slice() {
        // k outermost with 4 slices over 2 m tiles: 3 spills and 3 returns at 4 bytes,
        // one final write.
        let a = one_level([128, 64, 256], [64, 64, 64], [Dim::K, Dim::M, Dim::N]);
        let c = a.levels[0].tensors[2];
        let size = 128.0 * 64.0;
        assert_eq!(c.updates, size * (1.0 + 3.0 * 4.0));
        assert_eq!(c.reads, size * 3.0 * 4.0);
        assert_eq!(a.levels[1].tensors[2].fills, c.reads);
        // The same tiles with k innermost keep partial sums on chip.
        let a = one_level([128, 64, 256], [64, 64, 64], [Dim::M, Dim::N, Dim::K]);
        assert_eq!(a.levels[0].tensors[2].updates, size);
        // A partial-sum tile covering all of C never spills, whatever the order.
        let a = one_level([64, 64, 256], [64, 64, 64], [Dim::K, Dim::M, Dim::N]);
        assert_eq!(a.levels[0].tensors[2].updates, 64.0 * 64.0);
    }

    #[test]
    fn one_trip_loops_never_cause_refetch() {
        for order in ORDERS {
            let a = one_level([32, 32, 32], [32, 32, 32], order);
            assert_eq!(a.dram_bytes(), 3.0 * 1024.0);
        }
    }

    #[test]
    fn two_levels_refetch_through_the_outer_loops() {
        // The global buffer holds m256 n256 k64 walked k-outer over a 256×256×256 GEMM: its
        // partial-sum tile covers all of C, so nothing spills to DRAM. The core tile
        // m64 n64 k64 is walked n, m inside it: A is refetched per n tile (4×), B stays
        // across m, and C's partial sums go back to the global buffer on 3 of 4 k slices.
        let m = Mapping {
            dims: [256, 256, 256],
            levels: vec![
                LevelNest {
                    level: MemLevel::GlobalBuffer,
                    tile: [256, 256, 64],
                    order: [Dim::K, Dim::M, Dim::N],
                },
                LevelNest {
                    level: MemLevel::CoreBuffer,
                    tile: [64, 64, 64],
                    order: [Dim::N, Dim::M, Dim::K],
                },
            ],
            psums_in_array: false,
        };
        let a = analyze(&m, EB, ArraySide::default());
        let size = 256.0 * 256.0;
        assert_eq!(a.levels[0].tensors[0].reads, size);
        assert_eq!(a.levels[0].tensors[2].reads, 0.0);
        assert_eq!(a.levels[0].tensors[2].updates, size);
        let gb = a.at(MemLevel::GlobalBuffer).unwrap();
        assert_eq!(gb.tensors[0].reads, 4.0 * size);
        assert_eq!(gb.tensors[1].reads, size);
        assert_eq!(gb.tensors[2].updates, size + 12.0 * size);
        assert_eq!(gb.tensors[2].reads, 12.0 * size);
    }
}
