//! The `validate` subcommand and the power fields of `run`, end to end through the binary.

use std::process::Command;

fn accelsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_h100_prints_the_comparison() {
    let (code, out, _) = accelsim(&["validate", "h100"]);
    assert_eq!(code, 0);
    assert!(out.contains("Median latency error per precision"));
    assert!(out.contains("| 16384 | fp8 |"));
    assert!(out.contains("The power cap per precision"));
    let (code, out, _) = accelsim(&["validate", "h100", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["validation"]["rows"].as_array().unwrap().len(), 42);
}

#[test]
fn validate_a100_mlp_json() {
    let (code, out, _) = accelsim(&["validate", "a100-mlp", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let formats: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["fp16", "int8", "int4"]);
}

#[test]
fn validate_a100_mlp_epilogue_and_launch() {
    let rows = |extra: &[&str]| -> Vec<(String, String, f64)> {
        let mut args = vec!["validate", "a100-mlp", "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = accelsim(&args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["format"].as_str().unwrap().to_string(),
                    r["output"].as_str().unwrap().to_string(),
                    r["latency_s"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let narrow = rows(&[]);
    let wide = rows(&["--epilogue", "accumulator"]);
    let outs: Vec<&str> = wide.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(outs, ["fp32", "int32", "int32"]);
    // 4-byte outputs move more bytes: every precision is slower than with its own format.
    for (n, w) in narrow.iter().zip(&wide) {
        assert!(w.2 > n.2, "{n:?} vs {w:?}");
    }
    let bf16 = rows(&["--epilogue", "bf16"]);
    assert!(bf16.iter().all(|r| r.1 == "bf16"));
    // The launch path barely matters for this compute-bound network: with the ReLUs fused
    // into the GEMMs' epilogues (docs/fusion.md) every kernel outlasts its host dispatch,
    // so eager launches cost no time at all; they never make it faster.
    let eager = rows(&["--launch", "eager"]);
    for (e, n) in eager.iter().zip(&narrow) {
        assert!(e.2 >= n.2, "{e:?} vs {n:?}");
    }
    let (code, _, err) = accelsim(&["validate", "a100-mlp", "--epilogue", "int3x"]);
    assert_eq!(code, 2);
    assert!(err.contains("accumulator"), "{err}");
}

#[test]
fn bad_inputs_exit_2_naming_the_file() {
    let (code, _, err) = accelsim(&["validate", "h100", "--arch", "no/such/arch.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/arch.json"), "{err}");
    let (code, _, err) = accelsim(&[
        "validate",
        "h100",
        "--calibration",
        "arch_configs/h100_sxm.json",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("arch_configs/h100_sxm.json"), "{err}");
    // The A100 has no fp8: a workload asking for it is bad input.
    let (code, _, err) = accelsim(&["validate", "h100", "--arch", "arch_configs/a100_sxm.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("fp8_e4m3"), "{err}");
}

#[test]
fn run_reports_clock_power_and_cap() {
    let (code, out, _) = accelsim(&["run", "arch_configs/h100_sxm.json", "workloads/mlp6.json"]);
    assert_eq!(code, 0);
    assert!(out.contains("power cap") && out.contains("capped"));
    assert!(out.contains("nominal 1.98 GHz"));
    let (code, out, _) = accelsim(&[
        "run",
        "arch_configs/h100_sxm.json",
        "workloads/mlp6.json",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["power"]["cap_state"], "capped");
    assert!(v["power"]["clock_ghz"].as_f64().unwrap() < 1.98);
    assert!(v["energy_sources"]["mac.int8xint32"]
        .as_str()
        .unwrap()
        .contains("stillmaker_baas2017"));
    assert!(
        v["power"]["static_power_w"]["array_leakage_w"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}
