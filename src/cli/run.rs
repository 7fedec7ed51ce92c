//! `accelsim run ARCH WORKLOAD|MODEL.onnx [--functional ...]`: simulate and print a
//! report; optionally execute the workload functionally first, write its outputs, and
//! cost it with the densities its values had.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::func::{self, ExecOptions, Feeds};
use accelsim::import::onnx::{import_file, ImportOptions};
use accelsim::report::{layers_csv, render_table};
use accelsim::sim::Engine;
use accelsim::tensor::read_npy;
use accelsim::workload::sparsity::Measured;
use accelsim::workload::Workload;

use super::CliError;

/// Arguments of `accelsim run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Architecture file (JSON).
    pub arch: PathBuf,
    /// Workload file (JSON) or ONNX model (.onnx, imported on the fly).
    pub workload: PathBuf,
    /// Print the full report as JSON instead of tables.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the per-layer table as CSV instead of tables.
    #[arg(long)]
    pub csv: bool,
    /// Also print each compute layer's searched mapping (loop nest per memory level, bytes
    /// per tensor per level, DRAM lower bound and ratio) after the tables; `--json`
    /// always carries it.
    #[arg(long, conflicts_with_all = ["csv", "json"])]
    pub mapping: bool,
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
    /// Also execute the workload functionally (bit-exact values of every output); the
    /// report then costs every tensor at the density its values had.
    #[arg(long)]
    pub functional: bool,
    /// A graph input's values: NAME=FILE.npy (repeatable; others get seeded random values).
    #[arg(long = "input", value_name = "NAME=FILE.npy", requires = "functional")]
    pub inputs: Vec<String>,
    /// Write each graph output to DIR/<name>.npy (created if missing).
    #[arg(long = "outputs", value_name = "DIR", requires = "functional")]
    pub outputs_dir: Option<PathBuf>,
    /// Seed of the random values of inputs and weights without data.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// ONNX: map operators without a workload equivalent to generic vector ops.
    #[arg(long)]
    pub allow_unknown: bool,
    /// ONNX: a concrete shape for a graph input with symbolic dimensions,
    /// NAME=D1,D2,... (repeatable).
    #[arg(long = "input-shape", value_name = "NAME=D1,D2,...")]
    pub input_shapes: Vec<String>,
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

/// Parses `NAME=D1,D2,...` shape overrides.
pub fn parse_input_shapes(items: &[String]) -> Result<BTreeMap<String, Vec<usize>>, CliError> {
    let mut out = BTreeMap::new();
    for item in items {
        let (name, dims) = item.split_once('=').ok_or_else(|| {
            CliError::bad_input(format!(
                "--input-shape '{item}': expected NAME=D1,D2,... (e.g. input=1,3,224,224)"
            ))
        })?;
        let shape = dims
            .split(',')
            .map(|d| d.trim().parse::<usize>().ok().filter(|&v| v > 0))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                CliError::bad_input(format!(
                    "--input-shape '{item}': dimensions must be positive integers separated by commas"
                ))
            })?;
        out.insert(name.to_string(), shape);
    }
    Ok(out)
}

/// Loads a workload file or imports an `.onnx` model; returns it with the weight
/// values an import provides.
pub fn load_workload(
    path: &Path,
    allow_unknown: bool,
    input_shapes: &[String],
) -> Result<(Workload, Feeds), CliError> {
    let is_onnx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"));
    if !is_onnx {
        let w = Workload::load(path).map_err(|e| CliError::bad_input(e.to_string()))?;
        return Ok((w, Feeds::default()));
    }
    let opts = ImportOptions {
        allow_unknown,
        input_shapes: parse_input_shapes(input_shapes)?,
    };
    let imported = import_file(path, &opts).map_err(|e| CliError::bad_input(e.to_string()))?;
    for w in &imported.warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let w = Workload::from_spec(imported.spec).map_err(|e| {
        CliError::bad_input(format!(
            "{}: the imported workload is invalid: {e}",
            path.display()
        ))
    })?;
    Ok((
        w,
        Feeds {
            inputs: BTreeMap::new(),
            weights: imported.weights,
        },
    ))
}

/// Runs `accelsim run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let arch = Arch::load(&args.arch).map_err(|e| CliError::bad_input(e.to_string()))?;
    let (mut workload, mut feeds) =
        load_workload(&args.workload, args.allow_unknown, &args.input_shapes)?;
    if args.functional {
        let measured = run_functional(args, &workload, &arch, &mut feeds)?;
        accelsim::workload::sparsity::apply_functional(&mut workload, &measured);
    }
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
    } else if args.mapping {
        render_table(&report) + &accelsim::report::render_mappings(&report)
    } else {
        render_table(&report)
    };
    if let Some(path) = &args.output {
        super::write_atomic(path, text.as_bytes())?;
    }
    super::print_stdout(&text)
}

/// Reads the `--input` files, executes, writes `--outputs`; returns the sparsity measured
/// on every tensor.
fn run_functional(
    args: &RunArgs,
    workload: &Workload,
    arch: &Arch,
    feeds: &mut Feeds,
) -> Result<BTreeMap<String, Measured>, CliError> {
    for item in &args.inputs {
        let (name, file) = item.split_once('=').ok_or_else(|| {
            CliError::bad_input(format!("--input '{item}': expected NAME=FILE.npy"))
        })?;
        let t = read_npy(file).map_err(|e| CliError::bad_input(format!("--input {name}: {e}")))?;
        if feeds.inputs.insert(name.to_string(), t).is_some() {
            return Err(CliError::bad_input(format!(
                "--input: '{name}' is given more than once"
            )));
        }
    }
    let outputs = func::execute(workload, arch, feeds, &ExecOptions { seed: args.seed })
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.workload.display())))?;
    for (name, src) in &outputs.sources {
        if *src == func::Source::Random {
            tracing::info!(
                "'{name}' has no data: using seeded random values (seed {})",
                args.seed
            );
        }
    }
    if let Some(dir) = &args.outputs_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::failure(format!("{}: cannot create directory: {e}", dir.display()))
        })?;
        let mut used = std::collections::BTreeSet::new();
        for (name, t) in &outputs.tensors {
            let file = unique_file_name(name, &mut used);
            let path = dir.join(&file);
            accelsim::tensor::write_npy(&path, t).map_err(|e| CliError::failure(e.to_string()))?;
            eprintln!(
                "functional: wrote {} ({} {:?})",
                path.display(),
                t.dtype(),
                t.shape()
            );
        }
    } else {
        for (name, t) in &outputs.tensors {
            eprintln!(
                "functional: output '{name}' ({} {:?})",
                t.dtype(),
                t.shape()
            );
        }
    }
    Ok(outputs.measured)
}

/// `<name>.npy` with characters outside `[A-Za-z0-9_.-]` replaced by `_`, made unique.
pub fn unique_file_name(name: &str, used: &mut std::collections::BTreeSet<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = if base.is_empty() || base.starts_with('.') {
        format!("_{base}")
    } else {
        base
    };
    let mut file = format!("{base}.npy");
    let mut k = 1;
    while !used.insert(file.clone()) {
        file = format!("{base}_{k}.npy");
        k += 1;
    }
    file
}
