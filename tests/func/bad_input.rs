//! Bad input to functional runs and ONNX import: a corrupt or truncated `.onnx`, a
//! missing input file, a shape mismatch, an unsupported dtype, an unknown input name, an
//! unsupported operator. Each exits with code 2, a message naming the problem, and
//! leaves no output files.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::import::onnx::{import_file, ImportOptions, OnnxModel};
use accelsim::tensor::{write_npy, DType, Tensor};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn case(id: &str, file: &str) -> PathBuf {
    root().join("tests/data/onnx").join(id).join(file)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("accelsim_func_bad_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `accelsim run ARCH MODEL --functional --outputs OUT` plus `extra`; returns
/// (exit code, stderr) and checks OUT holds no files.
fn run(model: &Path, out: &Path, extra: &[OsString]) -> (i32, String) {
    let res = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .arg("run")
        .arg(root().join("tests/data/func/arch_all_formats.json"))
        .arg(model)
        .arg("--functional")
        .arg("--outputs")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let files = std::fs::read_dir(out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "output files left in {}", out.display());
    (
        res.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&res.stderr).to_string(),
    )
}

fn input(name: &str, path: &Path) -> Vec<OsString> {
    vec![
        "--input".into(),
        format!("{name}={}", path.display()).into(),
    ]
}

#[test]
fn truncated_and_corrupt_models() {
    let dir = tmp("corrupt");
    let bytes = std::fs::read(case("qdq_mlp2_small", "model.onnx")).unwrap();
    let truncated = dir.join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.join("garbage.onnx");
    std::fs::write(&garbage, b"\xff\xff\xff\xff not a protobuf at all").unwrap();
    for model in [&truncated, &garbage] {
        let (code, err) = run(model, &dir.join("out"), &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&model.display().to_string()), "{err}");
        assert!(
            err.contains("not a valid ONNX model") || err.contains("corrupt"),
            "{err}"
        );
    }
    // Import writes nothing either.
    let json = dir.join("w.json");
    let res = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(["import", "onnx"])
        .arg(&truncated)
        .arg("-o")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(!json.exists() && !dir.join("w.weights").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_input_file_shape_mismatch_and_wrong_dtype() {
    let dir = tmp("inputs");
    let model = case("fp32_matmul", "model.onnx");
    let b = case("fp32_matmul", "in.B.npy");
    // Missing file.
    let missing = dir.join("nope.npy");
    let mut args = input("A", &missing);
    args.extend(input("B", &b));
    let (code, err) = run(&model, &dir.join("out"), &args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope.npy"), "{err}");
    // Shape mismatch: A is [5, 64].
    let wrong = dir.join("wrong_shape.npy");
    write_npy(
        &wrong,
        &Tensor::from_f32(vec![4, 64], vec![0.5; 256]).unwrap(),
    )
    .unwrap();
    let mut args = input("A", &wrong);
    args.extend(input("B", &b));
    let (code, err) = run(&model, &dir.join("out"), &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("input 'A'") && err.contains("[4, 64]") && err.contains("[5, 64]"),
        "{err}"
    );
    // Unsupported / wrong dtype: float64 values for a float32 input.
    let f64s = dir.join("f64.npy");
    write_npy(
        &f64s,
        &Tensor::from_vec(DType::F64, vec![5, 64], vec![0.5f64; 320]).unwrap(),
    )
    .unwrap();
    let mut args = input("A", &f64s);
    args.extend(input("B", &b));
    let (code, err) = run(&model, &dir.join("out"), &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("expected float32") && err.contains("float64"),
        "{err}"
    );
    // Unknown input name.
    let args = input("Z", &b);
    let (code, err) = run(&model, &dir.join("out"), &args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("'Z'") && err.contains("inputs: A, B"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unsupported_model_dtype_and_operator() {
    let dir = tmp("model");
    let bytes = std::fs::read(case("fp32_matmul", "model.onnx")).unwrap();
    // Every tensor type FLOAT (elem_type 1) → DOUBLE (11).
    let mut double = bytes.clone();
    for i in 0..double.len() - 6 {
        if double[i] == 0x12
            && double[i + 2] == 0x0a
            && double[i + 4] == 0x08
            && double[i + 5] == 0x01
        {
            double[i + 5] = 0x0b;
        }
    }
    let p = dir.join("double.onnx");
    std::fs::write(&p, &double).unwrap();
    let m = OnnxModel::load(&p).unwrap();
    assert!(m.graph.inputs.iter().all(|v| v.dtype == Some(DType::F64)));
    let (code, err) = run(&p, &dir.join("out"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("float64") && err.contains("'A'"), "{err}");
    // An operator accelsim does not know: MatMul renamed MatMux.
    let renamed: Vec<u8> = String::from_utf8_lossy(&bytes)
        .replace("MatMul", "MatMux")
        .into_bytes();
    assert_eq!(renamed.len(), bytes.len());
    let p = dir.join("unknown.onnx");
    std::fs::write(&p, &renamed).unwrap();
    let e = import_file(&p, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("MatMux") && e.contains("unsupported operator"),
        "{e}"
    );
    let (code, err) = run(&p, &dir.join("out"), &[]);
    assert_eq!(code, 2, "{err}");
    // With --allow-unknown it costs as a vector op, but has no functional semantics.
    let opts = ImportOptions {
        allow_unknown: true,
        ..Default::default()
    };
    let imported = import_file(&p, &opts).unwrap();
    assert_eq!(imported.warnings.len(), 1);
    let (code, err) = run(&p, &dir.join("out"), &["--allow-unknown".into()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("generic vector op"), "{err}");
    let res = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .arg("run")
        .arg(root().join("tests/data/func/arch_all_formats.json"))
        .arg(&p)
        .arg("--allow-unknown")
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
