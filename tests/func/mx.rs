//! MX (OCP Microscaling) GEMMs in functional execution, through one-op workloads and
//! `accelsim::func::execute`, against `tests/data/func/mx_matmul.json`: expected results
//! computed with exact rational arithmetic from the reference dequantized values of the
//! OCP MX quantization vectors (`scripts/gen_mx_matmul.py`; the vectors come from
//! ml_dtypes/gfloat, see `tests/data/numerics/README.md`).

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::tensor::{DType, Tensor};
use accelsim::workload::Workload;
use serde_json::{json, Value};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn arch(format: &str, accumulation: Option<Value>) -> Arch {
    let mut p = json!({"format": format, "macs_per_pe_per_cycle": 1, "accumulator": "fp32"});
    if let Some(a) = accumulation {
        p["accumulation"] = a;
    }
    let v = json!({
        "name": "mx_test", "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 8, "cols": 8, "dataflow": "os"},
        "precisions": [p],
        "vector_unit": {"lanes": 8},
        "memory": {"dram": {"bandwidth_gbps": 10},
                   "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 64, "bytes_per_cycle": 16}}},
        "static_power_w": 0.0
    });
    Arch::from_json(&v.to_string()).unwrap()
}

fn matmul(format: &str, k: usize) -> Workload {
    let spec = json!({
        "name": "mx_matmul",
        "inputs": [{"name": "a", "shape": [1, k], "format": "fp32"},
                   {"name": "b", "shape": [k, 1], "format": "fp32"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"], "output": "y",
                 "precision": {"activations": format, "weights": format, "output": "fp32"}}]
    });
    Workload::from_json(&spec.to_string()).unwrap()
}

fn f32s(bits: &Value) -> Vec<f32> {
    bits.as_array()
        .unwrap()
        .iter()
        .map(|b| f32::from_bits(b.as_u64().unwrap() as u32))
        .collect()
}

fn run(w: &Workload, arch: &Arch, a: Vec<f32>, b: Vec<f32>) -> f32 {
    let k = a.len();
    let mut feeds = Feeds::default();
    feeds.inputs.insert(
        "a".into(),
        Tensor::from_vec(DType::F32, vec![1, k], a).unwrap(),
    );
    feeds.inputs.insert(
        "b".into(),
        Tensor::from_vec(DType::F32, vec![k, 1], b).unwrap(),
    );
    let out = execute(w, arch, &feeds, &ExecOptions::default()).unwrap();
    out.tensors[0].1.as_f32().unwrap()[0]
}

#[test]
fn mx_matmuls_match_exact_rational_references() {
    let text = std::fs::read_to_string(root().join("tests/data/func/mx_matmul.json")).unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for c in cases {
        let fmt = c["format"].as_str().unwrap();
        let (a, b) = (f32s(&c["a_bits"]), f32s(&c["b_bits"]));
        let w = matmul(fmt, a.len());
        let name = c["name"].as_str().unwrap();
        for (acc, key) in [
            (Some(json!({"format": "exact"})), "exact_f32_bits"),
            (None, "seq_fp32_bits"),
        ] {
            let got = run(&w, &arch(fmt, acc), a.clone(), b.clone());
            let want = c[key].as_u64().unwrap() as u32;
            assert_eq!(
                got.to_bits(),
                want,
                "{fmt} {name} {key}: got {got:e}, want {:e}",
                f32::from_bits(want)
            );
        }
        *checked.entry(fmt.to_string()).or_default() += 1;
    }
    // Every MX element format is covered.
    assert_eq!(checked.len(), 6, "{checked:?}");
}

#[test]
fn mx_needs_both_operands_mx_and_a_float_accumulator() {
    let spec = json!({
        "name": "mixed",
        "inputs": [{"name": "a", "shape": [1, 32], "format": "fp32"},
                   {"name": "b", "shape": [32, 1], "format": "fp32"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"], "output": "y",
                 "precision": {"activations": "mxfp8_e4m3", "weights": "fp8_e4m3", "output": "fp32"}}]
    });
    let w = Workload::from_json(&spec.to_string()).unwrap();
    let e = execute(
        &w,
        &arch("mxfp8_e4m3", None),
        &Feeds::default(),
        &ExecOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("ops[0]") && e.contains("MX"), "{e}");
    // MXINT8 on an integer accumulator: a clear error, not a wrong sum.
    let w = matmul("mxint8", 32);
    let v = json!({
        "name": "t", "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 8, "cols": 8, "dataflow": "os"},
        "precisions": [{"format": "mxint8", "macs_per_pe_per_cycle": 1}],
        "vector_unit": {"lanes": 8},
        "memory": {"dram": {"bandwidth_gbps": 10},
                   "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 64, "bytes_per_cycle": 16}}},
        "static_power_w": 0.0
    });
    let int_acc = Arch::from_json(&v.to_string()).unwrap();
    let e = execute(&w, &int_acc, &Feeds::default(), &ExecOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("float accumulator"), "{e}");
}

/// A conv2d on MX operands equals the matmul of its im2col rows (K ordered c, kh, kw).
#[test]
fn mx_conv_equals_mx_matmul_of_im2col() {
    let fmt = "mxfp8_e4m3";
    let mut s = accelsim::numerics::SplitMix64::new(21);
    let mut r = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| ((s.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 8.0)
            .collect()
    };
    // x: 1×4×3×3, w: 2×4×3×3 (k = 36, two MX blocks: 32 + 4), one output pixel.
    let x = r(36);
    let wv = r(72);
    let conv = json!({
        "name": "c",
        "inputs": [{"name": "x", "shape": [1, 4, 3, 3], "format": "fp32"},
                   {"name": "w", "shape": [2, 4, 3, 3], "format": "fp32"}],
        "ops": [{"name": "conv", "op": "conv2d", "inputs": ["x", "w"], "output": "y",
                 "kernel": [3, 3],
                 "precision": {"activations": fmt, "weights": fmt, "output": "fp32"}}]
    });
    let w = Workload::from_json(&conv.to_string()).unwrap();
    let a = arch(fmt, Some(json!({"format": "exact"})));
    let mut feeds = Feeds::default();
    feeds.inputs.insert(
        "x".into(),
        Tensor::from_vec(DType::F32, vec![1, 4, 3, 3], x.clone()).unwrap(),
    );
    feeds.inputs.insert(
        "w".into(),
        Tensor::from_vec(DType::F32, vec![2, 4, 3, 3], wv.clone()).unwrap(),
    );
    let y = execute(&w, &a, &feeds, &ExecOptions::default()).unwrap();
    let y = y.tensors[0].1.as_f32().unwrap().to_vec();
    let mm = matmul(fmt, 36);
    for oc in 0..2 {
        let want = run(&mm, &a, x.clone(), wv[oc * 36..(oc + 1) * 36].to_vec());
        assert_eq!(y[oc].to_bits(), want.to_bits(), "channel {oc}");
    }
}
