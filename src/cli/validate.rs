//! `accelsim validate h100|a100-mlp`: predicted vs measured on the bundled H100 calibration
//! set, and the A100 6-layer-MLP precision sweep.

use std::path::PathBuf;

use accelsim::arch::Arch;
use accelsim::model::gpu::Launch;
use accelsim::model::RunOptions;
use accelsim::numerics::Format;
use accelsim::validate::sweep::Epilogue;
use accelsim::validate::{self, calibration::Calibration, render};

use super::run::LaunchArg;
use accelsim::workload::WorkloadSpec;

use super::CliError;

/// What to validate.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Target {
    /// H100 SXM preset against the calibration measurements.
    H100,
    /// A100 SXM preset: the 6-layer MLP at fp16, int8 and int4.
    A100Mlp,
}

/// Arguments of `accelsim validate`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// h100 or a100-mlp.
    #[arg(value_enum)]
    pub target: Target,
    /// Architecture file (default: the bundled preset).
    #[arg(long)]
    pub arch: Option<PathBuf>,
    /// Calibration file for h100 (default: the bundled tests/data/h100/calibration.json).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Workload for a100-mlp (default: the bundled workloads/mlp6.json).
    #[arg(long)]
    pub workload: Option<PathBuf>,
    /// Launch path of the predictions (default: eager for h100, as its measurements were
    /// taken; graph for a100-mlp, as `accelsim run`).
    #[arg(long, value_enum)]
    pub launch: Option<LaunchArg>,
    /// a100-mlp: the format every layer writes its result in — `operand` (default: the
    /// layer's own precision, a requantizing epilogue), `accumulator` (int32 for integer,
    /// fp32 for float layers, as CUTLASS int32/fp32 C/D) or a format name.
    #[arg(long, default_value = "operand", value_parser = parse_epilogue)]
    pub epilogue: Epilogue,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn parse_epilogue(s: &str) -> Result<Epilogue, String> {
    Epilogue::parse(s)
}

fn bad(e: accelsim::InputError) -> CliError {
    CliError::from_error(e)
}

fn load_arch(path: &Option<PathBuf>, bundled: &str) -> Result<Arch, CliError> {
    match path {
        Some(p) => Arch::load(p).map_err(bad),
        None => Arch::from_json(bundled).map_err(bad),
    }
}

/// Runs `accelsim validate`.
pub fn run(args: &ValidateArgs) -> Result<(), CliError> {
    let text = match args.target {
        Target::H100 => {
            let arch = load_arch(&args.arch, validate::H100_ARCH_JSON)?;
            let cal = match &args.calibration {
                Some(p) => Calibration::load(p).map_err(bad)?,
                None => Calibration::from_json(validate::H100_CALIBRATION_JSON).map_err(bad)?,
            };
            if let Some(l) = args
                .launch
                .map(Launch::from)
                .filter(|&l| l != Launch::Eager)
            {
                return Err(CliError::bad_input(format!(
                    "--launch {l}: validate h100 compares with measurements taken through the PyTorch eager path, so it predicts with --launch eager"
                )));
            }
            let v = validate::h100::validate(&arch, &cal).map_err(bad)?;
            let cap = validate::cap::cap_effect(&arch, 8192, &["fp16", "bf16", "fp8", "int8"])
                .map_err(bad)?;
            if args.json {
                let both = serde_json::json!({ "validation": v, "power_cap_8192": cap });
                serde_json::to_string_pretty(&both).map_err(|e| CliError::failure(e.to_string()))?
                    + "\n"
            } else {
                format!(
                    "{}\n### The power cap per precision, 8192³\n\n{}",
                    render::h100_text(&v),
                    render::cap_markdown(&cap)
                )
            }
        }
        Target::A100Mlp => {
            let arch = load_arch(&args.arch, validate::A100_ARCH_JSON)?;
            let spec: WorkloadSpec = match &args.workload {
                Some(p) => accelsim::error::load_json_file(p).map_err(bad)?,
                None => accelsim::error::parse_json(validate::MLP6_JSON).map_err(bad)?,
            };
            let launch = args.launch.map(Launch::from).unwrap_or_default();
            let rows = validate::sweep::precision_sweep_with(
                &arch,
                &spec,
                &[Format::FP16, Format::INT8, Format::INT4],
                args.epilogue,
                &RunOptions::with_launch(launch),
            )
            .map_err(|e| match &args.workload {
                Some(p) => bad(e.in_file(p)),
                None => bad(e),
            })?;
            if args.json {
                serde_json::to_string_pretty(&rows).map_err(|e| CliError::failure(e.to_string()))?
                    + "\n"
            } else {
                format!(
                    "accelsim validate: {} on {} at fp16, int8, int4 (--launch {launch})\n\n{}",
                    spec.name,
                    arch.name,
                    render::sweep_markdown(&rows)
                )
            }
        }
    };
    print!("{text}");
    Ok(())
}
