//! Power capping by dynamic voltage and frequency scaling (DVFS).
//!
//! An arch may declare `power.cap_w` (a sustained power limit) and a voltage-frequency
//! curve. A workload's average power at a clock `f` is its dynamic energy (scaled by
//! (V(f)/V_ref)² through the energy table) plus static power (leakage scaled by V(f)) times
//! its latency, over its latency. When that power at the nominal clock (`clock_ghz`)
//! exceeds the cap, the clock drops to the highest clock on a 1 MHz grid whose power fits
//! — the steady state of a power controller running the workload in a loop — and latency
//! and energy follow. Power rises monotonically with the clock (more energy per op at a
//! higher voltage, spent in less time), so a bracketing search finds that clock: guided by
//! a model of power against clock (dynamic ∝ f·V(f)², corrected by every run so far) it
//! needs about four runs where bisection needs twelve ([`search`]).
//!
//! The workload is planned once, at the nominal clock ([`Plan::new`]): like a compiler
//! building one binary, that fixes every mapping, GPU kernel and fusion. Each probe clock
//! re-costs that plan ([`Plan::at_clock`]: bandwidth-bound and launch cycles, energies at
//! the clock's voltage) and schedules it; nothing is searched or chosen again.
//!
//! The power of a run is its [`EnergyLedger`]'s average power — the same figures the report
//! shows.

pub mod ledger;
pub mod levels;
mod search;

use serde::Serialize;

use crate::arch::Arch;
use crate::error::InputResult;
use crate::model::{OpCost, Plan, RunOptions};
use crate::sim::{self, Engine, SimOptions, Timeline};
use crate::workload::Workload;

pub use ledger::{EnergyBreakdown, EnergyLedger};

/// Whether the power cap changed the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapState {
    /// The arch declares no power cap.
    NoCap,
    /// The workload's power at the nominal clock fits under the cap.
    UnderCap,
    /// The clock was lowered until the power fits the cap.
    Capped,
    /// Even the lowest allowed clock exceeds the cap; runs at the lowest clock.
    CapUnreachable,
}

/// The clock, voltage and power a workload runs at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatingPoint {
    /// The arch's nominal clock, GHz.
    pub nominal_clock_ghz: f64,
    /// The clock the workload runs at, GHz.
    pub clock_ghz: f64,
    /// Supply voltage at that clock (None without technology / V-f data).
    pub voltage_v: Option<f64>,
    /// The power cap, W.
    pub cap_w: Option<f64>,
    /// Cap outcome.
    pub cap_state: CapState,
    /// Average power the workload would draw at the nominal clock, W.
    pub power_at_nominal_w: f64,
    /// Average power at the chosen clock, W.
    pub power_w: f64,
}

/// The outcome of running a workload at its operating point.
#[derive(Debug, Clone)]
pub struct Solved {
    /// The arch at the chosen clock (what the costs and timeline were computed with).
    pub arch: Arch,
    /// Per-op costs at that clock.
    pub costs: Vec<OpCost>,
    /// The schedule at that clock.
    pub timeline: Timeline,
    /// Every energy figure at that clock, and the average power.
    pub energy: EnergyLedger,
    /// Clock, voltage and power.
    pub point: OperatingPoint,
}

/// The arch running at `clock_ghz` (voltage follows the V-f curve).
pub fn at_clock(arch: &Arch, clock_ghz: f64) -> Arch {
    let mut a = arch.clone();
    a.clock_ghz = clock_ghz;
    a
}

/// Average power in W of a run: all energy (the [`EnergyLedger`]: dynamic with the
/// DRAM energy of the bytes actually moved, plus static) / latency.
pub fn average_power_w(arch: &Arch, costs: &[OpCost], timeline: &Timeline) -> f64 {
    EnergyLedger::new(arch, costs, timeline).average_power_w
}

/// One run at `arch`'s clock: the plan's costs there, their schedule, the energy ledger.
struct Probe {
    arch: Arch,
    costs: Vec<OpCost>,
    timeline: Timeline,
    energy: EnergyLedger,
}

impl Probe {
    /// Schedules `costs` (planned or re-costed for `arch`'s clock) and accounts the energy.
    fn run(
        workload: &Workload,
        arch: Arch,
        costs: Vec<OpCost>,
        engine: Engine,
        options: &SimOptions,
    ) -> Probe {
        let timeline = sim::simulate_with(workload, &arch, &costs, engine, options);
        let energy = EnergyLedger::new(&arch, &costs, &timeline);
        Probe {
            arch,
            costs,
            timeline,
            energy,
        }
    }

    /// The same probe with its schedule re-run with `options` when they record a trace
    /// (the schedule itself does not depend on recording).
    fn traced(mut self, workload: &Workload, engine: Engine, options: &SimOptions) -> Probe {
        if options.record_trace {
            self.timeline = sim::simulate_with(workload, &self.arch, &self.costs, engine, options);
        }
        self
    }

    fn power_w(&self) -> f64 {
        self.energy.average_power_w
    }

