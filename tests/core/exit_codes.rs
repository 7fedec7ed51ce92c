//! Exit codes through the binary: the CLI chooses them by the library error's kind
//! (`accelsim::error::ErrorKind`): 2 for bad input (bad arguments, unreadable or invalid
//! files), 1 for internal failures (an output that cannot be written). Messages keep their
//! text and never show a panic.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(case: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("accelsim_exit_codes_{case}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn accelsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn expect(out: &Output, code: i32, wants: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    for w in wants {
        assert!(err.contains(w), "missing '{w}' in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

const ARCH: &str = "arch_configs/edge_npu_32x32.json";
const WORKLOAD: &str = "workloads/tiny_cnn.json";

#[test]
fn bad_argument_is_bad_input() {
    let out = accelsim(&["run", ARCH, WORKLOAD, "--engine", "nope"]);
    expect(&out, 2, &["nope"]);
}

#[test]
fn unreadable_value_file_is_bad_input() {
    let out = accelsim(&[
        "run",
        ARCH,
        WORKLOAD,
        "--functional",
        "--input",
        "x=does_not_exist.npy",
    ]);
    expect(&out, 2, &["--input x", "does_not_exist.npy"]);
}

#[test]
fn invalid_sweep_file_is_bad_input() {
    let dir = scratch("sweep");
    let file = dir.join("sweep.json");
    std::fs::write(&file, "{\"name\": \"s\", \"bogus\": 1}").unwrap();
    let out = accelsim(&["sweep", file.to_str().unwrap(), "--dry-run"]);
    expect(&out, 2, &["sweep.json", "bogus"]);
}

#[test]
fn unwritable_output_is_internal_failure() {
    // A regular file where the output folder should be: creating the folder fails.
    let dir = scratch("outputs");
    let blocker = dir.join("blocker");
    std::fs::write(&blocker, "not a folder").unwrap();
    let target = blocker.join("out");
    let out = accelsim(&[
        "import",
        "scalesim",
        "--config",
        "tests/data/scalesim/configs/calc_32x32_os.cfg",
        "--topology",
        "tests/data/scalesim/topologies/gemm_shapes.csv",
        "--out-dir",
        target.to_str().unwrap(),
    ]);
    expect(&out, 1, &["cannot create directory"]);
    let trace = blocker.join("trace.json");
    let out = accelsim(&["run", ARCH, WORKLOAD, "--trace", trace.to_str().unwrap()]);
    expect(&out, 1, &["cannot write"]);
}
