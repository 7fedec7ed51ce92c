//! Derived GEMM shapes against hand derivation, and the MAC identity
//! BWD + GRAD = 2 × FWD − (first layer's BWD).

use super::*;
use crate::workload::GemmView;

pub(crate) const MLP: &str = r#"{"name": "mlp3", "inputs": [{"name": "x", "shape": [8, 16], "format": "fp32"}],
 "ops": [
  {"name": "fc1", "op": "matmul", "inputs": ["x"], "output": "h1", "out_features": 32},
  {"name": "r1", "op": "relu", "inputs": ["h1"], "output": "a1"},
  {"name": "fc2", "op": "matmul", "inputs": ["a1"], "output": "h2", "out_features": 24},
  {"name": "r2", "op": "relu", "inputs": ["h2"], "output": "a2"},
  {"name": "fc3", "op": "matmul", "inputs": ["a2"], "output": "y", "out_features": 10}]}"#;

/// Self-attention: Q·Kᵀ and P·V between activations, softmax, layernorm with trainable
/// scale `g` and bias `b`, transpose, classifier.
pub(crate) const ATTN: &str = r#"{"name": "a", "inputs": [{"name": "x", "shape": [4, 6, 8], "format": "fp32"}],
 "weights": [{"name": "g", "shape": [8], "format": "fp32"}, {"name": "b", "shape": [8], "format": "fp32"}],
 "ops": [
  {"name": "q", "op": "matmul", "inputs": ["x"], "output": "qo", "out_features": 8},
  {"name": "k", "op": "matmul", "inputs": ["x"], "output": "ko", "out_features": 8},
  {"name": "s", "op": "matmul", "inputs": ["qo", "ko"], "output": "so", "transpose_b": true},
  {"name": "sm", "op": "softmax", "inputs": ["so"], "output": "p", "axis": -1},
  {"name": "c", "op": "matmul", "inputs": ["p", "x"], "output": "o"},
  {"name": "ln", "op": "layernorm", "inputs": ["o", "g", "b"], "output": "n", "axis": -1},
  {"name": "t", "op": "transpose", "inputs": ["n"], "output": "nt", "perm": [0, 2, 1]},
  {"name": "f", "op": "flatten", "inputs": ["nt"], "output": "fl", "axis": 1},
  {"name": "fc", "op": "matmul", "inputs": ["fl"], "output": "y", "out_features": 3}]}"#;

pub(crate) const CNN: &str = r#"{"name": "cnn", "inputs": [{"name": "x", "shape": [2, 3, 8, 8], "format": "fp32"}],
 "ops": [
  {"name": "conv1", "op": "conv2d", "inputs": ["x"], "output": "c1", "out_channels": 8, "kernel": [3, 3], "padding": [1, 1]},
  {"name": "r1", "op": "relu", "inputs": ["c1"], "output": "a1"},
  {"name": "conv2", "op": "conv2d", "inputs": ["a1"], "output": "c2", "out_channels": 16, "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
  {"name": "r2", "op": "relu", "inputs": ["c2"], "output": "a2"},
  {"name": "dw", "op": "conv2d", "inputs": ["a2"], "output": "c3", "out_channels": 16, "kernel": [3, 3], "padding": [1, 1], "groups": 16},
  {"name": "r3", "op": "relu", "inputs": ["c3"], "output": "a3"},
  {"name": "gap", "op": "global_avgpool", "inputs": ["a3"], "output": "p"},
  {"name": "flat", "op": "flatten", "inputs": ["p"], "output": "f", "axis": 1},
  {"name": "fc", "op": "matmul", "inputs": ["f"], "output": "y", "out_features": 10}]}"#;

fn gemms(g: &TrainGraph) -> Vec<(String, GemmKind, GemmView)> {
    g.workload
        .ops
        .iter()
        .zip(&g.ops)
        .filter_map(|(o, d)| Some((d.layer.clone(), d.gemm?, o.gemm?)))
        .collect()
}

fn view(count: u64, m: u64, n: u64, k: u64) -> GemmView {
    GemmView { count, m, n, k }
}

fn check(text: &str, expected: &[(&str, GemmKind, GemmView)], first_bwd: u64) {
    let fwd = Workload::from_json(text).unwrap();
    let g = derive(
        &fwd,
        &Policy::bundled("fp32").unwrap(),
        &DeriveOptions::default(),
    )
    .unwrap();
    let got = gemms(&g);
    let mut got_sorted: Vec<_> = got.iter().map(|(l, k, v)| (l.clone(), *k, *v)).collect();
    let mut want: Vec<_> = expected
        .iter()
        .map(|(l, k, v)| (l.to_string(), *k, *v))
        .collect();
    got_sorted.sort_by_key(|(l, k, _)| (l.clone(), *k));
    want.sort_by_key(|(l, k, _)| (l.clone(), *k));
    assert_eq!(got_sorted, want);
    let sum = |kind: GemmKind| -> u64 {
        got.iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(_, _, v)| v.macs())
            .sum()
    };
    let fwd_macs = fwd.total_macs();
    assert_eq!(sum(GemmKind::Fwd), fwd_macs);
    assert_eq!(
        sum(GemmKind::Bwd) + sum(GemmKind::Grad),
        2 * fwd_macs - first_bwd
    );
}

