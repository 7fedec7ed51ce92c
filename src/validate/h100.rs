//! Predicted vs measured on the H100 calibration set: latency and board energy per MAC for
//! every (shape, precision) point, the median absolute latency error per precision at
//! 1024³ and larger, the energy-per-MAC error at 8192³, and whether the model orders the
//! precisions by latency as the measurements do at each size.

use serde::Serialize;

use crate::arch::Arch;
use crate::error::InputResult;
use crate::model::gpu::Launch;
use crate::model::{ArrayMapping, RunOptions};
use crate::power::CapState;
use crate::sim::{Engine, StallReason};

use super::calibration::{precision_formats, Calibration, GemmPoint};
use super::gemm::gemm_workload;

/// Sizes at or above this (M = N = K) count towards the latency acceptance statistics.
pub const ACCEPTANCE_MIN_SIZE: u64 = 1024;
/// Precisions the acceptance criteria cover.
pub const ACCEPTANCE_PRECISIONS: [&str; 4] = ["fp16", "bf16", "fp8", "int8"];
/// Predicted latencies within this fraction of each other count as a tie.
pub const PREDICTED_TIE: f64 = 0.005;

/// One calibration point with the model's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// M.
    pub m: u64,
    /// N.
    pub n: u64,
    /// K.
    pub k: u64,
    /// Calibration precision name.
    pub precision: String,
    /// Measured median latency, s.
    pub measured_s: f64,
    /// Measured minimum latency, s.
    pub measured_min_s: f64,
    /// Predicted latency, s.
    pub predicted_s: f64,
    /// (predicted − measured) / measured.
    pub latency_error: f64,
    /// Measured board energy per MAC, pJ (large sizes only).
    pub measured_pj_per_mac: Option<f64>,
    /// Predicted energy per MAC (dynamic + static), pJ.
    pub predicted_pj_per_mac: f64,
    /// (predicted − measured) / measured energy per MAC.
    pub energy_error: Option<f64>,
    /// Measured average board power, W.
    pub measured_power_w: Option<f64>,
    /// Predicted average power, W.
    pub predicted_power_w: f64,
    /// Clock the model runs at, GHz.
    pub clock_ghz: f64,
    /// Power-cap state.
    pub cap_state: CapState,
    /// What limits the predicted latency (host, compute, l2, hbm, ...).
    pub bound: String,
    /// Chosen CTA tile and split-K, e.g. `128x256x64 s1`.
    pub schedule: String,
}

/// Latency error statistics of one precision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionStats {
    /// Calibration precision name.
    pub precision: String,
    /// Points at or above [`ACCEPTANCE_MIN_SIZE`].
    pub points: usize,
    /// Median |latency error| over those points.
    pub median_abs_latency_error: f64,
    /// Largest |latency error| over those points.
    pub max_abs_latency_error: f64,
}

/// Whether the model orders the precisions by latency as measured at one size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ordering {
    /// M = N = K.
    pub size: u64,
    /// Precisions fastest first, measured.
    pub measured: Vec<String>,
    /// Precisions fastest first, predicted.
    pub predicted: Vec<String>,
    /// The predicted order with ties shown (`int8 < fp16 = bf16 < fp8`).
    pub predicted_display: String,
    /// Pairs ordered the same way by model and measurement.
    pub pairs_agree: usize,
    /// Pairs the model predicts equal (within [`PREDICTED_TIE`]).
    pub pairs_tied: usize,
    /// Pairs ordered oppositely whose measured gap exceeds the run-to-run spread
    /// ((median − min) / median of either point): real disagreements.
    pub pairs_contradicted: Vec<(String, String)>,
    /// Pairs ordered oppositely within measurement spread.
    pub pairs_within_noise: Vec<(String, String)>,
}

