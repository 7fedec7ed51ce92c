//! The event and analytic engines on GPU-style arrays: a kernel call takes at least its host
//! dispatch time in both, consecutive host-bound calls serialize on the host, and a
//! kernel's HBM traffic overlaps its compute, so the two engines give the same single-GEMM
//! latencies on the H100 and A100 presets.

use std::process::Command;

use accelsim::arch::Arch;
use accelsim::model::gpu::Launch;
use accelsim::model::RunOptions;
use accelsim::numerics::Format;
use accelsim::report::Report;
use accelsim::sim::{Engine, StallReason};
use accelsim::validate::gemm::gemm_workload;
use accelsim::workload::Workload;

fn load_arch(rel: &str) -> Arch {
    Arch::load(format!("{}/{rel}", env!("CARGO_MANIFEST_DIR")).as_ref()).unwrap()
}

fn toy() -> Arch {
    load_arch("tests/data/gpu/toy_gpu.json")
}

fn both(w: &Workload, arch: &Arch, launch: Launch) -> (Report, Report) {
    let o = RunOptions::with_launch(launch);
    (
        accelsim::run_with(w, arch, Engine::Event, &o).unwrap(),
        accelsim::run_with(w, arch, Engine::Analytic, &o).unwrap(),
    )
}

fn run(w: &Workload, arch: &Arch, launch: Launch) -> Report {
    accelsim::run_with(w, arch, Engine::Event, &RunOptions::with_launch(launch)).unwrap()
}

#[test]
fn presets_agree_across_host_and_compute_bound_gemms() {
    // Host-bound (256³–1024³ on the H100 through the eager path) and compute-bound
    // (8192³, power-capped) calls.
    for (preset, formats) in [
        (
            "arch_configs/h100_sxm.json",
            &[Format::FP16, Format::FP8_E4M3, Format::INT8][..],
        ),
        (
            "arch_configs/a100_sxm.json",
            &[Format::FP16, Format::INT8][..],
        ),
    ] {
        let arch = load_arch(preset);
        for &f in formats {
            for s in [256, 512, 1024, 8192] {
                let w = gemm_workload(s, s, s, f, f).unwrap();
                let (e, a) = both(&w, &arch, Launch::Eager);
                let what = format!("{preset} {f} {s}^3");
                assert_eq!(e.summary.engine, "event", "{what}");
                assert_eq!(e.summary.cycles, a.summary.cycles, "{what}");
                assert_eq!(e.summary.latency_s, a.summary.latency_s, "{what}");
                assert_eq!(e.power.clock_ghz, a.power.clock_ghz, "{what}");
                assert_eq!(e.layers[0].stall_reason, a.layers[0].stall_reason, "{what}");
                let rel = (e.summary.energy_pj / a.summary.energy_pj - 1.0).abs();
                assert!(rel < 1e-12, "{what}: energy {rel}");
            }
        }
    }
}

#[test]
fn h100_small_gemms_take_the_host_dispatch_time() {
    // VALIDATION.md: the calibrated eager host time per fp16 call is 44.5 µs (the mean of
    // the measured 256³ and 512³ latencies); the device needs < 25 µs up to 1024³.
    let arch = load_arch("arch_configs/h100_sxm.json");
    for s in [256, 512, 1024] {
        let w = gemm_workload(s, s, s, Format::FP16, Format::FP16).unwrap();
        let r = run(&w, &arch, Launch::Eager);
        assert!(
            (r.summary.latency_s - 44.5e-6).abs() < 1e-12,
            "{s}^3: {}",
            r.summary.latency_s
        );
        assert_eq!(r.layers[0].stall_reason, StallReason::HostBound);
        assert_eq!(r.summary.cycles, (44.5e-6 * 1.98e9f64).round() as u64);
    }
    // 8192³ is device-bound: far above the host time.
    let w = gemm_workload(8192, 8192, 8192, Format::FP16, Format::FP16).unwrap();
    let r = run(&w, &arch, Launch::Eager);
    assert!(r.summary.latency_s > 10.0 * 44.5e-6);
    assert_ne!(r.layers[0].stall_reason, StallReason::HostBound);
}