#[test]
fn mlp_gemms_match_hand_derivation() {
    use GemmKind::*;
    check(
        MLP,
        &[
            ("fc1", Fwd, view(1, 8, 32, 16)),
            ("fc1", Grad, view(1, 16, 32, 8)), // dW1 = xᵀ[16×8] · dY[8×32]
            ("fc2", Fwd, view(1, 8, 24, 32)),
            ("fc2", Bwd, view(1, 8, 32, 24)), // dX = dY[8×24] · W2ᵀ[24×32]
            ("fc2", Grad, view(1, 32, 24, 8)),
            ("fc3", Fwd, view(1, 8, 10, 24)),
            ("fc3", Bwd, view(1, 8, 24, 10)),
            ("fc3", Grad, view(1, 24, 10, 8)),
        ],
        8 * 32 * 16,
    );
}

#[test]
fn cnn_gemms_match_hand_derivation() {
    use GemmKind::*;
    check(
        CNN,
        &[
            // conv1: 2×8×8 output pixels, 8 filters, 3·3·3 window; no BWD (input needs none).
            ("conv1", Fwd, view(1, 128, 8, 27)),
            ("conv1", Grad, view(1, 8, 27, 128)), // dW = dYᵀ[8×128] · im2col(X)[128×27]
            // conv2, stride 2: 2×4×4 outputs; BWD as a 1×1 conv to the 72 columns, then col2im.
            ("conv2", Fwd, view(1, 32, 16, 72)),
            ("conv2", Bwd, view(1, 32, 72, 16)),
            ("conv2", Grad, view(1, 16, 72, 32)),
            // depthwise, same size: BWD a depthwise conv over the padded error.
            ("dw", Fwd, view(16, 32, 1, 9)),
            ("dw", Bwd, view(16, 32, 1, 9)),
            ("dw", Grad, view(16, 1, 9, 32)),
            ("fc", Fwd, view(1, 2, 10, 16)),
            ("fc", Bwd, view(1, 2, 16, 10)),
            ("fc", Grad, view(1, 16, 10, 2)),
        ],
        128 * 8 * 27,
    );
}

#[test]
fn derived_conv_backward_has_the_input_shape_and_padding() {
    let fwd = Workload::from_json(CNN).unwrap();
    let g = derive(
        &fwd,
        &Policy::bundled("fp32").unwrap(),
        &DeriveOptions::default(),
    )
    .unwrap();
    let w = &g.workload;
    let shape = |n: &str| w.tensors[w.tensor_by_name(n).unwrap()].shape.clone();
    assert_eq!(shape("dw.dx"), vec![2, 16, 4, 4]);
    assert_eq!(shape("conv2.dx"), vec![2, 8, 8, 8]);
    assert_eq!(shape("conv2.dcols"), vec![2, 72, 4, 4]);
    assert_eq!(shape("conv1.weight.grad"), vec![8, 3, 3, 3]);
    assert_eq!(shape("dw.weight.grad"), vec![16, 1, 3, 3]);
    assert!(
        w.tensor_by_name("conv1.dx").is_none(),
        "the first layer has no BWD"
    );
    assert_eq!(g.gradients.len(), 4);
}

#[test]
fn policy_formats_reach_the_derived_gemms() {
    let fwd = Workload::from_json(MLP).unwrap();
    let g = derive(
        &fwd,
        &Policy::bundled("fp8_hybrid").unwrap(),
        &DeriveOptions::default(),
    )
    .unwrap();
    for (o, d) in g.workload.ops.iter().zip(&g.ops) {
        match (d.gemm, d.what.as_str()) {
            (Some(GemmKind::Fwd), _) => {
                assert_eq!(
                    (o.precision.activations, o.precision.weights),
                    (Format::FP8_E4M3, Format::FP8_E4M3)
                )
            }
            (Some(GemmKind::Bwd), _) => {
                assert_eq!(
                    (o.precision.activations, o.precision.weights),
                    (Format::FP8_E5M2, Format::FP8_E4M3)
                )
            }
            (Some(GemmKind::Grad), _) => {
                assert_eq!(
                    (o.precision.activations, o.precision.weights),
                    (Format::FP8_E4M3, Format::FP8_E5M2)
                );
                assert_eq!(o.precision.output, Format::FP8_E5M2);
            }
            _ => {}
        }
    }
}

#[test]
fn unsupported_ops_and_ambiguous_outputs_are_clear_errors() {
    let two = r#"{"name": "t", "inputs": [{"name": "x", "shape": [4, 4], "format": "fp32"}],
      "ops": [{"name": "a", "op": "matmul", "inputs": ["x"], "output": "y1", "out_features": 4},
              {"name": "b", "op": "matmul", "inputs": ["x"], "output": "y2", "out_features": 4}]}"#;
    let fwd = Workload::from_json(two).unwrap();
    let p = Policy::bundled("fp32").unwrap();
    let e = derive(&fwd, &p, &DeriveOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("y1") && e.contains("y2"), "{e}");
    let ok = DeriveOptions {
        output: Some("y2".into()),
        ..DeriveOptions::default()
    };
    assert!(derive(&fwd, &p, &ok).is_ok());
}

