//! The GPU kernel array kind: a tensor-core array with an `array.gpu` block, each core a
//! streaming multiprocessor running GEMMs as CTA tiles in waves ([`crate::model::gpu`]).
//! It answers like its tensor cores ([`TensorCore`]) plus the GPU block: its checks, the
//! SM register file (area) and no separate PE clock tree (the SM clock is in
//! `sm_active_pj_per_cycle`).

use crate::arch::physical::{
    check, CLUSTER_MULTICAST, ENERGY_PJ, REGISTER_FILE_KIB, TILE_OVERHEAD_CYCLES, TIME_US,
};
use crate::arch::{non_negative, nonzero, positive, Arch, CoreBuffers, GpuExec, MacMode};
use crate::error::{InputError, InputResult};
use crate::model::ArrayMapping;
use crate::workload::GemmView;

use super::tensor_core::TensorCore;
use super::{ArrayModel, OperandReads};

/// A tensor-core array with GPU-style execution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gpu<'a> {
    /// Its tensor cores.
    pub tc: TensorCore,
    /// The `array.gpu` block.
    pub exec: &'a GpuExec,
}

impl ArrayModel for Gpu<'_> {
    fn validate(&self, arch: &Arch) -> InputResult<()> {
        self.tc.validate(arch)?;
        let g = self.exec;
        if g.cta_tiles.is_empty() {
            return Err(InputError::at(
                "array.gpu.cta_tiles",
                "expected at least one CTA tile shape [rows, cols]",
            ));
        }
        for (i, t) in g.cta_tiles.iter().enumerate() {
            nonzero(&format!("array.gpu.cta_tiles[{i}][0]"), t[0])?;
            nonzero(&format!("array.gpu.cta_tiles[{i}][1]"), t[1])?;
            if t[0] > 65536 || t[1] > 65536 {
                return Err(InputError::at(
                    format!("array.gpu.cta_tiles[{i}]"),
                    "expected tile sides of at most 65536",
                ));
            }
        }
        nonzero("array.gpu.cta_k_bytes", g.cta_k_bytes)?;
        nonzero("array.gpu.pipeline_stages", g.pipeline_stages as u64)?;
        nonzero("array.gpu.max_ctas_per_sm", g.max_ctas_per_sm as u64)?;
        nonzero("array.gpu.max_split_k", g.max_split_k as u64)?;
        positive("array.gpu.register_file_kib", g.register_file_kib)?;
        if !(g.cluster_multicast.is_finite() && g.cluster_multicast >= 1.0) {
            return Err(InputError::at(
                "array.gpu.cluster_multicast",
                format!("expected a number ≥ 1, got {}", g.cluster_multicast),
            ));
        }
        non_negative("array.gpu.tile_overhead_cycles", g.tile_overhead_cycles)?;
        non_negative("array.gpu.launch_latency_us", g.launch_latency_us)?;
        non_negative("array.gpu.sm_active_pj_per_cycle", g.sm_active_pj_per_cycle)?;
        if !matches!(arch.memory.core_buffers, CoreBuffers::Unified { .. }) {
            return Err(InputError::at(
                "memory.core_buffers",
                "the GPU execution model (array.gpu) needs a unified core buffer: the SM's shared memory",
            ));
        }
        Ok(())
    }

    fn check_physical(&self) -> InputResult<()> {
        self.tc.check_physical()?;
        let g = self.exec;
        check(
            "array.gpu.register_file_kib",
            g.register_file_kib,
            REGISTER_FILE_KIB,
        )?;
        check(
            "array.gpu.cluster_multicast",
            g.cluster_multicast,
            CLUSTER_MULTICAST,
        )?;
        check(
            "array.gpu.tile_overhead_cycles",
            g.tile_overhead_cycles,
            TILE_OVERHEAD_CYCLES,
        )?;
        check("array.gpu.launch_latency_us", g.launch_latency_us, TIME_US)?;
        check(
            "array.gpu.sm_active_pj_per_cycle",
            g.sm_active_pj_per_cycle,
            ENERGY_PJ,
        )
    }

    fn pes_per_core(&self) -> u64 {
        self.tc.pes_per_core()
    }

    fn register_file_kib_per_core(&self) -> f64 {
        self.exec.register_file_kib
    }

    fn has_pe_clock_tree(&self) -> bool {
        false
    }

    fn gpu(&self) -> Option<&GpuExec> {
        Some(self.exec)
    }

    fn gemm_cycles(&self, g: GemmView, mac: &MacMode) -> ArrayMapping {
        self.tc.gemm_cycles(g, mac)
    }

    fn operand_reads(&self, g: GemmView, compute_k: u64, macs: f64) -> OperandReads {
        self.tc.operand_reads(g, compute_k, macs)
    }

    fn granules(&self, macs: f64) -> [u64; 3] {
        self.tc.granules(macs)
    }

    fn block_shape(&self) -> [u64; 3] {
        self.tc.block_shape()
    }
}
