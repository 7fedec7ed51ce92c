//! Hand-written workloads (`arch` numerics), checked against values worked out by hand:
//! the arch's accumulator format and order, operand casts to the op's precision,
//! saturating integer registers, quantize/dequantize blocks, seeded random data.

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::tensor::{DType, Tensor};
use accelsim::workload::Workload;
use serde_json::{json, Value};

fn arch(precisions: Value) -> Arch {
    let v = json!({
        "name": "t", "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 4, "cols": 4, "dataflow": "os"},
        "precisions": precisions,
        "vector_unit": {"lanes": 4},
        "memory": {"dram": {"bandwidth_gbps": 10},
                   "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 64, "bytes_per_cycle": 16}}},
        "static_power_w": 0.0
    });
    Arch::from_json(&v.to_string()).unwrap()
}

fn run1(w: &Value, arch: &Arch, inputs: Vec<(&str, Tensor)>) -> Tensor {
    let w = Workload::from_json(&w.to_string()).unwrap();
    let mut feeds = Feeds::default();
    for (n, t) in inputs {
        feeds.inputs.insert(n.into(), t);
    }
    execute(&w, arch, &feeds, &ExecOptions::default())
        .unwrap()
        .tensors
        .remove(0)
        .1
}

/// `[1, 2^-11, 2^-11] · [1, 1, 1]` in fp16 MACs: an fp16 register adding in sequence
/// rounds each 1 + 2^-11 tie back to 1; fp32, exact and chunked registers keep 2^-10.
#[test]
fn accumulator_format_and_order_come_from_the_arch() {
    let w = json!({
        "name": "dot",
        "inputs": [{"name": "a", "shape": [1, 3], "format": "fp16"},
                   {"name": "b", "shape": [3, 1], "format": "fp16"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"], "output": "c",
                 "precision": {"output": "fp32"}}]
    });
    let h = |x: f32| accelsim::numerics::cast::fp16_rne(x);
    let a = Tensor::from_vec(
        DType::F16,
        vec![1, 3],
        vec![h(1.0), h(2f32.powi(-11)), h(2f32.powi(-11))],
    )
    .unwrap();
    let b = Tensor::from_vec(DType::F16, vec![3, 1], vec![h(1.0); 3]).unwrap();
    let cases = [
        (
            json!({"format": "fp16", "order": "sequential"}),
            "fp16",
            1.0f32,
        ),
        (json!({"format": "fp16", "order": "pairwise"}), "fp16", 1.0),
        (
            json!({"format": "fp16", "order": {"chunked": {"size": 4}}}),
            "fp16",
            1.0 + 2f32.powi(-10),
        ),
        (json!({"format": "exact"}), "fp16", 1.0 + 2f32.powi(-10)),
        (json!({"format": "fp32"}), "fp32", 1.0 + 2f32.powi(-10)),
    ];
    for (accumulation, acc_fmt, want) in cases {
        let arch = arch(json!([{"format": "fp16", "macs_per_pe_per_cycle": 1,
                                "accumulator": acc_fmt, "accumulation": accumulation}]));
        let c = run1(&w, &arch, vec![("a", a.clone()), ("b", b.clone())]);
        assert_eq!(c.as_f32().unwrap(), &[want], "{accumulation}");
    }
    // Default (no accumulation block): fp32 sequential FMA chain.
    let arch = arch(json!([{"format": "fp16", "macs_per_pe_per_cycle": 1}]));
    let c = run1(&w, &arch, vec![("a", a), ("b", b)]);
    assert_eq!(c.as_f32().unwrap(), &[1.0 + 2f32.powi(-10)]);
}

/// fp32 activations cast (RNE) to int8 before int8 MACs; a saturating int16 register.
#[test]
fn operands_cast_to_precision_and_integer_overflow() {
    let w = json!({
        "name": "cast",
        "inputs": [{"name": "x", "shape": [1, 2], "format": "fp32"}],
        "weights": [{"name": "w", "shape": [2, 1], "format": "int8"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "weight": "w", "output": "y",
                 "precision": {"activations": "int8", "output": "int32"}}]
    });
    let arch8 = arch(json!([{"format": "int8", "macs_per_pe_per_cycle": 1}]));
    let mut spec = Workload::from_json(&w.to_string()).unwrap();
    spec.base_dir = None;
    let mut feeds = Feeds::default();
    feeds.inputs.insert(
        "x".into(),
        Tensor::from_f32(vec![1, 2], vec![0.5, 1.7]).unwrap(),
    );
    feeds.weights.insert(
        "w".into(),
        Tensor::from_vec(DType::I8, vec![2, 1], vec![3i8, 5]).unwrap(),
    );
    let out = execute(&spec, &arch8, &feeds, &ExecOptions::default()).unwrap();
    // RNE(0.5) = 0, RNE(1.7) = 2: 0·3 + 2·5.
    assert_eq!(out.tensors[0].1.as_i32().unwrap(), &[10]);

    let w = json!({
        "name": "sat",
        "inputs": [{"name": "a", "shape": [1, 4], "format": "int8"},
                   {"name": "b", "shape": [4, 1], "format": "int8"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"], "output": "c",
                 "precision": {"output": "int32"}}]
    });
    let a = Tensor::from_vec(DType::I8, vec![1, 4], vec![127i8, 127, 127, -128]).unwrap();
    let b = Tensor::from_vec(DType::I8, vec![4, 1], vec![127i8; 4]).unwrap();
    // 16129, 32258, 48387 → 32767 (saturated), 32767 - 16256 = 16511.
    for (overflow, want) in [("saturate", 16511), ("wrap", 32131)] {
        let a16 = arch(
            json!([{"format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int16",
                               "accumulation": {"format": "int16", "overflow": overflow}}]),
        );
        let c = run1(&w, &a16, vec![("a", a.clone()), ("b", b.clone())]);
        assert_eq!(c.as_i32().unwrap(), &[want], "{overflow}");
    }
    // An accumulation block that contradicts the accumulator is rejected when the arch is
    // loaded, naming the JSON path and both formats.
    let bad = json!({
        "name": "t", "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 4, "cols": 4, "dataflow": "os"},
        "precisions": [{"format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32",
                        "accumulation": {"format": "int16"}}],
        "vector_unit": {"lanes": 4},
        "memory": {"dram": {"bandwidth_gbps": 10},
                   "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 64, "bytes_per_cycle": 16}}},
        "static_power_w": 0.0
    });
    let e = Arch::from_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.json_path, "precisions[0].accumulation.format");
    assert!(
        e.message.contains("int32") && e.message.contains("int16"),
        "{e}"
    );
}

/// quantize (ties to even, saturation, per-channel) and dequantize with inline params.
#[test]
fn quant_blocks_in_hand_written_workloads() {
    let w = json!({
        "name": "q",
        "inputs": [{"name": "x", "shape": [2, 3], "format": "fp32"}],
        "ops": [
            {"name": "q", "op": "quantize", "inputs": ["x"], "output": "xq",
             "precision": {"output": "int8"},
             "quant": {"y_scale": [0.25, 0.5], "y_zero_point": [0, 1], "axis": 0}},
            {"name": "dq", "op": "dequantize", "inputs": ["xq"], "output": "y",
             "precision": {"output": "fp32"},
             "quant": {"a_scale": [0.25, 0.5], "a_zero_point": [0, 1], "axis": 0}}
        ],
        "outputs": ["xq", "y"]
    });
    let wl = Workload::from_json(&w.to_string()).unwrap();
    let arch = arch(json!([{"format": "int8", "macs_per_pe_per_cycle": 1}]));
    let mut feeds = Feeds::default();
    feeds.inputs.insert(
        "x".into(),
        Tensor::from_f32(vec![2, 3], vec![0.125, 0.375, 100.0, 0.25, 0.75, -1000.0]).unwrap(),
    );
    let out = execute(&wl, &arch, &feeds, &ExecOptions::default()).unwrap();
    // Row 0: 0.5 → 0, 1.5 → 2, 400 → 127. Row 1 (zp 1): 0.5 → 0 + 1, 1.5 → 2 + 1, → -128.
    assert_eq!(out.tensors[0].1.as_i8().unwrap(), &[0, 2, 127, 1, 3, -128]);
    assert_eq!(
        out.tensors[1].1.as_f32().unwrap(),
        &[0.0, 0.5, 31.75, 0.0, 1.0, -64.5]
    );
}

/// Unbound inputs and weights get seeded random values keyed by name.
#[test]
fn seeded_random_values_are_reproducible() {
    let w = json!({
        "name": "r",
        "inputs": [{"name": "x", "shape": [3, 8], "format": "int8"}],
        "ops": [{"name": "fc", "op": "matmul", "inputs": ["x"], "out_features": 4, "output": "y",
                 "precision": {"output": "int32"}}]
    });
    let wl = Workload::from_json(&w.to_string()).unwrap();
    let arch = arch(json!([{"format": "int8", "macs_per_pe_per_cycle": 1}]));
    let run = |seed| {
        execute(&wl, &arch, &Feeds::default(), &ExecOptions { seed })
            .unwrap()
            .tensors
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

/// Results are byte-identical whatever the number of threads (kernels with many row
/// blocks, remainders, blocked K).
#[test]
fn thread_count_does_not_change_results() {
    let w = json!({
        "name": "det",
        "inputs": [{"name": "x", "shape": [2, 6, 23, 19], "format": "fp16"},
                   {"name": "q", "shape": [301, 517], "format": "int8"}],
        "ops": [
            {"name": "conv", "op": "conv2d", "inputs": ["x"], "out_channels": 10, "kernel": [3, 3],
             "padding": [1, 1], "groups": 2, "output": "y", "precision": {"output": "fp32"}},
            {"name": "fc", "op": "matmul", "inputs": ["q"], "out_features": 77, "output": "z",
             "precision": {"output": "int32"}}
        ]
    });
    let wl = Workload::from_json(&w.to_string()).unwrap();
    let arch = arch(json!([{"format": "fp16", "macs_per_pe_per_cycle": 1,
                            "accumulation": {"format": "fp32", "order": {"blocked": {"size": 20}}}},
                           {"format": "int8", "macs_per_pe_per_cycle": 1}]));
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                execute(&wl, &arch, &Feeds::default(), &ExecOptions { seed: 9 })
                    .unwrap()
                    .tensors
            })
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(8));
}
