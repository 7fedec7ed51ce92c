//! `accelsim schema arch|workload|sweep`: print a JSON Schema for editors.

use super::CliError;

/// Which schema to print.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SchemaKind {
    /// The architecture file.
    Arch,
    /// The workload file.
    Workload,
    /// The sweep file (`accelsim sweep`).
    Sweep,
}

/// Arguments of `accelsim schema`.
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// arch, workload or sweep.
    #[arg(value_enum)]
    pub kind: SchemaKind,
}

/// Runs `accelsim schema`.
pub fn run(args: &SchemaArgs) -> Result<(), CliError> {
    let schema = match args.kind {
        SchemaKind::Arch => schemars::schema_for!(accelsim::arch::Arch),
        SchemaKind::Workload => schemars::schema_for!(accelsim::workload::WorkloadSpec),
        SchemaKind::Sweep => schemars::schema_for!(accelsim::dse::SweepSpec),
    };
    let text =
        serde_json::to_string_pretty(&schema).map_err(|e| CliError::failure(e.to_string()))?;
    super::print_stdout(&(text + "\n"))
}
