//! Command-line front end: clap definitions and dispatch. Each subcommand lives in its
//! own file and only parses arguments, calls the library and prints.

use clap::{Parser, Subcommand};

mod cast;

/// Exit code for bad input (malformed files, unknown names, invalid values).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for other failures (I/O errors writing outputs, internal errors).
pub const EXIT_FAILURE: i32 = 1;

/// An error the CLI reports: the message, and whether it was the user's input.
#[derive(Debug)]
pub struct CliError {
    /// The full, rendered message.
    pub message: String,
    /// Exit code to use.
    pub exit_code: i32,
}

impl CliError {
    /// A bad-input error (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_BAD_INPUT,
        }
    }
    /// A failure that is not the input's fault (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: EXIT_FAILURE,
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "accelsim",
    version,
    about = "Fast, numerically exact AI-accelerator simulator"
)]
struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Cast f32 values (one per line on stdin) to a format; prints one JSON object per line.
    Cast(cast::CastArgs),
    /// Print a table of every number format.
    Formats(cast::FormatsArgs),
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
        Command::Cast(a) => cast::run_cast(&a),
        Command::Formats(a) => cast::run_formats(&a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", e.message);
            e.exit_code
        }
    }
}
