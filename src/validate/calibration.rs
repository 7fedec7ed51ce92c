//! The H100 calibration file (`tests/data/h100/calibration.json`, provenance in its
//! README): square GEMM latencies per precision, board energy per MAC at large sizes,
//! idle power and HBM copy bandwidth and energy.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::Format;

/// The whole calibration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// How the figures were measured.
    pub what: String,
    /// What the file is for.
    #[serde(rename = "use")]
    pub use_: String,
    /// Device name.
    pub device: String,
    /// SMs of the device.
    pub sm_count: u32,
    /// Maximum SM clock, MHz.
    pub sm_clock_max_mhz: f64,
    /// Board power limit, W.
    pub power_limit_w: f64,
    /// Idle board power readings, W.
    pub idle_power_w_observed: Vec<f64>,
    /// Device-to-device copy bandwidth (read + write), GB/s.
    #[serde(rename = "copy_bandwidth_GBps_read_plus_write")]
    pub copy_bandwidth_gbps: f64,
    /// Energy of a large device-to-device copy.
    pub hbm_copy_energy: HbmCopyEnergy,
    /// GEMM measurements.
    pub gemm: Vec<GemmPoint>,
}

/// Energy of a large HBM copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HbmCopyEnergy {
    /// Bytes moved (read + write).
    pub bytes_moved: f64,
    /// Seconds per copy.
    pub s: f64,
    /// Achieved GB/s.
    #[serde(rename = "GBps")]
    pub gbps: f64,
    /// Joules per copy (board).
    pub joules: f64,
    /// Average board power, W.
    pub avg_w: f64,
    /// Board energy per bit moved, pJ.
    pub pj_per_bit_total: f64,
    /// Energy per bit above idle power, pJ.
    pub pj_per_bit_dynamic: f64,
}

/// One measured GEMM `C[M,N] = A[M,K]·B[K,N]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmPoint {
    /// Rows of A and C.
    #[serde(rename = "M")]
    pub m: u64,
    /// Columns of B and C.
    #[serde(rename = "N")]
    pub n: u64,
    /// Reduction depth.
    #[serde(rename = "K")]
    pub k: u64,
    /// Precision name (fp32, tf32, fp16, bf16, fp8, int8).
    pub prec: String,
    /// Median latency, s.
    pub median_s: f64,
    /// Minimum latency, s.
    pub min_s: f64,
    /// 2·M·N·K / median, TFLOP/s.
    pub tflops: f64,
    /// Board energy per call, J (large sizes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joules_per_call: Option<f64>,
    /// Average board power during the energy loop, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_power_w: Option<f64>,
    /// Board energy per MAC, pJ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pj_per_mac: Option<f64>,
}

impl Calibration {
    /// Parses calibration JSON.
    pub fn from_json(text: &str) -> InputResult<Calibration> {
        let c: Calibration = parse_json(text)?;
        c.check()?;
        Ok(c)
    }

    /// Reads a calibration file.
    pub fn load(path: &Path) -> InputResult<Calibration> {
        let c: Calibration = load_json_file(path)?;
        c.check().map_err(|e| e.in_file(path))?;
        Ok(c)
    }

    fn check(&self) -> InputResult<()> {
        for (i, g) in self.gemm.iter().enumerate() {
            if g.m == 0 || g.n == 0 || g.k == 0 {
                return Err(InputError::at(
                    format!("gemm[{i}]"),
                    "expected M, N and K > 0",
                ));
            }
            if !(g.median_s.is_finite() && g.median_s > 0.0) {
                return Err(InputError::at(
                    format!("gemm[{i}].median_s"),
                    format!("expected a latency > 0 s, got {}", g.median_s),
                ));
            }
            precision_formats(&g.prec).map_err(|e| InputError::at(format!("gemm[{i}].prec"), e))?;
        }
        Ok(())
    }
}

/// accelsim's (operand, output) formats for a calibration precision name: the measured
/// library calls take fp8 (e4m3) with bf16 output, int8 with int32 output, and tf32 as fp32
/// data computed on tensor cores (accelsim's generic `fp_e8m10`).
pub fn precision_formats(name: &str) -> Result<(Format, Format), String> {
    let f = |s: &str| Format::parse(s).map_err(|e| e.to_string());
    Ok(match name {
        "fp32" => (Format::FP32, Format::FP32),
        "tf32" => (f("fp_e8m10")?, Format::FP32),
        "fp16" => (Format::FP16, Format::FP16),
        "bf16" => (Format::BF16, Format::BF16),
        "fp8" => (Format::FP8_E4M3, Format::BF16),
        "int8" => (Format::INT8, Format::INT32),
        other => {
            return Err(format!(
                "unknown precision '{other}'; expected fp32, tf32, fp16, bf16, fp8 or int8"
            ))
        }
    })
}
