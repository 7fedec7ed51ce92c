//! Formats the GPU silicon has: E5M2 and mixed E4M3×E5M2 fp8 on the H100 (an E5M2 QDQ
//! ONNX model runs functionally and is costed), binary MACs on the A100 beside int4, and
//! output (epilogue) formats that move and price their own bytes.

use std::collections::BTreeMap;

use accelsim::arch::Arch;
use accelsim::func::{self, ExecOptions, Feeds};
use accelsim::import::onnx::{
    to_workload, Dim, ImportOptions, OnnxGraph, OnnxModel, OnnxNode, ValueInfo,
};
use accelsim::model::{self, ArrayMapping, OpCost};
use accelsim::numerics::Format;
use accelsim::sim::Engine;
use accelsim::tensor::{DType, Tensor};
use accelsim::validate::gemm::gemm_workload;
use accelsim::workload::{OpKind, Workload};

fn preset(name: &str) -> Arch {
    Arch::load(format!("{}/arch_configs/{name}.json", env!("CARGO_MANIFEST_DIR")).as_ref()).unwrap()
}

fn node(op: &str, inputs: &[&str], output: &str) -> OnnxNode {
    OnnxNode {
        name: format!("{op}_{output}"),
        op_type: op.to_string(),
        domain: String::new(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: vec![output.to_string()],
        attributes: BTreeMap::new().into_iter().collect(),
    }
}

/// OCP FP8 E5M2 code of a value exactly representable in it (sign, 5-bit exponent with
/// bias 15, 2-bit mantissa) — written out by hand from the format's definition.
fn e5m2_code(v: f32) -> u8 {
    // 0; 0.5 = 2^-1 (exponent 14); 1.0 = 2^0 (exponent 15); 1.5 = 1.10b (mantissa 10);
    // 2.0 = 2^1 (exponent 16); 3.0 = 1.10b × 2; negatives set the sign bit.
    let table = [
        (0.0f32, 0x00u8),
        (0.5, 0x38),
        (1.0, 0x3C),
        (1.5, 0x3E),
        (2.0, 0x40),
        (3.0, 0x42),
        (-1.0, 0xBC),
        (-2.0, 0xC0),
    ];
    table
        .iter()
        .find(|(x, _)| *x == v)
        .map(|&(_, c)| c)
        .unwrap_or_else(|| panic!("{v} is not in the test's table"))
}

const M: usize = 4;
const K: usize = 16;
const N: usize = 8;

/// `x → Q(e5m2) → DQ → MatMul(DQ(e5m2 weight)) → y`, every value exactly representable in
/// E5M2 and the scales 1.0, so the QDQ pairs are the identity and `y` is the exact product.
fn e5m2_qdq_matmul() -> (OnnxModel, Vec<f32>, Vec<f32>) {
    let pool = [0.0f32, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0, -2.0];
    let x: Vec<f32> = (0..M * K).map(|i| pool[(i * 5 + 1) % pool.len()]).collect();
    let w: Vec<f32> = (0..K * N).map(|i| pool[(i * 3 + 2) % pool.len()]).collect();
    let codes: Vec<u8> = w.iter().map(|&v| e5m2_code(v)).collect();
    let scale = Tensor::scalar(DType::F32, 1.0f32).unwrap();
    let zp = Tensor::scalar(DType::Float8E5M2, 0u8).unwrap();
    let model = OnnxModel {
        ir_version: 10,
        opsets: vec![(String::new(), 21)],
        producer_name: "test".into(),
        producer_version: String::new(),
        graph: OnnxGraph {
            name: "e5m2_qdq_matmul".into(),
            nodes: vec![
                node("QuantizeLinear", &["x", "s", "zp"], "xq"),
                node("DequantizeLinear", &["xq", "s", "zp"], "xd"),
                node("DequantizeLinear", &["wq", "s", "zp"], "wd"),
                node("MatMul", &["xd", "wd"], "y"),
            ],
            inputs: vec![ValueInfo {
                name: "x".into(),
                dtype: Some(DType::F32),
                shape: Some(vec![Dim::Known(M), Dim::Known(K)]),
            }],
            outputs: vec![ValueInfo {
                name: "y".into(),
                dtype: Some(DType::F32),
                shape: None,
            }],
            initializers: [
                ("s".to_string(), scale),
                ("zp".to_string(), zp),
                (
                    "wq".to_string(),
                    Tensor::from_vec(DType::Float8E5M2, vec![K, N], codes).unwrap(),
                ),
            ]
            .into_iter()
            .collect(),
            value_infos: vec![],
        },
    };
    (model, x, w)
}

#[test]
fn e5m2_qdq_model_runs_on_the_h100() {
    let h = preset("h100_sxm");
    let (m, x, w) = e5m2_qdq_matmul();
    let imported = to_workload(&m, &ImportOptions::default()).unwrap();
    let weights = imported.weights.clone();
    let wl = Workload::from_spec(imported.spec).unwrap();
    let mm = wl.ops.iter().find(|o| o.kind == OpKind::Matmul).unwrap();
    assert_eq!(mm.precision.mac_format(), Format::FP8_E5M2);
    // Functional: bit-exact output, the exact product of the representable values.
    let feeds = Feeds {
        inputs: [(
            "x".to_string(),
            Tensor::from_f32(vec![M, K], x.clone()).unwrap(),
        )]
        .into_iter()
        .collect(),
        weights,
    };
    let out = func::execute(&wl, &h, &feeds, &ExecOptions::default()).unwrap();
    let y = out
        .tensors
        .iter()
        .find(|(n, _)| n == "y")
        .unwrap()
        .1
        .clone();
    let got = y.as_f32().unwrap();
    for i in 0..M {
        for j in 0..N {
            let want: f32 = (0..K).map(|k| x[i * K + k] * w[k * N + j]).sum();
            assert_eq!(got[i * N + j], want, "y[{i}][{j}]");
        }
    }
    // Cost: the matmul runs on the fp8 tensor cores at the fp8 rate.
    let costs = model::plan(&wl, &h).unwrap();
    let c = costs.iter().find(|c| c.macs > 0).unwrap();
    let mac = c.mac.as_ref().unwrap();
    assert_eq!((mac.format, mac.fell_back), (Format::FP8_E5M2, false));
    assert_eq!(mac.macs_per_pe_per_cycle, 2.0);
    let r = accelsim::run(&wl, &h, Engine::Event).unwrap();
    assert_eq!(r.summary.macs, (M * N * K) as u64);
    // The A100 has no fp8 at all: a clear error naming the format.
    let e = accelsim::run(&wl, &preset("a100_sxm"), Engine::Analytic).unwrap_err();
    assert!(e.message.contains("fp8_e5m2"), "{}", e.message);
}

fn gemm_cost(w: &Workload, a: &Arch) -> (OpCost, accelsim::model::gpu::GpuCost) {
    let c = model::plan(w, a).unwrap().remove(0);
    match c.mapping {
        Some(ArrayMapping::Gpu(g)) => (c, g),
        ref m => panic!("not a GPU mapping: {m:?}"),
    }
}

fn mixed_gemm(activations: &str, weights: &str) -> Workload {
    Workload::from_json(&format!(
        r#"{{ "name": "mixed", "inputs": [ {{ "name": "a", "shape": [4096, 4096], "format": "{activations}" }} ],
             "ops": [ {{ "name": "g", "op": "matmul", "inputs": ["a"], "output": "c", "out_features": 4096,
                        "precision": {{ "activations": "{activations}", "weights": "{weights}", "output": "bf16" }} }} ] }}"#
    ))
    .unwrap()
}

