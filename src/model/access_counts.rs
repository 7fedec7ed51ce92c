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

use serde::Serialize;

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
}

/// The split of a compute op, all GEMM instances: `array_reads` `[A, B, partial sums]`
/// and `array_updates` (partial sums + outputs) are the array-side bytes, `dram` the
/// nest's DRAM bytes per tensor (sparse-storage ratios applied), `fills` the bytes that
/// enter each buffer from DRAM (the buffers hold the on-chip form).
pub fn compute(
    array_reads: [f64; 3],
    array_updates: f64,
    dram: [RwBytes; 3],
    fills: [f64; 3],
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
                // Partial sums read back by the array, plus what drains to DRAM.
                reads: array_reads[2] + dram[2].updates,
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
    }
}
