//! `accelsim train ARCH WORKLOAD --policy POLICY`: derive the training step of a workload
//! and report its cost per phase and per layer with its memory footprint
//! (docs/training.md).

use std::path::PathBuf;

use accelsim::arch::Arch;
use accelsim::train::{render_text, train_cost, DeriveOptions, Loss, Policy, TrainOptions};

use super::run::{load_workload, EngineArg};
use super::CliError;

/// Arguments of `accelsim train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Architecture file (JSON).
    pub arch: PathBuf,
    /// Inference workload file (JSON) or ONNX model.
    pub workload: PathBuf,
    /// Training policy: a bundled name (fp32, bf16_mixed, fp8_hybrid, hfp8, mxfp8) or a
    /// policy file.
    #[arg(long)]
    pub policy: String,
    /// The loss on the workload's output.
    #[arg(long, value_enum, default_value = "cross-entropy")]
    pub loss: LossArg,
    /// The output the loss applies to (default: the workload's only output).
    #[arg(long, value_name = "TENSOR")]
    pub loss_output: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the derived training-step workload (forward, loss, backward, update) here.
    #[arg(long, value_name = "FILE")]
    pub emit_graph: Option<PathBuf>,
    /// Scheduler.
    #[arg(long, value_enum, default_value = "event")]
    pub engine: EngineArg,
    /// Run formats the arch has no MACs for on a wider format it has (sets the arch's
    /// `precision_fallback`).
    #[arg(long)]
    pub precision_fallback: bool,
    /// Write the report here instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// The loss on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LossArg {
    /// Softmax cross-entropy over the last axis.
    CrossEntropy,
    /// Mean squared error.
    Mse,
}

/// Runs `accelsim train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let bad = |e: accelsim::InputError| CliError::bad_input(e.to_string());
    let mut arch = Arch::load(&args.arch).map_err(bad)?;
    if args.precision_fallback {
        arch.precision_fallback = true;
    }
    let (workload, _) = load_workload(&args.workload, false, &[])?;
    let policy = Policy::load_named(&args.policy).map_err(bad)?;
    let options = TrainOptions {
        derive: DeriveOptions {
            loss: match args.loss {
                LossArg::CrossEntropy => Loss::SoftmaxCrossEntropy,
                LossArg::Mse => Loss::Mse,
            },
            output: args.loss_output.clone(),
        },
        eval: accelsim::Options::with_engine(args.engine.into()),
    };
    let (graph, _, report) = train_cost(&workload, &arch, &policy, &options)
        .map_err(|e| CliError::bad_input(e.in_file(&args.workload).to_string()))?;
    if let Some(path) = &args.emit_graph {
        let text = serde_json::to_string_pretty(&graph.workload.spec)
            .map_err(|e| CliError::failure(e.to_string()))?
            + "\n";
        super::write_atomic(path, text.as_bytes())?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report).map_err(|e| CliError::failure(e.to_string()))? + "\n"
    } else {
        render_text(&report)
    };
    match &args.output {
        Some(p) => super::write_atomic(p, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
