//! Bad input through the binary: each case must exit with code 2 and an stderr that names
//! the file, the JSON path and what was expected, without panicking.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("accelsim_core_bad_input_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const GOOD_ARCH: &str = "arch_configs/edge_npu_32x32.json";
const GOOD_WORKLOAD: &str = "workloads/tiny_cnn.json";

/// Which file of the pair is broken.
enum Broken<'a> {
    Workload(&'a str),
    Arch(&'a str),
}

/// Writes the broken file as `<case>.json`, runs `accelsim run`, and checks the exit code,
/// the file name, every wanted fragment (JSON path, expectation) and the absence of panics.
fn expect_bad(case: &str, broken: Broken, wants: &[&str]) {
    let dir = scratch();
    let file = dir.join(format!("{case}.json"));
    let (arch, workload) = match broken {
        Broken::Workload(text) => {
            std::fs::write(&file, text).unwrap();
            (root().join(GOOD_ARCH), file.clone())
        }
        Broken::Arch(text) => {
            std::fs::write(&file, text).unwrap();
            (file.clone(), root().join(GOOD_WORKLOAD))
        }
    };
    let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .arg("run")
        .arg(&arch)
        .arg(&workload)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{case}: {err}");
    assert!(
        err.contains(&format!("{case}.json")),
        "{case}: file not named: {err}"
    );
    for w in wants {
        assert!(err.contains(w), "{case}: missing '{w}' in: {err}");
    }
    assert!(!err.contains("panicked"), "{case}: {err}");
    assert!(out.stdout.is_empty(), "{case}: printed a report");
    let _ = std::fs::remove_file(&file);
}

const INPUT_4X8: &str = r#"[{ "name": "a", "shape": [4, 8], "format": "int8" }]"#;

#[test]
fn malformed_json_names_line_and_column() {
    expect_bad(
        "malformed",
        Broken::Workload(&format!(
            "{{ \"name\": \"x\",\n \"inputs\": {INPUT_4X8},\n \"ops\": [{{ \"name\": \"m\", \"op\": \"matmul\", \"inputs\": [\"a\"] \"output\": \"c\" }}] }}"
        )),
        &["at ops[0]:", "malformed JSON", "expected `,` or `}`", "line 3 column"],
    );
}

#[test]
fn unknown_fields() {
    expect_bad(
        "unknown_op_field",
        Broken::Workload(
            r#"{ "name": "x", "inputs": [{ "name": "a", "shape": [1, 3, 8, 8], "format": "int8" }],
  "ops": [{ "name": "c", "op": "conv2d", "inputs": ["a"], "output": "y",
            "out_channels": 4, "kernel": [3, 3], "strid": [1, 1] }] }"#,
        ),
        &[
            "ops[0].strid",
            "unknown field `strid`",
            "expected one of",
            "`stride`",
        ],
    );
    let arch = std::fs::read_to_string(root().join(GOOD_ARCH))
        .unwrap()
        .replace("\"rows\"", "\"rowz\"");
    expect_bad(
        "unknown_array_field",
        Broken::Arch(&arch),
        &["at array", "unknown field `rowz`", "expected one of `rows`"],
    );
}

#[test]
fn missing_field() {
    expect_bad(
        "missing_field",
        Broken::Workload(&format!(
            r#"{{ "name": "x", "inputs": {INPUT_4X8},
  "ops": [{{ "name": "m", "op": "matmul", "inputs": ["a"], "out_features": 4 }}] }}"#
        )),
        &["at ops[0]", "missing field `output`"],
    );
}

#[test]
fn negative_and_zero_dimensions() {
    expect_bad(
        "negative_dim",
        Broken::Workload(
            r#"{ "name": "x", "inputs": [{ "name": "a", "shape": [4, -8], "format": "int8" }],
  "ops": [{ "name": "m", "op": "relu", "inputs": ["a"], "output": "c" }] }"#,
        ),
        &["inputs[0].shape[1]", "expected a dimension > 0, got -8"],
    );
    expect_bad(
        "zero_dim",
        Broken::Workload(
            r#"{ "name": "x", "inputs": [{ "name": "a", "shape": [4, 0], "format": "int8" }],
  "ops": [{ "name": "m", "op": "relu", "inputs": ["a"], "output": "c" }] }"#,
        ),
        &["inputs[0].shape[1]", "expected a dimension > 0, got 0"],
    );
    expect_bad(
        "zero_out_features",
        Broken::Workload(&format!(
            r#"{{ "name": "x", "inputs": {INPUT_4X8},
  "ops": [{{ "name": "m", "op": "matmul", "inputs": ["a"], "output": "c", "out_features": 0 }}] }}"#
        )),
        &["ops[0].out_features", "expected a positive integer, got 0"],
    );
}

