//! Sparsity in the cost model, checked against values computed by hand from first
//! principles (each expected figure is derived in the comment above it).
//!
//! Common set-up: an int8 MAC costs mult.int8 + add.int32 = 0.2 + 0.1 = 0.3 pJ (Horowitz);
//! buffers are large enough that every operand crosses DRAM exactly once, so DRAM bytes
//! are A + B + C.

use accelsim::arch::Arch;
use accelsim::model::{self, OpCost};
use accelsim::workload::Workload;
use approx::assert_relative_eq;
use serde_json::{json, Value};

/// A 1-core arch with a 64 MiB unified buffer, 100 GB/s DRAM, no static power.
fn arch(array: Value, sparsity: Option<Value>) -> Arch {
    let mut a = json!({
        "name": "test",
        "clock_ghz": 1.0,
        "array": array,
        "precisions": [
            { "format": "int8", "macs_per_pe_per_cycle": 1 },
            { "format": "fp16", "macs_per_pe_per_cycle": 1 }
        ],
        "vector_unit": { "lanes": 16 },
        "memory": {
            "dram": { "bandwidth_gbps": 100 },
            "core_buffers": { "kind": "unified", "buffer": { "capacity_kib": 65536, "bytes_per_cycle": 1024 } }
        },
        "static_power_w": 0.0
    });
    if let Some(s) = sparsity {
        a["sparsity"] = s;
    }
    Arch::from_json(&a.to_string()).expect("valid test arch")
}

/// Tensor cores: 16×8×16 blocks, 1 unit, 10-cycle pipeline latency.
fn tensor_core(sparsity: Option<Value>) -> Arch {
    arch(
        json!({ "kind": "tensor_core", "m": 16, "n": 8, "k": 16, "units_per_core": 1, "pipeline_latency_cycles": 10 }),
        sparsity,
    )
}

/// An 8×8 output-stationary systolic array.
fn systolic(sparsity: Option<Value>) -> Arch {
    arch(
        json!({ "kind": "systolic", "rows": 8, "cols": 8, "dataflow": "os" }),
        sparsity,
    )
}

/// x [m, k] × weight [k, n] → [m, n], all `prec`; `x_sp` / `w_sp` are sparsity annotations.
fn gemm(m: u64, k: u64, n: u64, prec: &str, x_sp: Option<Value>, w_sp: Option<Value>) -> Workload {
    let mut x = json!({ "name": "x", "shape": [m, k], "format": prec });
    if let Some(s) = x_sp {
        x["sparsity"] = s;
    }
    let mut op = json!({ "name": "fc", "op": "matmul", "inputs": ["x"], "output": "y",
                         "out_features": n, "precision": prec });
    if let Some(s) = w_sp {
        op["sparsity"] = json!({ "weights": s });
    }
    let w = json!({ "name": "g", "inputs": [x], "ops": [op] });
    Workload::from_json(&w.to_string()).expect("valid test workload")
}

fn cost(w: &Workload, a: &Arch) -> OpCost {
    model::plan(w, a).expect("plans").remove(0)
}

const TWO_FOUR: &str = r#"{"structured": {"patterns": [{"n": 2, "m": 4}]}}"#;

fn sp(text: &str) -> Option<Value> {
    Some(serde_json::from_str(text).unwrap())
}

