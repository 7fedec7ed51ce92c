//! `accelsim run ARCH WORKLOAD`: simulate and print a report.

use std::path::PathBuf;

use accelsim::arch::Arch;
use accelsim::report::{layers_csv, render_table};
use accelsim::sim::Engine;
use accelsim::workload::Workload;

use super::CliError;

/// Arguments of `accelsim run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Architecture file (JSON).
    pub arch: PathBuf,
    /// Workload file (JSON).
    pub workload: PathBuf,
    /// Print the full report as JSON instead of tables.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the per-layer table as CSV instead of tables.
    #[arg(long)]
    pub csv: bool,
    /// Scheduler: event (discrete-event simulation with the memory hierarchy) or
    /// analytic (per-op roofline, ops one after another).
    #[arg(long, value_enum, default_value = "event")]
    pub engine: EngineArg,
    /// Also write the report to this file (format from --json/--csv, else text).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write a Chrome trace-event / Perfetto JSON of the run to this file (open it in
    /// https://ui.perfetto.dev or chrome://tracing).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// Engine choice on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum EngineArg {
    /// Discrete-event simulation over the whole DAG with the memory hierarchy.
    Event,
    /// Per-op roofline, ops one after another.
    Analytic,
}

impl From<EngineArg> for Engine {
    fn from(e: EngineArg) -> Engine {
        match e {
            EngineArg::Event => Engine::Event,
            EngineArg::Analytic => Engine::Analytic,
        }
    }
}

/// Runs `accelsim run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let arch = Arch::load(&args.arch).map_err(|e| CliError::bad_input(e.to_string()))?;
    let workload =
        Workload::load(&args.workload).map_err(|e| CliError::bad_input(e.to_string()))?;
    let (report, trace) = if args.trace.is_some() {
        let (r, t) = accelsim::run_with_trace(&workload, &arch, args.engine.into())
            .map_err(|e| CliError::bad_input(e.in_file(&args.workload).to_string()))?;
        (r, Some(t))
    } else {
        let r = accelsim::run(&workload, &arch, args.engine.into())
            .map_err(|e| CliError::bad_input(e.in_file(&args.workload).to_string()))?;
        (r, None)
    };
    if let (Some(path), Some(trace)) = (&args.trace, &trace) {
        super::write_atomic(path, trace.as_bytes())?;
    }
    let text = if args.json {
        report.to_json() + "\n"
    } else if args.csv {
        layers_csv(&report)
    } else {
        render_table(&report)
    };
    if let Some(path) = &args.output {
        super::write_atomic(path, text.as_bytes())?;
    }
    super::print_stdout(&text)
}
