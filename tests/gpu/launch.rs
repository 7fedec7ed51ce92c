//! The GPU launch path as a run option: presets describe silicon, the host path
//! (`--launch graph|cpp|eager`) belongs to the run. The eager figures are the calibration
//! measurements' own; the default path lets the H100 show what its hardware does.

use std::process::Command;

use accelsim::arch::Arch;
use accelsim::model::gpu::launch::{eager_host_us, CPP_HOST_US};
use accelsim::model::gpu::Launch;
use accelsim::model::RunOptions;
use accelsim::numerics::Format;
use accelsim::sim::{Engine, StallReason};
use accelsim::validate::calibration::{precision_formats, Calibration};
use accelsim::validate::gemm::gemm_workload;
use accelsim::workload::Workload;

fn root() -> &'static str {
    env!("CARGO_MANIFEST_DIR")
}

fn preset(name: &str) -> Arch {
    Arch::load(format!("{}/arch_configs/{name}.json", root()).as_ref()).unwrap()
}

fn calibration() -> Calibration {
    Calibration::load(format!("{}/tests/data/h100/calibration.json", root()).as_ref()).unwrap()
}

fn latency(w: &Workload, a: &Arch, launch: Launch) -> f64 {
    accelsim::run_with(w, a, Engine::Event, &RunOptions::with_launch(launch))
        .unwrap()
        .summary
        .latency_s
}

#[test]
fn eager_host_times_are_the_calibration_means() {
    // The eager path's host time per library path is the mean of the measured 256³ and
    // 512³ median latencies (launch-bound: the device needs < 5 µs there), read here from
    // the measurement file itself; fp16 and bf16 share cuBLAS's path (mean of all four).
    let cal = calibration();
    let mean = |precs: &[&str]| -> f64 {
        let v: Vec<f64> = cal
            .gemm
            .iter()
            .filter(|g| precs.contains(&g.prec.as_str()))
            .filter(|g| g.m == g.n && g.n == g.k && (g.m == 256 || g.m == 512))
            .map(|g| g.median_s * 1e6)
            .collect();
        assert_eq!(v.len(), 2 * precs.len(), "{precs:?}");
        v.iter().sum::<f64>() / v.len() as f64
    };
    for precs in [
        &["fp16", "bf16"][..],
        &["fp8"],
        &["int8"],
        &["tf32"],
        &["fp32"],
    ] {
        let (operand, _) = precision_formats(precs[0]).unwrap();
        let want = mean(precs);
        let got = eager_host_us(operand);
        assert!(
            (got - want).abs() < 0.05,
            "{precs:?}: {got} vs measured {want:.3}"
        );
    }
    // E5M2 (and mixed E4M3×E5M2) take cuBLASLt's fp8 call, as E4M3 does.
    assert_eq!(
        eager_host_us(Format::FP8_E5M2),
        eager_host_us(Format::FP8_E4M3)
    );
}

#[test]
fn presets_hold_no_host_time() {
    // The arch files describe hardware only: a host time in one is rejected, naming it.
    for name in ["h100_sxm", "a100_sxm"] {
        let text = std::fs::read_to_string(format!("{}/arch_configs/{name}.json", root())).unwrap();
        assert!(!text.contains("host_overhead"), "{name}");
        let bad = text.replacen(
            "\"launch_latency_us\": 4.0,",
            "\"launch_latency_us\": 4.0, \"host_overhead_us\": 5.0,",
            1,
        );
        let e = Arch::from_json(&bad).unwrap_err();
        assert!(e.message.contains("host_overhead_us"), "{}", e.message);
    }
}

#[test]
fn default_launch_is_the_cuda_graph_path() {
    assert_eq!(RunOptions::default().launch, Launch::Graph);
    assert_ne!(Launch::default(), Launch::Eager);
    assert_eq!(Launch::Graph.host_us(Some(Format::FP16)), 0.0);
    assert_eq!(Launch::Cpp.host_us(Some(Format::INT8)), CPP_HOST_US);
    assert_eq!(
        Launch::Eager.host_us(Some(Format::INT8)),
        eager_host_us(Format::INT8)
    );
    for l in Launch::ALL {
        assert_eq!(Launch::parse(l.name()), Some(l));
    }
}

