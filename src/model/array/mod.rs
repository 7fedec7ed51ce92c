//! The array-model seam: everything the rest of accelsim asks of an array kind, behind
//! one trait ([`ArrayModel`]) that the systolic ([`systolic`]), tensor-core
//! ([`tensor_core`]) and GPU kernel ([`gpu`]) models implement — the validation of the
//! `array` block and its physical ranges, PEs per core (peak throughput, area and
//! leakage input), the register file and clock-tree inputs of the area and idle-power
//! models, ideal-memory compute cycles of a GEMM, array-side operand reads, and the tile
//! granules the event engine cuts an op's steps to ([`crate::sim::tiles`]).
//!
//! [`of`] is the one place the kinds are told apart: a new array kind is one file
//! implementing [`ArrayModel`] plus one arm of the `ArrayConfig` enum and of [`of`].
//! Invariant: no other module matches on `ArrayConfig`'s kinds (only [`crate::arch::Arch::gpu`]
//! reads the optional `gpu` block).

pub mod gpu;
pub mod systolic;
pub mod tensor_core;

use crate::arch::{Arch, ArrayConfig, GpuExec, MacMode};
use crate::error::InputResult;
use crate::workload::GemmView;

use super::ArrayMapping;

/// Array-side operand traffic of one GEMM instance, in elements: what the array reads of A
/// and B from the core buffers, and the partial sums it reads and writes back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperandReads {
    /// A (activation) elements read.
    pub a: f64,
    /// B (weight) elements read.
    pub b: f64,
    /// Partial-sum elements read plus written (0 when outputs stay in the array).
    pub psum_rw: f64,
}

/// What accelsim needs of one array kind.
pub trait ArrayModel {
    /// Checks the `array` block (nonzero sides, a PE count that fits) and what the kind
    /// needs of the rest of `arch`; errors name the JSON path.
    fn validate(&self, arch: &Arch) -> InputResult<()>;

    /// Checks the `array` block's numbers against their physical ranges
    /// ([`crate::arch::physical`]).
    fn check_physical(&self) -> InputResult<()>;

    /// Processing elements (MAC units at one MAC per cycle) in one core's array.
    fn pes_per_core(&self) -> u64;

    /// Register file per core outside the PEs (a GPU SM's), KiB: area input.
    fn register_file_kib_per_core(&self) -> f64 {
        0.0
    }

    /// Whether the idle-power model prices a PE clock tree apart ([`crate::arch::leakage`]);
    /// a GPU's SM clock is in its active energy per cycle instead.
    fn has_pe_clock_tree(&self) -> bool {
        true
    }

    /// The GPU execution block, when the array runs GEMMs as GPU kernels.
    fn gpu(&self) -> Option<&GpuExec> {
        None
    }

    /// Ideal-memory cycles of `g` (× its count) on one core's array, MACs in `mac`.
    fn gemm_cycles(&self, g: GemmView, mac: &MacMode) -> ArrayMapping;

    /// Array-side reads of one instance of `g` (its count excluded) whose reduction the
    /// array issues as `compute_k` (below `g.k` with structured-sparse weights), at
    /// `macs_per_pe_per_cycle`.
    fn operand_reads(
        &self,
        g: GemmView,
        compute_k: u64,
        macs_per_pe_per_cycle: f64,
    ) -> OperandReads;

    /// Output elements leaving one core's array per cycle, when the kind has an output
    /// row to derive a post-processing path's rate from (a systolic array's `cols`);
    /// `None` otherwise (the arch must declare `epilogue.elements_per_cycle`).
    fn output_elements_per_cycle(&self) -> Option<f64> {
        None
    }

    /// `(rows, cols)` of one core's PE accumulators when the array is output stationary
    /// (a C tile within them keeps its partial sums in the PEs; [`crate::model::mapspace`]).
    fn output_stationary_accumulators(&self) -> Option<(u64, u64)> {
        None
    }

    /// The `[m, n, k]` block one unit issues per instruction (a tensor core's MMA shape,
    /// `[1, 1, 1]` for a PE that does one MAC): the register-file access granule.
    fn block_shape(&self) -> [u64; 3] {
        [1, 1, 1]
    }

    /// The granules the event engine aligns an op's blocks to along M, N and K (array rows
    /// and columns, the reduction one pass covers).
    fn granules(&self, macs_per_pe_per_cycle: f64) -> [u64; 3];
}

/// The model of an arch's array: the one place array kinds are told apart.
pub fn of(array: &ArrayConfig) -> Box<dyn ArrayModel + '_> {
    match array {
        ArrayConfig::Systolic {
            rows,
            cols,
            dataflow,
        } => Box::new(systolic::Systolic {
            rows: *rows,
            cols: *cols,
            dataflow: *dataflow,
        }),
        ArrayConfig::TensorCore {
            m,
            n,
            k,
            units_per_core,
            pipeline_latency_cycles,
            gpu,
        } => {
            let tc = tensor_core::TensorCore {
                m: *m,
                n: *n,
                k: *k,
                units_per_core: *units_per_core,
                pipeline_latency_cycles: *pipeline_latency_cycles,
            };
            match gpu {
                Some(exec) => Box::new(gpu::Gpu { tc, exec }),
                None => Box::new(tc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seam's invariant: outside the arch file's types (`arch/spec.rs`), [`of`],
    /// `Arch::gpu` (the optional block) and the SCALE-Sim importer (which builds a
    /// systolic config), no source file names an `ArrayConfig` kind.
    #[test]
    fn array_kinds_are_told_apart_only_at_the_seam() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let allowed: &[(&str, usize)] = &[
            ("arch/spec.rs", usize::MAX),
            ("model/array/mod.rs", usize::MAX),
            ("arch/mod.rs", 1),
            ("import/scalesim/convert.rs", 1),
        ];
        let mut stack = vec![root.clone()];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") {
                    continue;
                }
                seen += 1;
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p).unwrap();
                let n = text.matches("ArrayConfig::").count();
                let max = allowed.iter().find(|a| a.0 == rel).map_or(0, |a| a.1);
                assert!(n <= max, "{rel} matches on ArrayConfig kinds {n} times");
            }
        }
        assert!(seen > 100, "scanned {seen} files");
    }

    /// A tensor-core array with a GPU block answers like its tensor cores, plus the block.
    #[test]
    fn the_gpu_kind_extends_its_tensor_cores() {
        let h100 = Arch::from_json(crate::validate::H100_ARCH_JSON).unwrap();
        let ArrayConfig::TensorCore {
            m,
            n,
            k,
            units_per_core,
            ..
        } = h100.array
        else {
            panic!("the H100 preset is a tensor-core array");
        };
        let gpu = of(&h100.array);
        assert_eq!(gpu.pes_per_core(), m * n * k * units_per_core);
        assert!(gpu.gpu().is_some());
        assert!(!gpu.has_pe_clock_tree());
        assert!(gpu.register_file_kib_per_core() > 0.0);
        assert_eq!(gpu.granules(2.0), [m, n, 2 * k]);
        let mut plain = h100.array.clone();
        if let ArrayConfig::TensorCore { gpu, .. } = &mut plain {
            *gpu = None;
        }
        let tc = of(&plain);
        assert!(tc.gpu().is_none() && tc.has_pe_clock_tree());
        assert_eq!(tc.register_file_kib_per_core(), 0.0);
    }
}
