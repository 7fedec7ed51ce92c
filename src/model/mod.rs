//! Pure cost functions: what one op costs on one architecture with ideal memory (array
//! folds or tensor-core blocks, vector-unit cycles), the buffer and DRAM traffic of its
//! tiling, and the energy of those events. Deterministic and independent of scheduling:
//! the simulation engine ([`crate::sim`]) only schedules these costs.

pub mod access_counts;
pub mod array;
pub mod fusion;
pub mod gpu;
pub mod mapping;
pub mod mapspace;
pub mod nest;
pub mod options;
pub mod pe_level;
pub mod pins;
pub(crate) mod plan;
pub mod search;
pub mod sparsity;
pub mod systolic;
pub mod tensor_core;
pub mod tiling;
pub mod vector;

use serde::Serialize;

use crate::arch::{Arch, CoreBuffers, EnergyTable, MacMode};
use crate::error::{InputError, InputResult};
use crate::numerics::Format;
use crate::workload::{GemmView, Op, OpKind, Workload};
use pins::{OpPins, Pins, Variant};

pub use options::RunOptions;
pub use plan::Plan;

/// Which unit executes an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// The MAC array.
    Array,
    /// The vector unit.
    Vector,
    /// Nothing (a view such as reshape).
    None,
}

/// How a compute op maps onto the array.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArrayMapping {
    /// Systolic folds of the per-core GEMM.
    Systolic(systolic::SystolicCost),
    /// Tensor-core blocks of the per-core GEMM.
    TensorCore(tensor_core::TensorCoreCost),
    /// GPU-style kernel: CTA tiles in waves over the SMs.
    Gpu(gpu::GpuCost),
}

impl ArrayMapping {
    /// Ideal-memory cycles.
    pub fn cycles(&self) -> u64 {
        match self {
            ArrayMapping::Systolic(s) => s.cycles,
            ArrayMapping::TensorCore(t) => t.cycles,
            ArrayMapping::Gpu(g) => g.device_cycles,
        }
    }
    /// Fraction of PE slots the mapping fills.
    pub fn mapping_efficiency(&self) -> f64 {
        match self {
            ArrayMapping::Systolic(s) => s.mapping_efficiency,
            ArrayMapping::TensorCore(t) => t.mapping_efficiency,
            ArrayMapping::Gpu(g) => g.mapping_efficiency,
        }
    }
}

/// Bytes moved at each buffer and at DRAM by one op.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Traffic {
    /// Bytes read from / written to the activation (ifmap) buffer, array side and fills.
    pub ifmap_sram_bytes: f64,
    /// Bytes read from / written to the weight (filter) buffer.
    pub filter_sram_bytes: f64,
    /// Bytes read from / written to the output (ofmap) buffer, partial sums included.
    pub ofmap_sram_bytes: f64,
    /// DRAM bytes read.
    pub dram_read_bytes: f64,
    /// DRAM bytes written.
    pub dram_write_bytes: f64,
}

impl Traffic {
    /// Total DRAM bytes.
    pub fn dram_bytes(&self) -> f64 {
        self.dram_read_bytes + self.dram_write_bytes
    }
    /// Total SRAM bytes.
    pub fn sram_bytes(&self) -> f64 {
        self.ifmap_sram_bytes + self.filter_sram_bytes + self.ofmap_sram_bytes
    }
}

/// Dynamic energy of one op in pJ (static energy depends on time, added by the engine).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct OpEnergy {
    /// MAC array.
    pub mac_pj: f64,
    /// Vector unit.
    pub vector_pj: f64,
    /// On-chip buffers.
    pub sram_pj: f64,
    /// DRAM.
    pub dram_pj: f64,
    /// GPU-style arrays: SM overhead beyond the MAC datapath (instruction issue, register
    /// file, operand staging, SM clock tree: `sm_active_pj_per_cycle`); 0 elsewhere.
    pub sm_overhead_pj: f64,
    /// GPU-style arrays: the L2 (global buffer) accesses; 0 elsewhere (`sram_pj` holds
    /// every on-chip buffer).
    pub l2_pj: f64,
    /// PE register files (`pe_level`).
    pub rf_pj: f64,
    /// Array network (`pe_level`).
    pub noc_pj: f64,
    /// The global buffer (non-GPU arches with a `memory.global_buffer` whose mapping keeps
    /// a level there); GPU-style arrays charge theirs to `l2_pj`.
    pub global_buffer_pj: f64,
}