#[test]
fn launch_paths_order_a_host_bound_kernel() {
    // A 256³ fp16 GEMM on the H100: the device needs a few µs (launch 4 µs + one wave of
    // tiles), under the eager 44.5 µs and above nothing: graph ≤ cpp ≤ eager, eager exactly
    // the host time.
    let h = preset("h100_sxm");
    let w = gemm_workload(256, 256, 256, Format::FP16, Format::FP16).unwrap();
    let (g, c, e) = (
        latency(&w, &h, Launch::Graph),
        latency(&w, &h, Launch::Cpp),
        latency(&w, &h, Launch::Eager),
    );
    assert!(g < 10e-6 && g > 4e-6, "graph {g}");
    assert!(g <= c && c < e, "{g} {c} {e}");
    assert_eq!(c.max(5e-6), c);
    assert!((e - 44.5e-6).abs() < 1e-12, "eager {e}");
}

#[test]
fn eager_reproduces_the_validation_figures() {
    // `validate h100` predicts through the eager path: every calibration row equals
    // `accelsim run --launch eager` of that GEMM, and the median error per precision stays
    // within 10 % on the acceptance set.
    let (h, cal) = (preset("h100_sxm"), calibration());
    let v = accelsim::validate::h100::validate(&h, &cal).unwrap();
    for r in v.rows.iter().filter(|r| r.m <= 1024) {
        let (operand, output) = precision_formats(&r.precision).unwrap();
        let w = gemm_workload(r.m, r.n, r.k, operand, output).unwrap();
        let run = accelsim::run_with(
            &w,
            &h,
            Engine::Analytic,
            &RunOptions::with_launch(Launch::Eager),
        )
        .unwrap();
        assert_eq!(
            run.summary.latency_s, r.predicted_s,
            "{} {}",
            r.precision, r.m
        );
    }
    for s in &v.stats {
        assert!(
            s.median_abs_latency_error <= 0.10,
            "{}: {}",
            s.precision,
            s.median_abs_latency_error
        );
    }
}

