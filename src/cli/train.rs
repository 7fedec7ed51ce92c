//! `accelsim train ARCH WORKLOAD --policy POLICY`: derive the training step of a workload
//! and report its cost per phase and per layer with its memory footprint
//! (docs/training.md).

use std::path::PathBuf;

use std::collections::BTreeMap;

use accelsim::arch::Arch;
use accelsim::tensor::{read_npy_as, write_npy, DType, Tensor};
use accelsim::train::functional::{train_steps, StepOptions};
use accelsim::train::{render_text, train_cost, DeriveOptions, Loss, Policy, TrainOptions};
use accelsim::workload::Workload;

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
    /// Run training steps functionally (every cast and accumulation of the policy) instead
    /// of costing one: writes DIR/<weight>.npy and DIR/loss.jsonl (needs --outputs).
    #[arg(long, requires = "outputs_dir")]
    pub functional: bool,
    /// A graph input's, weight's or the target's (`loss.target`) values: NAME=FILE.npy
    /// (repeatable; others get seeded random values).
    #[arg(long = "input", value_name = "NAME=FILE.npy", requires = "functional")]
    pub inputs: Vec<String>,
    /// Functional: steps to run (the same batch every step).
    #[arg(long, default_value_t = 1, requires = "functional")]
    pub steps: u32,
    /// Functional: seed of random inputs, targets, weights and stochastic rounding.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Functional: the output directory (created if missing).
    #[arg(long = "outputs", value_name = "DIR", requires = "functional")]
    pub outputs_dir: Option<PathBuf>,
    /// Functional: also write the first step's GEMM operands to DIR/operands/.
    #[arg(long, requires = "functional")]
    pub record_operands: bool,
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
    // Per-layer overrides name the policy file when they select no layer of this workload.
    policy
        .resolve_layers(&workload)
        .map_err(|e| bad(e.in_file(std::path::Path::new(&args.policy))))?;
    let loss = match args.loss {
        LossArg::CrossEntropy => Loss::SoftmaxCrossEntropy,
        LossArg::Mse => Loss::Mse,
    };
    if args.functional {
        return functional(args, &workload, &policy, loss);
    }
    let options = TrainOptions {
        derive: DeriveOptions {
            loss,
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

fn functional(
    args: &TrainArgs,
    workload: &Workload,
    policy: &Policy,
    loss: Loss,
) -> Result<(), CliError> {
    let mut feeds = BTreeMap::new();
    for spec in &args.inputs {
        let (name, file) = spec.split_once('=').ok_or_else(|| {
            CliError::bad_input(format!("--input {spec}: expected NAME=FILE.npy"))
        })?;
        let t = read_npy_as(file, DType::F32)
            .map_err(|e| CliError::bad_input(format!("--input {name}: {e}")))?;
        let v = t
            .as_f32()
            .map_err(|e| CliError::bad_input(format!("--input {name}: {e}")))?;
        feeds.insert(name.to_string(), v.iter().map(|&x| f64::from(x)).collect());
    }
    let opts = StepOptions {
        steps: args.steps,
        seed: args.seed,
        feeds,
        loss,
        record_operands: args.record_operands,
    };
    let r = train_steps(workload, policy, &opts)
        .map_err(|e| CliError::bad_input(e.in_file(&args.workload).to_string()))?;
    let dir = args.outputs_dir.as_ref().expect("clap requires --outputs");
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::failure(format!("{}: {e}", dir.display())))?;
    let write = |path: PathBuf,
                 t: &accelsim::train::functional::NamedTensor|
     -> Result<(), CliError> {
        let values: Vec<f32> = t.values.iter().map(|&v| v as f32).collect();
        let tensor = Tensor::from_f32(t.shape.clone(), values)
            .map_err(|e| CliError::failure(e.to_string()))?;
        write_npy(&path, &tensor).map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
    };
    for t in &r.weights {
        write(dir.join(format!("{}.npy", t.name)), t)?;
    }
    if !r.operands.is_empty() {
        let od = dir.join("operands");
        std::fs::create_dir_all(&od)
            .map_err(|e| CliError::failure(format!("{}: {e}", od.display())))?;
        for t in &r.operands {
            write(od.join(format!("{}.npy", t.name)), t)?;
        }
    }
    let mut log = String::new();
    for l in &r.losses {
        log += &serde_json::to_string(l).map_err(|e| CliError::failure(e.to_string()))?;
        log.push('\n');
        if l.skipped {
            eprintln!(
                "step {}: non-finite gradients at loss scale {}: update skipped",
                l.step, l.loss_scale
            );
        }
    }
    super::write_atomic(&dir.join("loss.jsonl"), log.as_bytes())?;
    if let (Some(a), Some(b)) = (r.losses.first(), r.losses.last()) {
        println!(
            "{} steps under {}: loss {} -> {}",
            r.losses.len(),
            policy.name,
            a.loss,
            b.loss
        );
    }
    Ok(())
}
