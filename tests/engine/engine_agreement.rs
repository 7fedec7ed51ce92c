//! The two engines on single ops (issue #13 item 5): they share the mapping, the steps,
//! the traffic and the on-chip retention, so on one GEMM or conv they differ only by how
//! the event engine overlaps loads, compute and stores against the analytic engine's
//! closed form of the same pipeline (first loads, busy steps, last store; or all bytes at
//! the bandwidth, then the last step). Checked on systolic WS/OS/IS arrays, a tensor-core
//! array and the GPU presets at several sizes: within 2 % everywhere, and the event engine
//! never slower (the analytic engine runs each core's share alone on a fixed share of the
//! channel, so sharing it dynamically can only help).

use crate::engine_util::*;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use serde_json::{json, Value};

fn preset(name: &str) -> Value {
    let path = format!("{}/arch_configs/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn conv_workload(c: u64, hw: u64, k: u64, r: u64, stride: u64, format: &str) -> Workload {
    workload_json(&json!({
        "name": format!("conv_{c}_{hw}_{k}_{r}"),
        "inputs": [ { "name": "x", "shape": [1, c, hw, hw], "format": format } ],
        "ops": [ { "name": "c", "op": "conv2d", "inputs": ["x"], "output": "y",
                   "out_channels": k, "kernel": [r, r], "stride": [stride, stride],
                   "padding": [r / 2, r / 2], "precision": format } ]
    }))
}

fn gemm(m: u64, n: u64, k: u64, format: &str) -> Workload {
    workload_json(&json!({
        "name": format!("gemm_{m}x{n}x{k}"),
        "inputs": [ { "name": "x", "shape": [m, k], "format": format } ],
        "ops": [ { "name": "g", "op": "matmul", "inputs": ["x"], "output": "y",
                   "out_features": n, "precision": format } ]
    }))
}

/// (label, arch JSON, operand format).
fn archs() -> Vec<(String, Value, &'static str)> {
    let mut v = Vec::new();
    for df in ["ws", "os", "is"] {
        let mut a = base_arch();
        set(&mut a, "array.dataflow", json!(df));
        v.push((format!("32x32 {df}"), a, "int8"));
    }
    let mut big = base_arch();
    set(&mut big, "array.rows", json!(128));
    set(&mut big, "array.cols", json!(128));
    set(&mut big, "array.dataflow", json!("ws"));
    set(&mut big, "memory.dram.bandwidth_gbps", json!(64.0));
    v.push(("128x128 ws".into(), big, "int8"));
    for p in ["edge_npu_32x32", "scalesim_32x32", "tpu_v1", "eyeriss"] {
        v.push((p.into(), preset(p), "int8"));
    }
    v.push((
        "tensor_core_edge".into(),
        preset("tensor_core_edge"),
        "fp16",
    ));
    v.push(("h100_sxm".into(), preset("h100_sxm"), "fp16"));
    v.push(("a100_sxm".into(), preset("a100_sxm"), "fp16"));
    v
}

fn shapes(format: &str) -> Vec<(String, Workload)> {
    let mut v = Vec::new();
    for (m, n, k) in [
        (64, 64, 64),
        (256, 256, 256),
        (512, 1024, 256),
        (1024, 1024, 1024),
        (2048, 512, 2048),
        (1, 4096, 4096),
        (4096, 4096, 64),
    ] {
        v.push((format!("gemm {m}x{n}x{k}"), gemm(m, n, k, format)));
    }
    for (c, hw, k, r, s) in [(64, 56, 64, 3, 1), (3, 224, 64, 7, 2), (256, 14, 512, 1, 1)] {
        v.push((
            format!("conv {c}x{hw}² → {k}, {r}×{r}/{s}"),
            conv_workload(c, hw, k, r, s, format),
        ));
    }
    v
}

#[test]
fn event_engine_within_two_percent_of_analytic_on_single_ops() {
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    let mut worst: f64 = 0.0;
    for (label, spec, format) in archs() {
        let a = arch(&spec);
        for (name, w) in shapes(format) {
            let an = accelsim::run(&w, &a, Engine::Analytic);
            let ev = accelsim::run(&w, &a, Engine::Event);
            let (Ok(an), Ok(ev)) = (an, ev) else {
                continue; // format not supported by this arch
            };
            let (ca, ce) = (an.summary.cycles as f64, ev.summary.cycles as f64);
            let gap = ce / ca - 1.0;
            worst = worst.max(gap.abs());
            let row = format!(
                "{label:>16} {name:<28} analytic {ca:>12} event {ce:>12} {:+.3}%",
                100.0 * gap
            );
            if gap.abs() > 0.02 || ce > ca {
                failures.push(row.clone());
            }
            rows.push(row);
        }
    }
    println!("{}", rows.join("\n"));
    println!("largest gap {:.3}%", 100.0 * worst);
    assert!(rows.len() >= 80, "too few points ran: {}", rows.len());
    assert!(
        failures.is_empty(),
        "engines disagree:\n{}",
        failures.join("\n")
    );
}

/// On a chain of GEMMs both engines keep the same activations on chip (one retention
/// module decides for both), so they move the same DRAM bytes, op by op, and the analytic
/// engine no longer charges a DRAM round trip the event engine avoids.
#[test]
fn both_engines_keep_the_same_activations_on_chip() {
    for (name, wl) in [
        ("edge_npu_32x32", "tiny_cnn"),
        ("tpu_v1", "mlp6"),
        ("tensor_core_edge", "mlp6"),
        ("tpu_v1", "resnet50"),
    ] {
        let (a, w) = (arch(&preset(name)), workload(wl));
        let an = run(&w, &a, Engine::Analytic);
        let ev = run(&w, &a, Engine::Event);
        let kept: f64 = an.layers.iter().map(|l| l.kept_on_chip_bytes).sum();
        assert!(kept > 0.0, "{name}: nothing kept on chip");
        for (x, y) in an.layers.iter().zip(&ev.layers) {
            assert_eq!(x.output_on_chip, y.output_on_chip, "{name} {}", x.name);
            assert!(
                (x.dram_bytes - y.dram_bytes).abs() <= 1e-9 * x.dram_bytes.max(1.0),
                "{name} {}: analytic {} event {}",
                x.name,
                x.dram_bytes,
                y.dram_bytes
            );
        }
        assert!(
            (an.summary.dram_bytes - ev.summary.dram_bytes).abs() <= 1e-9 * an.summary.dram_bytes,
            "{name}"
        );
    }
}
