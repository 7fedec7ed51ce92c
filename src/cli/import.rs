//! `accelsim import scalesim --config X.cfg --topology Y.csv --out-dir DIR` and
//! `accelsim import onnx MODEL.onnx -o WORKLOAD.json`: convert other tools' inputs into
//! accelsim's `arch.json` and `workload.json`.

use std::path::PathBuf;

use accelsim::import::scalesim::{self, TopologyKind};

use super::CliError;

/// Arguments of `accelsim import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The source format.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// The formats `accelsim import` reads.
#[derive(clap::Subcommand, Debug)]
pub enum ImportSource {
    /// A SCALE-Sim v3 config (.cfg) and topology (.csv, conv or GEMM) → arch.json + workload.json.
    Scalesim(ScalesimArgs),
    /// An ONNX model → workload.json, with its weights as .npy files in WORKLOAD.weights/.
    Onnx(OnnxArgs),
}

/// Arguments of `accelsim import onnx`.
#[derive(clap::Args, Debug)]
pub struct OnnxArgs {
    /// The ONNX model (.onnx, weights embedded).
    pub model: PathBuf,
    /// The workload file to write; weights go to `<stem>.weights/` beside it.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Map operators without a workload equivalent to generic vector ops.
    #[arg(long)]
    pub allow_unknown: bool,
    /// A concrete shape for a graph input with symbolic dimensions, NAME=D1,D2,...
    #[arg(long = "input-shape", value_name = "NAME=D1,D2,...")]
    pub input_shapes: Vec<String>,
}

/// Arguments of `accelsim import scalesim`.
#[derive(clap::Args, Debug)]
pub struct ScalesimArgs {
    /// SCALE-Sim config file (.cfg).
    #[arg(long)]
    pub config: PathBuf,
    /// SCALE-Sim topology file (.csv).
    #[arg(long)]
    pub topology: PathBuf,
    /// Directory to write arch.json and workload.json into (created if missing).
    #[arg(long)]
    pub out_dir: PathBuf,
    /// Topology format: detected from the header by default.
    #[arg(long, value_enum, default_value = "auto")]
    pub kind: KindArg,
}

/// Topology format on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    /// Detect from the header row.
    Auto,
    /// Convolution layers.
    Conv,
    /// GEMM layers (Layer, M, N, K).
    Gemm,
}

/// Runs `accelsim import`.
pub fn run(args: &ImportArgs) -> Result<(), CliError> {
    match &args.source {
        ImportSource::Scalesim(a) => run_scalesim(a),
        ImportSource::Onnx(a) => run_onnx(a),
    }
}

fn run_scalesim(args: &ScalesimArgs) -> Result<(), CliError> {
    let kind = match args.kind {
        KindArg::Auto => None,
        KindArg::Conv => Some(TopologyKind::Conv),
        KindArg::Gemm => Some(TopologyKind::Gemm),
    };
    let (arch, spec) =
        scalesim::import_files(&args.config, &args.topology, kind).map_err(CliError::from_error)?;
    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        CliError::io(
            format!("{}: cannot create directory: {e}", args.out_dir.display()),
            e,
        )
    })?;
    let arch_path = args.out_dir.join("arch.json");
    let workload_path = args.out_dir.join("workload.json");
    super::write_atomic(&arch_path, (pretty(&arch)? + "\n").as_bytes())?;
    super::write_atomic(&workload_path, (pretty(&spec)? + "\n").as_bytes())?;
    println!(
        "wrote {} ({}) and {} ({} layers)",
        arch_path.display(),
        arch.name,
        workload_path.display(),
        spec.ops.len()
    );
    println!(
        "run it: accelsim run {} {}",
        arch_path.display(),
        workload_path.display()
    );
    Ok(())
}

fn run_onnx(args: &OnnxArgs) -> Result<(), CliError> {
    let opts = accelsim::import::onnx::ImportOptions {
        allow_unknown: args.allow_unknown,
        input_shapes: super::run::parse_input_shapes(&args.input_shapes)?,
    };
    let mut imported =
        accelsim::import::onnx::import_file(&args.model, &opts).map_err(CliError::from_error)?;
    for w in &imported.warnings {
        eprintln!("warning: {}: {w}", args.model.display());
    }
    // Validate before writing anything.
    accelsim::workload::Workload::from_spec(imported.spec.clone()).map_err(|e| {
        CliError::with_context(
            format!("{}: the imported workload is invalid", args.model.display()),
            e,
        )
    })?;
    let stem = args
        .output
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "workload".into());
    let dir_name = format!("{stem}.weights");
    let parent = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let weights_dir = parent.join(&dir_name);
    if !imported.weights.is_empty() {
        std::fs::create_dir_all(&weights_dir).map_err(|e| {
            CliError::io(
                format!("{}: cannot create directory: {e}", weights_dir.display()),
                e,
            )
        })?;
    }
    let mut used = std::collections::BTreeSet::new();
    for w in &mut imported.spec.weights {
        let Some(t) = imported.weights.get(&w.name) else {
            continue;
        };
        let file = super::run::unique_file_name(&w.name, &mut used);
        let path = weights_dir.join(&file);
        accelsim::tensor::write_npy(&path, t).map_err(CliError::from_error)?;
        tracing::info!("wrote {} (weight '{}')", path.display(), w.name);
        w.file = Some(format!("{dir_name}/{file}"));
    }
    super::write_atomic(&args.output, (pretty(&imported.spec)? + "\n").as_bytes())?;
    println!(
        "wrote {} ({} ops, {} weights in {})",
        args.output.display(),
        imported.spec.ops.len(),
        imported.spec.weights.len(),
        weights_dir.display()
    );
    Ok(())
}

/// Pretty JSON with a trailing newline left to the caller.
fn pretty<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::failure(e.to_string()))
}
