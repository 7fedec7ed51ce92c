//! The numerics GEMM vectors (`tests/data/numerics/gemm/`) reproduced through the
//! workload path: a one-op matmul workload whose two operands are graph inputs, run by
//! `accelsim::func::execute` on an arch whose accumulator matches the vectors'
//! semantics — fp32 sequential (c_seq_f32) or exact rounded once (c_exact_rne_f32) for
//! the float formats, int32 for int8/int4 and binary.

use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::tensor::{DType, Tensor};
use accelsim::workload::Workload;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn load(name: &str) -> Value {
    let p = root().join("tests/data/numerics/gemm").join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The test arch with every precision's accumulation set to `accumulation` (or default).
fn arch(accumulation: Option<Value>) -> Arch {
    let text =
        std::fs::read_to_string(root().join("tests/data/func/arch_all_formats.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    if let Some(a) = accumulation {
        for p in v["precisions"].as_array_mut().unwrap() {
            if p["format"].as_str().unwrap().starts_with("fp") || p["format"] == "bf16" {
                p["accumulation"] = a.clone();
            }
        }
    }
    Arch::from_json(&v.to_string()).unwrap()
}

fn workload(format: &str, out: &str, m: u64, n: u64, k: u64) -> Workload {
    let spec = json!({
        "name": "gemm_vector",
        "inputs": [
            {"name": "A", "shape": [m, k], "format": format},
            {"name": "B", "shape": [k, n], "format": format}
        ],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["A", "B"], "output": "C",
                 "precision": {"output": out}}]
    });
    Workload::from_json(&spec.to_string()).unwrap()
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn dims(c: &Value) -> (u64, u64, u64) {
    (
        c["m"].as_u64().unwrap(),
        c["n"].as_u64().unwrap(),
        c["k"].as_u64().unwrap(),
    )
}

fn run(w: &Workload, arch: &Arch, a: Tensor, b: Tensor) -> Tensor {
    let mut feeds = Feeds::default();
    feeds.inputs.insert("A".into(), a);
    feeds.inputs.insert("B".into(), b);
    let mut out = execute(w, arch, &feeds, &ExecOptions::default()).unwrap();
    out.tensors.remove(0).1
}

#[test]
fn float_gemm_vectors_through_a_workload() {
    let seq = arch(None);
    let exact = arch(Some(json!({"format": "exact"})));
    for (file, format, dtype) in [
        ("gemm_fp16.json", "fp16", DType::F16),
        ("gemm_bf16.json", "bf16", DType::BF16),
        ("gemm_fp8_e4m3.json", "fp8_e4m3", DType::Float8E4M3FN),
        ("gemm_fp8_e5m2.json", "fp8_e5m2", DType::Float8E5M2),
    ] {
        let v = load(file);
        let (mut ok_seq, mut ok_exact, mut total) = (0, 0, 0);
        for c in v["cases"].as_array().unwrap() {
            let (m, n, k) = dims(c);
            let w = workload(format, "fp32", m, n, k);
            let tensor = |codes: &Value, shape: Vec<usize>| {
                match dtype {
                    DType::F16 | DType::BF16 => Tensor::from_vec(
                        dtype,
                        shape,
                        u64s(codes).iter().map(|&x| x as u16).collect(),
                    ),
                    _ => Tensor::from_vec(
                        dtype,
                        shape,
                        u64s(codes).iter().map(|&x| x as u8).collect(),
                    ),
                }
                .unwrap()
            };
            let a = tensor(&c["a"], vec![m as usize, k as usize]);
            let b = tensor(&c["b"], vec![k as usize, n as usize]);
            let same = |got: &Tensor, want: &[u64]| -> usize {
                got.as_f32()
                    .unwrap()
                    .iter()
                    .zip(want)
                    .filter(|(g, &w)| {
                        let wf = f32::from_bits(w as u32);
                        g.to_bits() == w as u32 || (g.is_nan() && wf.is_nan())
                    })
                    .count()
            };
            let got_seq = run(&w, &seq, a.clone(), b.clone());
            let got_exact = run(&w, &exact, a, b);
            ok_seq += same(&got_seq, &u64s(&c["c_seq_f32_bits"]));
            ok_exact += same(&got_exact, &u64s(&c["c_exact_rne_f32_bits"]));
            total += (m * n) as usize;
        }
        println!(
            "{file} via workload: c_seq_f32 {ok_seq}/{total}, c_exact_rne_f32 {ok_exact}/{total}"
        );
        assert_eq!(ok_seq, total, "{file}");
        assert_eq!(ok_exact, total, "{file}");
    }
}

#[test]
fn integer_and_binary_gemm_vectors_through_a_workload() {
    let arch = arch(None);
    for (file, format, dtype) in [
        ("gemm_int8.json", "int8", DType::I8),
        ("gemm_int4.json", "int4", DType::I4),
        ("gemm_binary.json", "binary", DType::Bool),
    ] {
        let v = load(file);
        let (mut ok, mut total) = (0, 0);
        for c in v["cases"].as_array().unwrap() {
            let (m, n, k) = dims(c);
            let w = workload(format, "int32", m, n, k);
            let (a, b) = if dtype == DType::Bool {
                let bits = |key: &str| u64s(&c[key]).iter().map(|&x| x as u8).collect::<Vec<u8>>();
                (
                    Tensor::from_vec(dtype, vec![m as usize, k as usize], bits("a_bits")).unwrap(),
                    Tensor::from_vec(dtype, vec![k as usize, n as usize], bits("b_bits")).unwrap(),
                )
            } else {
                let vals = |key: &str| i64s(&c[key]).iter().map(|&x| x as i8).collect::<Vec<i8>>();
                (
                    Tensor::from_vec(dtype, vec![m as usize, k as usize], vals("a")).unwrap(),
                    Tensor::from_vec(dtype, vec![k as usize, n as usize], vals("b")).unwrap(),
                )
            };
            let got = run(&w, &arch, a, b);
            let want = i64s(&c["c"]);
            ok += got
                .as_i32()
                .unwrap()
                .iter()
                .zip(&want)
                .filter(|(g, w)| **g as i64 == **w)
                .count();
            total += (m * n) as usize;
        }
        println!("{file} via workload: {ok}/{total} exact");
        assert_eq!(ok, total, "{file}");
    }
}