impl Ordering {
    /// True when the model's order matches the measured one exactly (no ties, no swaps).
    pub fn exact(&self) -> bool {
        self.measured == self.predicted && self.pairs_tied == 0
    }
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct H100Validation {
    /// Arch name.
    pub arch: String,
    /// Every calibration point.
    pub rows: Vec<Row>,
    /// Latency statistics per precision (all precisions in the file).
    pub stats: Vec<PrecisionStats>,
    /// Precision ordering per size (acceptance precisions).
    pub ordering: Vec<Ordering>,
    /// Predicted HBM copy bandwidth (arch) vs measured, GB/s.
    pub copy_bandwidth_gbps: (f64, f64),
}

impl H100Validation {
    /// Statistics of one precision.
    pub fn stats_of(&self, precision: &str) -> Option<&PrecisionStats> {
        self.stats.iter().find(|s| s.precision == precision)
    }
}

/// The launch path the calibration measurements were taken with: PyTorch eager
/// ([`Launch::Eager`]); every prediction compared with them uses it.
pub const MEASURED_LAUNCH: RunOptions = RunOptions {
    launch: Launch::Eager,
    fusion: crate::model::options::Fusion::On,
};

/// Predicts one calibration point on `arch` (through the full pipeline, power cap
/// included, exactly as `accelsim run --launch eager` would).
pub fn predict(arch: &Arch, g: &GemmPoint) -> InputResult<Row> {
    let (operand, output) =
        precision_formats(&g.prec).map_err(|e| crate::error::InputError::at("gemm.prec", e))?;
    let w = gemm_workload(g.m, g.n, g.k, operand, output)?;
    let options = crate::Options {
        engine: Engine::Analytic,
        run: MEASURED_LAUNCH,
        record_trace: false,
    };
    let solved = crate::evaluate(&w, arch, &options)?;
    let r = solved.report(&w);
    let macs = (g.m * g.n * g.k) as f64;
    let predicted_pj_per_mac = r.summary.energy_pj / macs;
    let cost = match solved.costs.first().and_then(|c| c.mapping) {
        Some(ArrayMapping::Gpu(c)) => Some(c),
        _ => None,
    };
    let bound = match (r.layers[0].stall_reason, cost) {
        (StallReason::HostBound, _) => "host".to_string(),
        (StallReason::DramBound, _) => "hbm".to_string(),
        (_, Some(c)) => serde_json::to_value(c.bound)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        _ => "compute".to_string(),
    };
    let schedule = cost
        .map(|c| {
            format!(
                "{}x{}x{} s{} w{}",
                c.cta[0], c.cta[1], c.cta[2], c.split_k, c.waves
            )
        })
        .unwrap_or_default();
    Ok(Row {
        m: g.m,
        n: g.n,
        k: g.k,
        precision: g.prec.clone(),
        measured_s: g.median_s,
        measured_min_s: g.min_s,
        predicted_s: r.summary.latency_s,
        latency_error: r.summary.latency_s / g.median_s - 1.0,
        measured_pj_per_mac: g.pj_per_mac,
        predicted_pj_per_mac,
        energy_error: g.pj_per_mac.map(|m| predicted_pj_per_mac / m - 1.0),
        measured_power_w: g.avg_power_w,
        predicted_power_w: r.power.average_power_w,
        clock_ghz: r.power.clock_ghz,
        cap_state: r.power.cap_state,
        bound,
        schedule,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Runs the whole comparison.
pub fn validate(arch: &Arch, cal: &Calibration) -> InputResult<H100Validation> {
    let rows = cal
        .gemm
        .iter()
        .map(|g| predict(arch, g))
        .collect::<InputResult<Vec<_>>>()?;
    let mut precisions: Vec<String> = Vec::new();
    for r in &rows {
        if !precisions.contains(&r.precision) {
            precisions.push(r.precision.clone());
        }
    }
    let stats = precisions
        .iter()
        .map(|p| {
            let errs: Vec<f64> = rows
                .iter()
                .filter(|r| &r.precision == p && r.m.min(r.n).min(r.k) >= ACCEPTANCE_MIN_SIZE)
                .map(|r| r.latency_error.abs())
                .collect();
            PrecisionStats {
                precision: p.clone(),
                points: errs.len(),
                median_abs_latency_error: median(errs.clone()),
                max_abs_latency_error: errs.iter().cloned().fold(0.0, f64::max),
            }
        })
        .collect();
    let mut sizes: Vec<u64> = rows
        .iter()
        .filter(|r| r.m == r.n && r.n == r.k)
        .map(|r| r.m)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let ordering = sizes
        .iter()
        .filter(|&&s| s >= ACCEPTANCE_MIN_SIZE)
        .map(|&s| ordering_at(&rows, s))
        .collect();
    Ok(H100Validation {
        arch: arch.name.clone(),
        rows,
        stats,
        ordering,
        copy_bandwidth_gbps: (arch.memory.dram.bandwidth_gbps, cal.copy_bandwidth_gbps),
    })
}

fn ordering_at(rows: &[Row], size: u64) -> Ordering {
    let at: Vec<&Row> = ACCEPTANCE_PRECISIONS
        .iter()
        .filter_map(|p| {
            rows.iter()
                .find(|r| r.m == size && r.n == size && r.k == size && r.precision == *p)
        })
        .collect();
    let sorted = |key: &dyn Fn(&Row) -> f64| {
        let mut v: Vec<&Row> = at.clone();
        v.sort_by(|a, b| key(a).total_cmp(&key(b)));
        v.iter().map(|r| r.precision.clone()).collect::<Vec<_>>()
    };
    let mut by_pred: Vec<&Row> = at.clone();
    by_pred.sort_by(|a, b| a.predicted_s.total_cmp(&b.predicted_s));
    let mut predicted_display = String::new();
    for (i, r) in by_pred.iter().enumerate() {
        if i > 0 {
            let tie = r.predicted_s / by_pred[i - 1].predicted_s - 1.0 < PREDICTED_TIE;
            predicted_display.push_str(if tie { " = " } else { " < " });
        }
        predicted_display.push_str(&r.precision);
    }
    let mut o = Ordering {
        size,
        measured: sorted(&|r| r.measured_s),
        predicted: sorted(&|r| r.predicted_s),
        predicted_display,
        pairs_agree: 0,
        pairs_tied: 0,
        pairs_contradicted: Vec::new(),
        pairs_within_noise: Vec::new(),
    };
    for i in 0..at.len() {
        for j in i + 1..at.len() {
            let (a, b) = (at[i], at[j]);
            let pred = b.predicted_s / a.predicted_s - 1.0;
            let meas = b.measured_s / a.measured_s - 1.0;
            if pred.abs() < PREDICTED_TIE {
                o.pairs_tied += 1;
            } else if pred.signum() == meas.signum() {
                o.pairs_agree += 1;
            } else {
                let spread = |r: &Row| (r.measured_s - r.measured_min_s) / r.measured_s;
                let gap = (a.measured_s - b.measured_s).abs() / a.measured_s.min(b.measured_s);
                let pair = (a.precision.clone(), b.precision.clone());
                if gap > spread(a).max(spread(b)) {
                    o.pairs_contradicted.push(pair);
                } else {
                    o.pairs_within_noise.push(pair);
                }
            }
        }
    }
    o
}