impl OpEnergy {
    /// Sum of the dynamic parts.
    pub fn dynamic_pj(&self) -> f64 {
        self.mac_pj
            + self.vector_pj
            + self.sram_pj
            + self.dram_pj
            + self.sm_overhead_pj
            + self.l2_pj
            + self.rf_pj
            + self.noc_pj
            + self.global_buffer_pj
    }
}

/// The cost of one op with ideal memory, on all of the arch's cores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpCost {
    /// Executing unit.
    pub unit: Unit,
    /// MAC format, throughput and accumulator (compute ops).
    #[serde(skip)]
    pub mac: Option<MacMode>,
    /// MACs of the op.
    pub macs: u64,
    /// Vector element-operations.
    pub vector_ops: u64,
    /// Ideal-memory compute cycles (all cores working on the op).
    pub compute_cycles: u64,
    /// Cores the op is split across.
    pub cores_used: u32,
    /// The per-core GEMM after splitting (compute ops).
    #[serde(skip)]
    pub per_core_gemm: Option<GemmView>,
    /// Array mapping of the per-core GEMM.
    pub mapping: Option<ArrayMapping>,
    /// The DRAM tiling chosen (compute ops): the innermost tile of `temporal` and its
    /// DRAM traffic per operand.
    pub tiling: Option<tiling::Tiling>,
    /// The searched temporal mapping of one GEMM instance over the memory hierarchy, its
    /// accesses per tensor per level and the DRAM lower bound (compute ops on
    /// non-GPU arrays).
    #[serde(skip)]
    pub temporal: Option<std::sync::Arc<search::Searched>>,
    /// Bytes moved.
    pub traffic: Traffic,
    /// Dynamic energy.
    pub energy: OpEnergy,
    /// Source tag of the MAC energy figure.
    pub mac_energy_source: Option<String>,
    /// Warnings (precision fallback, ...).
    pub warnings: Vec<String>,
    /// Host-side dispatch cycles of the op's kernel (GPU-style arrays; 0 otherwise). The
    /// host issues ops one after another while the device runs earlier ones, so an op
    /// occupies at least this many cycles of the schedule.
    pub host_overhead_cycles: u64,
    /// The planned bytes per tensor behind `traffic` (core buffers, DRAM, array side):
    /// what [`crate::power::levels`] prices per level. `None` for GPU kernels, views and
    /// fused ops.
    #[serde(skip)]
    pub planned_split: Option<access_counts::PlannedSplit>,
    /// Register-file and array-network accesses (arches with a `pe_level`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe_accesses: Option<pe_level::PeAccesses>,
    /// Sparsity seen and what it bought (ops with a sparse tensor only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<sparsity::SparsityEffect>,
    /// Set when the op runs fused into a compute op's epilogue or prologue
    /// ([`fusion`]): it then moves no bytes and takes no cycles of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fused: Option<fusion::FusedInto>,
}

/// Ideal-memory cycles of an `m × n × k` GEMM (× count) on one core's array.
pub fn gemm_cycles_one_core(arch: &Arch, g: GemmView, mac: &MacMode) -> ArrayMapping {
    array::of(&arch.array).gemm_cycles(g, mac)
}

/// Splits a GEMM across `cores` by batch/groups, output rows or output columns, whichever
/// gives the fewest cycles; returns the per-core GEMM, cores used and its mapping.
pub fn split_across_cores(
    arch: &Arch,
    g: GemmView,
    mac: &MacMode,
) -> (GemmView, u32, ArrayMapping) {
    let cores = arch.cores as u64;
    let mut best = (g, 1u32, gemm_cycles_one_core(arch, g, mac));
    if cores <= 1 {
        return best;
    }
    let mut try_split = |sub: GemmView, used: u64| {
        let m = gemm_cycles_one_core(arch, sub, mac);
        if m.cycles() < best.2.cycles() {
            best = (sub, used as u32, m);
        }
    };
    if g.count > 1 {
        let used = cores.min(g.count);
        try_split(
            GemmView {
                count: g.count.div_ceil(used),
                ..g
            },
            used,
        );
    }
    let used = cores.min(g.m);
    try_split(
        GemmView {
            m: g.m.div_ceil(used),
            ..g
        },
        used,
    );
    let used = cores.min(g.n);
    try_split(
        GemmView {
            n: g.n.div_ceil(used),
            ..g
        },
        used,
    );
    best
}

