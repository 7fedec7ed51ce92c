//! `accelsim run ARCH WORKLOAD|MODEL.onnx [--functional ...]`: simulate and print a
//! report; optionally execute the workload functionally first, write its outputs, and
//! cost it with the densities its values had.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::func::{self, ExecOptions, Feeds};
use accelsim::import::onnx::{import_file, ImportOptions};
use accelsim::model::gpu::Launch;
use accelsim::model::options::Fusion;
use accelsim::model::RunOptions;
use accelsim::report::{layers_csv, render_table, render_table_details};
use accelsim::sim::Engine;
use accelsim::tensor::read_npy;
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
    /// per tensor per level, DRAM lower bound and ratio) and each layer's access counts
    /// and energy per level and tensor after the tables; `--json` always carries both
    /// (`temporal_mapping`, `access_counts`).
    #[arg(long, conflicts_with_all = ["csv", "json"])]
    pub mapping: bool,
    /// Scheduler: event (discrete-event simulation with the memory hierarchy) or
    /// analytic (per-op roofline, ops one after another).
    #[arg(long, value_enum, default_value = "event")]
    pub engine: EngineArg,
    /// GPU archs: how kernels are launched — graph (CUDA Graph replay: device launch
    /// latency only), cpp (a C++ host, ~5 µs per kernel) or eager (the PyTorch eager path
    /// the H100 calibration was measured with). No effect on other archs.
    #[arg(long, value_enum, default_value = "graph")]
    pub launch: LaunchArg,
    /// Cost every op as written: no elementwise op fuses into its producer's epilogue
    /// (by default they do, where the arch declares a post-processing path).
    #[arg(long)]
    pub no_fusion: bool,
    /// Write the report to this file instead of stdout (format from --json/--csv, else
    /// text).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Print every summary field in full (static-power breakdown; no wrapping).
    #[arg(long)]
    pub details: bool,
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
    /// Functional: the largest tensor, in GiB of host memory at 4 bytes per element
    /// (default 4); larger tensors are refused before anything is allocated.
    #[arg(long, value_name = "GIB", requires = "functional")]
    pub max_tensor_gib: Option<f64>,
    /// Functional: the largest total of all tensors, in GiB of host memory (default 16,
    /// sized for a 24 GiB machine).
    #[arg(long, value_name = "GIB", requires = "functional")]
    pub max_functional_gib: Option<f64>,
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

/// GPU launch path on the command line ([`Launch`]).
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LaunchArg {
    /// CUDA Graph replay: kernels pay the device launch latency only.
    Graph,
    /// A C++ host issuing kernels back to back.
    Cpp,
    /// The PyTorch eager loop the H100 calibration was measured with.
    Eager,
}

impl From<LaunchArg> for Launch {
    fn from(l: LaunchArg) -> Launch {
        match l {
            LaunchArg::Graph => Launch::Graph,
            LaunchArg::Cpp => Launch::Cpp,
            LaunchArg::Eager => Launch::Eager,
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
        let w = Workload::load(path).map_err(CliError::from_error)?;
        return Ok((w, Feeds::default()));
    }
    let opts = ImportOptions {
        allow_unknown,
        input_shapes: parse_input_shapes(input_shapes)?,
    };
    let imported = import_file(path, &opts).map_err(CliError::from_error)?;
    for w in &imported.warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let w = Workload::from_spec(imported.spec).map_err(|e| {
        CliError::with_context(
            format!("{}: the imported workload is invalid", path.display()),
            e,
        )
    })?;
    Ok((
        w,
        Feeds {
            inputs: BTreeMap::new(),
            weights: imported.weights,
        },
    ))
}

/// Runs `accelsim run`. Everything is validated and simulated before the first output
/// file is written, so a run that fails leaves no files behind.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let arch = load_arch(&args.arch, &args.workload)?;
    tracing::info!(
        "loaded architecture '{}' from {}",
        arch.name,
        args.arch.display()
    );
    let (mut workload, mut feeds) =
        load_workload(&args.workload, args.allow_unknown, &args.input_shapes)?;
    tracing::info!(
        "loaded workload '{}' from {} ({} ops)",
        workload.name,
        args.workload.display(),
        workload.ops.len()
    );
    let functional = if args.functional {
        tracing::info!("functional execution");
        let outputs = run_functional(args, &workload, &arch, &mut feeds)?;
        accelsim::workload::sparsity::apply_functional(&mut workload, &outputs.measured);
        Some(outputs)
    } else {
        None
    };
    tracing::info!(
        "simulating with the {} engine",
        format!("{:?}", args.engine).to_lowercase()
    );
    let fusion = if args.no_fusion {
        Fusion::Off
    } else {
        Fusion::On
    };
    let options = RunOptions::with_launch(args.launch.into()).with_fusion(fusion);
    let (report, trace) = if args.trace.is_some() {
        let (r, t) = accelsim::run_traced(&workload, &arch, args.engine.into(), &options)
            .map_err(|e| CliError::from_error(e.in_file(&args.workload)))?;
        (r, Some(t))
    } else {
        let r = accelsim::run_with(&workload, &arch, args.engine.into(), &options)
            .map_err(|e| CliError::from_error(e.in_file(&args.workload)))?;
        (r, None)
    };
    let text = if args.json {
        report.to_json() + "\n"
    } else if args.csv {
        layers_csv(&report)
    } else {
        let table = if args.details {
            render_table_details(&report)
        } else {
            render_table(&report)
        };
        if args.mapping {
            table
                + &accelsim::report::render_mappings(&report)
                + &accelsim::report::render_levels(&report)
        } else {
            table
        }
    };
    // The run succeeded: now write.
    if let Some(outputs) = &functional {
        write_functional_outputs(args, outputs)?;
    }
    if let (Some(path), Some(trace)) = (&args.trace, &trace) {
        super::write_atomic(path, trace.as_bytes())?;
    }
    match &args.output {
        Some(path) => super::write_atomic(path, text.as_bytes()),
        None => super::print_stdout(&text),
    }
}

