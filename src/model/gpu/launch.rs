//! How kernels reach a GPU: the host software path, a property of the run (not of the
//! silicon). Every op that launches a kernel occupies the host for the launch path's
//! dispatch time; the host overlaps with the device executing earlier kernels, so a run
//! of small kernels is host-bound when dispatch is slower than the device.
//!
//! - [`Launch::Graph`] (default): the kernels are captured in a CUDA Graph and replayed;
//!   the host issues one graph launch for the whole run, so kernels pay only the device
//!   launch latency of the arch (`array.gpu.launch_latency_us`). This is what the
//!   hardware can do.
//! - [`Launch::Cpp`]: a C++ host (CUTLASS, TensorRT without graphs) issues kernels back to
//!   back through the CUDA driver, [`CPP_HOST_US`] per kernel.
//! - [`Launch::Eager`]: the PyTorch eager path the bundled H100 calibration
//!   (`tests/data/h100/calibration.json`) was measured with: per library path, the mean of
//!   the calibration's 256³ and 512³ latencies, points whose device time is under 5 µs
//!   ([`eager_host_us`]). `accelsim validate h100` uses it because that is how its
//!   measurements were taken.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::arch::Arch;
use crate::model::{OpCost, Unit};
use crate::numerics::Format;

/// The host path that launches the kernels of a run on a GPU arch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Launch {
    /// CUDA Graph replay: device launch latency only, no per-kernel host time.
    #[default]
    Graph,
    /// A C++ host issuing kernels back to back ([`CPP_HOST_US`] per kernel).
    Cpp,
    /// The PyTorch eager loop of the H100 calibration ([`eager_host_us`] per kernel).
    Eager,
}

/// Host time per kernel of a C++ launch path, µs: `cudaLaunchKernel` plus the library's
/// argument setup. Assumption (NVIDIA quotes launch overheads of a few µs; the CUDA Graphs
/// introduction on the NVIDIA developer blog measures ~2-3 µs of launch per short kernel
/// without graphs); the value the A100 preset carried before launch became a run option.
pub const CPP_HOST_US: f64 = 5.0;

/// Eager host time of a kernel that is not a GEMM (elementwise, normalisation, softmax),
/// µs: the fp16/bf16 figure of [`eager_host_us`], the default library path.
pub const EAGER_DEFAULT_HOST_US: f64 = 44.5;

/// Host time per kernel of the PyTorch eager path for a GEMM in `format`, µs — measured on
/// the H100 calibration set (mean of the 256³ and 512³ median latencies, which are
/// launch-bound: device time < 5 µs): fp16/bf16 (cuBLAS) 44.5, fp8 (cuBLASLt scaled
/// matmul; E5M2 and mixed E4M3×E5M2 take the same call) 50.7, int8 (torch int8 matmul)
/// 34.9, tf32 (`fp_e8m10`) 36.8, fp32 47.4. Other formats have no measured eager path and
/// take [`EAGER_DEFAULT_HOST_US`].
pub fn eager_host_us(format: Format) -> f64 {
    if format == Format::FP8_E4M3 || format == Format::FP8_E5M2 {
        50.7
    } else if format == Format::INT8 {
        34.9
    } else if format == Format::FP32 {
        47.4
    } else if format.name() == "fp_e8m10" {
        36.8
    } else {
        EAGER_DEFAULT_HOST_US
    }
}

impl Launch {
    /// Every mode, in documentation order.
    pub const ALL: [Launch; 3] = [Launch::Graph, Launch::Cpp, Launch::Eager];

    /// Lower-case name (`graph`, `cpp`, `eager`).
    pub fn name(self) -> &'static str {
        match self {
            Launch::Graph => "graph",
            Launch::Cpp => "cpp",
            Launch::Eager => "eager",
        }
    }

    /// Parses a name as written on the command line or in a sweep file.
    pub fn parse(s: &str) -> Option<Launch> {
        Launch::ALL.into_iter().find(|l| l.name() == s)
    }

    /// Host dispatch time in µs of one kernel whose MACs run in `format` (None: a kernel
    /// without MACs).
    pub fn host_us(self, format: Option<Format>) -> f64 {
        match self {
            Launch::Graph => 0.0,
            Launch::Cpp => CPP_HOST_US,
            Launch::Eager => format.map_or(EAGER_DEFAULT_HOST_US, eager_host_us),
        }
    }

    /// Host dispatch cycles (at the arch's clock) of the op costed as `cost`: zero on an
    /// arch without a GPU execution model and for ops that launch no kernel (views).
    pub fn host_cycles(self, arch: &Arch, cost: &OpCost) -> u64 {
        if arch.gpu().is_none() || cost.unit == Unit::None {
            return 0;
        }
        let us = self.host_us(cost.mac.as_ref().map(|m| m.format));
        (us * 1e-6 * arch.clock_hz()).round() as u64
    }
}

impl std::fmt::Display for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
