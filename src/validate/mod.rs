//! Validation: predictions compared with measurements.
//!
//! - [`calibration`]: the measured-data file format (`tests/data/h100/calibration.json`);
//! - [`gemm`]: single-GEMM workloads and a precision sweep of any workload;
//! - [`h100`]: predicted vs measured latency and energy per shape and precision, error
//!   statistics and precision ordering;
//! - [`cap`]: each precision with and without the power cap;
//! - [`sweep`]: one workload at several precisions (the A100 MLP prediction);
//! - [`render`]: the comparisons as text or Markdown (VALIDATION.md); JSON via serde.

pub mod calibration;
pub mod cap;
pub mod gemm;
pub mod h100;
pub mod render;
pub mod sweep;

/// The bundled H100 SXM preset (`arch_configs/h100_sxm.json`).
pub const H100_ARCH_JSON: &str = include_str!("../../arch_configs/h100_sxm.json");
/// The bundled A100 SXM preset (`arch_configs/a100_sxm.json`).
pub const A100_ARCH_JSON: &str = include_str!("../../arch_configs/a100_sxm.json");
/// The bundled H100 calibration measurements (`tests/data/h100/calibration.json`).
pub const H100_CALIBRATION_JSON: &str = include_str!("../../tests/data/h100/calibration.json");
/// The bundled 6-layer MLP workload (`workloads/mlp6.json`).
pub const MLP6_JSON: &str = include_str!("../../workloads/mlp6.json");
