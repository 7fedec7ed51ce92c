//! `accelsim import scalesim --config X.cfg --topology Y.csv --out-dir DIR`: convert other
//! tools' inputs into accelsim's `arch.json` and `workload.json`.

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
    }
}

fn run_scalesim(args: &ScalesimArgs) -> Result<(), CliError> {
    let kind = match args.kind {
        KindArg::Auto => None,
        KindArg::Conv => Some(TopologyKind::Conv),
        KindArg::Gemm => Some(TopologyKind::Gemm),
    };
    let (arch, spec) = scalesim::import_files(&args.config, &args.topology, kind)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    std::fs::create_dir_all(&args.out_dir).map_err(|e| {
        CliError::failure(format!(
            "{}: cannot create directory: {e}",
            args.out_dir.display()
        ))
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

/// Pretty JSON with a trailing newline left to the caller.
fn pretty<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::failure(e.to_string()))
}