    fn solved(self, point: OperatingPoint) -> Solved {
        Solved {
            arch: self.arch,
            costs: self.costs,
            timeline: self.timeline,
            energy: self.energy,
            point,
        }
    }
}

/// The lowest clock the power controller may pick, GHz.
pub fn min_clock_ghz(arch: &Arch) -> f64 {
    let p = arch.power.as_ref();
    p.and_then(|p| p.min_clock_ghz)
        .or_else(|| p.and_then(|p| p.vf_curve.first()).map(|v| v.clock_ghz))
        .unwrap_or(arch.clock_ghz / 10.0)
        .min(arch.clock_ghz)
}

/// Plans and schedules `workload` at the arch's nominal clock, or — when its average power
/// there exceeds `power.cap_w` — at the highest clock (1 MHz grid) whose power fits.
pub fn solve(workload: &Workload, arch: &Arch, engine: Engine) -> InputResult<Solved> {
    solve_with(workload, arch, engine, &RunOptions::default())
}

/// [`solve`] under run `options` (e.g. the GPU launch path).
pub fn solve_with(
    workload: &Workload,
    arch: &Arch,
    engine: Engine,
    options: &RunOptions,
) -> InputResult<Solved> {
    solve_traced(workload, arch, engine, options, &SimOptions::default())
}

/// [`solve_with`] with simulation options (e.g. recording a trace of the chosen schedule).
pub fn solve_traced(
    workload: &Workload,
    arch: &Arch,
    engine: Engine,
    run: &RunOptions,
    options: &SimOptions,
) -> InputResult<Solved> {
    // Probes run without a trace; the chosen schedule is re-run with one when asked.
    let plain = SimOptions {
        record_trace: false,
        ..*options
    };
    // One plan, at the nominal clock; each probe clock re-costs it (`Plan::at_clock`).
    let plan = Plan::new(workload, arch, run)?;
    let nominal = Probe::run(workload, arch.clone(), plan.costs.clone(), engine, &plain);
    let p_nom = nominal.power_w();
    let cap = arch.power.as_ref().and_then(|p| p.cap_w);
    let point = |a: &Arch, state, p| OperatingPoint {
        nominal_clock_ghz: arch.clock_ghz,
        clock_ghz: a.clock_ghz,
        voltage_v: a.operating_voltage_v(),
        cap_w: cap,
        cap_state: state,
        power_at_nominal_w: p_nom,
        power_w: p,
    };
    let Some(cap_w) = cap.filter(|&c| p_nom > c) else {
        let state = if cap.is_some() {
            CapState::UnderCap
        } else {
            CapState::NoCap
        };
        let nominal = nominal.traced(workload, engine, options);
        return Ok(nominal.solved(point(arch, state, p_nom)));
    };
    // The highest clock on the integer MHz grid whose power fits ([`search`]): the
    // grid's top (at or below the nominal clock) does not fit, the floor may not either.
    let floor = (min_clock_ghz(arch) * 1000.0).ceil() as u64;
    let top = (arch.clock_ghz * 1000.0).floor() as u64;
    let mut model = search::PowerModel::new(arch, p_nom);
    let found = search::highest_fitting(floor, top, cap_w, &mut model, |mhz| {
        let probe_arch = at_clock(arch, mhz as f64 / 1000.0);
        let costs = plan.at_clock(&probe_arch)?;
        let p = Probe::run(workload, probe_arch, costs, engine, &plain);
        Ok((p.power_w(), p))
    })?;
    let (state, best) = match found {
        search::Found::Fits(p) => (CapState::Capped, p),
        search::Found::FloorExceeds(p) => {
            tracing::warn!(
                "power cap {cap_w} W unreachable: {:.1} W even at the lowest clock {} GHz",
                p.power_w(),
                p.arch.clock_ghz
            );
            (CapState::CapUnreachable, p)
        }
    };
    let best = best.traced(workload, engine, options);
    let pt = point(&best.arch, state, best.power_w());
    Ok(best.solved(pt))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A power-capped solve plans the workload once and re-costs that plan at every probe
    /// clock: one plan, several probes.
    #[test]
    fn a_capped_solve_plans_once() {
        let arch = Arch::from_json(crate::validate::H100_ARCH_JSON).unwrap();
        let wl = Workload::from_json(include_str!(
            "../../tests/data/pipeline/gemm_2048_fp32.json"
        ))
        .unwrap();
        for engine in [Engine::Event, Engine::Analytic] {
            let before = crate::model::plan::PLANS.with(|n| n.get());
            let solved = solve(&wl, &arch, engine).unwrap();
            let plans = crate::model::plan::PLANS.with(|n| n.get()) - before;
            assert_eq!(solved.point.cap_state, CapState::Capped);
            assert_eq!(plans, 1, "{engine:?}: {plans} plans for one solve");
            // The chosen clock's costs are the nominal plan re-costed there.
            let plan = Plan::new(&wl, &arch, &RunOptions::default()).unwrap();
            assert_eq!(plan.at_clock(&solved.arch).unwrap(), solved.costs);
        }
    }
}
