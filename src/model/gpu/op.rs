//! The cost of one op on an arch whose tensor-core array has a `gpu` block: GEMM-like ops
//! go through [`super::gemm_cost`]; every op that launches a kernel pays the launch latency
//! on the device. The host dispatch time (`host_overhead_cycles`) belongs to the run's
//! launch path and is set by [`crate::model::plan_op_with`] ([`super::launch`]).
//!
//! Sparse data (the arch's `sparsity` block, planned by [`crate::model::sparsity`]): the
//! tensor cores run the reduction `g.k / compute_gemm.k` × faster (2 for 2:4 weights on
//! sparse tensor cores), each operand moves its stored bytes (kept values plus metadata)
//! at every level, and only executed MACs cost MAC energy. Dense data gets the dense cost.
//!
//! Energy of a GEMM kernel (dynamic; static power × time is added by the scheduler):
//! - MAC datapath (`mac_pj`): executed MACs × MAC energy (operand × accumulator format,
//!   from the energy table);
//! - SM overhead (`sm_overhead_pj`): active SM-cycles × `sm_active_pj_per_cycle` × (V/V_ref)²;
//! - shared memory (`sram_pj`): bytes × its 64-bit access energy / 8;
//! - L2 (`l2_pj`): the bytes the L2 serves (operands toward the SMs, outputs and split-K
//!   partial sums) plus its fills from HBM and the outputs it drains to HBM (the accesses of
//!   [`super::counts`]) × the L2's 64-bit access energy / 8;
//! - DRAM: HBM bytes × DRAM energy per byte.

use crate::arch::{Arch, CoreBuffers, EnergyTable, GpuExec, MacMode};
use crate::model::sparsity::GemmSparsity;
use crate::model::{
    dram_pj_per_byte, sram_energy_per_64b, ArrayMapping, OpCost, OpEnergy, Traffic, Unit,
};
use crate::numerics::Format;
use crate::workload::{GemmView, Op, Workload};

use super::{GemmShape, GpuParams};
use crate::model::pins::Pins;

/// Bytes a GPU stores one element of `format` in: sub-byte and byte formats packed
/// (int4 = 0.5), wider formats in the next power-of-two container (tf32 = `fp_e8m10`, 19
/// bits, lives in 32-bit words).
pub fn container_bytes(format: Format) -> f64 {
    let bits = format.storage_bits();
    if bits <= 8.0 {
        bits / 8.0
    } else {
        bits.log2().ceil().exp2() / 8.0
    }
}

/// Kernel launch latency of `gpu` in cycles at the arch's clock.
pub fn launch_cycles(arch: &Arch, gpu: &GpuExec) -> u64 {
    (gpu.launch_latency_us * 1e-6 * arch.clock_hz()).round() as u64
}

/// The kernel-model parameters of `arch` for MACs in `mac.format`.
pub fn params(arch: &Arch, gpu: &GpuExec, mac: &MacMode) -> GpuParams {
    let (smem_bytes, smem_bpc) = match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => (buffer.capacity_kib * 1024.0, buffer.bytes_per_cycle),
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => (
            (ifmap.capacity_kib + filter.capacity_kib + ofmap.capacity_kib) * 1024.0,
            ifmap.bytes_per_cycle + filter.bytes_per_cycle + ofmap.bytes_per_cycle,
        ),
    };
    let (l2_bytes, l2_bpc) = arch
        .memory
        .global_buffer
        .as_ref()
        .map(|g| (g.capacity_kib * 1024.0, g.bytes_per_cycle))
        .unwrap_or((0.0, f64::INFINITY));
    let efficiency = arch
        .precision(mac.format)
        .and_then(|p| p.gpu.as_ref())
        .map(|g| g.efficiency)
        .unwrap_or(1.0);
    GpuParams {
        sms: arch.cores as u64,
        macs_per_sm_per_cycle: arch.pes_per_core() as f64 * mac.macs_per_pe_per_cycle,
        efficiency,
        cta_tiles: gpu.cta_tiles.clone(),
        cta_k_bytes: gpu.cta_k_bytes,
        pipeline_stages: gpu.pipeline_stages,
        max_ctas_per_sm: gpu.max_ctas_per_sm,
        register_file_bytes: gpu.register_file_kib * 1024.0,
        smem_bytes,
        smem_bytes_per_cycle: smem_bpc,
        l2_bytes,
        l2_bytes_per_cycle: l2_bpc,
        cluster_multicast: gpu.cluster_multicast,
        hbm_bytes_per_cycle: arch.dram_bytes_per_cycle(),
        max_split_k: gpu.max_split_k,
        tile_overhead_cycles: gpu.tile_overhead_cycles,
        launch_latency_cycles: launch_cycles(arch, gpu) as f64,
    }
}

/// Tensor-core throughput multiplier of sparse data on the reduction: the dense K over the
/// K the array issues (1 for dense data).
pub fn reduction_speedup(g: GemmView, sp: &GemmSparsity) -> f64 {
    if sp.compute_gemm.k == g.k {
        1.0
    } else {
        g.k as f64 / sp.compute_gemm.k.max(1) as f64
    }
}