/// bf16_mixed with fc2's errors in E5M2: only fc2's GEMMs see the override.
fn fc2_errors(format: &str) -> TrainGraph {
    let fwd = Workload::from_json(MLP).unwrap();
    let mut p = Policy::bundled("bf16_mixed").unwrap();
    let f: Format = format.parse().unwrap();
    p.set_layer_class(
        "fc2",
        crate::train::policy::TensorClass::Errors,
        crate::train::policy::TensorPolicy {
            format: f,
            ..p.tensors.errors
        },
    );
    derive(&fwd, &p, &DeriveOptions::default()).unwrap()
}

#[test]
fn per_layer_formats_reach_only_that_layers_gemms() {
    let g = fc2_errors("fp8_e5m2");
    for (o, d) in g.workload.ops.iter().zip(&g.ops) {
        let e = if d.layer == "fc2" {
            Format::FP8_E5M2
        } else {
            Format::BF16
        };
        match d.gemm {
            Some(GemmKind::Bwd) => {
                assert_eq!(
                    (o.precision.activations, o.precision.output),
                    (e, e),
                    "{}",
                    o.name
                );
                assert_eq!(o.precision.weights, Format::BF16, "{}", o.name);
            }
            Some(GemmKind::Grad) => assert_eq!(o.precision.weights, e, "{}", o.name),
            Some(GemmKind::Fwd) => {
                assert_eq!(o.precision.activations, Format::BF16, "{}", o.name)
            }
            None => {}
        }
    }
}

/// The planned DRAM bytes of fc2's BWD GEMM dX = dY·W2ᵀ (M 8, reduction 24, N 32) on a
/// 32×32 array whose buffers hold every operand (each read or written once): by hand,
/// A = dY 8·24 elements in the errors format, B = W2 32·24 bf16 (2 bytes), C = dX 8·32
/// errors. E5M2 errors halve A and C against bf16 errors; B does not move.
#[test]
fn fp8_errors_on_one_layer_halve_its_bwd_operand_bytes() {
    let mut arch: serde_json::Value =
        serde_json::from_str(include_str!("../../../arch_configs/scalesim_32x32.json")).unwrap();
    arch["precisions"] = serde_json::json!([
        {"format": "bf16", "macs_per_pe_per_cycle": 1, "accumulator": "fp32"},
        {"format": "fp8_e5m2", "macs_per_pe_per_cycle": 1, "accumulator": "fp32"},
        {"format": "fp8_e4m3", "macs_per_pe_per_cycle": 1, "accumulator": "fp32"},
        {"format": "fp32", "macs_per_pe_per_cycle": 1, "accumulator": "fp32"}
    ]);
    arch["precision_fallback"] = true.into();
    let arch = crate::arch::Arch::from_json(&arch.to_string()).unwrap();
    let dram = |format: &str, bytes: f64| {
        let g = fc2_errors(format);
        let costs = crate::model::plan(&g.workload, &arch).unwrap();
        let i = g
            .workload
            .ops
            .iter()
            .position(|o| o.name == "fc2.dx")
            .unwrap();
        let s = costs[i].planned_split.unwrap().dram;
        assert_eq!(s[0].reads, 8.0 * 24.0 * bytes, "{format}: A = dY");
        assert_eq!(s[1].reads, 32.0 * 24.0 * 2.0, "{format}: B = W2");
        assert_eq!(s[2].updates, 8.0 * 32.0 * bytes, "{format}: C = dX");
        s[0].reads + s[2].updates
    };
    assert_eq!(dram("fp8_e5m2", 1.0) * 2.0, dram("bf16", 2.0));
}

#[test]
fn layernorm_scale_and_bias_weights_get_gradients_and_updates() {
    let ln = ATTN;
    let fwd = Workload::from_json(ln).unwrap();
    let g = derive(
        &fwd,
        &Policy::bundled("fp32").unwrap(),
        &DeriveOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = g.gradients.iter().map(|(w, _)| w.as_str()).collect();
    assert!(names.contains(&"g") && names.contains(&"b"), "{names:?}");
    let whats: Vec<(&str, Phase)> = g
        .ops
        .iter()
        .filter(|d| d.layer == "ln")
        .map(|d| (d.what.as_str(), d.phase))
        .collect();
    assert!(
        whats.contains(&("layernorm_scale_grad", Phase::Grad)),
        "{whats:?}"
    );
    assert!(
        whats.contains(&("layernorm_bias_grad", Phase::Grad)),
        "{whats:?}"
    );
    assert!(
        whats.contains(&("layernorm_backward", Phase::Bwd)),
        "{whats:?}"
    );
}