fn bytes_per_element(f: Format) -> f64 {
    f.storage_bits() / 8.0
}

/// Costs every op of a workload on an arch, in file order, with the default
/// [`RunOptions`]. Errors name the op (e.g. an unsupported precision).
pub fn plan(workload: &Workload, arch: &Arch) -> InputResult<Vec<OpCost>> {
    plan_with(workload, arch, &RunOptions::default())
}

/// Costs every op of a workload on an arch, in file order, under `options` (e.g. the GPU
/// launch path), then fuses elementwise ops into their producers ([`fusion`]) unless
/// `options.fusion` is off: the costs of [`Plan::new`].
pub fn plan_with(
    workload: &Workload,
    arch: &Arch,
    options: &RunOptions,
) -> InputResult<Vec<OpCost>> {
    Plan::new(workload, arch, options).map(|p| p.costs)
}

/// Costs one op with the default [`RunOptions`].
pub fn plan_op(op: &Op, w: &Workload, arch: &Arch, table: &EnergyTable) -> InputResult<OpCost> {
    plan_op_with(op, w, arch, table, &RunOptions::default())
}

/// Costs one op under `options`: the device cost, then the host dispatch time of the
/// run's launch path ([`gpu::launch`]).
pub fn plan_op_with(
    op: &Op,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    options: &RunOptions,
) -> InputResult<OpCost> {
    cost_op(
        op,
        w,
        arch,
        table,
        options,
        &mut Pins::record(&mut OpPins::default()),
    )
}

/// [`plan_op_with`] taking its decisions from (or recording them into) `pins`.
fn cost_op(
    op: &Op,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    options: &RunOptions,
    pins: &mut Pins<'_>,
) -> InputResult<OpCost> {
    let mut cost = match op.gemm {
        Some(g) => plan_compute(op, g, w, arch, table, pins)?,
        None => plan_vector(op, w, arch, table),
    };
    cost.host_overhead_cycles = options.launch.host_cycles(arch, &cost);
    Ok(cost)
}

fn buffer_caps(arch: &Arch) -> (tiling::Capacity, [f64; 3]) {
    match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => {
            let c = buffer.capacity_kib * 1024.0;
            (tiling::Capacity::Unified(c), [c, c, c])
        }
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => {
            let (a, b, c) = (
                ifmap.capacity_kib * 1024.0,
                filter.capacity_kib * 1024.0,
                ofmap.capacity_kib * 1024.0,
            );
            (tiling::Capacity::Split { a, b, c }, [a, b, c])
        }
    }
}

/// Energy per 64-bit access of the ifmap, filter and ofmap buffers.
pub fn sram_energy_per_64b(arch: &Arch, table: &EnergyTable) -> [f64; 3] {
    // Explicit per-buffer figures are at the reference voltage; the table is already
    // scaled to the operating point.
    let r = arch.voltage_ratio();
    let e = |b: &crate::arch::Buffer| {
        b.energy_pj_per_64b
            .map(|x| x * r * r)
            .unwrap_or_else(|| table.sram_read64(b.capacity_kib * 1024.0).pj)
    };
    match &arch.memory.core_buffers {
        CoreBuffers::Unified { buffer } => [e(buffer); 3],
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => [e(ifmap), e(filter), e(ofmap)],
    }
}

/// Energy per 64-bit access of the global buffer (`None` without one): its
/// `energy_pj_per_64b` at the operating voltage, else the energy table's SRAM figure at its
/// capacity (as for the core buffers).
pub fn global_buffer_energy_per_64b(arch: &Arch, table: &EnergyTable) -> Option<f64> {
    arch.memory.global_buffer.as_ref().map(|b| {
        b.energy_pj_per_64b
            .map(|x| x * arch.voltage_ratio().powi(2))
            .unwrap_or_else(|| table.sram_read64(b.capacity_kib * 1024.0).pj)
    })
}

/// Reads + fills + updates of every tensor, bytes.
fn global_bytes(g: &[access_counts::RwBytes; 3]) -> f64 {
    g.iter().map(|x| x.total()).sum()
}

/// DRAM energy per byte.
pub fn dram_pj_per_byte(arch: &Arch, table: &EnergyTable) -> f64 {
    let d = &arch.memory.dram;
    match (d.energy_pj_per_bit, d.kind) {
        (Some(b), _) => b * 8.0,
        (None, Some(k)) => k.pj_per_bit() * 8.0,
        (None, None) => table.dram_read64().pj / 8.0,
    }
}

