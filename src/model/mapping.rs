//! A temporal mapping of one GEMM onto the memory hierarchy: which tile of each operand every
//! on-chip level holds and in which order the level above walks those tiles.
//!
//! The GEMM is `M × K` (A, activations) by `K × N` (B, weights) → `M × N` (C, outputs with
//! partial sums in the accumulator format). A [`Mapping`] lists the on-chip levels from the
//! outermost (the one DRAM fills) to the innermost (the core buffers feeding the array); each
//! [`LevelNest`] holds one tile (`m`, `n`, `k` extents) and the order, outermost first, of the
//! three loops of the level *above* it that walk its tiles through the parent's tile. The
//! spatial mapping (how a core-buffer tile flows through the array) is the array's dataflow
//! and is costed by the array model, not here.
//!
//! [`lower_bound_bytes`] is the DRAM traffic no mapping can beat for a given on-chip capacity.

use serde::Serialize;
use std::fmt;

/// A GEMM dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// Output rows (A rows).
    M,
    /// Output columns (B columns).
    N,
    /// Reduction.
    K,
}

impl Dim {
    /// All three, in `M, N, K` order.
    pub const ALL: [Dim; 3] = [Dim::M, Dim::N, Dim::K];

    /// Index into `[m, n, k]` arrays.
    pub fn index(self) -> usize {
        match self {
            Dim::M => 0,
            Dim::N => 1,
            Dim::K => 2,
        }
    }

    /// Lower-case letter used in renderings.
    pub fn letter(self) -> char {
        match self {
            Dim::M => 'm',
            Dim::N => 'n',
            Dim::K => 'k',
        }
    }
}

/// One of the GEMM's three tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// `M × K` activations.
    A,
    /// `K × N` weights.
    B,
    /// `M × N` outputs (partial sums while `K` is incomplete).
    C,
}

impl Operand {
    /// All three, in `A, B, C` order.
    pub const ALL: [Operand; 3] = [Operand::A, Operand::B, Operand::C];

    /// Whether the tensor is indexed by `d` (a loop over `d` changes which tile is needed).
    pub fn relevant(self, d: Dim) -> bool {
        !matches!(
            (self, d),
            (Operand::A, Dim::N) | (Operand::B, Dim::M) | (Operand::C, Dim::K)
        )
    }

    /// Index into `[a, b, c]` arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The six orders of three loops, outermost first.
pub const ORDERS: [[Dim; 3]; 6] = [
    [Dim::M, Dim::N, Dim::K],
    [Dim::M, Dim::K, Dim::N],
    [Dim::N, Dim::M, Dim::K],
    [Dim::N, Dim::K, Dim::M],
    [Dim::K, Dim::M, Dim::N],
    [Dim::K, Dim::N, Dim::M],
];

/// A memory level that holds tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemLevel {
    /// Off-chip memory (holds whole tensors).
    Dram,
    /// The shared on-chip global buffer.
    GlobalBuffer,
    /// The per-core buffers feeding the array (split or unified).
    CoreBuffer,
}

impl MemLevel {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            MemLevel::Dram => "dram",
            MemLevel::GlobalBuffer => "global_buffer",
            MemLevel::CoreBuffer => "core_buffer",
        }
    }
}

/// One on-chip level of a mapping: the tile it holds and the order in which the level
/// above walks its tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LevelNest {
    /// The level holding the tile.
    pub level: MemLevel,
    /// Tile extents `[m, n, k]`.
    pub tile: [u64; 3],
    /// Loops of the parent level over this level's tiles, outermost first.
    pub order: [Dim; 3],
}

/// A temporal mapping of one `m × n × k` GEMM: on-chip levels, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Mapping {
    /// GEMM extents `[m, n, k]`.
    pub dims: [u64; 3],
    /// On-chip levels from the one DRAM fills to the one feeding the array.
    pub levels: Vec<LevelNest>,
    /// Whether the innermost tile's partial sums stay in the PE accumulators of an
    /// output-stationary array for the whole reduction (its `C` block fits the array and no
    /// loop above it sends them back, see [`super::mapspace::psums_in_array`]): the core
    /// buffer then holds the output tile at the output width, not the partial sums.
    pub psums_in_array: bool,
}

/// One loop of a flattened nest: the level that runs it, the dimension and its trip count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// Level whose tile the loop walks (the parent of the tile being iterated).
    pub parent: MemLevel,
    /// Dimension walked.
    pub dim: Dim,
    /// Iterations (`ceil(parent extent / tile extent)`).
    pub trips: u64,
}