/// Energy of one 64-bit access to the L2 (global buffer) of `arch`, pJ, with its source.
pub fn l2_energy_per_64b(arch: &Arch, table: &EnergyTable) -> (f64, String) {
    match &arch.memory.global_buffer {
        Some(g) => match g.energy_pj_per_64b {
            Some(e) => {
                let r = arch.voltage_ratio();
                (
                    e * r * r,
                    crate::arch::energy::SRC_ARCH_OVERRIDE.to_string(),
                )
            }
            None => {
                let e = table.sram_read64(g.capacity_kib * 1024.0);
                (e.pj, e.source)
            }
        },
        None => (0.0, "none".to_string()),
    }
}

/// Costs a GEMM-like op (matmul, conv) on a GPU arch, its operands stored and computed as
/// `sp` says ([`GemmSparsity::dense`] for dense data). `a_unique_ratio` is the unique
/// activation bytes over the GEMM view's A bytes (convolutions).
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_compute(
    op: &Op,
    g: GemmView,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    mac: MacMode,
    gpu: &GpuExec,
    a_unique_ratio: f64,
    sp: &GemmSparsity,
    warnings: Vec<String>,
    pins: &mut Pins<'_>,
) -> OpCost {
    let p = params(arch, gpu, &mac);
    let bytes = container_bytes;
    let shape = GemmShape {
        count: g.count,
        m: g.m,
        n: g.n,
        k: g.k,
        a_bytes: bytes(op.precision.activations),
        b_bytes: bytes(op.precision.weights),
        c_bytes: bytes(op.precision.output),
        acc_bytes: bytes(mac.accumulator),
        a_unique_ratio,
        storage: [sp.a, sp.b, sp.c],
        reduction_speedup: reduction_speedup(g, sp),
    };
    // Chosen when planning, re-costed at this clock when re-costing a plan.
    let cost = pins.kernel(&shape, &p);
    let macs = g.macs();
    let bias_bytes = op.bias.map(|b| w.tensors[b].bytes() as f64).unwrap_or(0.0);
    let [a_chip, b_chip, c_chip] = shape.chip_bytes();
    let out_smem = (g.count * g.m * g.n) as f64 * c_chip;
    let operand_smem = cost.smem_bytes - out_smem;
    let a_share =
        a_chip * cost.cta[0] as f64 / (a_chip * cost.cta[0] as f64 + b_chip * cost.cta[1] as f64);
    let traffic = Traffic {
        ifmap_sram_bytes: operand_smem * a_share,
        filter_sram_bytes: operand_smem * (1.0 - a_share) + bias_bytes,
        ofmap_sram_bytes: out_smem,
        dram_read_bytes: cost.hbm_read_bytes + bias_bytes,
        dram_write_bytes: cost.hbm_write_bytes,
    };
    let mac_e = table.mac(mac.format, mac.accumulator);
    let r = arch.voltage_ratio();
    let smem_e = sram_energy_per_64b(arch, table)[0];
    let (l2_e, _) = l2_energy_per_64b(arch, table);
    let energy = OpEnergy {
        mac_pj: macs as f64 * mac_e.pj * sp.mac_energy_fraction,
        sm_overhead_pj: cost.active_sm_cycles * gpu.sm_active_pj_per_cycle * r * r,
        vector_pj: 0.0,
        sram_pj: traffic.sram_bytes() / 8.0 * smem_e,
        l2_pj: (cost.l2_bytes + cost.hbm_read_bytes + cost.hbm_write_bytes) / 8.0 * l2_e,
        dram_pj: traffic.dram_bytes() * dram_pj_per_byte(arch, table),
        ..OpEnergy::default()
    };
    let tc = crate::model::array::of(&arch.array).block_shape();
    let planned_split = super::counts::split(&shape, &p, &cost, tc, bias_bytes);
    let tiles_per_sm = cost.ctas.div_ceil(cost.sms_used.max(1));
    OpCost {
        sparsity: None,
        fused: None,
        planned_split: Some(planned_split),
        pe_accesses: None,
        unit: Unit::Array,
        macs,
        vector_ops: 0,
        compute_cycles: cost.device_cycles,
        cores_used: cost.sms_used as u32,
        per_core_gemm: Some(GemmView {
            count: tiles_per_sm,
            m: cost.cta[0],
            n: cost.cta[1],
            k: g.k.div_ceil(cost.split_k),
        }),
        mapping: Some(ArrayMapping::Gpu(cost)),
        tiling: None,
        temporal: None,
        traffic,
        energy,
        mac_energy_source: Some(format!(
            "{}+sm_active_cycle:arch_file:array.gpu.sm_active_pj_per_cycle",
            mac_e.source
        )),
        host_overhead_cycles: 0,
        mac: Some(mac),
        warnings,
    }
}
