//! The architecture file's serde types. Units are in every field name.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::numerics::Format;

/// An accelerator architecture: compute array, precisions, vector unit, memory hierarchy,
/// power and energy table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    /// Short name shown in reports.
    pub name: String,
    /// Free-text description (where the figures come from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Core clock in GHz.
    pub clock_ghz: f64,
    /// Number of identical cores, each with its own array, vector unit and buffers.
    #[serde(default = "one")]
    pub cores: u32,
    /// The matrix compute array of one core.
    pub array: ArrayConfig,
    /// MAC precisions the array supports, with their throughput.
    pub precisions: Vec<PrecisionSupport>,
    /// When an op's precision is not supported: `false` (default) makes it an error; `true`
    /// runs it on the narrowest supported format at least as wide, with a warning.
    #[serde(default)]
    pub precision_fallback: bool,
    /// The vector unit for non-GEMM ops.
    pub vector_unit: VectorUnit,
    /// Memory hierarchy.
    pub memory: Memory,
    /// Static (always-on) power in watts not attributed to a memory level or the array:
    /// uncore, PHYs, board. Leakage of the buffers (`leakage_w`), the array
    /// (`power.array_leakage_w_per_core`) and DRAM background power (`dram.background_w`)
    /// add to it.
    pub static_power_w: f64,
    /// Process technology the energy table is scaled to (Stillmaker & Baas 2017); absent:
    /// the table's own node and voltage (Horowitz, 45 nm, 0.9 V).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<Technology>,
    /// Power limit, voltage-frequency curve and array leakage (DVFS / power capping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<PowerConfig>,
    /// Static and idle power derived from the hardware (PE and SRAM leakage, PE clock tree
    /// with optional clock gating; see `arch::leakage`). Absent: only the explicit
    /// `static_power_w` and `leakage_w` figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_power: Option<IdlePowerConfig>,
    /// A register file in every PE and the array network that feeds it (see
    /// `model::pe_level`); absent: neither is counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pe_level: Option<PeLevelConfig>,
    /// Energy table selection and overrides.
    #[serde(default)]
    pub energy: EnergyConfig,
    /// Sparsity features (absent: none; sparse data then gains nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<super::sparsity::SparsitySupport>,
    /// The post-processing (epilogue) path on the array's output: the elementwise ops it
    /// applies to a compute op's results before they are written back (absent: none, every
    /// elementwise op runs on the vector unit with a memory round trip). See
    /// `docs/fusion.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epilogue: Option<Epilogue>,
    /// Free-form provenance notes: field name → source (datasheet, paper, assumption).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, String>,
}

/// A post-processing (epilogue) path: elementwise ops applied to a compute op's outputs on
/// their way out of the accumulators (TPU v1's activation pipeline, NVDLA's SDP, CUTLASS /
/// cuBLASLt epilogues). A fused op costs the vector unit's energy for its element-ops but
/// no memory round trip of its input and no launch of its own; its element-ops take the
/// path's throughput ([`crate::arch::Arch::epilogue_elements_per_cycle`]), and stretch
/// the host's cycles where the path is slower than the array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Epilogue {
    /// The op classes the path applies; empty: the arch declares it has no such path.
    pub ops: Vec<EpilogueOp>,
    /// Element-operations the path applies per cycle on each core. Absent: a systolic
    /// array's output row (`array.cols` elements per cycle); a tensor-core array without a
    /// `gpu` block must declare it (GPU kernels cost their epilogue in the kernel model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements_per_cycle: Option<f64>,
}

impl Epilogue {
    /// Whether the path applies ops of class `op`.
    pub fn supports(&self, op: EpilogueOp) -> bool {
        self.ops.contains(&op)
    }
}

/// A class of elementwise op an epilogue can apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EpilogueOp {
    /// Add / subtract / multiply / divide by a constant (bias, per-channel scale,
    /// folded batch norm, attention scaling).
    Bias,
    /// Add / subtract / multiply / divide by another activation (residual add); it still
    /// reads that operand.
    Residual,
    /// ReLU and clip.
    Relu,
    /// Transcendental activations: GELU, sigmoid, tanh, erf, exp, sqrt, pow.
    Activation,
    /// Quantize, requantize, dequantize and casts.
    Requantize,
}

fn one() -> u32 {
    1
}

