//! Command-line front end: clap definitions and dispatch. Each subcommand lives in its
//! own file and only parses arguments, calls the library and prints.

use accelsim::error::{Classify, ErrorKind};
use clap::{Parser, Subcommand};

mod cast;
mod energy_table;
mod import;
mod prune;
mod run;
mod schema;
mod sweep;
mod train;
mod validate;

/// Exit code for bad input (malformed files, unknown names, invalid values).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for other failures (I/O errors writing outputs, internal errors).
pub const EXIT_FAILURE: i32 = 1;

/// An error the CLI reports: the message, the exit code its kind chose, and the library
/// error it came from (its `source()` chain intact).
#[derive(Debug)]
pub struct CliError {
    /// The full, rendered message.
    pub message: String,
    /// Exit code to use.
    pub exit_code: i32,
    /// The library error, when the failure came from one.
    pub source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl CliError {
    /// A bad-input error the CLI itself finds, e.g. in its arguments (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_BAD_INPUT,
            source: None,
        }
    }
    /// A failure that is not the input's fault (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_FAILURE,
            source: None,
        }
    }
    /// A failure writing or creating an output (exit code 1), keeping the I/O error.
    pub fn io(message: impl Into<String>, e: std::io::Error) -> Self {
        CliError {
            source: Some(Box::new(e)),
            ..CliError::failure(message)
        }
    }
    /// A library error: its message, and the exit code its [`ErrorKind`] chooses (2 for bad
    /// input, 1 for an internal failure).
    pub fn from_error<E: Classify + Send + Sync + 'static>(e: E) -> Self {
        CliError {
            message: e.to_string(),
            exit_code: exit_code(e.kind()),
            source: Some(Box::new(e)),
        }
    }
    /// [`CliError::from_error`] with a prefix naming what was being done
    /// (`"--input x: {e}"`).
    pub fn with_context<E: Classify + Send + Sync + 'static>(
        context: impl std::fmt::Display,
        e: E,
    ) -> Self {
        CliError {
            message: format!("{context}: {e}"),
            ..CliError::from_error(e)
        }
    }
}

/// The process exit code of an error kind.
pub fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::BadInput => EXIT_BAD_INPUT,
        ErrorKind::Internal => EXIT_FAILURE,
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "accelsim",
    version,
    about = "Fast, numerically exact AI-accelerator simulator"
)]
struct Cli {
    /// More log output on stderr: -v info (phases, files written), -vv debug (one line per
    /// op: precision, mapping, tiling, cycles), -vvv trace (engine events); RUST_LOG
    /// (e.g. RUST_LOG=accelsim=debug) overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Simulate a workload on an architecture and report latency, throughput and energy.
    Run(run::RunArgs),
    /// Print the JSON Schema of the arch or workload file.
    Schema(schema::SchemaArgs),
    /// Cast f32 values (one per line on stdin) to a format; prints one JSON object per line.
    Cast(cast::CastArgs),
    /// Print a table of every number format.
    Formats(cast::FormatsArgs),
    /// Print the energy and area component table (sources, nodes), optionally for an arch.
    EnergyTable(energy_table::EnergyTableArgs),
    /// Convert another tool's inputs (SCALE-Sim config + topology, ONNX models) into arch.json / workload.json.
    Import(import::ImportArgs),
    /// Compare predictions with measurements (h100) or print the A100 MLP precision study.
    Validate(validate::ValidateArgs),
    /// Magnitude-prune a workload's weights to an N:M pattern or a density.
    Prune(prune::PruneArgs),
    /// Evaluate a design space (sweep file) in parallel: results, Pareto front, plots;
    /// `sweep merge` combines shard outputs.
    Sweep(sweep::SweepArgs),
    /// Derive a workload's training step under a policy and report its cost per phase
    /// (FWD, BWD, GRAD, update) and per layer, with its memory footprint.
    Train(train::TrainArgs),
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only on a terminal: logs redirected to a file stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Parses arguments, runs the command and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Run(a) => run::run(&a),
        Command::Schema(a) => schema::run(&a),
        Command::Cast(a) => cast::run_cast(&a),
        Command::Formats(a) => cast::run_formats(&a),
        Command::EnergyTable(a) => energy_table::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Validate(a) => validate::run(&a),
        Command::Prune(a) => prune::run(&a),
        Command::Sweep(a) => sweep::run(&a),
        Command::Train(a) => train::run(&a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", e.message);
            // The causes behind the message (its text already includes them), for -v.
            if let Some(source) = &e.source {
                for cause in accelsim::error::chain(source.as_ref()).skip(1) {
                    tracing::info!("caused by: {cause}");
                }
            }
            e.exit_code
        }
    }
}

/// Writes a file atomically (temporary file in the same folder, then rename), so a failed
/// run never leaves a half-written output.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    accelsim::fsio::write_atomic(path, bytes)
        .map_err(|e| CliError::io(format!("{}: cannot write: {e}", path.display()), e))?;
    tracing::info!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

/// `n` and the noun, singular or plural: "1 point", "3 points".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Prints to stdout; a closed pipe (`accelsim run ... | head`) ends quietly instead of
/// panicking.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io(format!("cannot write to stdout: {e}"), e)),
    }
}
