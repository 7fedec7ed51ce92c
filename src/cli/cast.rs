//! `accelsim cast` and `accelsim formats` (placeholder until the numerics work lands).

use super::CliError;

/// Arguments of `accelsim cast`.
#[derive(clap::Args, Debug)]
pub struct CastArgs {
    /// Target format name.
    #[arg(long)]
    pub to: String,
}

/// Arguments of `accelsim formats`.
#[derive(clap::Args, Debug)]
pub struct FormatsArgs {}

/// Runs `accelsim cast`.
pub fn run_cast(_args: &CastArgs) -> Result<(), CliError> {
    Err(CliError::failure("cast is not implemented yet"))
}

/// Runs `accelsim formats`.
pub fn run_formats(_args: &FormatsArgs) -> Result<(), CliError> {
    Err(CliError::failure("formats is not implemented yet"))
}