/// The compute array of one core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ArrayConfig {
    /// A rows × cols systolic array of processing elements (SCALE-Sim's model).
    Systolic {
        /// PE rows (SCALE-Sim `ArrayHeight`).
        rows: u64,
        /// PE columns (SCALE-Sim `ArrayWidth`).
        cols: u64,
        /// Which operand stays in the PEs.
        dataflow: Dataflow,
    },
    /// Tensor-core style: `units_per_core` matrix units, each doing an m×n×k block of MACs
    /// per cycle at one MAC per PE per cycle (scaled by the precision's throughput).
    TensorCore {
        /// Rows of the output block.
        m: u64,
        /// Columns of the output block.
        n: u64,
        /// Reduction depth of the block.
        k: u64,
        /// Matrix units per core.
        units_per_core: u64,
        /// Cycles from issuing a block to its result (pipeline fill), paid once per op.
        #[serde(default)]
        pipeline_latency_cycles: u64,
        /// GPU-style execution (CTA tiles scheduled in waves over the cores, launch and host
        /// overheads); absent: the simple block model above.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gpu: Option<GpuExec>,
    },
}

/// GPU-style execution of GEMMs on a tensor-core array: each core is a streaming
/// multiprocessor (SM); a GEMM is cut into CTA tiles, which run in waves over the SMs.
/// See `docs/gpu.md` for the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuExec {
    /// CTA (thread-block) output tile shapes `[rows, cols]` a library may pick from; the
    /// model picks, per GEMM, the candidate (and split-K) with the lowest predicted time,
    /// as a library heuristic would.
    pub cta_tiles: Vec<[u64; 2]>,
    /// Bytes of each operand's K slice per pipeline stage (128 → K = 64 for 16-bit formats,
    /// 128 for 8-bit ones).
    #[serde(default = "default_cta_k_bytes")]
    pub cta_k_bytes: u64,
    /// Software-pipeline stages held in shared memory (sets a CTA's shared-memory footprint
    /// and so how many CTAs fit on one SM).
    #[serde(default = "default_stages")]
    pub pipeline_stages: u32,
    /// Upper bound on CTAs resident per SM.
    #[serde(default = "default_max_ctas")]
    pub max_ctas_per_sm: u32,
    /// Register file per SM in KiB; at most half of it holds a CTA's fp32/int32 accumulators.
    pub register_file_kib: f64,
    /// Largest split-K factor the heuristic may use when a GEMM has too few tiles to fill
    /// the SMs (partial sums are reduced through L2).
    #[serde(default = "default_split_k")]
    pub max_split_k: u32,
    /// Operand tiles are fetched from L2 once per thread-block cluster and multicast to its
    /// CTAs (Hopper TMA multicast): divides L2→SM operand traffic. 1 = no multicast.
    #[serde(default = "one_f64")]
    pub cluster_multicast: f64,
    /// Fixed cycles per CTA tile beyond its main loop (pipeline fill, epilogue).
    #[serde(default)]
    pub tile_overhead_cycles: f64,
    /// GPU-side kernel launch latency in µs, paid once per kernel.
    #[serde(default)]
    pub launch_latency_us: f64,
    /// Dynamic energy of one SM for one cycle of tensor-core main loop, in pJ at the
    /// technology's reference voltage, beyond the MAC datapath and the modelled memory
    /// accesses (clock tree, instruction issue, register file, operand staging).
    #[serde(default)]
    pub sm_active_pj_per_cycle: f64,
}

fn default_cta_k_bytes() -> u64 {
    128
}

fn default_stages() -> u32 {
    4
}

fn default_max_ctas() -> u32 {
    4
}

fn default_split_k() -> u32 {
    16
}

/// Per-precision parameters of the GPU execution model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuPrecision {
    /// Fraction of the tensor cores' peak the library's main loop sustains for this format
    /// (0 < efficiency ≤ 1).
    pub efficiency: f64,
}

/// Process technology of the arch: the energy table is scaled from its own node and voltage
/// to this node at `voltage_v` with Stillmaker & Baas (2017) energy equations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Technology {
    /// Technology node in nm: 180, 130, 90, 65, 45, 32, 20, 16, 14, 10 or 7 (the
    /// high-performance fits below 65 nm).
    pub node_nm: u32,
    /// Supply voltage the energy table is scaled to (the reference voltage of DVFS).
    pub voltage_v: f64,
}

