//! The tiling summary of a GEMM's searched mapping ([`super::search`]): the core-buffer
//! tile, which reuse the DRAM-level loops achieve and the DRAM bytes per operand. The
//! event engine walks this tile in the reuse's loop order ([`super::tiles`]).
//!
//! Reuse classes: `weights_resident` (B read from DRAM once while A is re-read),
//! `inputs_resident` (A read once), `output_stationary` (partial sums stay on chip while
//! both operands are re-streamed), `partial_sum_spill` (partial sums go to DRAM and back
//! once per extra K slice).

use serde::Serialize;

/// Buffer capacities available to one GEMM's operands, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Capacity {
    /// Separate buffers for A (ifmap), B (filter) and C (ofmap).
    Split {
        /// A buffer bytes.
        a: f64,
        /// B buffer bytes.
        b: f64,
        /// C buffer bytes.
        c: f64,
    },
    /// One buffer shared by all three.
    Unified(f64),
}

/// Element sizes in bytes (fractional for sub-byte formats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElementBytes {
    /// A (activations).
    pub a: f64,
    /// B (weights).
    pub b: f64,
    /// C final output.
    pub c: f64,
    /// Partial sums (accumulator format).
    pub acc: f64,
}

/// Which reuse the chosen schedule achieves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reuse {
    /// B panel resident; B read from DRAM once.
    WeightsResident,
    /// A panel resident; A read from DRAM once.
    InputsResident,
    /// Partial sums stay on chip; both operands re-streamed.
    OutputStationary,
    /// Partial sums spill to DRAM.
    PartialSumSpill,
}

/// The chosen tiling and its DRAM traffic for one GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tiling {
    /// Output-tile rows.
    pub mt: u64,
    /// Output-tile columns.
    pub nt: u64,
    /// Reduction slice.
    pub kt: u64,
    /// Schedule.
    pub reuse: Reuse,
    /// DRAM bytes read for A.
    pub a_bytes: f64,
    /// DRAM bytes read for B.
    pub b_bytes: f64,
    /// DRAM bytes written for C (and partial-sum spills, both directions).
    pub c_bytes: f64,
    /// Peak bytes of the buffers in use (all operands, double buffering included; C at the
    /// accumulator width unless its partial sums stay in the PEs).
    pub peak_buffer_bytes: f64,
}

impl Tiling {
    /// Total DRAM bytes.
    pub fn dram_bytes(&self) -> f64 {
        self.a_bytes + self.b_bytes + self.c_bytes
    }
}

impl Tiling {
    /// The tiling view of a searched mapping: the innermost (core-buffer) tile, the reuse
    /// its DRAM-level loops achieve, DRAM bytes per operand (C: outputs plus partial sums
    /// both ways) and the core buffers' footprint.
    pub fn from_search(
        s: &super::search::Searched,
        eb: super::nest::ElemBytes,
        double_buffer: bool,
    ) -> Tiling {
        use super::mapping::Dim;
        let inner = s.mapping.levels.last().expect("a mapping has a level");
        let outer = &s.mapping.levels[0];
        let loops = s.mapping.loops_above(0);
        let flat: Vec<(Dim, u64)> = loops.iter().map(|l| (l.dim, l.trips)).collect();
        let r = super::nest::refetch(&flat);
        let n_outside_m = || {
            let pos = |d: Dim| outer.order.iter().position(|&x| x == d);
            pos(Dim::N) < pos(Dim::M)
        };
        let reuse = if r[2] > 1 {
            Reuse::PartialSumSpill
        } else if r[1] == 1 && (r[0] > 1 || n_outside_m()) {
            Reuse::WeightsResident
        } else if r[0] == 1 {
            Reuse::InputsResident
        } else {
            Reuse::OutputStationary
        };
        let d = &s.accesses.levels[0].tensors;
        let [mt, nt, kt] = inner.tile;
        let db = if double_buffer { 2.0 } else { 1.0 };
        let (m, n, k) = (mt as f64, nt as f64, kt as f64);
        // Partial sums kept in an output-stationary array's PEs leave only the output tile
        // in the ofmap buffer.
        let c_width = if s.mapping.psums_in_array {
            eb.c
        } else {
            eb.acc
        };
        Tiling {
            mt,
            nt,
            kt,
            reuse,
            a_bytes: d[0].reads,
            b_bytes: d[1].reads,
            c_bytes: d[2].reads + d[2].updates,
            peak_buffer_bytes: (m * k * eb.a + k * n * eb.b + m * n * c_width) * db,
        }
    }
}