#[test]
fn shape_mismatches_between_connected_ops() {
    // m1 makes [4, 16]; m2's weight expects K = 8.
    expect_bad(
        "matmul_k_mismatch",
        Broken::Workload(&format!(
            r#"{{ "name": "x", "inputs": {INPUT_4X8},
  "weights": [{{ "name": "w", "shape": [8, 4], "format": "int8" }}],
  "ops": [{{ "name": "m1", "op": "matmul", "inputs": ["a"], "output": "c", "out_features": 16 }},
          {{ "name": "m2", "op": "matmul", "inputs": ["c"], "output": "d", "weight": "w" }}] }}"#
        )),
        &[
            "ops[1].weight",
            "inner dimensions differ",
            "K = 16",
            "K = 8",
        ],
    );
    // r makes [4, 8]; adding a [4, 3] input cannot broadcast.
    expect_bad(
        "add_broadcast_mismatch",
        Broken::Workload(
            r#"{ "name": "x",
  "inputs": [{ "name": "a", "shape": [4, 8], "format": "int8" },
             { "name": "b", "shape": [4, 3], "format": "int8" }],
  "ops": [{ "name": "r", "op": "relu", "inputs": ["a"], "output": "y" },
          { "name": "s", "op": "add", "inputs": ["y", "b"], "output": "z" }] }"#,
        ),
        &["ops[1].inputs", "[4, 8] and [4, 3] cannot be broadcast"],
    );
}

#[test]
fn cycle_names_the_ops() {
    expect_bad(
        "cycle",
        Broken::Workload(&format!(
            r#"{{ "name": "x", "inputs": {INPUT_4X8},
  "ops": [{{ "name": "first", "op": "add", "inputs": ["a", "z"], "output": "y" }},
          {{ "name": "second", "op": "relu", "inputs": ["y"], "output": "z" }}] }}"#
        )),
        &["at ops[0]", "cycle", "'first'", "'second'", "must be a DAG"],
    );
}

#[test]
fn unknown_format_lists_valid_ones() {
    expect_bad(
        "unknown_format",
        Broken::Workload(
            r#"{ "name": "x", "inputs": [{ "name": "a", "shape": [4, 8], "format": "fp99" }],
  "ops": [{ "name": "m", "op": "relu", "inputs": ["a"], "output": "c" }] }"#,
        ),
        &[
            "inputs[0].format",
            "unknown number format 'fp99'",
            "expected one of",
            "int8",
            "fp16",
        ],
    );
}

#[test]
fn dimension_product_overflow() {
    expect_bad(
        "overflow",
        Broken::Workload(
            r#"{ "name": "x",
  "inputs": [{ "name": "a", "shape": [4294967296, 4294967296, 2], "format": "int8" }],
  "ops": [{ "name": "m", "op": "relu", "inputs": ["a"], "output": "c" }] }"#,
        ),
        &["inputs[0].shape", "overflows u64"],
    );
}

#[test]
fn unsupported_op_precision_names_the_op() {
    // The edge preset has int8, int4 and fp16 MACs, no fp32, and no fallback.
    expect_bad(
        "unsupported_precision",
        Broken::Workload(
            r#"{ "name": "x", "inputs": [{ "name": "a", "shape": [4, 8], "format": "fp32" }],
  "ops": [{ "name": "proj", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": 4, "precision": "fp32" }] }"#,
        ),
        &[
            "ops[0].precision",
            "op 'proj'",
            "no fp32 MACs",
            "supported: int8",
            "precision_fallback",
        ],
    );
}

#[test]
fn missing_files() {
    for (arch, wl, name) in [
        (
            root().join(GOOD_ARCH),
            root().join("workloads/does_not_exist.json"),
            "does_not_exist.json",
        ),
        (
            root().join("arch_configs/nope.json"),
            root().join(GOOD_WORKLOAD),
            "nope.json",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
            .arg("run")
            .arg(&arch)
            .arg(&wl)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(name), "{err}");
        assert!(err.contains("cannot read file"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