fn plan_compute(
    op: &Op,
    g: GemmView,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    pins: &mut Pins<'_>,
) -> InputResult<OpCost> {
    let dense_sp = sparsity::GemmSparsity::dense(g);
    let dense = plan_compute_with(
        op,
        g,
        w,
        arch,
        table,
        &dense_sp,
        &mut pins.variant(Variant::Dense),
    )?;
    sparsity::apply_gemm(op, g, w, arch, dense, |sp| {
        plan_compute_with(
            op,
            g,
            w,
            arch,
            table,
            sp,
            &mut pins.variant(Variant::Sparse),
        )
    })
}

/// Binds an op's precision to the arch ([`crate::binding::bind`]); an error is put at the
/// op's JSON path and names the op.
pub fn bind_precision(op: &Op, arch: &Arch) -> InputResult<crate::binding::BoundPrecision> {
    crate::binding::bind(&op.precision, arch).map_err(|e| {
        let sep = match e {
            crate::binding::BindError::Unsupported(_) => ":",
            crate::binding::BindError::AccumulatorMismatch { .. } => "",
        };
        InputError::at(
            format!("{}.{}", op.json_path, e.field()),
            format!("op '{}'{sep} {e}", op.name),
        )
    })
}

/// The mapping-search problem of one instance of `g` on `arch`'s memory hierarchy, priced
/// with its energies and bandwidths (`compute_cycles`: one instance's array cycles).
fn temporal_problem(
    arch: &Arch,
    table: &EnergyTable,
    g: GemmView,
    elem: nest::ElemBytes,
    core: tiling::Capacity,
    compute_cycles: f64,
) -> search::Problem {
    let sram_e = sram_energy_per_64b(arch, table);
    let gb = arch.memory.global_buffer.as_ref();
    search::Problem {
        dims: [g.m, g.n, g.k],
        elem,
        core,
        global_bytes: gb.map(|b| b.capacity_kib * 1024.0),
        double_buffer: arch.memory.double_buffering,
        pe_accumulators: mapspace::PeAccumulators::of(arch),
        objective: arch.memory.mapping_objective,
        prices: search::Prices {
            compute_cycles,
            dram_bytes_per_cycle: arch.dram_bytes_per_cycle(),
            global_bytes_per_cycle: gb.map(|b| b.bytes_per_cycle).unwrap_or(0.0),
            dram_pj_per_byte: dram_pj_per_byte(arch, table),
            global_pj_per_byte: global_buffer_energy_per_64b(arch, table).unwrap_or(0.0) / 8.0,
            core_pj_per_byte: (sram_e[0] + sram_e[1] + sram_e[2]) / 24.0,
        },
    }
}

