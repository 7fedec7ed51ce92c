//! `accelsim prune WORKLOAD --pattern N:M | --density D`: magnitude-prune every
//! matmul/conv2d weight and write the new workload (see `docs/sparsity.md`).

use std::path::PathBuf;

use accelsim::workload::sparsity::{prune_workload, NmPattern, PruneTarget};
use accelsim::workload::Workload;

use super::CliError;

/// Arguments of `accelsim prune`.
#[derive(clap::Args, Debug)]
pub struct PruneArgs {
    /// Workload file (JSON).
    pub workload: PathBuf,
    /// N:M pattern along each weight's reduction axis, e.g. 2:4.
    #[arg(long, value_parser = parse_pattern, conflicts_with = "density", required_unless_present = "density")]
    pub pattern: Option<NmPattern>,
    /// Unstructured: keep this fraction of each weight's values (largest magnitudes).
    #[arg(long, value_parser = parse_density)]
    pub density: Option<f64>,
    /// Leave this op's weight dense (repeatable), e.g. the first conv or the classifier.
    #[arg(long, value_name = "OP")]
    pub exclude: Vec<String>,
    /// Name of the new workload (default: the original name).
    #[arg(long)]
    pub name: Option<String>,
    /// Write the new workload here (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

fn parse_pattern(s: &str) -> Result<NmPattern, String> {
    NmPattern::parse(s)
}

fn parse_density(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && (0.0..=1.0).contains(&d) => Ok(d),
        _ => Err(format!(
            "expected a density (fraction of non-zeros) in [0, 1], got '{s}'"
        )),
    }
}

/// Runs `accelsim prune`.
pub fn run(args: &PruneArgs) -> Result<(), CliError> {
    let w = Workload::load(&args.workload).map_err(CliError::from_error)?;
    let target = match (args.pattern, args.density) {
        (Some(p), _) => PruneTarget::Pattern(p),
        (None, Some(d)) => PruneTarget::Density(d),
        (None, None) => return Err(CliError::bad_input("give --pattern N:M or --density D")),
    };
    let mut out = prune_workload(&w, target, &args.exclude)
        .map_err(|e| CliError::from_error(e.in_file(&args.workload)))?;
    if let Some(name) = &args.name {
        out.spec.name = name.clone();
    }
    for (t, s) in &out.pruned {
        let how = s.pattern.map(|p| format!("{p}, ")).unwrap_or_default();
        eprintln!("pruned '{t}': {how}density {:.4} (annotated)", s.density);
    }
    for (t, why) in &out.skipped {
        eprintln!("left '{t}' dense: {why}");
    }
    let text = serde_json::to_string_pretty(&out.spec)
        .map_err(|e| CliError::failure(e.to_string()))?
        + "\n";
    match &args.output {
        Some(path) => super::write_atomic(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
