//! The one evaluation pipeline (`accelsim::evaluate`): `run`, `run --trace`, a one-point
//! sweep and `validate` give the same operating point and figures, power cap included;
//! the power the solver caps is the power the report shows.

use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::dse::{Metric, Sweep};
use accelsim::power::CapState;
use accelsim::sim::Engine;
use accelsim::validate::{self, calibration::GemmPoint};
use accelsim::workload::Workload;
use serde_json::json;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const GEMM: &str = "tests/data/pipeline/gemm_2048_fp32.json";

fn h100() -> Arch {
    Arch::from_json(validate::H100_ARCH_JSON).unwrap()
}

/// A 2048³ fp32 GEMM draws more than the H100's 700 W at 1.98 GHz, so the clock drops.
/// `run`, `run --trace`, a one-point sweep and `validate` must agree on that clock, the
/// latency and the energy, bit for bit.
#[test]
fn capped_h100_gemm_is_the_same_through_every_entry_point() {
    let arch = h100();
    let wl = Workload::load(&root().join(GEMM)).unwrap();
    let run = accelsim::run(&wl, &arch, Engine::Analytic).unwrap();
    assert_eq!(run.power.cap_state, CapState::Capped);
    assert!(run.power.clock_ghz < run.power.nominal_clock_ghz);

    let (traced, trace) = accelsim::run_with_trace(&wl, &arch, Engine::Analytic).unwrap();
    assert_eq!(traced, run, "run --trace reports the same run as run");
    assert!(!trace.is_empty());

    one_point_sweep_matches(&run, "analytic");

    let g: GemmPoint = serde_json::from_value(json!({
        "M": 2048, "N": 2048, "K": 2048, "prec": "fp32",
        "median_s": 1e-3, "min_s": 1e-3, "tflops": 17.0
    }))
    .unwrap();
    let row = validate::h100::predict(&arch, &g).unwrap();
    assert_eq!(row.clock_ghz, run.power.clock_ghz);
    assert_eq!(row.cap_state, CapState::Capped);
    assert_eq!(row.predicted_s, run.summary.latency_s);
    assert_eq!(row.predicted_power_w, run.power.average_power_w);
    let macs = 2048.0f64.powi(3);
    assert_eq!(row.predicted_pj_per_mac, run.summary.energy_pj / macs);
}

/// A one-point sweep of the capped GEMM with `engine` gives `run`'s figures, bit for bit.
fn one_point_sweep_matches(run: &accelsim::report::Report, engine: &str) {
    let sweep = Sweep::from_json(
        &json!({
            "name": "one_point",
            "arch": "arch_configs/h100_sxm.json",
            "workload": GEMM,
            "engine": engine,
            "axes": [{ "kind": "batch", "values": [2048] }]
        })
        .to_string(),
        &root(),
    )
    .unwrap();
    let point = sweep.evaluate(0);
    assert_eq!(point.error, None);
    let metric = |m: Metric| point.metrics[m.index()];
    assert_eq!(metric(Metric::LatencyS), run.summary.latency_s, "{engine}");
    assert_eq!(metric(Metric::EnergyPj), run.summary.energy_pj, "{engine}");
    assert_eq!(
        metric(Metric::DramBytes),
        run.summary.dram_bytes,
        "{engine}"
    );
    assert_eq!(
        metric(Metric::EnergyStaticPj),
        run.summary.energy_breakdown_pj.static_,
        "{engine}"
    );
}

/// The event engine's trace path applies the power cap too (it used to report the nominal
/// clock as "under the cap"), and a one-point event-engine sweep agrees with both.
#[test]
fn trace_path_applies_the_power_cap_with_the_event_engine() {
    let arch = h100();
    let wl = Workload::load(&root().join(GEMM)).unwrap();
    let run = accelsim::run(&wl, &arch, Engine::Event).unwrap();
    let (traced, _) = accelsim::run_with_trace(&wl, &arch, Engine::Event).unwrap();
    assert_eq!(run.power.cap_state, CapState::Capped);
    assert_eq!(traced, run);
    one_point_sweep_matches(&run, "event");
}

/// The capped operating point is the nominal-clock plan re-costed at the chosen clock
/// (`Plan::at_clock`): the solver plans once, as a compiler would for one binary.
#[test]
fn capped_costs_are_the_nominal_plan_recosted() {
    let arch = h100();
    let wl = Workload::load(&root().join(GEMM)).unwrap();
    for engine in [Engine::Event, Engine::Analytic] {
        let eval = accelsim::evaluate(&wl, &arch, &accelsim::Options::with_engine(engine)).unwrap();
        assert_eq!(eval.point.cap_state, CapState::Capped);
        assert!(eval.arch.clock_ghz < arch.clock_ghz);
        let plan = accelsim::model::Plan::new(&wl, &arch, &Default::default()).unwrap();
        assert_eq!(plan.at_clock(&eval.arch).unwrap(), eval.costs, "{engine:?}");
        // Not the nominal costs: the HBM-bound cycles and the energies moved with the clock.
        assert_ne!(plan.costs, eval.costs);
    }
}

fn edge_npu_with_cap(cap_w: Option<f64>, clock_ghz: Option<f64>) -> Arch {
    let text = std::fs::read_to_string(root().join("arch_configs/edge_npu_32x32.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    if let Some(c) = clock_ghz {
        v["clock_ghz"] = c.into();
    }
    if let Some(cap) = cap_w {
        let p = v
            .as_object_mut()
            .unwrap()
            .entry("power")
            .or_insert_with(|| json!({}));
        p["cap_w"] = cap.into();
    }
    Arch::from_json(&v.to_string()).unwrap()
}

fn tiny_cnn() -> Workload {
    Workload::load(Path::new(&root().join("workloads/tiny_cnn.json"))).unwrap()
}

/// With layer pipelining, activations kept on chip cost no DRAM energy. The solver must
/// cap that (reported) power, not the power of the planned DRAM traffic: the power at the
/// nominal clock it records is the uncapped run's reported power, the capped run's power
/// fits, and 1 MHz faster would not.
#[test]
fn power_solver_caps_the_reported_power_with_layer_pipelining() {
    let wl = tiny_cnn();
    let free = accelsim::run(&wl, &edge_npu_with_cap(None, None), Engine::Event).unwrap();
    assert!(
        free.summary.memory.kept_on_chip_bytes > 0.0,
        "the test needs pipelined activations"
    );
    let cap = free.power.average_power_w * 0.8;
    let capped = accelsim::run(&wl, &edge_npu_with_cap(Some(cap), None), Engine::Event).unwrap();
    assert_eq!(capped.power.cap_state, CapState::Capped);
    assert_eq!(
        capped.power.power_at_nominal_clock_w,
        free.power.average_power_w
    );
    assert!(capped.power.average_power_w <= cap);
    let clock = capped.power.clock_ghz;
    let faster = (clock * 1000.0 + 1.0) / 1000.0;
    // The uncapped arch at that clock (same V-f data, so the same voltage).
    let next = accelsim::run(&wl, &edge_npu_with_cap(None, Some(faster)), Engine::Event).unwrap();
    assert!(
        next.power.average_power_w > cap,
        "{faster} GHz draws {} W, within the {cap} W cap",
        next.power.average_power_w
    );
    let same = accelsim::run(&wl, &edge_npu_with_cap(None, Some(clock)), Engine::Event).unwrap();
    assert_eq!(same.power.average_power_w, capped.power.average_power_w);
    assert_eq!(same.summary.energy_pj, capped.summary.energy_pj);
}