/// Costs a compute op whose operands are stored and computed as `sp` says (dense: the
/// identity).
fn plan_compute_with(
    op: &Op,
    g: GemmView,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    sp: &sparsity::GemmSparsity,
    pins: &mut Pins<'_>,
) -> InputResult<OpCost> {
    let bound = bind_precision(op, arch)?;
    let mut warnings = Vec::new();
    if let Some(w) = bound.fallback_warning(&op.name) {
        tracing::warn!("{w}");
        warnings.push(w);
    }
    let mac = bound.mac;
    // Unique activation elements in DRAM: the ifmap, not its im2col view.
    let (mf, kf, cnt) = (g.m as f64, g.k as f64, g.count as f64);
    let a_unique: f64 = op
        .inputs
        .first()
        .map(|&t| w.tensors[t].elements as f64)
        .unwrap_or(mf * kf * cnt);
    let a_ratio = (a_unique / (mf * kf * cnt)).min(1.0);
    if let Some(gpu_exec) = arch.gpu() {
        return Ok(gpu::op::plan_compute(
            op, g, w, arch, table, mac, gpu_exec, a_ratio, sp, warnings, pins,
        ));
    }
    let (per_core, cores_used, mapping) = split_across_cores(arch, sp.compute_gemm, &mac);
    let macs = g.macs();

    // Traffic. SRAM array-side accesses follow the dataflow (SCALE-Sim's read pattern,
    // counted from first principles); DRAM traffic follows the chosen tiling.
    let eb_a = bytes_per_element(op.precision.activations);
    let eb_b = bytes_per_element(op.precision.weights);
    let eb_c = bytes_per_element(op.precision.output);
    let eb_acc = bytes_per_element(mac.accumulator);
    let (mf, nf, cnt) = (g.m as f64, g.n as f64, g.count as f64);
    // Array-side reads follow the array kind and its dataflow.
    let reads =
        array::of(&arch.array).operand_reads(g, sp.compute_gemm.k, mac.macs_per_pe_per_cycle);
    let (a_reads, b_reads, psum_rw) = (reads.a, reads.b, reads.psum_rw);
    let (cap, _) = buffer_caps(arch);
    let elem = nest::ElemBytes {
        a: eb_a * a_ratio * sp.a.sram,
        b: eb_b * sp.b.sram,
        c: eb_c * sp.c.sram,
        acc: eb_acc,
    };
    let sram_e = sram_energy_per_64b(arch, table);
    // Searched when planning, the plan's mapping when re-costing it at another clock.
    let problem = temporal_problem(
        arch,
        table,
        g,
        elem,
        cap,
        mapping.cycles() as f64 / cnt.max(1.0),
    );
    let searched = pins.temporal(&problem);
    let t = tiling::Tiling::from_search(&searched, elem, arch.memory.double_buffering);
    let bias_bytes = op.bias.map(|b| w.tensors[b].bytes() as f64).unwrap_or(0.0);
    // C's DRAM bytes (outputs plus partial sums both ways) all count as writes: the
    // engines schedule them with the output's stores.
    let dram_read =
        (t.a_bytes * sp.a.dram_per_sram() + t.b_bytes * sp.b.dram_per_sram()) * cnt + bias_bytes;
    let dram_write = (t.c_bytes + mf * nf * eb_c * (sp.c.dram - sp.c.sram)) * cnt;
    // The core buffers' fills and drain: from and to the global buffer when the mapping
    // keeps a level there, DRAM otherwise.
    let io = access_counts::ParentIo::of(&searched.accesses, &t);
    let traffic = Traffic {
        ifmap_sram_bytes: (a_reads * eb_a * sp.a.sram + io.fills[0]) * cnt,
        filter_sram_bytes: (b_reads * eb_b * sp.b.sram + io.fills[1]) * cnt + bias_bytes,
        ofmap_sram_bytes: (psum_rw * eb_acc + mf * nf * eb_c * sp.c.sram + io.c_both) * cnt,
        dram_read_bytes: dram_read,
        dram_write_bytes: dram_write,
    };
    let c_dram = searched.accesses.levels[0].tensors[2];
    let psum_half = psum_rw / 2.0 * eb_acc * cnt;
    let c_dram_updates = dram_write - c_dram.reads * cnt;
    let planned_split = access_counts::compute(
        [
            a_reads * eb_a * sp.a.sram * cnt,
            b_reads * eb_b * sp.b.sram * cnt,
            psum_half,
        ],
        psum_half + mf * nf * eb_c * sp.c.sram * cnt,
        [
            access_counts::RwBytes {
                reads: t.a_bytes * sp.a.dram_per_sram() * cnt,
                ..Default::default()
            },
            access_counts::RwBytes {
                reads: t.b_bytes * sp.b.dram_per_sram() * cnt + bias_bytes,
                ..Default::default()
            },
            access_counts::RwBytes {
                reads: c_dram.reads * cnt,
                fills: 0.0,
                updates: c_dram_updates,
            },
        ],
        [
            io.fills[0] * cnt,
            io.fills[1] * cnt + bias_bytes,
            io.fills[2] * cnt,
        ],
        io.drain_to_global.map_or(c_dram_updates, |d| d * cnt),
        io.global.map(|g| g.map(|x| x.scaled(cnt))),
    );
    let mac_e = table.mac(mac.format, mac.accumulator);
    let array_side = (a_reads * eb_a * sp.a.sram
        + b_reads * eb_b * sp.b.sram
        + psum_rw * eb_acc
        + mf * nf * eb_c * sp.c.sram)
        * cnt;
    let pe = pe_level::accesses(arch, macs as f64, sp.mac_energy_fraction, array_side);
    let energy = OpEnergy {
        rf_pj: pe.map(|p| p.rf_pj).unwrap_or(0.0),
        noc_pj: pe.map(|p| p.noc_pj).unwrap_or(0.0),
        mac_pj: macs as f64 * mac_e.pj * sp.mac_energy_fraction,
        vector_pj: 0.0,
        sram_pj: traffic.ifmap_sram_bytes / 8.0 * sram_e[0]
            + traffic.filter_sram_bytes / 8.0 * sram_e[1]
            + traffic.ofmap_sram_bytes / 8.0 * sram_e[2],
        dram_pj: traffic.dram_bytes() * dram_pj_per_byte(arch, table),
        global_buffer_pj: planned_split.global.map_or(0.0, |g| {
            global_bytes(&g) / 8.0 * global_buffer_energy_per_64b(arch, table).unwrap_or(0.0)
        }),
        ..OpEnergy::default()
    };
    Ok(OpCost {
        unit: Unit::Array,
        mac: Some(mac),
        macs,
        vector_ops: 0,
        compute_cycles: mapping.cycles(),
        cores_used,
        per_core_gemm: Some(per_core),
        mapping: Some(mapping),
        tiling: Some(t),
        temporal: Some(searched),
        traffic,
        energy,
        mac_energy_source: Some(mac_e.source),
        warnings,
        host_overhead_cycles: 0,
        sparsity: None,
        fused: None,
        planned_split: Some(planned_split),
        pe_accesses: pe,
    })
}