/// The hardware-derived static and idle power model (`arch::leakage`). Its figures add to
/// the explicit `leakage_w`, `power.array_leakage_w_per_core` and `static_power_w` (the
/// uncore, kept as a separate figure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdlePowerConfig {
    /// Fraction of an idle PE's clock-tree energy removed by clock gating: 0 (default, no
    /// gating: every PE is clocked every cycle) to 1 (idle PEs cost no clock energy).
    #[serde(default)]
    pub clock_gating: f64,
    /// Override of the logic leakage density at 45 nm, nW/µm² (default: NanGate FreePDK45).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logic_leakage_nw_per_um2: Option<f64>,
    /// Override of the SRAM leakage per bit at 45 nm, nW (default 1 nW).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sram_leakage_nw_per_bit: Option<f64>,
    /// Override of the clock energy per PE register bit per cycle at 45 nm, fJ (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_fj_per_register_bit: Option<f64>,
}

/// The PE level: register file per PE and operand distribution over the array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeLevelConfig {
    /// Register-file (scratchpad) bytes in each PE (leaks with the SRAM under `idle_power`).
    pub register_file_bytes: f64,
    /// Width of one register-file access and one network word, bits.
    pub access_bits: u32,
    /// Energy of one register-file access, pJ at the technology's voltage.
    pub rf_energy_pj_per_access: f64,
    /// Energy of moving one word over the array network, pJ at the technology's voltage.
    pub noc_energy_pj_per_access: f64,
}

/// Power limit and voltage-frequency relation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerConfig {
    /// Sustained power limit in W. When a workload's average power at `clock_ghz` exceeds
    /// it, the clock drops (and the voltage with it) until the power fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_w: Option<f64>,
    /// Voltage-frequency curve, points sorted by clock (piecewise linear, clamped at the
    /// ends). Dynamic energies scale with (V / technology.voltage_v)². Empty: the voltage
    /// stays at `technology.voltage_v` and only the clock changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vf_curve: Vec<VfPoint>,
    /// Lowest clock the power controller may choose (default: the curve's lowest point, or
    /// a tenth of `clock_ghz` without a curve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_clock_ghz: Option<f64>,
    /// Leakage power of one core's array in W at the reference voltage.
    #[serde(default)]
    pub array_leakage_w_per_core: f64,
    /// On-chip leakage scales as (V / V_ref)^exponent (1: constant leakage current).
    #[serde(default = "one_f64")]
    pub leakage_voltage_exponent: f64,
}

/// One point of a voltage-frequency curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VfPoint {
    /// Clock in GHz.
    pub clock_ghz: f64,
    /// Supply voltage in V at that clock.
    pub voltage_v: f64,
}

/// Systolic-array dataflow: which operand is held stationary in the PEs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dataflow {
    /// Output stationary.
    Os,
    /// Weight stationary.
    Ws,
    /// Input stationary.
    Is,
}

impl Dataflow {
    /// Lower-case name (`os`, `ws`, `is`).
    pub fn name(self) -> &'static str {
        match self {
            Dataflow::Os => "os",
            Dataflow::Ws => "ws",
            Dataflow::Is => "is",
        }
    }
}

/// One MAC precision the array supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrecisionSupport {
    /// Operand format (e.g. `int8`, `fp16`, `fp8_e4m3`, `binary`).
    pub format: Format,
    /// MACs each PE completes per cycle in this format: an integer ≥ 1 (sub-word packing
    /// along the reduction dimension, e.g. 2 for int8 on an fp16-sized PE) or the
    /// reciprocal of an integer (a multi-cycle MAC, e.g. 0.25).
    pub macs_per_pe_per_cycle: f64,
    /// Accumulator format (default: int32 for integer formats, fp32 for float ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulator: Option<Format>,
    /// GPU execution parameters of this format (arrays with a `gpu` block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuPrecision>,
    /// How the accumulator adds products, for functional execution: order, overflow,
    /// rounding, fusion (default: `accumulator`'s format, sequential from +0, RNE, fused;
    /// integer registers wrap). Its format must be `accumulator`'s or `exact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulation: Option<crate::numerics::Accumulator>,
}

