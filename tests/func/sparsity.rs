//! Sparsity changes cost, never results: a weight declared 2:4 must really be 2:4 in
//! functional mode (an error names the tensor otherwise), a valid 2:4 weight gives exactly
//! the outputs of the same workload without the declaration, and seeded random weights of a
//! declared pattern honour it.

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::tensor::Tensor;
use accelsim::workload::Workload;
use serde_json::json;

fn arch() -> Arch {
    let v = json!({
        "name": "t", "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 4, "cols": 4, "dataflow": "os"},
        "precisions": [{"format": "fp32", "macs_per_pe_per_cycle": 1}],
        "vector_unit": {"lanes": 4},
        "memory": {"dram": {"bandwidth_gbps": 10},
                   "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 64, "bytes_per_cycle": 16}}},
        "static_power_w": 0.0
    });
    Arch::from_json(&v.to_string()).unwrap()
}

/// x [2, 8] × w [8, 2] (K = 8 along w's first axis).
fn workload(declared: Option<&str>) -> Workload {
    let mut w = json!({"name": "w", "shape": [8, 2], "format": "fp32"});
    if let Some(p) = declared {
        w["sparsity"] = json!(p);
    }
    let v = json!({
        "name": "sp", "inputs": [{"name": "x", "shape": [2, 8], "format": "fp32"}],
        "weights": [w],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "weight": "w", "precision": "fp32"}]
    });
    Workload::from_json(&v.to_string()).unwrap()
}

fn feeds(w: Vec<f32>) -> Feeds {
    let mut f = Feeds::default();
    let x: Vec<f32> = (0..16).map(|i| i as f32 * 0.5 - 3.0).collect();
    f.inputs
        .insert("x".into(), Tensor::from_f32(vec![2, 8], x).unwrap());
    f.weights
        .insert("w".into(), Tensor::from_f32(vec![8, 2], w).unwrap());
    f
}

// Column 0 keeps rows {0, 2} and {5, 6}; column 1 keeps {1, 3} and {4, 6}: 2:4 along K.
const W_2_4: [f32; 16] = [
    1.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 4.0, //
    0.0, 5.0, 6.0, 0.0, 7.0, 8.0, 0.0, 0.0,
];

#[test]
fn a_valid_2_4_weight_gives_the_dense_result() {
    let dense = execute(
        &workload(None),
        &arch(),
        &feeds(W_2_4.to_vec()),
        &ExecOptions::default(),
    )
    .unwrap();
    let sparse = execute(
        &workload(Some("2:4")),
        &arch(),
        &feeds(W_2_4.to_vec()),
        &ExecOptions::default(),
    )
    .unwrap();
    assert_eq!(dense.tensors, sparse.tensors);
}

#[test]
fn a_declared_2_4_weight_that_is_not_2_4_is_an_error() {
    let mut w = W_2_4.to_vec();
    w[2] = 9.0; // column 0, rows 0..4 now hold three non-zeros
    let e = execute(
        &workload(Some("2:4")),
        &arch(),
        &feeds(w),
        &ExecOptions::default(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("'w'") || msg.contains("w"), "{msg}");
    assert!(msg.contains("ops[0].weight"), "{msg}");
}

#[test]
fn seeded_random_weights_honour_a_declared_pattern() {
    // x = I (8×8), so y = x·w is the random weight itself: every group of 4 along K must
    // hold at most 2 non-zeros.
    let v = json!({
        "name": "sp", "inputs": [{"name": "x", "shape": [8, 8], "format": "fp32"}],
        "weights": [{"name": "w", "shape": [8, 2], "format": "fp32", "sparsity": "2:4"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "weight": "w", "precision": "fp32"}]
    });
    let wl = Workload::from_json(&v.to_string()).unwrap();
    let mut f = Feeds::default();
    let eye: Vec<f32> = (0..64)
        .map(|i| if i / 8 == i % 8 { 1.0 } else { 0.0 })
        .collect();
    f.inputs
        .insert("x".into(), Tensor::from_f32(vec![8, 8], eye).unwrap());
    let out = execute(&wl, &arch(), &f, &ExecOptions { seed: 3 }).unwrap();
    let y = out.tensors[0].1.as_f32().unwrap().to_vec();
    let mut nonzero_total = 0;
    for col in 0..2 {
        for group in 0..2 {
            let nz = (0..4)
                .filter(|r| y[(group * 4 + r) * 2 + col] != 0.0)
                .count();
            assert!(nz <= 2, "column {col}, group {group}: {nz} non-zeros");
            nonzero_total += nz;
        }
    }
    assert_eq!(
        nonzero_total, 8,
        "random values are non-zero, so exactly 2 of 4 survive"
    );
}
