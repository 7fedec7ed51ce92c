//! The one evaluation pipeline: plan every op ([`crate::model::plan`]), schedule
//! ([`crate::sim`]), apply the power cap ([`crate::power::solve_traced`]) and account the
//! energy once ([`EnergyLedger`]). `accelsim run` (with or without a trace), every sweep
//! point and `validate` go through [`evaluate`]; the report only copies its figures.

mod checks;

use crate::arch::Arch;
use crate::error::InputResult;
use crate::model::{OpCost, RunOptions};
use crate::power::{self, EnergyLedger, OperatingPoint};
use crate::report::Report;
use crate::sim::{Engine, SimOptions, Timeline};
use crate::workload::Workload;

/// How to evaluate a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Scheduler.
    pub engine: Engine,
    /// How the software stack drives the arch (e.g. the GPU launch path).
    pub run: RunOptions,
    /// Record spans and counters of the schedule at the chosen operating point
    /// ([`Timeline::trace`]; detailed with the event engine).
    pub record_trace: bool,
}

impl Options {
    /// Default options with `engine`.
    pub fn with_engine(engine: Engine) -> Options {
        Options {
            engine,
            ..Options::default()
        }
    }
}

/// Everything one evaluation computed, at the operating point the power cap allows.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The arch at the chosen clock (what the costs and the timeline were computed with).
    pub arch: Arch,
    /// Per-op costs (workload order).
    pub costs: Vec<OpCost>,
    /// The schedule.
    pub timeline: Timeline,
    /// Clock, voltage, power and power-cap state.
    pub point: OperatingPoint,
    /// Every energy figure with its source, and the average power.
    pub energy: EnergyLedger,
}

impl Evaluation {
    /// The report of this evaluation (copies and formats its figures).
    pub fn report(&self, workload: &Workload) -> Report {
        Report::build(workload, self)
    }

    /// The Chrome trace-event / Perfetto JSON of the schedule ([`crate::report::chrome_trace`];
    /// spans and counters need [`Options::record_trace`]).
    pub fn chrome_trace(&self, workload: &Workload) -> String {
        crate::report::chrome_trace(workload, &self.arch, &self.timeline)
    }
}

/// Evaluates `workload` on `arch`: plans, schedules, lowers the clock until the arch's
/// power cap fits (when it declares one), accounts the energy, and — when asked — records
/// the trace of the final schedule.
pub fn evaluate(workload: &Workload, arch: &Arch, options: &Options) -> InputResult<Evaluation> {
    let sim = SimOptions {
        record_trace: options.record_trace,
        ..SimOptions::default()
    };
    let solved = power::solve_traced(workload, arch, options.engine, &options.run, &sim)?;
    Ok(Evaluation {
        arch: solved.arch,
        costs: solved.costs,
        timeline: solved.timeline,
        point: solved.point,
        energy: solved.energy.with_batch(workload.batch()),
    })
}