#[test]
fn default_launch_h100_no_slower_than_a100_on_every_bundled_workload() {
    let (h, a) = (preset("h100_sxm"), preset("a100_sxm"));
    let mut names: Vec<_> = std::fs::read_dir(format!("{}/workloads", root()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    for p in names {
        let w = Workload::load(&p).unwrap();
        let opts = RunOptions::default();
        // Workloads in a format the GPUs lack (alexnet_conv: int16, for Eyeriss) are skipped.
        let th = match accelsim::run_with(&w, &h, Engine::Event, &opts) {
            Err(e) if e.to_string().contains("has no int16 MACs") => continue,
            r => r.unwrap(),
        };
        let ta = accelsim::run_with(&w, &a, Engine::Event, &opts).unwrap();
        println!(
            "{}: H100 {:.1} µs, A100 {:.1} µs",
            w.name,
            th.summary.latency_s * 1e6,
            ta.summary.latency_s * 1e6
        );
        assert!(
            th.summary.latency_s <= ta.summary.latency_s,
            "{}: H100 {} s > A100 {} s",
            p.display(),
            th.summary.latency_s,
            ta.summary.latency_s
        );
    }
}

#[test]
fn bert_encoder_layer_on_h100_under_150_us() {
    // One BERT-base encoder layer, 128 tokens (int8 and fp16 variants), launched from a
    // CUDA Graph: far from the 700-800 µs the eager path gives (its host time per kernel).
    let h = preset("h100_sxm");
    for name in ["bert_base_encoder", "sparsity_study_fp16_dense"] {
        let w = Workload::load(format!("{}/workloads/{name}.json", root()).as_ref()).unwrap();
        let t = latency(&w, &h, Launch::default());
        let eager = latency(&w, &h, Launch::Eager);
        println!(
            "{name}: graph {:.1} µs, eager {:.1} µs",
            t * 1e6,
            eager * 1e6
        );
        assert!(t < 150e-6, "{name}: {t}");
        assert!(eager > 4.0 * t, "{name}: eager {eager}");
    }
}

#[test]
fn without_host_time_int8_and_2x4_gain_on_the_h100() {
    // With the host out of the way the layer's time is the device's: int8 is faster than
    // fp16 and 2:4 weights are no slower than dense (eager hid both behind its host time).
    let h = preset("h100_sxm");
    let load = |n: &str| {
        Workload::load(format!("{}/workloads/sparsity_study_{n}.json", root()).as_ref()).unwrap()
    };
    let g = Launch::Graph;
    let (f16, i8) = (
        latency(&load("fp16_dense"), &h, g),
        latency(&load("int8_dense"), &h, g),
    );
    assert!(i8 < f16, "int8 {i8} fp16 {f16}");
    let s = latency(&load("fp16_2x4"), &h, g);
    assert!(s < f16, "2:4 {s} dense {f16}");
}

fn accelsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_launch_option() {
    let lat = |extra: &[&str]| -> f64 {
        let mut args = vec![
            "run",
            "arch_configs/h100_sxm.json",
            "tests/data/gpu/gemm_256_fp16.json",
            "--json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = accelsim(&args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["summary"]["latency_s"].as_f64().unwrap()
    };
    let default = lat(&[]);
    assert_eq!(default, lat(&["--launch", "graph"]));
    assert!((lat(&["--launch", "eager"]) - 44.5e-6).abs() < 1e-12);
    assert!(lat(&["--launch", "cpp"]) >= 5e-6);
    let (code, _, err) = accelsim(&[
        "run",
        "arch_configs/h100_sxm.json",
        "tests/data/gpu/gemm_256_fp16.json",
        "--launch",
        "python",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("graph") && err.contains("eager"), "{err}");
    // validate h100 compares with eager measurements and says so for another path.
    let (code, _, err) = accelsim(&["validate", "h100", "--launch", "graph"]);
    assert_eq!(code, 2);
    assert!(err.contains("eager"), "{err}");
}

#[test]
fn sweep_launch_field() {
    // A sweep's `launch` applies to every point, exactly as `run --launch`.
    let dir = std::env::temp_dir().join(format!("accelsim_launch_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = |launch: &str| {
        serde_json::json!({
            "name": "launch",
            "arch": format!("{}/arch_configs/h100_sxm.json", root()),
            "workload": format!("{}/tests/data/gpu/gemm_256_fp16.json", root()),
            "engine": "analytic",
            "launch": launch,
            "axes": [ { "kind": "arch", "path": "clock_ghz", "values": [1.98] } ]
        })
    };
    let w =
        Workload::load(format!("{}/tests/data/gpu/gemm_256_fp16.json", root()).as_ref()).unwrap();
    let h = preset("h100_sxm");
    for l in Launch::ALL {
        let path = dir.join(format!("{l}.json"));
        std::fs::write(&path, spec(l.name()).to_string()).unwrap();
        let sweep = accelsim::dse::sweep::Sweep::load(&path).unwrap();
        let got = sweep.evaluate(0).metrics[accelsim::dse::Metric::LatencyS.index()];
        let want = accelsim::run_with(&w, &h, Engine::Analytic, &RunOptions::with_launch(l))
            .unwrap()
            .summary
            .latency_s;
        assert_eq!(got, want, "{l}");
    }
    let path = dir.join("bad.json");
    std::fs::write(&path, spec("python").to_string()).unwrap();
    let e = accelsim::dse::sweep::Sweep::load(&path).unwrap_err();
    assert!(
        e.json_path.starts_with("launch"),
        "{} {}",
        e.json_path,
        e.message
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn host_bound_stall_is_reported_per_launch_path() {
    let h = preset("h100_sxm");
    let w = gemm_workload(256, 256, 256, Format::INT8, Format::INT32).unwrap();
    let r = accelsim::run_with(
        &w,
        &h,
        Engine::Event,
        &RunOptions::with_launch(Launch::Eager),
    )
    .unwrap();
    assert_eq!(r.layers[0].stall_reason, StallReason::HostBound);
    let r = accelsim::run_with(&w, &h, Engine::Event, &RunOptions::default()).unwrap();
    assert_ne!(r.layers[0].stall_reason, StallReason::HostBound);
}
