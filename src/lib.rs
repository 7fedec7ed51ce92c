//! # accelsim
//!
//! A fast, numerically exact simulator for AI accelerators (systolic arrays and tensor
//! cores). The library is organised as in `ARCHITECTURE.md`:
//!
//! - [`evaluate`]: the one pipeline every run, sweep point and validation goes through
//!   (plan → schedule → power cap → energy ledger), returning an [`Evaluation`];
//! - [`arch`]: the architecture description and its energy table;
//! - [`workload`]: the workload DAG with shape inference;
//! - [`import`]: readers for other tools' formats (ONNX models, SCALE-Sim configs and topologies);
//! - [`tensor`]: host tensors and `.npy` I/O for functional execution;
//! - [`func`]: functional execution of a workload (bit-exact values of every tensor);
//! - [`model`]: pure per-op cost functions (array folds, vector ops, tiling, energy);
//! - [`sim`]: scheduling op costs in time (discrete-event engine, analytic roofline);
//! - [`power`]: power capping by DVFS (the clock a workload sustains under a power limit);
//! - [`report`]: the report and its renderers;
//! - [`validate`]: predicted-vs-measured comparisons (H100 calibration set);
//! - [`numerics`]: bit-exact number formats;
//! - [`dse`]: design-space sweeps, Pareto fronts, shards and plots;
//! - [`train`]: training steps (policy, backward-graph derivation, cost per phase).
//!
//! ```no_run
//! use accelsim::{arch::Arch, workload::Workload, sim::Engine};
//! let arch = Arch::load("arch_configs/edge_npu_32x32.json".as_ref()).unwrap();
//! let wl = Workload::load("workloads/tiny_cnn.json".as_ref()).unwrap();
//! let report = accelsim::run(&wl, &arch, Engine::Event).unwrap();
//! println!("{} cycles, {} pJ", report.summary.cycles, report.summary.energy_pj);
//! ```

pub mod arch;
pub mod binding;
pub mod dse;
pub mod error;
pub mod evaluation;
pub mod fsio;
pub mod func;
pub mod import;
pub mod model;
pub mod numerics;
pub mod power;
pub mod report;
pub mod sim;
pub mod tensor;
pub mod train;
pub mod validate;
pub mod workload;

pub use error::{InputError, InputResult};
pub use evaluation::{evaluate, Evaluation, Options};

/// Runs the whole pipeline on one (workload, arch) pair ([`evaluate`]: cost every op,
/// schedule, and — when the arch declares a power cap the workload exceeds — lower the
/// clock until the power fits); then reports at that operating point.
pub fn run(
    workload: &workload::Workload,
    arch: &arch::Arch,
    engine: sim::Engine,
) -> InputResult<report::Report> {
    run_with(workload, arch, engine, &model::RunOptions::default())
}

/// [`run`] under run `options`: how the software stack drives the arch (e.g. the GPU
/// launch path, [`model::gpu::Launch`]).
pub fn run_with(
    workload: &workload::Workload,
    arch: &arch::Arch,
    engine: sim::Engine,
    options: &model::RunOptions,
) -> InputResult<report::Report> {
    let options = Options {
        engine,
        run: *options,
        record_trace: false,
    };
    let report = evaluate(workload, arch, &options)?.report(workload);
    report::log_run(&report);
    report.check_figures()?;
    Ok(report)
}

/// Like [`run`], also returning the run as Chrome trace-event / Perfetto JSON
/// ([`report::chrome_trace`]; detailed tracks with the event engine), at the same
/// operating point (power cap included).
pub fn run_with_trace(
    workload: &workload::Workload,
    arch: &arch::Arch,
    engine: sim::Engine,
) -> InputResult<(report::Report, String)> {
    run_traced(workload, arch, engine, &model::RunOptions::default())
}

/// [`run_with_trace`] under run `options` (e.g. the GPU launch path).
pub fn run_traced(
    workload: &workload::Workload,
    arch: &arch::Arch,
    engine: sim::Engine,
    options: &model::RunOptions,
) -> InputResult<(report::Report, String)> {
    let options = Options {
        engine,
        run: *options,
        record_trace: true,
    };
    let eval = evaluate(workload, arch, &options)?;
    let report = eval.report(workload);
    report::log_run(&report);
    report.check_figures()?;
    Ok((report, eval.chrome_trace(workload)))
}
