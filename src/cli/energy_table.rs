//! `accelsim energy-table [ARCH] [--json]`: the component table with sources and nodes.

use std::path::PathBuf;

use super::CliError;

/// Arguments of `accelsim energy-table`.
#[derive(clap::Args, Debug)]
pub struct EnergyTableArgs {
    /// An architecture file: figures scaled to its node, plus its own components.
    pub arch: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `accelsim energy-table`.
pub fn run(args: &EnergyTableArgs) -> Result<(), CliError> {
    let arch = match &args.arch {
        Some(p) => {
            Some(accelsim::arch::Arch::load(p).map_err(|e| CliError::bad_input(e.to_string()))?)
        }
        None => None,
    };
    let rows = accelsim::arch::components::table(arch.as_ref());
    let text = if args.json {
        serde_json::to_string_pretty(&rows).map_err(|e| CliError::failure(e.to_string()))? + "\n"
    } else {
        accelsim::arch::components::render(&rows)
    };
    super::print_stdout(&text)
}
