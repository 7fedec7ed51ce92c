//! Deployment lowering of quantized ONNX graphs (docs/fusion.md): a QuantizeLinear on an
//! initializer folds (weights stored quantized), DequantizeLinear / QuantizeLinear pairs on
//! operands run in the GEMM's prologue, and Q / Cast / Mul after it in its epilogue, so a
//! QDQ MatMul or a MatMulInteger with its requantization costs one kernel, as TensorRT and
//! ONNX Runtime run them. Functional execution is untouched (the ONNX oracle tests in
//! `func_onnx_oracle.rs` prove the outputs bit-exact); here only the cost is checked.
//!
//! The models are written with a minimal protobuf encoder below (field numbers from
//! onnx.proto), independent of the importer's decoder.

use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::import::onnx::{to_workload, ImportOptions, OnnxModel};
use accelsim::model::fusion::{kernels, Stage};
use accelsim::model::options::Fusion;
use accelsim::model::{plan_with, RunOptions};
use accelsim::sim::Engine;
use accelsim::workload::{Workload, WorkloadSpec};

// ---- a minimal protobuf writer ----

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_varint(f: u32, v: i64, out: &mut Vec<u8>) {
    varint((f as u64) << 3, out);
    varint(v as u64, out);
}

fn field_bytes(f: u32, data: &[u8], out: &mut Vec<u8>) {
    varint(((f as u64) << 3) | 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

const FLOAT: i64 = 1;
const UINT8: i64 = 2;
const INT8: i64 = 3;
const FP8E4M3FN: i64 = 17;

/// TensorProto: dims 1, data_type 2, name 8, raw_data 9.
fn tensor(name: &str, dtype: i64, dims: &[i64], raw: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        field_varint(1, d, &mut t);
    }
    field_varint(2, dtype, &mut t);
    field_bytes(8, name.as_bytes(), &mut t);
    field_bytes(9, raw, &mut t);
    t
}

fn f32_raw(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// ValueInfoProto {name 1, type 2 {tensor_type 1 {elem_type 1, shape 2 {dim 1 {dim_value 1}}}}}.
fn value_info(name: &str, dtype: i64, dims: &[i64]) -> Vec<u8> {
    let mut shape = Vec::new();
    for &d in dims {
        let mut dim = Vec::new();
        field_varint(1, d, &mut dim);
        field_bytes(1, &dim, &mut shape);
    }
    let mut tt = Vec::new();
    field_varint(1, dtype, &mut tt);
    field_bytes(2, &shape, &mut tt);
    let mut ty = Vec::new();
    field_bytes(1, &tt, &mut ty);
    let mut v = Vec::new();
    field_bytes(1, name.as_bytes(), &mut v);
    field_bytes(2, &ty, &mut v);
    v
}

/// NodeProto: input 1, output 2, name 3, op_type 4.
fn node(op: &str, name: &str, inputs: &[&str], outputs: &[&str]) -> Vec<u8> {
    let mut n = Vec::new();
    for i in inputs {
        field_bytes(1, i.as_bytes(), &mut n);
    }
    for o in outputs {
        field_bytes(2, o.as_bytes(), &mut n);
    }
    field_bytes(3, name.as_bytes(), &mut n);
    field_bytes(4, op.as_bytes(), &mut n);
    n
}

/// Adds an integer attribute (NodeProto.attribute 5: AttributeProto {name 1, i 3,
/// type 20 = INT (2)}).
fn with_int_attr(mut n: Vec<u8>, name: &str, v: i64) -> Vec<u8> {
    let mut at = Vec::new();
    field_bytes(1, name.as_bytes(), &mut at);
    field_varint(3, v, &mut at);
    field_varint(20, 2, &mut at);
    field_bytes(5, &at, &mut n);
    n
}

/// ModelProto {ir_version 1, graph 7 {node 1, name 2, initializer 5, input 11, output 12},
/// opset_import 8 {domain 1, version 2}}.
fn model(
    nodes: &[Vec<u8>],
    inits: &[Vec<u8>],
    inputs: &[Vec<u8>],
    outputs: &[Vec<u8>],
    opset: i64,
) -> Vec<u8> {
    let mut g = Vec::new();
    for n in nodes {
        field_bytes(1, n, &mut g);
    }
    field_bytes(2, b"g", &mut g);
    for t in inits {
        field_bytes(5, t, &mut g);
    }
    for v in inputs {
        field_bytes(11, v, &mut g);
    }
    for v in outputs {
        field_bytes(12, v, &mut g);
    }
    let mut ops = Vec::new();
    field_bytes(1, b"", &mut ops);
    field_varint(2, opset, &mut ops);
    let mut m = Vec::new();
    field_varint(1, 10, &mut m);
    field_bytes(7, &g, &mut m);
    field_bytes(8, &ops, &mut m);
    m
}

// ---- the models ----

/// x (f32 [m,k]) → Q(fp8) → DQ → MatMul ← DQ ← Q(fp8) ← W (f32 initializer [k,n]) → y f32:
/// Q/DQ on both operands, the weights quantized at run time as exported.
fn fp8_qdq_matmul(m: i64, k: i64, n: i64) -> Vec<u8> {
    let w: Vec<f32> = (0..k * n).map(|i| ((i % 13) as f32 - 6.0) * 0.25).collect();
    let scale = |name: &str, v: f32| tensor(name, FLOAT, &[], &f32_raw(&[v]));
    let zp = |name: &str| tensor(name, FP8E4M3FN, &[], &[0]);
    model(
        &[
            node("QuantizeLinear", "qx", &["x", "sx", "zx"], &["xq"]),
            node("DequantizeLinear", "dqx", &["xq", "sx", "zx"], &["xd"]),
            node("QuantizeLinear", "qw", &["w", "sw", "zw"], &["wq"]),
            node("DequantizeLinear", "dqw", &["wq", "sw", "zw"], &["wd"]),
            node("MatMul", "mm", &["xd", "wd"], &["y"]),
        ],
        &[
            tensor("w", FLOAT, &[k, n], &f32_raw(&w)),
            scale("sx", 0.5),
            zp("zx"),
            scale("sw", 0.125),
            zp("zw"),
        ],
        &[value_info("x", FLOAT, &[m, k])],
        &[value_info("y", FLOAT, &[m, n])],
        21,
    )
}

/// A (uint8 input [m,k]) · B (int8 initializer [k,n]) by MatMulInteger → Cast(f32) →
/// Mul(scale): dynamic quantization's pattern.
fn matmulinteger(m: i64, k: i64, n: i64) -> Vec<u8> {
    let b: Vec<u8> = (0..k * n).map(|i| (i % 7) as u8).collect();
    model(
        &[
            node("MatMulInteger", "mmi", &["a", "b"], &["acc"]),
            with_int_attr(node("Cast", "cast", &["acc"], &["accf"]), "to", FLOAT),
            node("Mul", "scale", &["accf", "s"], &["y"]),
        ],
        &[
            tensor("b", INT8, &[k, n], &b),
            tensor("s", FLOAT, &[], &f32_raw(&[0.01])),
        ],
        &[value_info("a", UINT8, &[m, k])],
        &[value_info("y", FLOAT, &[m, n])],
        13,
    )
}

fn load(bytes: &[u8]) -> WorkloadSpec {
    let m = OnnxModel::from_bytes(bytes, Path::new("mem/test.onnx")).expect("loads");
    to_workload(&m, &ImportOptions::default())
        .expect("imports")
        .spec
}

fn h100() -> Arch {
    let p = format!("{}/arch_configs/h100_sxm.json", env!("CARGO_MANIFEST_DIR"));
    Arch::load(p.as_ref()).unwrap()
}

fn oracle_model(case: &str) -> Workload {
    let p: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/data/onnx",
        case,
        "model.onnx",
    ]
    .iter()
    .collect();
    let m = OnnxModel::load(&p).expect("oracle model");
    Workload::from_spec(to_workload(&m, &ImportOptions::default()).unwrap().spec).unwrap()
}

fn latency(w: &Workload, a: &Arch, fusion: Fusion) -> f64 {
    accelsim::run_with(
        w,
        a,
        Engine::Event,
        &RunOptions::default().with_fusion(fusion),
    )
    .unwrap()
    .summary
    .latency_s
}

#[test]
fn fp8_qdq_matmul_is_one_kernel_with_folded_weights() {
    let a = h100();
    let w = Workload::from_spec(load(&fp8_qdq_matmul(8, 32, 16))).unwrap();
    let costs = plan_with(&w, &a, &RunOptions::default()).unwrap();
    assert_eq!(kernels(&costs), 1);
    let stage = |name: &str| {
        let i = w.ops.iter().position(|o| o.name.contains(name)).unwrap();
        costs[i].fused.map(|f| f.stage)
    };
    assert_eq!(stage("qw"), Some(Stage::Folded));
    assert_eq!(stage("dqw"), Some(Stage::Prologue));
    assert_eq!(stage("qx"), Some(Stage::Prologue));
    assert_eq!(stage("dqx"), Some(Stage::Prologue));
    // As written (no lowering) it is five kernels.
    let off = plan_with(&w, &a, &RunOptions::default().with_fusion(Fusion::Off)).unwrap();
    assert_eq!(kernels(&off), 5);
}

/// The issue's shape: a 2048×32768 by 32768×16384 fp8 QDQ GEMM costs within 5 % of the same
/// GEMM written as a plain fp8 matmul (fp8 operands, f32 output as the QDQ model's y). The
/// imported structure is kept and only the shapes are scaled (cost only: no 2 GB weight
/// is built).
#[test]
fn fp8_qdq_matmul_costs_as_a_plain_fp8_gemm() {
    let a = h100();
    let (m, k, n) = (2048u64, 32768u64, 16384u64);
    let mut spec = load(&fp8_qdq_matmul(4, 8, 2));
    for t in spec.inputs.iter_mut().chain(spec.weights.iter_mut()) {
        t.shape = if t.name == "x" {
            vec![m, k]
        } else {
            vec![k, n]
        };
    }
    let qdq = Workload::from_spec(spec).unwrap();
    let plain = Workload::from_json(&format!(
        r#"{{"name":"plain","inputs":[{{"name":"x","shape":[{m},{k}],"format":"fp8_e4m3"}}],
        "ops":[{{"name":"mm","op":"matmul","inputs":["x"],"output":"y","out_features":{n},
        "precision":{{"activations":"fp8_e4m3","weights":"fp8_e4m3","output":"fp32"}}}}]}}"#
    ))
    .unwrap();
    let t_plain = latency(&plain, &a, Fusion::On);
    let t_qdq = latency(&qdq, &a, Fusion::On);
    let t_written = latency(&qdq, &a, Fusion::Off);
    eprintln!("plain {t_plain:.4e} s, QDQ lowered {t_qdq:.4e} s, QDQ as written {t_written:.4e} s");
    assert!(
        (t_qdq / t_plain - 1.0).abs() <= 0.05,
        "QDQ {t_qdq} s vs plain {t_plain} s"
    );
    assert!(t_written > 1.2 * t_qdq);
    // docs/fusion.md quotes the three.
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/fusion.md")).unwrap();
    for q in [
        format!("{:.2} ms as written", t_written * 1e3),
        format!("{:.3} ms lowered", t_qdq * 1e3),
        format!("{:.3} ms for the plain fp8 matmul", t_plain * 1e3),
        format!("+{:.1} %", 100.0 * (t_qdq / t_plain - 1.0)),
    ] {
        assert!(doc.contains(&q), "docs/fusion.md lacks '{q}'");
    }
}