/// The vector unit of one core (elementwise, activation, normalisation, pooling ops).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorUnit {
    /// SIMD lanes.
    pub lanes: u64,
    /// Operations per lane per cycle.
    #[serde(default = "one_f64")]
    pub ops_per_lane_per_cycle: f64,
}

fn one_f64() -> f64 {
    1.0
}

/// The memory hierarchy: DRAM → (optional global buffer) → per-core buffers → array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Memory {
    /// Off-chip DRAM / HBM.
    pub dram: Dram,
    /// Optional buffer shared by all cores (e.g. a GPU's L2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_buffer: Option<Buffer>,
    /// Per-core on-chip buffers.
    pub core_buffers: CoreBuffers,
    /// Whether buffers are double-buffered (loads of the next tile overlap compute; each
    /// buffer's usable capacity for one tile is half its size).
    #[serde(default = "yes")]
    pub double_buffering: bool,
    /// DMA engines per core moving tiles between DRAM and the core's buffers (event engine);
    /// each engine carries one transfer at a time, all engines share the DRAM bandwidth.
    #[serde(default = "one_u32")]
    pub dma_engines_per_core: u32,
    /// Layer-to-layer pipelining (event engine): an op's output stays on chip, with no DRAM
    /// round trip, when it fits in the spare on-chip capacity (see `docs/engine.md`).
    #[serde(default = "yes")]
    pub layer_pipelining: bool,
    /// What the mapping search minimises for each compute op: `latency` (default),
    /// `energy` or `edp` (see `docs/mapping.md`).
    #[serde(
        default,
        skip_serializing_if = "crate::model::search::Objective::is_default"
    )]
    pub mapping_objective: crate::model::search::Objective,
}

fn yes() -> bool {
    true
}

/// Off-chip memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dram {
    /// Bandwidth in GB/s (10^9 bytes per second), shared by all cores.
    pub bandwidth_gbps: f64,
    /// Access latency in nanoseconds (paid once per transfer).
    #[serde(default)]
    pub latency_ns: f64,
    /// DRAM technology: selects a sourced energy per bit (`arch::dram`); absent: the
    /// energy table's DRAM entry (DDR3-class, Horowitz).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<super::dram::DramKind>,
    /// Energy per bit moved, pJ (default: `kind`'s figure, else the energy table's DRAM
    /// entry). A measured figure overrides the technology's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_pj_per_bit: Option<f64>,
    /// Capacity in GiB (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_gib: Option<f64>,
    /// Background power in W (refresh, idle PHY), always on; not voltage-scaled.
    #[serde(default)]
    pub background_w: f64,
}

/// An on-chip SRAM buffer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Buffer {
    /// Capacity in KiB (1024 bytes).
    pub capacity_kib: f64,
    /// Read/write bandwidth in bytes per cycle.
    pub bytes_per_cycle: f64,
    /// Number of banks (informational; bandwidth is the total).
    #[serde(default = "one_u32")]
    pub banks: u32,
    /// Energy per 64-bit access in pJ (default: the energy table interpolated at this capacity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_pj_per_64b: Option<f64>,
    /// Leakage power in watts (issue: energy depth).
    #[serde(default)]
    pub leakage_w: f64,
}

fn one_u32() -> u32 {
    1
}

/// Per-core buffers: either one unified buffer or separate ifmap/filter/ofmap buffers
/// (SCALE-Sim style).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CoreBuffers {
    /// One buffer shared by all operands.
    Unified {
        /// The buffer.
        buffer: Buffer,
    },
    /// Separate input-activation, weight and output buffers.
    Split {
        /// Input activations (ifmap).
        ifmap: Buffer,
        /// Weights (filter).
        filter: Buffer,
        /// Outputs and partial sums (ofmap).
        ofmap: Buffer,
    },
}

/// Energy table selection, technology node and per-entry overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// Base table (only `horowitz_45nm` today).
    #[serde(default = "default_table")]
    pub table: String,
    /// Override entries by key (see `accelsim energy-table`), value in pJ.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides_pj: BTreeMap<String, f64>,
}

fn default_table() -> String {
    "horowitz_45nm".into()
}

impl Default for EnergyConfig {
    fn default() -> Self {
        EnergyConfig {
            table: default_table(),
            overrides_pj: BTreeMap::new(),
        }
    }
}
