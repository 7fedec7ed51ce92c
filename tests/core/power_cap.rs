//! Power capping by DVFS: a workload under the cap is unaffected; one over it slows down
//! and its power equals the cap, at the clock an independent solution of the power
//! equation predicts.
//!
//! The toy GPU (tests/data/gpu/toy_gpu.json) gets technology 7 nm at 1.0 V and a linear V-f
//! curve from 0.6 V at 0.5 GHz to 1.0 V at 1.0 GHz. Its GEMM is compute-bound with no
//! launch, host, DRAM or static energy, so every joule it spends is dynamic and scales with
//! V²: P(f) = P(f0) · (V(f)/V(f0))² · f/f0 exactly.

use accelsim::arch::{Arch, PowerConfig, Technology, VfPoint};
use accelsim::numerics::Format;
use accelsim::power::CapState;
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::validate::gemm::gemm_workload;

fn toy(cap_w: Option<f64>) -> Arch {
    let mut a =
        Arch::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gpu/toy_gpu.json").as_ref())
            .unwrap();
    a.technology = Some(Technology {
        node_nm: 7,
        voltage_v: 1.0,
    });
    a.power = Some(PowerConfig {
        cap_w,
        vf_curve: vec![
            VfPoint {
                clock_ghz: 0.5,
                voltage_v: 0.6,
            },
            VfPoint {
                clock_ghz: 1.0,
                voltage_v: 1.0,
            },
        ],
        min_clock_ghz: None,
        array_leakage_w_per_core: 0.0,
        leakage_voltage_exponent: 1.0,
    });
    a.validate().unwrap();
    a
}

fn run(arch: &Arch) -> Report {
    let w = gemm_workload(512, 256, 1024, Format::FP16, Format::FP16).unwrap();
    accelsim::run(&w, arch, Engine::Analytic).unwrap()
}

/// Root of (0.2 + 0.8 f)² · f = ratio on [0.5, 1] (V(f) = 0.2 + 0.8 f on the toy curve).
fn expected_clock(ratio: f64) -> f64 {
    let (mut lo, mut hi) = (0.5f64, 1.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if (0.2 + 0.8 * mid).powi(2) * mid > ratio {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

#[test]
fn under_the_cap_nothing_changes() {
    let free = run(&toy(None));
    let p0 = free.power.average_power_w;
    assert!(p0 > 0.0);
    let capped = run(&toy(Some(2.0 * p0)));
    assert_eq!(capped.power.cap_state, CapState::UnderCap);
    assert_eq!(free.power.cap_state, CapState::NoCap);
    assert_eq!(capped.summary.cycles, free.summary.cycles);
    assert_eq!(capped.summary.latency_s, free.summary.latency_s);
    assert_eq!(capped.summary.energy_pj, free.summary.energy_pj);
    assert_eq!(capped.power.clock_ghz, 1.0);
}

#[test]
fn over_the_cap_the_clock_drops_until_power_equals_the_cap() {
    let free = run(&toy(None));
    let p0 = free.power.average_power_w;
    let cap = 0.5 * p0;
    let r = run(&toy(Some(cap)));
    assert_eq!(r.power.cap_state, CapState::Capped);
    let f = expected_clock(0.5);
    println!(
        "cap {cap:.3} W of {p0:.3} W: clock {} GHz (expected {f:.5}), power {:.4} W",
        r.power.clock_ghz, r.power.average_power_w
    );
    // Highest 1 MHz step whose power fits.
    assert!((r.power.clock_ghz - f).abs() <= 0.001 + 1e-12);
    assert!(r.power.clock_ghz <= f + 1e-12);
    assert!(r.power.average_power_w <= cap * (1.0 + 1e-9));
    assert!(r.power.average_power_w >= cap * 0.995);
    // Same cycles, lower clock: latency grows by f0/f.
    assert_eq!(r.summary.cycles, free.summary.cycles);
    let slow = r.summary.latency_s / free.summary.latency_s;
    assert!((slow - 1.0 / r.power.clock_ghz).abs() < 1e-9);
    // Energy falls with V²: V = 0.2 + 0.8 f.
    let v = 0.2 + 0.8 * r.power.clock_ghz;
    assert!((r.summary.energy_pj / free.summary.energy_pj - v * v).abs() < 1e-9);
    assert!(r.warnings.iter().any(|w| w.contains("power cap")));
    assert!((r.power.voltage_v.unwrap() - v).abs() < 1e-12);
    assert!((r.power.power_at_nominal_clock_w - p0).abs() < 1e-9 * p0);
}

#[test]
fn unreachable_cap_runs_at_the_lowest_clock() {
    let r = run(&toy(Some(1e-9)));
    assert_eq!(r.power.cap_state, CapState::CapUnreachable);
    assert_eq!(r.power.clock_ghz, 0.5);
}

#[test]
fn leakage_scales_with_voltage_and_counts_as_static_energy() {
    let mut a = toy(None);
    a.static_power_w = 1.0;
    if let Some(p) = a.power.as_mut() {
        p.array_leakage_w_per_core = 0.5;
    }
    a.memory.dram.background_w = 0.25;
    let nominal = run(&a);
    let s = nominal.power.static_power_w;
    assert_eq!(
        (s.uncore_w, s.dram_background_w, s.array_leakage_w),
        (1.0, 0.25, 2.0)
    );
    // Static energy = 3.25 W × latency.
    let e_static = nominal.summary.energy_breakdown_pj.static_;
    assert!((e_static - 3.25 * nominal.summary.latency_s * 1e12).abs() < 1e-6 * e_static);
    // At 0.75 GHz the curve gives 0.8 V: array leakage 2 W × 0.8.
    let slow = accelsim::power::at_clock(&a, 0.75);
    assert!((slow.static_power().array_leakage_w - 1.6).abs() < 1e-12);
    assert_eq!(slow.static_power().uncore_w, 1.0);
    assert!(nominal.energy_sources["static.array_leakage_w"].contains("array_leakage_w_per_core"));
}

#[test]
fn h100_dense_gemm_is_capped_at_700_w_and_small_gemm_is_not() {
    let arch = Arch::from_json(accelsim::validate::H100_ARCH_JSON).unwrap();
    let big = gemm_workload(8192, 8192, 8192, Format::FP16, Format::FP16).unwrap();
    let r = accelsim::run(&big, &arch, Engine::Analytic).unwrap();
    assert_eq!(r.power.cap_state, CapState::Capped);
    assert!(r.power.average_power_w <= 700.0 && r.power.average_power_w > 696.0);
    assert!(r.power.clock_ghz > 1.2 && r.power.clock_ghz < 1.6);
    let small = gemm_workload(256, 256, 256, Format::FP16, Format::FP16).unwrap();
    let r = accelsim::run(&small, &arch, Engine::Analytic).unwrap();
    assert_eq!(r.power.cap_state, CapState::UnderCap);
    assert_eq!(r.power.clock_ghz, 1.98);
}