#[test]
fn toy_gpu_event_engine_hand_figures() {
    // Toy GPU (1 GHz, 4 SMs, 1024 MACs/SM/cycle, 128×128 tiles, no latencies).
    let arch = toy();
    // Compute-bound: 512×256×1024 is 8 tiles = 2 waves of 128·128·1024/1024 = 16384
    // cycles; its 1.8 MB of DRAM traffic (1835 cycles at 1000 B/cycle) hides under it.
    let w = gemm_workload(512, 256, 1024, Format::FP16, Format::FP16).unwrap();
    let r = accelsim::run(&w, &arch, Engine::Event).unwrap();
    assert_eq!(r.summary.cycles, 2 * 16384);
    assert_eq!(r.layers[0].stall_reason, StallReason::None);
    // DRAM-bound at 10 B/cycle: 8×4096 · 4096×512 moves A 65536 + B 4194304 + C 8192
    // bytes = 426803.2 cycles, seen at the next whole cycle.
    let mut slow = arch.clone();
    slow.memory.dram.bandwidth_gbps = 10.0;
    let w = gemm_workload(8, 512, 4096, Format::FP16, Format::FP16).unwrap();
    let r = accelsim::run(&w, &slow, Engine::Event).unwrap();
    assert_eq!(r.summary.cycles, 426804);
    assert_eq!(r.layers[0].stall_reason, StallReason::DramBound);
    // Host-bound: 64×64×64 is one (padded) tile of 1024 cycles, under the C++ launch path's
    // 5 µs = 5000-cycle host dispatch.
    let w = gemm_workload(64, 64, 64, Format::FP16, Format::FP16).unwrap();
    let r = run(&w, &arch, Launch::Cpp);
    assert_eq!(r.layers[0].compute_cycles, 1024);
    assert_eq!(r.summary.cycles, 5000);
    assert_eq!(r.layers[0].stall_reason, StallReason::HostBound);
    assert_eq!(r.layers[0].stall_cycles, 5000 - 1024);
}

#[test]
fn independent_host_bound_calls_serialize_on_the_host() {
    // Two independent 64³ GEMMs (one SM each of four): the device could run them side by
    // side, but a C++ host dispatches one call at a time, 5 µs = 5000 cycles each.
    let arch = toy();
    let w = Workload::from_json(
        r#"{ "name": "two", "inputs": [ { "name": "x", "shape": [64, 64], "format": "fp16" } ],
             "ops": [
               { "name": "g1", "op": "matmul", "inputs": ["x"], "output": "y1", "out_features": 64, "precision": "fp16" },
               { "name": "g2", "op": "matmul", "inputs": ["x"], "output": "y2", "out_features": 64, "precision": "fp16" } ],
             "outputs": ["y1", "y2"] }"#,
    )
    .unwrap();
    let (e, a) = both(&w, &arch, Launch::Cpp);
    assert_eq!(e.summary.cycles, 10000);
    assert_eq!(a.summary.cycles, 10000);
    let mut spans: Vec<(u64, u64)> = e
        .layers
        .iter()
        .map(|l| (l.start_cycle, l.end_cycle))
        .collect();
    spans.sort();
    assert_eq!(spans, [(0, 5000), (5000, 10000)]);
    // Replayed from a CUDA Graph (no host time) they run side by side in one tile time.
    let r = run(&w, &arch, Launch::Graph);
    assert_eq!(r.summary.cycles, 1024);
}

#[test]
fn cli_default_engine_reports_the_host_bound_latency() {
    let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args([
            "run",
            "arch_configs/h100_sxm.json",
            "tests/data/gpu/gemm_256_fp16.json",
            "--launch",
            "eager",
            "--json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["engine"], "event");
    let lat = v["summary"]["latency_s"].as_f64().unwrap();
    assert!((lat - 44.5e-6).abs() < 1e-12, "{lat}");
    assert_eq!(v["layers"][0]["stall_reason"], "host_bound");
}

/// Between kernels nothing stays on chip on a GPU arch: every kernel's HBM traffic is what
/// the kernel model gives it, so the event engine's DRAM bytes (total and per op) equal
/// the model's and the analytic engine's, and no op reports kept-on-chip bytes.
#[test]
fn gpu_kernels_exchange_tensors_through_hbm() {
    for (arch, wl) in [
        (
            "arch_configs/h100_sxm.json",
            "workloads/bert_base_encoder.json",
        ),
        (
            "arch_configs/a100_sxm.json",
            "workloads/transformer_decoder_32l.json",
        ),
    ] {
        let arch = load_arch(arch);
        let w = Workload::load(format!("{}/{wl}", env!("CARGO_MANIFEST_DIR")).as_ref()).unwrap();
        let costs = accelsim::model::plan(&w, &arch).unwrap();
        let model_bytes: f64 = costs.iter().map(|c| c.traffic.dram_bytes()).sum();
        let ev = accelsim::run(&w, &arch, Engine::Event).unwrap();
        let an = accelsim::run(&w, &arch, Engine::Analytic).unwrap();
        assert!(
            ev.layers.iter().all(|l| l.kept_on_chip_bytes == 0.0),
            "{wl}"
        );
        let rel = |x: f64| (x - model_bytes).abs() / model_bytes;
        assert!(
            rel(ev.summary.dram_bytes) < 1e-12,
            "{wl}: event {} vs model {model_bytes}",
            ev.summary.dram_bytes
        );
        assert!(
            rel(an.summary.dram_bytes) < 1e-12,
            "{wl}: analytic {}",
            an.summary.dram_bytes
        );
    }
}