impl Mapping {
    /// Extent of the parent tile of level `i` (the whole GEMM for the outermost level).
    pub fn parent_tile(&self, i: usize) -> [u64; 3] {
        if i == 0 {
            self.dims
        } else {
            self.levels[i - 1].tile
        }
    }

    /// The loops above on-chip level `i`, outermost first (those of every level above it).
    pub fn loops_above(&self, i: usize) -> Vec<Loop> {
        let mut out = Vec::with_capacity(3 * (i + 1));
        for j in 0..=i {
            let parent = self.parent_tile(j);
            let pl = if j == 0 {
                MemLevel::Dram
            } else {
                self.levels[j - 1].level
            };
            let nest = &self.levels[j];
            for d in nest.order {
                let trips = parent[d.index()].div_ceil(nest.tile[d.index()].max(1));
                out.push(Loop {
                    parent: pl,
                    dim: d,
                    trips,
                });
            }
        }
        out
    }

    /// The readable loop nest, one line per level, e.g.
    /// `dram: for k<8 for m<4 for n<2 → core_buffer[m128 n256 k128]`.
    pub fn render(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.levels.len());
        for (i, nest) in self.levels.iter().enumerate() {
            let parent = self.parent_tile(i);
            let pl = if i == 0 {
                MemLevel::Dram
            } else {
                self.levels[i - 1].level
            };
            let loops: Vec<String> = nest
                .order
                .iter()
                .filter_map(|&d| {
                    let t = parent[d.index()].div_ceil(nest.tile[d.index()].max(1));
                    (t > 1).then(|| format!("for {}<{t}", d.letter()))
                })
                .collect();
            let loops = if loops.is_empty() {
                "once".to_string()
            } else {
                loops.join(" ")
            };
            let [m, n, k] = nest.tile;
            lines.push(format!(
                "{}: {loops} → {}[m{m} n{n} k{k}]",
                pl.name(),
                nest.level.name()
            ));
        }
        lines
    }
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render().join("; "))
    }
}

/// The least DRAM traffic (bytes) of any schedule of an `m × n × k` GEMM with
/// `onchip_bytes` of on-chip storage: every operand read and the output written once
/// (compulsory traffic), and the red-blue pebble bound for matrix multiplication
/// (Kwasniewski et al., "Red-blue pebbling revisited", SC'19: at least `2mnk/√S + mn`
/// element transfers with `S` elements of fast memory). The bound counts `S` in elements of
/// the narrower operand (which overstates the capacity, so the bound stays valid) and its
/// `2mnk/√S` operand loads at that width. `elem` is `[a, b, c]` bytes per element.
pub fn lower_bound_bytes(dims: [u64; 3], elem: [f64; 3], onchip_bytes: f64) -> f64 {
    let [m, n, k] = dims.map(|d| d as f64);
    let compulsory = m * k * elem[0] + k * n * elem[1] + m * n * elem[2];
    let narrow = elem[0].min(elem[1]).max(1e-9);
    let s = (onchip_bytes / narrow).max(1.0);
    let pebble = 2.0 * m * n * k / s.sqrt() * narrow + m * n * elem[2];
    compulsory.max(pebble)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance_follows_the_indices() {
        assert!(Operand::A.relevant(Dim::M) && Operand::A.relevant(Dim::K));
        assert!(!Operand::A.relevant(Dim::N));
        assert!(!Operand::B.relevant(Dim::M));
        assert!(!Operand::C.relevant(Dim::K));
    }

    #[test]
    fn render_lists_loops_above_each_tile() {
        let m = Mapping {
            dims: [1024, 1024, 1024],
            levels: vec![LevelNest {
                level: MemLevel::CoreBuffer,
                tile: [64, 128, 1024],
                order: [Dim::N, Dim::M, Dim::K],
            }],
            psums_in_array: false,
        };
        assert_eq!(
            m.render(),
            vec!["dram: for n<8 for m<16 → core_buffer[m64 n128 k1024]".to_string()]
        );
    }

    #[test]
    fn lower_bound_is_compulsory_when_everything_fits() {
        // 64³ int8 with 1 MiB on chip: the pebble term 2·64³/1024 + 64² = 4608 is below
        // the 3 · 4096 compulsory bytes.
        assert_eq!(
            lower_bound_bytes([64, 64, 64], [1.0, 1.0, 1.0], 1048576.0),
            12288.0
        );
        // 1024³ int8 with 192 KiB: 2·2^30/√196608 + 2^20 = 4,843,106 + 1,048,576.
        let lb = lower_bound_bytes([1024; 3], [1.0, 1.0, 1.0], 196608.0);
        assert!((lb - (2.0 * 1073741824.0 / 196608f64.sqrt() + 1048576.0)).abs() < 1e-6);
    }
}