fn plan_vector(op: &Op, w: &Workload, arch: &Arch, table: &EnergyTable) -> OpCost {
    let dense = plan_vector_with(op, w, arch, table, &sparsity::VectorIo::dense(op, w));
    sparsity::apply_vector(op, w, arch, dense, |io| {
        plan_vector_with(op, w, arch, table, io)
    })
}

/// Costs a vector op whose tensors move `io` bytes (dense: their sizes).
fn plan_vector_with(
    op: &Op,
    w: &Workload,
    arch: &Arch,
    table: &EnergyTable,
    io: &sparsity::VectorIo,
) -> OpCost {
    let out = &w.tensors[op.output];
    let counted = if vector::counts_input(op.kind) {
        op.inputs
            .first()
            .map(|&t| w.tensors[t].elements)
            .unwrap_or(out.elements)
    } else {
        out.elements
    };
    let per_el = vector::ops_per_element(op.kind, &op.attrs);
    let vector_ops = counted.saturating_mul(per_el);
    let is_view = matches!(op.kind, OpKind::Reshape | OpKind::Flatten);
    let cores = arch.cores as u64;
    let mut compute_cycles = vector::cycles(
        vector_ops.div_ceil(cores),
        arch.vector_unit.lanes,
        arch.vector_unit.ops_per_lane_per_cycle,
    );
    // On a GPU every non-view op is a kernel: launch latency on the device (the host's
    // dispatch time is the run's launch path, added by `plan_op_with`).
    if let (Some(g), false) = (arch.gpu(), is_view) {
        compute_cycles += gpu::op::launch_cycles(arch, g);
    }
    let traffic = if is_view {
        Traffic::default()
    } else {
        Traffic {
            ifmap_sram_bytes: 2.0 * io.in_sram,
            filter_sram_bytes: 0.0,
            ofmap_sram_bytes: 2.0 * io.out_sram,
            dram_read_bytes: io.in_dram,
            dram_write_bytes: io.out_dram,
        }
    };
    // Vector ALUs compute in fp32 for float data and int32 for integer data.
    let alu = if out.format.is_float() {
        Format::FP32
    } else {
        Format::INT32
    };
    let op_e = table.add(alu);
    let sram_e = sram_energy_per_64b(arch, table);
    let energy = OpEnergy {
        mac_pj: 0.0,
        vector_pj: vector_ops as f64 * op_e.pj,
        sram_pj: traffic.ifmap_sram_bytes / 8.0 * sram_e[0]
            + traffic.ofmap_sram_bytes / 8.0 * sram_e[2],
        dram_pj: traffic.dram_bytes() * dram_pj_per_byte(arch, table),
        ..OpEnergy::default()
    };
    OpCost {
        unit: if is_view { Unit::None } else { Unit::Vector },
        mac: None,
        macs: 0,
        vector_ops,
        compute_cycles,
        cores_used: if is_view { 0 } else { arch.cores },
        per_core_gemm: None,
        mapping: None,
        tiling: None,
        temporal: None,
        traffic,
        energy,
        mac_energy_source: None,
        warnings: Vec::new(),
        host_overhead_cycles: 0,
        sparsity: None,
        fused: None,
        planned_split: (!is_view)
            .then(|| access_counts::vector(io.in_sram, io.out_sram, io.in_dram, io.out_dram)),
        pe_accesses: None,
    }
}
