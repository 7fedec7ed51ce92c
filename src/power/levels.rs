//! Per-layer access counts and energy per memory level and tensor: the view of the energy
//! an op is charged, level by level (`layers[].access_counts`, `run --mapping`).
//!
//! Levels, outermost first, each priced with the figure the model charges:
//! - `dram` (bucket `dram`): the **charged** DRAM bytes, i.e. those the ledger prices,
//!   after fusion and layer pipelining. They start from the plan's per-tensor bytes (the
//!   mapping's nest); bytes a fused op adds (a fused operand's source read, a wider fused
//!   output) go to `other` reads and `outputs` updates; bytes kept on chip by layer
//!   pipelining come off `inputs` then `weights` reads and off `outputs` updates then
//!   reads. The planned (nest) bytes stay in `layers[].temporal_mapping`. Accesses are
//!   64-bit words at `dram.per_byte × 8` pJ.
//! - `global_buffer` (bucket `global_buffer`): compute ops whose mapping keeps a level in
//!   the arch's global buffer (not GPU-style arrays, whose L2 is priced by the kernel
//!   model): the nest's reads, fills and updates of that level, plus C's drain to DRAM
//!   read out of it, 64-bit accesses at `sram.global_buffer.per_64b`. The core buffers
//!   are then filled from and drain to the global buffer.
//! - `core_buffer` (bucket `sram`): the activation / weight / output buffer of each tensor,
//!   64-bit accesses at that buffer's `sram.*.per_64b`.
//! - `register_file` (bucket `register_file`) and `array_network` (bucket `noc`): arches
//!   with a `pe_level`, accesses of `access_bits`.
//!
//! GPU-style arrays (an `array.gpu` block) name their levels after the GPU: `dram` (HBM),
//! `l2` (bucket `l2`), `shared_memory` (bucket `sram`, the shared-memory figure for every
//! tensor) and `register_file` (32-bit accesses; bucket `sm_overhead`, whose calibrated
//! energy per active SM-cycle contains it, so its accesses are shown at 0 pJ): the
//! kernel's counts from its CTA tiling ([`crate::model::gpu::counts`]); vector kernels
//! show `dram` and `shared_memory`.
//!
//! Per layer the levels' energies add up to the ledger's `dram`, `global_buffer`, `sram`,
//! `register_file` and `noc` buckets (up to rounding).

use serde::Serialize;

use crate::arch::{Arch, EnergyTable};
use crate::model::access_counts::RwBytes;
use crate::model::{self, OpCost};

/// Tensor names, in `[A, B, C]` order, then the DRAM-only `other`.
const TENSORS: [&str; 4] = ["inputs", "weights", "outputs", "other"];

/// Counts and energy of one tensor at one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TensorLevel {
    /// `inputs` (A, activations), `weights` (B, with bias), `outputs` (C, partial sums
    /// included) or, at DRAM only, `other` (fused operands).
    pub tensor: &'static str,
    /// Accesses reading the level (toward the child level or the array).
    pub reads: f64,
    /// Accesses writing the level from its parent.
    pub fills: f64,
    /// Accesses writing the level from its child or the array.
    pub updates: f64,
    /// Bytes of `reads`, `fills`, `updates`.
    pub bytes: RwBytes,
    /// Energy of one access, pJ.
    pub pj_per_access: f64,
    /// (reads + fills + updates) × `pj_per_access`, pJ.
    pub energy_pj: f64,
}

/// One level of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelEnergy {
    /// `dram`, `global_buffer`, `core_buffer`, `register_file` or `array_network`.
    pub level: &'static str,
    /// The energy-breakdown bucket the level's energy is charged to.
    pub bucket: &'static str,
    /// Width of one access, bits.
    pub access_bits: u32,
    /// Per tensor (tensors the level does not touch are left out).
    pub tensors: Vec<TensorLevel>,
    /// Sum of the tensors' energy, pJ.
    pub energy_pj: f64,
}

/// Every priced level of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerLevels {
    /// Levels, outermost (DRAM) first.
    pub levels: Vec<LevelEnergy>,
    /// DRAM bytes of the `dram` level: the charged bytes (the layer's `dram_bytes`).
    pub dram_bytes: f64,
}

impl LayerLevels {
    /// The level named `name`, if present.
    pub fn level(&self, name: &str) -> Option<&LevelEnergy> {
        self.levels.iter().find(|l| l.level == name)
    }
}

fn level(
    name: &'static str,
    bucket: &'static str,
    access_bits: u32,
    bytes: &[RwBytes],
    pj: &[f64],
) -> LevelEnergy {
    let per_byte = 8.0 / f64::from(access_bits);
    let tensors: Vec<TensorLevel> = bytes
        .iter()
        .zip(pj)
        .zip(TENSORS)
        .filter(|((b, _), _)| b.total() != 0.0)
        .map(|((b, &e), tensor)| {
            let (reads, fills, updates) =
                (b.reads * per_byte, b.fills * per_byte, b.updates * per_byte);
            TensorLevel {
                tensor,
                reads,
                fills,
                updates,
                bytes: *b,
                pj_per_access: e,
                energy_pj: (reads + fills + updates) * e,
            }
        })
        .collect();
    LevelEnergy {
        level: name,
        bucket,
        access_bits,
        energy_pj: tensors.iter().fold(0.0, |s, t| s + t.energy_pj),
        tensors,
    }
}

