//! Shared helpers of the engine tests: small architectures built from JSON with
//! overrides, and one-call runs.
#![allow(dead_code)]

use accelsim::arch::Arch;
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use serde_json::{json, Value};

/// A 32×32 output-stationary edge NPU at 1 GHz: 25.6 GB/s DRAM with 80 ns latency,
/// 256/128/128 KiB ifmap/filter/ofmap buffers, double buffered.
pub fn base_arch() -> Value {
    json!({
        "name": "test_npu",
        "clock_ghz": 1.0,
        "cores": 1,
        "array": { "kind": "systolic", "rows": 32, "cols": 32, "dataflow": "os" },
        "precisions": [
            { "format": "int8", "macs_per_pe_per_cycle": 1 },
            { "format": "fp16", "macs_per_pe_per_cycle": 1 }
        ],
        "vector_unit": { "lanes": 32 },
        "memory": {
            "dram": { "bandwidth_gbps": 25.6, "latency_ns": 80 },
            "core_buffers": {
                "kind": "split",
                "ifmap": { "capacity_kib": 256, "bytes_per_cycle": 64 },
                "filter": { "capacity_kib": 128, "bytes_per_cycle": 64 },
                "ofmap": { "capacity_kib": 128, "bytes_per_cycle": 128 }
            },
            "double_buffering": true
        },
        "static_power_w": 0.1
    })
}

/// Sets `value` at a dotted path (`memory.dram.bandwidth_gbps`) of a JSON object.
pub fn set(v: &mut Value, path: &str, value: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        cur = cur
            .get_mut(*p)
            .unwrap_or_else(|| panic!("no '{p}' in {path}"));
    }
    cur[parts[parts.len() - 1]] = value;
}

/// Makes every memory level effectively infinitely fast: DRAM and every buffer at
/// 10^30 bytes per cycle, no DRAM latency.
pub fn make_infinite(v: &mut Value) {
    set(v, "memory.dram.bandwidth_gbps", json!(1e30));
    set(v, "memory.dram.latency_ns", json!(0));
    let bufs = v["memory"]["core_buffers"]
        .as_object_mut()
        .expect("buffers");
    for (k, b) in bufs.iter_mut() {
        if k != "kind" {
            b["bytes_per_cycle"] = json!(1e30);
        }
    }
    if let Some(g) = v["memory"].get_mut("global_buffer") {
        g["bytes_per_cycle"] = json!(1e30);
    }
}

/// Parses and validates an arch.
pub fn arch(v: &Value) -> Arch {
    Arch::from_json(&v.to_string()).expect("valid arch")
}

/// Loads a workload from `workloads/`.
pub fn workload(name: &str) -> Workload {
    let path = format!("{}/workloads/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Workload::load(path.as_ref()).expect("valid workload")
}

/// Parses a workload from JSON.
pub fn workload_json(v: &Value) -> Workload {
    Workload::from_json(&v.to_string()).expect("valid workload")
}

/// Runs a workload on an arch.
pub fn run(w: &Workload, a: &Arch, engine: Engine) -> Report {
    accelsim::run(w, a, engine).expect("run")
}

/// One GEMM `x[m, k] × W[k, n]` in int8 as a workload.
pub fn gemm_workload(m: u64, n: u64, k: u64) -> Workload {
    workload_json(&json!({
        "name": format!("gemm_{m}x{n}x{k}"),
        "inputs": [ { "name": "x", "shape": [m, k], "format": "int8" } ],
        "ops": [ { "name": "g", "op": "matmul", "inputs": ["x"], "output": "y",
                   "out_features": n, "precision": "int8" } ]
    }))
}
