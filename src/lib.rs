//! # accelsim
//!
//! A fast, numerically exact simulator for AI accelerators (systolic arrays and tensor
//! cores). The library is organised as in `ARCHITECTURE.md`:
//!
//! - [`arch`]: the architecture description and its energy table;
//! - [`workload`]: the workload DAG with shape inference;
//! - [`import`]: readers for other tools' formats (ONNX models, SCALE-Sim configs and topologies);
//! - [`tensor`]: host tensors and `.npy` I/O for functional execution;
//! - [`func`]: functional execution of a workload (bit-exact values of every tensor);
//! - [`model`]: pure per-op cost functions (array folds, vector ops, tiling, energy);
//! - [`sim`]: scheduling op costs in time;
//! - [`report`]: the report and its renderers;
//! - [`numerics`]: bit-exact number formats.
//!
//! ```no_run
//! use accelsim::{arch::Arch, workload::Workload, sim::Engine};
//! let arch = Arch::load("arch_configs/edge_npu_32x32.json".as_ref()).unwrap();
//! let wl = Workload::load("workloads/tiny_cnn.json".as_ref()).unwrap();
//! let report = accelsim::run(&wl, &arch, Engine::Analytic).unwrap();
//! println!("{} cycles, {} pJ", report.summary.cycles, report.summary.energy_pj);
//! ```

pub mod arch;
pub mod error;
pub mod func;
pub mod import;
pub mod model;
pub mod numerics;
pub mod report;
pub mod sim;
pub mod tensor;
pub mod workload;

pub use error::{InputError, InputResult};

/// Runs the whole pipeline on one (workload, arch) pair: cost every op, schedule, report.
pub fn run(
    workload: &workload::Workload,
    arch: &arch::Arch,
    engine: sim::Engine,
) -> InputResult<report::Report> {
    let costs = model::plan(workload, arch)?;
    let timeline = sim::simulate(workload, arch, &costs, engine);
    Ok(report::Report::build(workload, arch, &costs, &timeline))
}
