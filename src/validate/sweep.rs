//! A workload run at several precisions on one arch: latency, energy and power of each,
//! and latency relative to the first (e.g. int8 and int4 against fp16).

use serde::Serialize;

use crate::arch::Arch;
use crate::error::InputResult;
use crate::model::RunOptions;
use crate::numerics::Format;
use crate::power::CapState;
use crate::sim::Engine;
use crate::workload::{Workload, WorkloadSpec};

use super::gemm::with_precision_and_output;

/// One precision of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// Format every op computes in.
    pub format: String,
    /// Format every op writes its result in (the GEMM epilogue).
    pub output: String,
    /// Latency, s.
    pub latency_s: f64,
    /// Latency over the first row's.
    pub latency_vs_first: f64,
    /// Energy per inference, J.
    pub energy_j: f64,
    /// Average power, W.
    pub power_w: f64,
    /// Clock after power capping, GHz.
    pub clock_ghz: f64,
    /// Power-cap state.
    pub cap_state: CapState,
}

/// The format GEMMs write their results in, for a precision sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Epilogue {
    /// The operand format itself (a requantizing epilogue: int8 in, int8 out).
    #[default]
    Operand,
    /// The arch's accumulator of the operand format (int32 for integer MACs, fp32 for
    /// float ones), as CUTLASS kernels with int32/fp32 C/D write it.
    Accumulator,
    /// One given format for every precision.
    Format(Format),
}

impl Epilogue {
    /// Parses `operand`, `accumulator` or a format name.
    pub fn parse(s: &str) -> Result<Epilogue, String> {
        match s {
            "operand" => Ok(Epilogue::Operand),
            "accumulator" => Ok(Epilogue::Accumulator),
            _ => Format::parse(s).map(Epilogue::Format).map_err(|_| {
                format!("expected 'operand', 'accumulator' or a format name, got '{s}'")
            }),
        }
    }

    /// The output format of ops computing in `format` on `arch`.
    pub fn output(self, arch: &Arch, format: Format) -> Format {
        match self {
            Epilogue::Operand => format,
            Epilogue::Accumulator => arch
                .mac_mode(format)
                .map(|m| m.accumulator)
                .unwrap_or(format.default_accumulator()),
            Epilogue::Format(f) => f,
        }
    }
}

/// Runs `spec` re-typed to each of `formats` on `arch` (outputs in the operand format,
/// default launch path).
pub fn precision_sweep(
    arch: &Arch,
    spec: &WorkloadSpec,
    formats: &[Format],
) -> InputResult<Vec<SweepRow>> {
    precision_sweep_with(
        arch,
        spec,
        formats,
        Epilogue::Operand,
        &RunOptions::default(),
    )
}

/// Runs `spec` re-typed to each of `formats` on `arch`, every op writing its result in the
/// `epilogue` format, under run `options`.
pub fn precision_sweep_with(
    arch: &Arch,
    spec: &WorkloadSpec,
    formats: &[Format],
    epilogue: Epilogue,
    options: &RunOptions,
) -> InputResult<Vec<SweepRow>> {
    let mut rows: Vec<SweepRow> = Vec::with_capacity(formats.len());
    for &f in formats {
        let output = epilogue.output(arch, f);
        let w = Workload::from_spec(with_precision_and_output(spec, f, output))?;
        let r = crate::run_with(&w, arch, Engine::Analytic, options)?;
        let first = rows
            .first()
            .map(|x| x.latency_s)
            .unwrap_or(r.summary.latency_s);
        rows.push(SweepRow {
            format: f.name(),
            output: output.name(),
            latency_s: r.summary.latency_s,
            latency_vs_first: r.summary.latency_s / first,
            energy_j: r.summary.energy_pj * 1e-12,
            power_w: r.power.average_power_w,
            clock_ghz: r.power.clock_ghz,
            cap_state: r.power.cap_state,
        });
    }
    Ok(rows)
}
