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
    /// Static (leakage + always-on) power of the whole chip in watts.
    pub static_power_w: f64,
    /// Energy table selection and overrides.
    #[serde(default)]
    pub energy: EnergyConfig,
    /// Free-form provenance notes: field name → source (datasheet, paper, assumption).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, String>,
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
    },
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
    /// Energy per bit moved, pJ (default: the energy table's DRAM entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_pj_per_bit: Option<f64>,
    /// Capacity in GiB (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_gib: Option<f64>,
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