#[test]
fn e5m2_and_mixed_fp8_run_at_the_fp8_rate_on_the_h100() {
    let h = preset("h100_sxm");
    let (_, e4) = gemm_cost(&mixed_gemm("fp8_e4m3", "fp8_e4m3"), &h);
    for (a, w) in [
        ("fp8_e5m2", "fp8_e5m2"),
        ("fp8_e4m3", "fp8_e5m2"),
        ("fp8_e5m2", "fp8_e4m3"),
    ] {
        let (c, g) = gemm_cost(&mixed_gemm(a, w), &h);
        assert!(!c.mac.as_ref().unwrap().fell_back, "{a}×{w}");
        // Same tensor-core rate, same bytes: the same kernel as E4M3×E4M3.
        assert_eq!(g.device_cycles, e4.device_cycles, "{a}×{w}");
        assert_eq!(g.hbm_read_bytes, e4.hbm_read_bytes, "{a}×{w}");
    }
}

#[test]
fn binary_runs_on_the_a100_beside_int4() {
    let a = preset("a100_sxm");
    // 1-bit operands: 1/8 byte per element. 2048³ fits the 40 MB L2 (A + B + C), so HBM
    // reads each operand once: 2·2048²/8 bytes; the int32 output writes 4 bytes each.
    let n = 2048u64;
    let w = gemm_workload(n, n, n, Format::Binary, Format::INT32).unwrap();
    let (c, g) = gemm_cost(&w, &a);
    assert_eq!(c.mac.as_ref().unwrap().format, Format::Binary);
    assert_eq!(g.hbm_read_bytes, 2.0 * (n * n) as f64 / 8.0);
    assert_eq!(g.hbm_write_bytes, (n * n * 4) as f64);
    // A large binary GEMM is faster than int4 (4× the MAC rate) and runs end to end.
    let big = 8192;
    let t = |f: Format| {
        accelsim::run(
            &gemm_workload(big, big, big, f, Format::INT32).unwrap(),
            &a,
            Engine::Analytic,
        )
        .unwrap()
        .summary
        .latency_s
    };
    let (tb, t4) = (t(Format::Binary), t(Format::INT4));
    assert!(tb < t4 / 2.0, "binary {tb} int4 {t4}");
}

#[test]
fn int32_and_fp32_epilogues_move_four_byte_outputs() {
    // The same GEMM writing int8 vs int32 (CUTLASS int32 C/D), fp16 vs fp32: HBM writes,
    // L2 output bytes and DRAM energy follow the output format's bytes.
    for (arch, op, narrow) in [
        ("a100_sxm", Format::INT8, Format::INT8),
        ("a100_sxm", Format::INT4, Format::INT4),
        ("a100_sxm", Format::FP16, Format::FP16),
        ("h100_sxm", Format::INT8, Format::INT8),
    ] {
        let a = preset(arch);
        let wide = if op.is_float() {
            Format::FP32
        } else {
            Format::INT32
        };
        let (m, n, k) = (1024u64, 1024, 1024);
        let (cn, gn) = gemm_cost(&gemm_workload(m, n, k, op, narrow).unwrap(), &a);
        let (cw, gw) = gemm_cost(&gemm_workload(m, n, k, op, wide).unwrap(), &a);
        let narrow_bytes = (m * n) as f64 * narrow.storage_bits() / 8.0;
        assert_eq!(gn.hbm_write_bytes, narrow_bytes, "{arch} {op}");
        assert_eq!(gw.hbm_write_bytes, (m * n * 4) as f64, "{arch} {op}");
        assert_eq!(cw.traffic.dram_write_bytes, (m * n * 4) as f64);
        assert!(gw.l2_bytes - gn.l2_bytes >= (m * n * 4) as f64 - narrow_bytes - 1e-6);
        assert!(cw.energy.dram_pj > cn.energy.dram_pj, "{arch} {op}");
    }
}
