//! End-to-end checks of `accelsim cast` and `accelsim formats`: output schema, exit codes
//! for bad input, and the cast vectors through the CLI path.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn accelsim");
    // The command may exit before reading its input (e.g. an unknown format): a broken
    // pipe here is expected then.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cast_prints_json_lines() {
    let (rc, out, _) = run(&["cast", "--to", "float8_e4m3fn"], "1.0\n0x43e80000\n500\n");
    assert_eq!(rc, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["in_bits"], 0x3f80_0000u32);
    assert_eq!(lines[0]["code"], 0x38);
    assert_eq!(lines[1]["code"], 0x7e); // 464 ties to 448
    assert_eq!(lines[2]["code"], 0x7f); // NaN: e4m3fn has no Inf
    let (_, out, _) = run(&["cast", "--to", "fp8_e4m3", "--saturate"], "500\n");
    assert!(out.contains("\"code\":126"));
    let (_, out, _) = run(
        &["cast", "--to", "int8", "--rounding", "rna"],
        "2.5\n-2.5\n",
    );
    assert!(out.contains("\"code\":3,") && out.contains("\"code\":253,"));
}

#[test]
fn cast_stochastic_is_seeded() {
    let input = "0.3\n".repeat(200);
    let a = run(
        &[
            "cast",
            "--to",
            "fp4_e2m1",
            "--rounding",
            "stochastic",
            "--seed",
            "7",
        ],
        &input,
    )
    .1;
    let b = run(
        &[
            "cast",
            "--to",
            "fp4_e2m1",
            "--rounding",
            "stochastic",
            "--seed",
            "7",
        ],
        &input,
    )
    .1;
    let c = run(
        &[
            "cast",
            "--to",
            "fp4_e2m1",
            "--rounding",
            "stochastic",
            "--seed",
            "8",
        ],
        &input,
    )
    .1;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains("\"code\":0,") && a.contains("\"code\":1,"));
}

#[test]
fn bad_input_exits_2() {
    let (rc, _, err) = run(&["cast", "--to", "float9"], "1\n");
    assert_eq!(rc, 2);
    assert!(err.contains("fp8_e4m3") && err.contains("float9"), "{err}");
    let (rc, _, err) = run(&["cast", "--to", "fp16"], "1\n2\n1.2.3\n");
    assert_eq!(rc, 2);
    assert!(err.contains("line 3"), "{err}");
    let (rc, _, err) = run(&["cast", "--to", "fp16", "--rounding", "fast"], "1\n");
    assert_eq!(rc, 2);
    assert!(err.contains("stochastic"), "{err}");
}

#[test]
fn formats_table_lists_everything() {
    let (rc, out, _) = run(&["formats"], "");
    assert_eq!(rc, 0);
    for name in [
        "fp32",
        "bf16",
        "fp8_e4m3",
        "float8_e4m3fn",
        "e8m0",
        "int4",
        "binary",
        "mxfp4_e2m1",
        "mxint8",
        "448",
        "57344",
    ] {
        assert!(out.contains(name), "missing {name}");
    }
}

#[test]
fn cli_matches_cast_vectors() {
    // The fp8_e5m2 vectors through the real binary (bit patterns in, codes out).
    let path = format!(
        "{}/tests/data/numerics/cast/cast_float8_e5m2.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = d["cases"].as_array().unwrap();
    let input: String = cases
        .iter()
        .map(|c| format!("0x{:08x}\n", c["x_bits"].as_u64().unwrap()))
        .collect();
    let (rc, out, _) = run(&["cast", "--to", "float8_e5m2"], &input);
    assert_eq!(rc, 0);
    let mut pass = 0;
    for (c, line) in cases.iter().zip(out.lines()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let code = v["code"].as_u64().unwrap();
        let ok = if c["y_is_nan"].as_bool().unwrap() {
            (code & 0x7f) > 0x7c
        } else {
            code == c["y_code"].as_u64().unwrap()
        };
        pass += ok as usize;
    }
    println!("cli cast_float8_e5m2: {pass}/{} exact", cases.len());
    assert_eq!(pass, cases.len());
}