/// Loads the arch file; when it fails because the two positional arguments are swapped (a
/// workload or an ONNX model given as ARCH), says so.
fn load_arch(arch: &Path, workload: &Path) -> Result<Arch, CliError> {
    let swapped = |what: &str| {
        CliError::bad_input(format!(
            "{}: this is {what}, not an architecture: the arguments are swapped. \
             The order is `accelsim run ARCH WORKLOAD`: accelsim run {} {}",
            arch.display(),
            workload.display(),
            arch.display()
        ))
    };
    if arch
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
    {
        return Err(swapped("an ONNX model"));
    }
    Arch::load(arch).map_err(|e| {
        let looks_like_workload = std::fs::read_to_string(arch)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v.get("ops").is_some() && v.get("array").is_none());
        if looks_like_workload {
            swapped("a workload (it has \"ops\")")
        } else {
            CliError::from_error(e)
        }
    })
}

/// Reads the `--input` files and executes the workload; writes nothing.
fn run_functional(
    args: &RunArgs,
    workload: &Workload,
    arch: &Arch,
    feeds: &mut Feeds,
) -> Result<func::Outputs, CliError> {
    for item in &args.inputs {
        let (name, file) = item.split_once('=').ok_or_else(|| {
            CliError::bad_input(format!("--input '{item}': expected NAME=FILE.npy"))
        })?;
        let t = read_npy(file).map_err(|e| CliError::with_context(format!("--input {name}"), e))?;
        if feeds.inputs.insert(name.to_string(), t).is_some() {
            return Err(CliError::bad_input(format!(
                "--input: '{name}' is given more than once"
            )));
        }
    }
    let limits = func::FuncLimits::from_gib(args.max_tensor_gib, args.max_functional_gib)
        .map_err(CliError::bad_input)?;
    let outputs = func::execute_with_limits(
        workload,
        arch,
        feeds,
        &ExecOptions { seed: args.seed },
        &limits,
    )
    .map_err(|e| CliError::with_context(args.workload.display(), e))?;
    for (name, src) in &outputs.sources {
        if *src == func::Source::Random {
            tracing::info!(
                "'{name}' has no data: using seeded random values (seed {})",
                args.seed
            );
        }
    }
    Ok(outputs)
}

/// Writes `--outputs` (each graph output to DIR/<name>.npy), or lists the outputs.
fn write_functional_outputs(args: &RunArgs, outputs: &func::Outputs) -> Result<(), CliError> {
    if let Some(dir) = &args.outputs_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::io(
                format!("{}: cannot create directory: {e}", dir.display()),
                e,
            )
        })?;
        let mut used = std::collections::BTreeSet::new();
        for (name, t) in &outputs.tensors {
            let file = unique_file_name(name, &mut used);
            let path = dir.join(&file);
            accelsim::tensor::write_npy(&path, t).map_err(CliError::from_error)?;
            tracing::info!(
                "wrote {} (output '{name}', {} {:?})",
                path.display(),
                t.dtype(),
                t.shape()
            );
        }
    } else {
        for (name, t) in &outputs.tensors {
            tracing::info!("output '{name}' ({} {:?})", t.dtype(), t.shape());
        }
    }
    Ok(())
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