#[test]
fn two_four_halves_tensor_core_cycles_and_weight_bytes() {
    let a = tensor_core(sp(TWO_FOUR));
    let dense = cost(&gemm(64, 256, 128, "int8", None, None), &a);
    let sparse = cost(&gemm(64, 256, 128, "int8", None, sp(r#""2:4""#)), &a);
    // Dense: ceil(64/16)·ceil(128/8)·ceil(256/16) = 4·16·16 = 1024 blocks + 10 latency.
    assert_eq!(dense.compute_cycles, 1034);
    // 2:4 at 2×: K runs as 256/2 = 128 → 4·16·8 = 512 blocks + 10 = (1034 − 10)/2 + 10.
    assert_eq!(sparse.compute_cycles, 522);
    // DRAM: A 64·256 = 16384 B, C 64·128 = 8192 B; the int8 weight 256·128 stored 2:4 with
    // 2-bit metadata: N·K/2 + N·K/2·2/8 = 16384 + 4096 = 20480 B (dense 32768).
    assert_relative_eq!(dense.traffic.dram_bytes(), 16384.0 + 32768.0 + 8192.0);
    assert_relative_eq!(sparse.traffic.dram_bytes(), 16384.0 + 20480.0 + 8192.0);
    // MAC energy: 64·256·128 = 2 097 152 MACs × 0.3 pJ, half of them issued.
    assert_relative_eq!(dense.energy.mac_pj, 2_097_152.0 * 0.3, max_relative = 1e-12);
    assert_relative_eq!(
        sparse.energy.mac_pj,
        2_097_152.0 * 0.3 / 2.0,
        max_relative = 1e-12
    );
    // Results unchanged: same MAC count (dense-equivalent), same output tensor.
    assert_eq!(sparse.macs, dense.macs);
    let e = sparse.sparsity.as_ref().expect("effect recorded");
    assert_eq!(e.dense_compute_cycles, 1034);
    assert_relative_eq!(e.compute_speedup, 1034.0 / 522.0);
    assert_relative_eq!(e.dram_bytes_saved, 32768.0 - 20480.0);
    assert_eq!(e.peak_multiplier, 2.0);
    assert!(e.features.iter().any(|f| f == "2:4 structured"));
}

#[test]
fn structured_overheads_as_configured() {
    // speedup 1.6 and 4 metadata bits: K runs as 256/1.6 = 160 → 4·16·10 = 640 blocks + 10;
    // the weight is 16384 values · (8 + 4) bits = 24576 B.
    let a = tensor_core(sp(
        r#"{"structured": {"patterns": [{"n": 2, "m": 4, "speedup": 1.6, "metadata_bits_per_kept_value": 4}]}}"#,
    ));
    let c = cost(&gemm(64, 256, 128, "int8", None, sp(r#""2:4""#)), &a);
    assert_eq!(c.compute_cycles, 650);
    assert_relative_eq!(c.traffic.dram_bytes(), 16384.0 + 24576.0 + 8192.0);
}

#[test]
fn structured_needs_a_matching_pattern_format_and_operand() {
    let dense = cost(&gemm(64, 256, 128, "fp16", None, None), &tensor_core(None));
    let cases = [
        // Sparse fp16 MACs not supported.
        (
            r#"{"structured": {"patterns": [{"n": 2, "m": 4}], "formats": ["int8"]}}"#,
            r#""2:4""#,
        ),
        // 2:8 hardware cannot run a 2:4 tensor (2:4 does not imply 2:8).
        (
            r#"{"structured": {"patterns": [{"n": 2, "m": 8}]}}"#,
            r#""2:4""#,
        ),
        // Structured support on activations only.
        (
            r#"{"structured": {"operand": "activations", "patterns": [{"n": 2, "m": 4}]}}"#,
            r#""2:4""#,
        ),
        // Unstructured 50 % is not 2:4.
        (TWO_FOUR, "0.5"),
    ];
    for (arch_sp, w_sp) in cases {
        let c = cost(
            &gemm(64, 256, 128, "fp16", None, sp(w_sp)),
            &tensor_core(sp(arch_sp)),
        );
        assert_eq!(c.compute_cycles, dense.compute_cycles, "{arch_sp} / {w_sp}");
        assert_eq!(c.traffic, dense.traffic, "{arch_sp} / {w_sp}");
        assert_eq!(c.energy, dense.energy, "{arch_sp} / {w_sp}");
        let e = c.sparsity.expect("density seen is reported");
        assert!(e.features.is_empty() && !e.not_exploited.is_empty());
        assert_eq!(e.compute_speedup, 1.0);
        assert_eq!(e.energy_saved_pj, 0.0);
    }
    // A 1:4 tensor implies 2:4 and runs at the 2:4 speed.
    let c = cost(
        &gemm(64, 256, 128, "fp16", None, sp(r#""1:4""#)),
        &tensor_core(sp(TWO_FOUR)),
    );
    assert_eq!(c.compute_cycles, 4 * 16 * 8 + 10);
}

#[test]
fn zero_gating_keeps_cycles_and_scales_mac_energy_by_nonzero_products() {
    // 8×8 os array, 32×64 · 64×16: folds 4·2 = 8 of 8 + 8 + 64 − 2 = 78 cycles, − 1.
    let plain = systolic(None);
    let dense = cost(&gemm(32, 64, 16, "int8", None, None), &plain);
    assert_eq!(dense.compute_cycles, 8 * 78 - 1);
    let macs_pj = 32.0 * 64.0 * 16.0 * 0.3;
    assert_relative_eq!(dense.energy.mac_pj, macs_pj, max_relative = 1e-12);

    let x_sparse = gemm(32, 64, 16, "int8", sp("0.25"), None);
    // No gating hardware: sparse data gains nothing.
    let c = cost(&x_sparse, &plain);
    assert_eq!(
        (c.compute_cycles, c.energy),
        (dense.compute_cycles, dense.energy)
    );

    // Gating on activations: 25 % of the products are non-zero.
    let gate_a = systolic(sp(r#"{"zero_gating": {"operands": ["activations"]}}"#));
    let c = cost(&x_sparse, &gate_a);
    assert_eq!(c.compute_cycles, dense.compute_cycles);
    assert_eq!(c.traffic, dense.traffic);
    assert_relative_eq!(c.energy.mac_pj, macs_pj * 0.25, max_relative = 1e-12);

    // A gated MAC still spends 20 %: 0.25 + 0.2 · 0.75 = 0.4.
    let gate_r = systolic(sp(
        r#"{"zero_gating": {"operands": ["activations"], "residual_energy_fraction": 0.2}}"#,
    ));
    assert_relative_eq!(
        cost(&x_sparse, &gate_r).energy.mac_pj,
        macs_pj * 0.4,
        max_relative = 1e-12
    );

    // Both operands gated, weights 50 % (independent zeros): 0.25 · 0.5 of products non-zero.
    let gate_both = systolic(sp(
        r#"{"zero_gating": {"operands": ["weights", "activations"]}}"#,
    ));
    let both = gemm(32, 64, 16, "int8", sp("0.25"), sp("0.5"));
    assert_relative_eq!(
        cost(&both, &gate_both).energy.mac_pj,
        macs_pj * 0.125,
        max_relative = 1e-12
    );
}

#[test]
fn zero_skipping_saves_cycles_and_energy_with_lockstep_imbalance() {
    let macs_pj = 32.0 * 64.0 * 16.0 * 0.3;
    let x_sparse = gemm(32, 64, 16, "int8", sp("0.25"), None);
    // One lane, perfect skipping: K runs as 64 · 0.25 = 16 → 8 folds of 8 + 8 + 16 − 2 = 30.
    let skip = systolic(sp(r#"{"zero_skipping": {"operands": ["activations"]}}"#));
    let c = cost(&x_sparse, &skip);
    assert_eq!(c.compute_cycles, 8 * 30 - 1);
    assert_relative_eq!(c.energy.mac_pj, macs_pj * 0.25, max_relative = 1e-12);

    // Two lanes in lockstep, one element between syncs: each step takes a cycle unless both
    // lanes hold a zero: 1 − 0.75² = 0.4375 → K = ceil(64 · 0.4375) = 28 → folds of 42.
    let lock = systolic(sp(
        r#"{"zero_skipping": {"operands": ["activations"], "sync_lanes": 2, "sync_block": 1}}"#,
    ));
    let c = cost(&x_sparse, &lock);
    assert_eq!(c.compute_cycles, 8 * 42 - 1);
    // Idle lanes spend nothing: energy still follows the executed (non-zero) MACs.
    assert_relative_eq!(c.energy.mac_pj, macs_pj * 0.25, max_relative = 1e-12);

    // Half the zeros skipped: work 1 − 0.5 · 0.75 = 0.625 → K = 40 → folds of 54; MACs
    // executed 62.5 % (the unskipped zeros run at full energy without gating).
    let half = systolic(sp(
        r#"{"zero_skipping": {"operands": ["activations"], "skip_efficiency": 0.5}}"#,
    ));
    let c = cost(&x_sparse, &half);
    assert_eq!(c.compute_cycles, 8 * 54 - 1);
    assert_relative_eq!(c.energy.mac_pj, macs_pj * 0.625, max_relative = 1e-12);
}

#[test]
fn compressed_storage_reduces_dram_bytes_with_metadata() {
    let dense = cost(&gemm(64, 256, 128, "int8", None, None), &tensor_core(None));
    let (a, b, c) = (16384.0, 32768.0, 8192.0);
    assert_relative_eq!(dense.traffic.dram_bytes(), a + b + c);

    // Bitmap in DRAM, activations at 30 %: 0.3 · 8 + 1 bits per element = 0.425 B.
    let bitmap = tensor_core(sp(
        r#"{"compression": {"operands": ["activations"], "dram": {"kind": "bitmap"}}}"#,
    ));
    let x30 = gemm(64, 256, 128, "int8", sp("0.3"), None);
    let cb = cost(&x30, &bitmap);
    assert_relative_eq!(
        cb.traffic.dram_bytes(),
        a * 0.425 + b + c,
        max_relative = 1e-12
    );
    // Decompressed on the way in: on-chip bytes and cycles unchanged.
    assert_relative_eq!(cb.traffic.sram_bytes(), dense.traffic.sram_bytes());
    assert_eq!(cb.compute_cycles, dense.compute_cycles);
    // Not listed (weights only): nothing changes.
    let w_only = tensor_core(sp(
        r#"{"compression": {"operands": ["weights"], "dram": {"kind": "bitmap"}}}"#,
    ));
    assert_eq!(cost(&x30, &w_only).traffic, dense.traffic);

    // CSR in DRAM and SRAM, activations at 10 %: rows of 256 → 8-bit indices, 32-bit row
    // pointers: 0.1 · (8 + 8) + 32/256 = 1.725 bits per element = 0.215625 B.
    let csr = tensor_core(sp(
        r#"{"compression": {"operands": ["activations"], "dram": {"kind": "csr"}, "sram": {"kind": "csr"}}}"#,
    ));
    let x10 = gemm(64, 256, 128, "int8", sp("0.1"), None);
    let cc = cost(&x10, &csr);
    assert_relative_eq!(
        cc.traffic.dram_bytes(),
        a * 0.215625 + b + c,
        max_relative = 1e-12
    );
    assert!(cc.traffic.sram_bytes() < dense.traffic.sram_bytes());

    // Run length in DRAM, weights at 25 %, 4-bit runs: entries per element
    // d / (1 − (1 − d)^16) (geometric zero runs, one extra entry per 16 zeros), each 8 + 4 bits.
    let rlc = tensor_core(sp(
        r#"{"compression": {"operands": ["weights"], "dram": {"kind": "run_length", "run_bits": 4}}}"#,
    ));
    let w25 = gemm(64, 256, 128, "int8", None, sp("0.25"));
    let per_elem_bytes = 0.25 / (1.0 - 0.75f64.powi(16)) * 12.0 / 8.0;
    assert_relative_eq!(
        cost(&w25, &rlc).traffic.dram_bytes(),
        a + b * per_elem_bytes + c,
        max_relative = 1e-12
    );

    // Dense fallback: a 95 % dense bitmap would be 0.95 + 1/8 = 1.075 × larger: stored dense,
    // unless the design always compresses.
    let x95 = gemm(64, 256, 128, "int8", sp("0.95"), None);
    assert_eq!(cost(&x95, &bitmap).traffic, dense.traffic);
    let always = tensor_core(sp(
        r#"{"compression": {"operands": ["activations"], "dram": {"kind": "bitmap"}, "dense_fallback": false}}"#,
    ));
    assert_relative_eq!(
        cost(&x95, &always).traffic.dram_bytes(),
        a * 1.075 + b + c,
        max_relative = 1e-12
    );
}

#[test]
fn vector_ops_move_compressed_activations() {
    // relu over x [64, 256] int8 at 30 %, output declared 30 %: bitmap DRAM both ways,
    // 16384 · 0.425 bytes each.
    let w = Workload::from_json(
        &json!({
            "name": "v",
            "inputs": [{ "name": "x", "shape": [64, 256], "format": "int8", "sparsity": 0.3 }],
            "ops": [{ "name": "r", "op": "relu", "inputs": ["x"], "output": "y",
                      "sparsity": { "output": 0.3 } }]
        })
        .to_string(),
    )
    .unwrap();
    let bitmap = systolic(sp(
        r#"{"compression": {"operands": ["activations"], "dram": {"kind": "bitmap"}}}"#,
    ));
    let c = cost(&w, &bitmap);
    assert_relative_eq!(
        c.traffic.dram_read_bytes,
        16384.0 * 0.425,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        c.traffic.dram_write_bytes,
        16384.0 * 0.425,
        max_relative = 1e-12
    );
    let e = c.sparsity.unwrap();
    assert_relative_eq!(
        e.dram_bytes_saved,
        2.0 * 16384.0 * 0.575,
        max_relative = 1e-12
    );
    // Same data on a dense design: plain bytes, density still reported.
    let plain = cost(&w, &systolic(None));
    assert_relative_eq!(plain.traffic.dram_bytes(), 2.0 * 16384.0);
    assert_eq!(plain.sparsity.unwrap().density_activations, Some(0.3));
}

#[test]
fn density_one_reproduces_the_dense_result_exactly() {
    let every_feature = sp(r#"{
        "structured": {"patterns": [{"n": 2, "m": 4}]},
        "zero_gating": {"operands": ["weights"], "residual_energy_fraction": 0.1},
        "zero_skipping": {"operands": ["activations"], "skip_efficiency": 0.9, "sync_lanes": 16, "sync_block": 8},
        "compression": {"operands": ["weights", "activations"], "dram": {"kind": "bitmap"}, "sram": {"kind": "run_length", "run_bits": 4}}
    }"#);
    for a in [
        tensor_core(every_feature.clone()),
        systolic(every_feature.clone()),
    ] {
        let dense = gemm(64, 256, 128, "int8", None, None);
        let ones = gemm(64, 256, 128, "int8", sp("1.0"), sp("1"));
        let rd = accelsim::run(&dense, &a, Default::default()).unwrap();
        let r1 = accelsim::run(&ones, &a, Default::default()).unwrap();
        assert_eq!(r1.summary.cycles, rd.summary.cycles);
        assert_eq!(
            r1.summary.energy_pj.to_bits(),
            rd.summary.energy_pj.to_bits()
        );
        assert_eq!(
            r1.summary.dram_bytes.to_bits(),
            rd.summary.dram_bytes.to_bits()
        );
        assert_eq!(
            r1.summary.sram_bytes.to_bits(),
            rd.summary.sram_bytes.to_bits()
        );
        assert_eq!(
            r1.summary.peak_tops.to_bits(),
            rd.summary.peak_tops.to_bits()
        );
        let e = r1.layers[0].sparsity.as_ref().unwrap();
        assert_eq!((e.compute_speedup, e.energy_saved_pj), (1.0, 0.0));
    }
}

#[test]
fn sparse_report_counts_dense_equivalent_tops() {
    // With 2:4 at 2× the op's peak doubles, so utilization stays ≤ 1 while the dense-
    // equivalent achieved TOPS rise.
    let a = tensor_core(sp(TWO_FOUR));
    let rd = accelsim::run(
        &gemm(64, 256, 128, "int8", None, None),
        &a,
        Default::default(),
    )
    .unwrap();
    let rs = accelsim::run(
        &gemm(64, 256, 128, "int8", None, sp(r#""2:4""#)),
        &a,
        Default::default(),
    )
    .unwrap();
    assert_relative_eq!(rs.summary.peak_tops, 2.0 * rd.summary.peak_tops);
    assert!(rs.summary.utilization <= 1.0);
    let s = rs.summary.sparsity.as_ref().unwrap();
    assert_eq!((s.sparse_ops, s.exploited_ops), (1, 1));
    assert!(rd.summary.sparsity.is_none());
    assert!(rs.to_json().contains("\"compute_speedup\""));
    assert!(!rd.to_json().contains("sparsity"));
    assert!(accelsim::report::render_table(&rs).contains("2:4 structured"));
}
