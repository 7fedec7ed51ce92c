//! The planned per-tensor bytes behind an op's `sram` energy (core buffers), its DRAM
//! traffic and its array-side traffic, split into reads, fills and updates: the same
//! bytes [`super::plan_op`] prices, kept so that reports can show every level's counts
//! ([`crate::power::levels`] turns them into accesses and energy).
//!
//! Core buffers (compute ops): a tensor's buffer is *filled* with what comes from DRAM,
//! *read* toward the array (the dataflow's operand reads, partial sums read back for
//! accumulation) and toward DRAM (outputs and spilled partial sums drained), and
//! *updated* by the array (partial sums and finished outputs). Vector ops read their
//! inputs from DRAM into the activation buffer and back out, and write their outputs
//! into the output buffer and out to DRAM.
//!
//! When the mapping keeps a global-buffer level ([`ParentIo`]), the core buffers are
//! filled from and drain to the global buffer instead of DRAM, and the global buffer is
//! filled from DRAM, read toward the core buffers (and, for C, toward DRAM) and updated
//! by the core buffers: the nest's counts of that level.

use serde::Serialize;

use super::mapping::MemLevel;
use super::nest::Accesses;
use super::tiling::Tiling;

/// Bytes read out of, filled into (from the parent) and updated in (from the child or
/// the array) one tensor's storage at one level.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct RwBytes {
    /// Bytes read out of the level.
    pub reads: f64,
    /// Bytes written from the parent level.
    pub fills: f64,
    /// Bytes written from the child level or the array.
    pub updates: f64,
}

impl RwBytes {
    /// Reads + fills + updates.
    pub fn total(&self) -> f64 {
        self.reads + self.fills + self.updates
    }

    /// Every field multiplied by `f`.
    pub fn scaled(&self, f: f64) -> RwBytes {
        RwBytes {
            reads: self.reads * f,
            fills: self.fills * f,
            updates: self.updates * f,
        }
    }
}

/// Per GEMM instance: the bytes between the core buffers and their parent level (the
/// global buffer when the searched mapping keeps one, DRAM otherwise) and the global
/// buffer's own accesses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParentIo {
    /// A, B and C (partial sums coming back) filled into the core buffers.
    pub fills: [f64; 3],
    /// C's bytes both ways between the core buffer and its parent (fills + drain).
    pub c_both: f64,
    /// C drained from the core buffer into the global buffer (`None`: into DRAM).
    pub drain_to_global: Option<f64>,
    /// The global buffer's reads, fills and updates of `[A, B, C]`; C's reads include
    /// what it drains to DRAM (outputs and its own partial-sum spills).
    pub global: Option<[RwBytes; 3]>,
}

impl ParentIo {
    /// The core buffers' parent traffic of a searched mapping with accesses `a` and
    /// tiling `t` (DRAM bytes per operand, used as is without a global-buffer level).
    pub fn of(a: &Accesses, t: &Tiling) -> ParentIo {
        let dram_c = a.levels[0].tensors[2];
        let Some(g) = a.at(MemLevel::GlobalBuffer) else {
            return ParentIo {
                fills: [t.a_bytes, t.b_bytes, dram_c.reads],
                c_both: t.c_bytes,
                drain_to_global: None,
                global: None,
            };
        };
        let core = &a.levels.last().expect("a mapping has a level").tensors;
        let gt = &g.tensors;
        let rw = |i: usize, drain: f64| RwBytes {
            reads: gt[i].reads + drain,
            fills: gt[i].fills,
            updates: gt[i].updates,
        };
        ParentIo {
            fills: [core[0].fills, core[1].fills, core[2].fills],
            c_both: core[2].fills + gt[2].updates,
            drain_to_global: Some(gt[2].updates),
            global: Some([rw(0, 0.0), rw(1, 0.0), rw(2, dram_c.updates)]),
        }
    }
}

/// The planned split of one op's bytes per tensor `[inputs (A), weights (B), outputs (C)]`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PlannedSplit {
    /// Core buffers: per tensor, summing to the op's `ifmap` / `filter` / `ofmap` SRAM
    /// bytes (bias bytes count with the weights).
    pub core: [RwBytes; 3],
    /// DRAM as planned (before fusion and layer pipelining): reads of A, B (with bias)
    /// and partial sums coming back, updates of C (outputs and spilled partial sums).
    pub dram: [RwBytes; 3],
    /// Between the core buffers and the array: reads are words sent toward the array,
    /// updates words coming back (compute ops only; the array network's traffic).
    pub array: [RwBytes; 3],
    /// The global buffer, when the op's mapping keeps a level there (compute ops on
    /// arches with a `memory.global_buffer`): per tensor, summing to the op's
    /// `global_buffer` energy over its 64-bit access energy.
    pub global: Option<[RwBytes; 3]>,
    /// GPU kernels: the SMs' register files (operand fragments and accumulators), whose
    /// energy is part of the SM overhead.
    pub register_file: Option<[RwBytes; 3]>,
}

/// The split of a compute op, all GEMM instances: `array_reads` `[A, B, partial sums]`
/// and `array_updates` (partial sums + outputs) are the array-side bytes, `dram` the
/// nest's DRAM bytes per tensor (sparse-storage ratios applied), `fills` the bytes that
/// enter each buffer from its parent (the buffers hold the on-chip form), `c_drain` the
/// C bytes drained to the parent and `global` the global buffer's accesses, if any.
pub fn compute(
    array_reads: [f64; 3],
    array_updates: f64,
    dram: [RwBytes; 3],
    fills: [f64; 3],
    c_drain: f64,
    global: Option<[RwBytes; 3]>,
) -> PlannedSplit {
    let c_fill = fills[2];
    PlannedSplit {
        core: [
            RwBytes {
                reads: array_reads[0],
                fills: fills[0],
                updates: 0.0,
            },
            RwBytes {
                reads: array_reads[1],
                fills: fills[1],
                updates: 0.0,
            },
            RwBytes {
                // Partial sums read back by the array, plus what drains to the parent.
                reads: array_reads[2] + c_drain,
                fills: c_fill,
                updates: array_updates,
            },
        ],
        dram,
        array: [
            RwBytes {
                reads: array_reads[0],
                ..RwBytes::default()
            },
            RwBytes {
                reads: array_reads[1],
                ..RwBytes::default()
            },
            RwBytes {
                reads: array_reads[2],
                updates: array_updates,
                ..RwBytes::default()
            },
        ],
        global,
        register_file: None,
    }
}

/// The split of a vector op moving `in_sram` / `out_sram` bytes through the buffers and
/// `in_dram` / `out_dram` bytes to and from DRAM.
pub fn vector(in_sram: f64, out_sram: f64, in_dram: f64, out_dram: f64) -> PlannedSplit {
    PlannedSplit {
        core: [
            RwBytes {
                reads: in_sram,
                fills: in_sram,
                updates: 0.0,
            },
            RwBytes::default(),
            RwBytes {
                reads: out_sram,
                fills: 0.0,
                updates: out_sram,
            },
        ],
        dram: [
            RwBytes {
                reads: in_dram,
                ..RwBytes::default()
            },
            RwBytes::default(),
            RwBytes {
                updates: out_dram,
                ..RwBytes::default()
            },
        ],
        array: [RwBytes::default(); 3],
        global: None,
        register_file: None,
    }
}