#[test]
fn matmulinteger_with_its_rescale_is_one_kernel() {
    let a = h100();
    let w = Workload::from_spec(load(&matmulinteger(8, 32, 16))).unwrap();
    let costs = plan_with(&w, &a, &RunOptions::default()).unwrap();
    assert_eq!(kernels(&costs), 1);
    let off = plan_with(&w, &a, &RunOptions::default().with_fusion(Fusion::Off)).unwrap();
    assert_eq!(kernels(&off), 3);
}

/// The ONNX Runtime oracle models (functional bit-exactness checked in func_onnx_oracle.rs)
/// lower to one kernel on the H100 preset. `matmulinteger_u8s8_requant` exports its int32
/// accumulator and the rescaled float as graph outputs too, so its Cast, Mul and
/// QuantizeLinear must each read a tensor that is written anyway: they stay kernels.
#[test]
fn oracle_qdq_and_integer_models_are_one_kernel() {
    let a = h100();
    for (case, expected) in [
        ("fp8_e4m3fn_qdq_matmul", 1),
        ("matmulinteger_s8s8_percol_bzp", 1),
        ("convinteger_u8u8", 1),
        ("matmulinteger_u8s8_requant", 4),
    ] {
        let w = oracle_model(case);
        let costs = plan_with(&w, &a, &RunOptions::default()).unwrap();
        assert_eq!(kernels(&costs), expected, "{case}");
    }
}