/// Takes `want` bytes off `fields` in order (each down to zero); returns what is left.
fn take(mut want: f64, fields: &mut [&mut f64]) -> f64 {
    for f in fields.iter_mut() {
        let d = want.min(**f);
        **f -= d;
        want -= d;
    }
    want
}

/// The planned DRAM bytes per tensor moved to the charged `read` / `write` totals.
fn charged_dram(planned: &[RwBytes; 3], read: f64, write: f64) -> [RwBytes; 4] {
    let mut d = [planned[0], planned[1], planned[2], RwBytes::default()];
    // The engines schedule C's partial sums coming back with its stores (writes).
    let dr = read - (d[0].reads + d[1].reads);
    let dw = write - (d[2].reads + d[2].updates);
    if dr >= 0.0 {
        d[3].reads += dr;
    } else {
        let [a, b, _, o] = &mut d;
        let left = take(-dr, &mut [&mut a.reads, &mut b.reads]);
        o.reads -= left;
    }
    if dw >= 0.0 {
        d[2].updates += dw;
    } else {
        let [_, _, c, o] = &mut d;
        let left = take(-dw, &mut [&mut c.updates, &mut c.reads]);
        o.updates -= left;
    }
    d
}

/// The levels of `cost` on `arch` whose DRAM traffic was charged as `dram_read` /
/// `dram_write` bytes; `None` for ops without a planned split (views, fused ops).
pub fn of(
    arch: &Arch,
    table: &EnergyTable,
    cost: &OpCost,
    dram_read: f64,
    dram_write: f64,
) -> Option<LayerLevels> {
    let split = cost.planned_split.as_ref()?;
    let dram_pj = model::dram_pj_per_byte(arch, table) * 8.0;
    let mut levels = vec![level(
        "dram",
        "dram",
        64,
        &charged_dram(&split.dram, dram_read, dram_write),
        &[dram_pj; 4],
    )];
    let sram = model::sram_energy_per_64b(arch, table);
    if arch.gpu().is_some() {
        if let Some(g) = &split.global {
            let (e, _) = model::gpu::op::l2_energy_per_64b(arch, table);
            levels.push(level("l2", "l2", 64, g, &[e; 3]));
        }
        levels.push(level(
            "shared_memory",
            "sram",
            64,
            &split.core,
            &[sram[0]; 3],
        ));
        if let Some(rf) = &split.register_file {
            levels.push(level("register_file", "sm_overhead", 32, rf, &[0.0; 3]));
        }
        return Some(LayerLevels {
            levels,
            dram_bytes: dram_read + dram_write,
        });
    }
    if let Some(g) = &split.global {
        let e = model::global_buffer_energy_per_64b(arch, table).unwrap_or(0.0);
        levels.push(level("global_buffer", "global_buffer", 64, g, &[e; 3]));
    }
    levels.push(level("core_buffer", "sram", 64, &split.core, &sram));
    if let (Some(p), Some(pe)) = (arch.pe_level.as_ref(), cost.pe_accesses.as_ref()) {
        let r2 = arch.voltage_ratio().powi(2);
        let bytes_per = f64::from(p.access_bits) / 8.0;
        let rf = [0, 1, 2].map(|i| RwBytes {
            reads: pe.rf_reads[i] * bytes_per,
            fills: 0.0,
            updates: if i == 2 {
                pe.rf_updates * bytes_per
            } else {
                0.0
            },
        });
        let e = p.rf_energy_pj_per_access * r2;
        levels.push(level(
            "register_file",
            "register_file",
            p.access_bits,
            &rf,
            &[e; 3],
        ));
        let e = p.noc_energy_pj_per_access * r2;
        levels.push(level(
            "array_network",
            "noc",
            p.access_bits,
            &split.array,
            &[e; 3],
        ));
    }
    Some(LayerLevels {
        levels,
        dram_bytes: dram_read + dram_write,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(reads: f64, updates: f64) -> RwBytes {
        RwBytes {
            reads,
            fills: 0.0,
            updates,
        }
    }

    #[test]
    fn charged_dram_moves_fusion_and_retention_to_named_entries() {
        let planned = [rw(100.0, 0.0), rw(50.0, 0.0), rw(10.0, 40.0)];
        // Unchanged.
        let d = charged_dram(&planned, 150.0, 50.0);
        assert_eq!(d[..3], planned);
        assert_eq!(d[3], RwBytes::default());
        // A fused operand read (+30) and a wider fused output (+20).
        let d = charged_dram(&planned, 180.0, 70.0);
        assert_eq!(d[3].reads, 30.0);
        assert_eq!(d[2].updates, 60.0);
        // Input kept on chip (−100 reads) and output kept on chip (−40 writes).
        let d = charged_dram(&planned, 50.0, 10.0);
        assert_eq!((d[0].reads, d[1].reads), (0.0, 50.0));
        assert_eq!((d[2].reads, d[2].updates), (10.0, 0.0));
    }
}
