//! Every ONNX Runtime oracle case (`tests/data/onnx`) is reproduced bit-exactly by
//! functional execution of the imported model: each output's dtype, shape and bytes
//! equal `outputs` (or `spec_outputs` for the AVX2 saturation probe, whose ORT outputs
//! carry a CPU artifact; see SOURCE.md §5.8). Also through the binary
//! (`accelsim run --functional`), and with 1 and 4 threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::import::onnx::{import_file, ImportOptions};
use accelsim::tensor::{npy::encode_npy, read_npy, DType, Tensor};
use accelsim::workload::Workload;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn data_dir() -> PathBuf {
    root().join("tests/data/onnx")
}

fn arch_path() -> PathBuf {
    root().join("tests/data/func/arch_all_formats.json")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join("cases.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

/// The expected outputs of a case: `spec_outputs` where present, else `outputs`.
fn expected(case: &Value) -> Vec<(String, PathBuf, DType)> {
    let list = case
        .get("spec_outputs")
        .and_then(|s| s.as_array())
        .unwrap_or_else(|| case["outputs"].as_array().unwrap());
    list.iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                data_dir().join(o["file"].as_str().unwrap()),
                DType::parse(
                    case["outputs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|x| x["name"] == o["name"])
                        .unwrap()["dtype"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap(),
            )
        })
        .collect()
}

fn inputs(case: &Value) -> BTreeMap<String, Tensor> {
    case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let t = read_npy(data_dir().join(i["file"].as_str().unwrap())).unwrap();
            (i["name"].as_str().unwrap().to_string(), t)
        })
        .collect()
}

fn run_case(case: &Value, arch: &Arch) -> Vec<(String, Tensor)> {
    let model = data_dir().join(case["model"].as_str().unwrap());
    let imported = import_file(&model, &ImportOptions::default()).unwrap();
    let w = Workload::from_spec(imported.spec).unwrap();
    let feeds = Feeds {
        inputs: inputs(case),
        weights: imported.weights,
    };
    execute(&w, arch, &feeds, &ExecOptions::default())
        .unwrap()
        .tensors
}

#[test]
fn every_oracle_case_is_bit_exact() {
    let arch = Arch::load(&arch_path()).unwrap();
    let (mut exact, mut total, mut elements) = (0, 0, 0usize);
    let cases = cases();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let got: BTreeMap<String, Tensor> = run_case(case, &arch).into_iter().collect();
        for (name, file, dtype) in expected(case) {
            total += 1;
            let t = got
                .get(&name)
                .unwrap_or_else(|| panic!("{id}: no output '{name}'"));
            assert_eq!(t.dtype(), dtype, "{id}/{name}: dtype");
            let want = std::fs::read(&file).unwrap();
            assert_eq!(
                encode_npy(t),
                want,
                "{id}/{name}: bytes differ from {}",
                file.display()
            );
            elements += t.len();
            exact += 1;
        }
    }
    println!(
        "onnx oracle: {exact}/{total} outputs bit-exact ({elements} elements) in {} cases",
        cases.len()
    );
    assert_eq!(exact, total);
    assert_eq!(total, 53);
}

#[test]
fn thread_count_does_not_change_results() {
    let arch = Arch::load(&arch_path()).unwrap();
    let case = cases()
        .into_iter()
        .find(|c| c["id"] == "qdq_conv_perchannel_bias")
        .unwrap();
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| run_case(&case, &arch));
    let four = pool(4).install(|| run_case(&case, &arch));
    assert_eq!(one, four);
}

#[test]
fn binary_reproduces_cases_and_writes_npy_files() {
    let out_root =
        std::env::temp_dir().join(format!("accelsim_func_oracle_{}", std::process::id()));
    let mut checked = 0;
    for id in [
        "qlinearconv_u8s8_s2_asympad_perch",
        "fp8_e4m3fn_qdq_saturate",
        "fp16_gemm_bias",
        "qs_conv_relu_gap_quantize_static",
    ] {
        let case = cases().into_iter().find(|c| c["id"] == id).unwrap();
        let out = out_root.join(id);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_accelsim"));
        cmd.arg("run")
            .arg(arch_path())
            .arg(data_dir().join(case["model"].as_str().unwrap()))
            .arg("--functional")
            .arg("--outputs")
            .arg(&out);
        for i in case["inputs"].as_array().unwrap() {
            cmd.arg("--input").arg(format!(
                "{}={}",
                i["name"].as_str().unwrap(),
                data_dir().join(i["file"].as_str().unwrap()).display()
            ));
        }
        let res = cmd.output().unwrap();
        assert!(
            res.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        for (name, file, _) in expected(&case) {
            let got = std::fs::read(out.join(format!("{name}.npy"))).unwrap();
            assert_eq!(got, std::fs::read(file).unwrap(), "{id}/{name}");
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&out_root);
    println!("onnx oracle via the binary: {checked}/{checked} outputs bit-exact");
}
