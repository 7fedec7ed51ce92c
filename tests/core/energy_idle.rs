//! Static and idle energy from the hardware (issue #14, item 1), checked against figures
//! derived by hand from the published constants:
//!
//! - PE of `edge_npu_32x32`: sized by fp16 at half rate (the largest datapath):
//!   0.5 × (fp16 mult 1640 + fp32 add 4184 + 64 register bits × DFF 4.522) µm²
//!   = 3056.704 µm² at 45 nm (Hennessy & Patterson Fig. 1.13; NanGate DFF_X1);
//! - logic leakage density: NanGate FreePDK45 INV_X1, 14.353185 nW / 0.532 µm²
//!   = 26.97967 nW/µm² → 82.469 µW per PE;
//! - SRAM: 512 KiB × 8192 bit/KiB × 1 nW = 4.194 mW;
//! - PE clock: 32 register bits × 2 fJ × 1 GHz = 64 µW per PE (no gating);
//! - uncore 0.1 W (the arch file's `static_power_w`).
//!
//! 64×64 (4096 PEs): 0.1 + 0.33779 + 0.00419 + 0.26214 = 0.70413 W;
//! 256×256 (65536 PEs): 0.1 + 5.40468 + 0.00419 + 4.19430 = 9.70318 W.

use accelsim::arch::Arch;
use accelsim::dse::{pareto_front, Goal};
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use serde_json::{json, Value};

const PE_UM2: f64 = 0.5 * (1640.0 + 4184.0 + 64.0 * 4.522);
const LEAK_NW_PER_UM2: f64 = 14.353185 / 0.532;
const SRAM_W: f64 = 512.0 * 8192.0 * 1e-9;
const CLOCK_W_PER_PE: f64 = 32.0 * 2e-15 * 1e9;

fn edge(f: impl FnOnce(&mut Value)) -> Arch {
    let mut v: Value =
        serde_json::from_str(include_str!("../../arch_configs/edge_npu_32x32.json")).unwrap();
    f(&mut v);
    Arch::from_json(&v.to_string()).unwrap()
}

fn square(n: u64) -> Arch {
    edge(|v| {
        v["array"]["rows"] = json!(n);
        v["array"]["cols"] = json!(n);
    })
}

fn resnet50() -> Workload {
    Workload::from_json(include_str!("../../workloads/resnet50.json")).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
}

#[test]
fn hand_derived_figures() {
    assert!((PE_UM2 - 3056.704).abs() < 1e-9);
    assert!((PE_UM2 * LEAK_NW_PER_UM2 * 1e-3 - 82.469).abs() < 1e-3); // µW per PE
    for (n, total) in [(64u64, 0.70413), (256, 9.70318)] {
        let pes = (n * n) as f64;
        let s = square(n).static_power();
        assert!(close(
            s.array_leakage_w,
            pes * PE_UM2 * LEAK_NW_PER_UM2 * 1e-9
        ));
        assert!(close(s.core_buffer_leakage_w, SRAM_W));
        assert!(close(s.array_clock_w, pes * CLOCK_W_PER_PE));
        assert_eq!(s.uncore_w, 0.1);
        assert!((s.total_w() - total).abs() < 1e-5, "{n}: {}", s.total_w());
    }
}

#[test]
fn a_bigger_array_costs_more_when_it_idles() {
    let w = resnet50();
    let small = accelsim::run(&w, &square(64), Engine::Event).unwrap();
    let big = accelsim::run(&w, &square(256), Engine::Event).unwrap();
    let (ps, pb) = (
        small.power.static_power_w.total_w(),
        big.power.static_power_w.total_w(),
    );
    assert!(pb >= 1.5 * ps, "static {pb} W vs {ps} W");
    assert!((ps - 0.70413).abs() < 1e-5 && (pb - 9.70318).abs() < 1e-5);
    assert!(
        big.summary.energy_pj > small.summary.energy_pj,
        "{} vs {}",
        big.summary.energy_pj,
        small.summary.energy_pj
    );
    // The idle clock shows as its own bucket and the breakdown adds up.
    for r in [&small, &big] {
        let e = &r.summary.energy_breakdown_pj;
        assert!(e.clock > 0.0);
        assert_eq!(e.total(), r.summary.energy_pj);
    }
}

#[test]
fn clock_gating_removes_idle_clock_energy_only() {
    let w = resnet50();
    let gated = |g: f64| {
        let a = edge(|v| v["idle_power"]["clock_gating"] = json!(g));
        accelsim::run(&w, &a, Engine::Event).unwrap()
    };
    let (none, full) = (gated(0.0), gated(1.0));
    assert_eq!(full.power.static_power_w.array_clock_w, 0.0);
    let (c0, c1) = (
        none.summary.energy_breakdown_pj.clock,
        full.summary.energy_breakdown_pj.clock,
    );
    // Fully gated: only active PE-cycles pay, MACs / (MACs per PE-cycle = 1 for int8)
    // × 64 fJ.
    let macs = full.summary.macs as f64;
    assert!(close(c1, macs * 0.064), "{c1} vs {}", macs * 0.064);
    assert!(c1 < c0);
}

#[test]
fn energy_latency_front_has_more_than_one_point() {
    let w = resnet50();
    let mut pts = Vec::new();
    for n in [16u64, 64, 256] {
        for kib in [32.0, 2048.0] {
            for bw in [12.8, 51.2] {
                let a = edge(|v| {
                    v["array"]["rows"] = json!(n);
                    v["array"]["cols"] = json!(n);
                    for (b, share) in [("ifmap", 0.5), ("filter", 0.25), ("ofmap", 0.25)] {
                        v["memory"]["core_buffers"][b]["capacity_kib"] = json!(kib * share);
                    }
                    v["memory"]["dram"]["bandwidth_gbps"] = json!(bw);
                });
                let r = accelsim::run(&w, &a, Engine::Event).unwrap();
                pts.push(vec![r.summary.latency_s, r.summary.energy_pj]);
            }
        }
    }
    let front = pareto_front(&pts, &[Goal::Min, Goal::Min]);
    assert!(front.len() > 1, "front {front:?} of {pts:?}");
}

#[test]
fn every_preset_names_its_dram_technology() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/arch_configs")).unwrap() {
        let path = entry.unwrap().path();
        let a = Arch::load(&path).unwrap();
        let kind = a
            .memory
            .dram
            .kind
            .unwrap_or_else(|| panic!("{path:?}: no DRAM kind"));
        let pj_per_bit = accelsim::model::dram_pj_per_byte(&a, &a.energy_table()) / 8.0;
        if kind.is_lpddr() {
            assert!(pj_per_bit < 10.0, "{path:?}: {pj_per_bit}");
        }
        if a.memory.dram.energy_pj_per_bit.is_none() {
            assert_eq!(pj_per_bit, kind.pj_per_bit(), "{path:?}");
        }
    }
}
