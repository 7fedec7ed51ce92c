//! `accelsim import onnx` round trips and cost consistency:
//! * the written workload JSON (weights as `.npy` files in `<stem>.weights/`) runs
//!   functionally to the same bytes as the `.onnx` itself;
//! * an imported model reports the same cycles and energy as the equivalent hand-written
//!   workload JSON;
//! * precision mapping: QDQ int8 onto int8 MACs, QDQ fp8 onto fp8 MACs, fp16 onto fp16.

use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::arch::Arch;
use accelsim::import::onnx::{import_file, ImportOptions};
use accelsim::numerics::Format;
use accelsim::sim::Engine;
use accelsim::workload::{OpKind, Workload};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn case_dir(id: &str) -> PathBuf {
    root().join("tests/data/onnx").join(id)
}

fn arch_path() -> PathBuf {
    root().join("tests/data/func/arch_all_formats.json")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("accelsim_onnx_rt_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn accelsim(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `accelsim run ARCH WORKLOAD --functional` with the case's inputs into `out`.
fn run_functional(workload: &Path, id: &str, out: &Path) {
    let mut args: Vec<std::ffi::OsString> = vec![
        "run".into(),
        arch_path().into(),
        workload.into(),
        "--functional".into(),
        "--outputs".into(),
        out.into(),
    ];
    for e in std::fs::read_dir(case_dir(id)).unwrap() {
        let p = e.unwrap().path();
        let f = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(name) = f.strip_prefix("in.").and_then(|s| s.strip_suffix(".npy")) {
            args.push("--input".into());
            args.push(format!("{name}={}", p.display()).into());
        }
    }
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let res = accelsim(&refs);
    assert!(
        res.status.success(),
        "{id}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
}

#[test]
fn imported_json_runs_to_the_same_outputs_as_the_model() {
    let mut files = 0;
    for id in [
        "qdq_mlp2_small",
        "qlinearconv_u8s8_k3p1_bias",
        "qgemm_u8s8_contrib",
        "fp8_e4m3fn_qdq_matmul",
    ] {
        let dir = tmp(id);
        let json = dir.join("w.json");
        let model = case_dir(id).join("model.onnx");
        let res = accelsim(&[
            "import".as_ref(),
            "onnx".as_ref(),
            model.as_os_str(),
            "-o".as_ref(),
            json.as_os_str(),
        ]);
        assert!(
            res.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        // Weights are .npy files referenced by relative paths.
        let text = std::fs::read_to_string(&json).unwrap();
        assert!(text.contains("\"file\": \"w.weights/"), "{id}: {text}");
        assert!(dir.join("w.weights").is_dir());
        run_functional(&model, id, &dir.join("from_onnx"));
        run_functional(&json, id, &dir.join("from_json"));
        for e in std::fs::read_dir(dir.join("from_onnx")).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap();
            let a = std::fs::read(&p).unwrap();
            let b = std::fs::read(dir.join("from_json").join(name)).unwrap();
            assert_eq!(a, b, "{id}: {}", name.to_string_lossy());
            // And both equal ORT's expected output.
            let want = std::fs::read(case_dir(id).join(format!("out.{}", name.to_string_lossy())))
                .unwrap();
            assert_eq!(a, want, "{id}: {}", name.to_string_lossy());
            files += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("onnx → json round trip: {files}/{files} outputs identical");
}

#[test]
fn imported_model_costs_the_same_as_the_hand_written_workload() {
    let hand = r#"{
      "name": "conv_by_hand",
      "inputs": [{"name": "x", "shape": [1, 8, 7, 7], "format": "fp32"}],
      "weights": [
        {"name": "W", "shape": [16, 8, 3, 3], "format": "fp32"},
        {"name": "B", "shape": [16], "format": "fp32"}
      ],
      "ops": [{"name": "conv", "op": "conv2d", "inputs": ["x"], "output": "y",
               "weight": "W", "bias": "B", "stride": [2, 2], "padding": [1, 1, 1, 1]}]
    }"#;
    let hand_gemm = r#"{
      "name": "gemm_by_hand",
      "inputs": [{"name": "A", "shape": [3, 24], "format": "fp16"}],
      "weights": [
        {"name": "B", "shape": [6, 24], "format": "fp16"},
        {"name": "C", "shape": [6], "format": "fp16"}
      ],
      "ops": [{"name": "gemm", "op": "matmul", "inputs": ["A"], "output": "Y",
               "weight": "B", "bias": "C", "transpose_b": true}]
    }"#;
    let mut arches = vec![Arch::load(&arch_path()).unwrap()];
    // An fp16 preset too (edge NPU: fp16 at half rate).
    arches.push(Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap());
    let mut compared = 0;
    for (id, text) in [("fp32_conv_bias", hand), ("fp16_gemm_bias", hand_gemm)] {
        let imported =
            import_file(&case_dir(id).join("model.onnx"), &ImportOptions::default()).unwrap();
        let from_onnx = Workload::from_spec(imported.spec).unwrap();
        let by_hand = Workload::from_json(text).unwrap();
        for arch in &arches {
            let (Ok(a), Ok(b)) = (
                accelsim::run(&from_onnx, arch, Engine::Analytic),
                accelsim::run(&by_hand, arch, Engine::Analytic),
            ) else {
                // The edge preset has no fp32 MACs: both must fail alike.
                assert!(accelsim::run(&by_hand, arch, Engine::Analytic).is_err());
                assert!(accelsim::run(&from_onnx, arch, Engine::Analytic).is_err());
                continue;
            };
            assert_eq!(a.summary.cycles, b.summary.cycles, "{id} on {}", arch.name);
            assert_eq!(a.summary.macs, b.summary.macs, "{id} on {}", arch.name);
            assert_eq!(
                a.summary.energy_pj, b.summary.energy_pj,
                "{id} on {}",
                arch.name
            );
            assert_eq!(
                a.summary.dram_bytes, b.summary.dram_bytes,
                "{id} on {}",
                arch.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 3);
    println!(
        "imported vs hand-written: {compared} (model, arch) pairs with equal cycles and energy"
    );
}

#[test]
fn precision_follows_tensor_types_and_qdq_nodes() {
    let mac = |id: &str| -> Vec<Format> {
        let imported =
            import_file(&case_dir(id).join("model.onnx"), &ImportOptions::default()).unwrap();
        let w = Workload::from_spec(imported.spec).unwrap();
        w.ops
            .iter()
            .filter(|o| matches!(o.kind, OpKind::Matmul | OpKind::Conv2d))
            .map(|o| o.precision.mac_format())
            .collect()
    };
    assert_eq!(mac("qdq_matmul_u8s8_pertensor"), vec![Format::INT8]);
    assert_eq!(mac("qdq_conv_perchannel_bias"), vec![Format::INT8]);
    assert_eq!(mac("qdq_mlp2_small"), vec![Format::INT8, Format::INT8]);
    assert_eq!(mac("qlinearconv_u8u8_wzp"), vec![Format::INT8]);
    assert_eq!(mac("fp8_e4m3fn_qdq_matmul"), vec![Format::FP8_E4M3]);
    assert_eq!(mac("fp16_matmul"), vec![Format::FP16]);
    assert_eq!(mac("fp32_conv_bias"), vec![Format::FP32]);
    // A bare two-input MatMul is a valid workload whose operands are graph inputs.
    let imported = import_file(
        &case_dir("fp32_matmul").join("model.onnx"),
        &ImportOptions::default(),
    )
    .unwrap();
    let w = Workload::from_spec(imported.spec).unwrap();
    assert_eq!(w.inputs.len(), 2);
    assert_eq!(w.total_macs(), 5 * 7 * 64);
    // The QDQ int8 model runs on an int8-only preset (int8 MACs, int32 accumulators).
    let tpu = Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap();
    let imported = import_file(
        &case_dir("qdq_matmul_u8s8_pertensor").join("model.onnx"),
        &ImportOptions::default(),
    )
    .unwrap();
    let w = Workload::from_spec(imported.spec).unwrap();
    let r = accelsim::run(&w, &tpu, Engine::Analytic).unwrap();
    assert_eq!(r.summary.macs, 4 * 8 * 32);
}
