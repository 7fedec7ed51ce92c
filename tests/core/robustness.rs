//! Regression tests for the fuzz reproducers (tests/data/fuzz, issue #16): every one ends
//! with exit 0 or 2 within 20 s under an 8 GiB address-space limit, never a panic (101) or
//! an abort (134), and the refusals name what was wrong and how to raise a limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fuzz(name: &str) -> String {
    root()
        .join("tests/data/fuzz")
        .join(name)
        .display()
        .to_string()
}

fn path(rel: &str) -> String {
    root().join(rel).display().to_string()
}

fn scratch(case: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("accelsim_robustness_{}_{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Exit code, stdout and stderr of `accelsim ARGS` run under an 8 GiB address-space limit
/// (`ulimit -v`) and killed after 20 s; panics (101), aborts and timeouts fail the test.
fn accelsim(args: &[&str]) -> (i32, String, String) {
    accelsim_stdin(args, None)
}

fn accelsim_stdin(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut script = String::from("ulimit -v 8388608; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut s = child.stdin.take().unwrap();
        s.write_all(bytes).unwrap();
    }
    let out_reader = {
        let mut o = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut o, &mut v).unwrap();
            v
        })
    };
    let err_reader = {
        let mut e = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            v
        })
    };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("accelsim {args:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = String::from_utf8_lossy(&out_reader.join().unwrap()).to_string();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap()).to_string();
    let code = status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "accelsim {args:?} exited {code} ({status}): {err}"
    );
    assert!(
        !err.contains("panicked"),
        "accelsim {args:?} panicked: {err}"
    );
    (code, out, err)
}

fn expect_refusal(args: &[&str], wants: &[&str]) {
    let (code, _, err) = accelsim(args);
    assert_eq!(code, 2, "accelsim {args:?}: {err}");
    for w in wants {
        assert!(err.contains(w), "expected '{w}' in: {err}");
    }
}

/// A copy of a fuzz sweep file with its `arch` and `workload` made absolute.
fn sweep_copy(name: &str, dir: &Path) -> String {
    let text = std::fs::read_to_string(fuzz(name)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["arch", "workload"] {
        let rel = v[key].as_str().unwrap().to_string();
        v[key] = serde_json::Value::String(path(&rel));
    }
    let out = dir.join(name);
    std::fs::write(&out, serde_json::to_string(&v).unwrap()).unwrap();
    out.display().to_string()
}

#[test]
fn gelu_at_zero_completes_with_the_exact_value() {
    let dir = scratch("gelu");
    let outs = dir.display().to_string();
    let (code, _, err) = accelsim(&[
        "run",
        &path("tests/data/func/arch_all_formats.json"),
        &fuzz("hang_gelu_zero.workload.json"),
        "--functional",
        "--input",
        &format!("x={}", fuzz("zero_1x1_f32.npy")),
        "--outputs",
        &outs,
    ]);
    assert_eq!(code, 0, "{err}");
    let y = accelsim::tensor::read_npy(dir.join("y.npy")).unwrap();
    // gelu(0) = 0 * Phi(0) = +0 exactly (ONNX Runtime gives +0 too).
    let bits: Vec<u32> = y
        .values::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(bits, vec![0u32]);
}

#[test]
fn shipped_gelu_workloads_complete_functionally() {
    // Seeded random int8 inputs reach gelu(0); both once never finished.
    for wl in [
        "workloads/bert_base_encoder.json",
        "workloads/sparsity_study_int8_2x4.json",
    ] {
        let (code, _, err) = accelsim(&[
            "run",
            &path("arch_configs/edge_npu_32x32.json"),
            &path(wl),
            "--functional",
        ]);
        assert_eq!(code, 0, "{wl}: {err}");
    }
}

#[test]
fn onnx_erf_at_zero_completes() {
    let dir = scratch("erf");
    let (code, _, err) = accelsim(&[
        "run",
        &path("tests/data/func/arch_all_formats.json"),
        &fuzz("hang_erf_zero.onnx"),
        "--functional",
        "--outputs",
        &dir.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn out_of_range_arch_numbers_are_located_errors() {
    let wl = path("workloads/tiny_cnn.json");
    for (file, field) in [
        ("panic_event_clock_1e300.arch.json", "clock_ghz"),
        ("abort_cores_u32max.arch.json", "cores"),
        ("slow_cores_1e8.arch.json", "cores"),
        (
            "wrong_tiny_mac_rate.arch.json",
            "precisions[0].macs_per_pe_per_cycle",
        ),
        ("nonfinite_static_power.arch.json", "static_power_w"),
    ] {
        for engine in ["event", "analytic"] {
            expect_refusal(
                &["run", &fuzz(file), &wl, "--engine", engine],
                &[file, field, "expected a value in"],
            );
        }
    }
}

#[test]
fn gemm_dimensions_that_overflow_are_refused_not_saturated() {
    let arch = path("arch_configs/edge_npu_32x32.json");
    let wl = fuzz("panic_functional_gemm_2e31.workload.json");
    expect_refusal(&["run", &arch, &wl], &["ops[0]", "overflows 2^64"]);
    expect_refusal(
        &["run", &arch, &wl, "--functional"],
        &["ops[0]", "overflows 2^64"],
    );
}

#[test]
fn functional_tensor_limit_refuses_before_allocating_and_names_the_flag() {
    let arch = path("arch_configs/edge_npu_32x32.json");
    let wl = fuzz("abort_functional_gemm_64k.workload.json");
    expect_refusal(
        &["run", &arch, &wl, "--functional"],
        &["tensor 'x'", "16.000 GiB", "4.000 GiB", "--max-tensor-gib"],
    );
    // Raising the per-tensor limit meets the total limit next.
    expect_refusal(
        &["run", &arch, &wl, "--functional", "--max-tensor-gib", "64"],
        &["--max-functional-gib"],
    );
    expect_refusal(
        &["run", &arch, &wl, "--functional", "--max-tensor-gib=-1"],
        &["--max-tensor-gib"],
    );
    // Costing alone is fine: 2^48 MACs, finite figures.
    let (code, out, err) = accelsim(&["run", &arch, &wl, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["macs"].as_u64(), Some(1u64 << 48));
    assert!(v["summary"]["energy_pj"].as_f64().unwrap().is_finite());
}

#[test]
fn huge_sweeps_count_in_a_dry_run_and_refuse_to_run() {
    let dir = scratch("huge_sweeps");
    for (file, points) in [
        ("panic_sweep_3e18_points.sweep.json", None),
        (
            "abort_sweep_1e13_points.sweep.json",
            Some("100000000000000 points"),
        ),
        (
            "slow_sweep_1e9_dryrun.sweep.json",
            Some("1000000000 points"),
        ),
    ] {
        let spec = sweep_copy(file, &dir);
        let (code, out, err) = accelsim(&["sweep", &spec, "--dry-run"]);
        assert_eq!(code, 0, "{file}: {err}");
        assert!(out.contains("--max-points"), "{file}: {out}");
        if let Some(p) = points {
            assert!(out.contains(p), "{file}: {out}");
        }
        expect_refusal(
            &[
                "sweep",
                &spec,
                "--out",
                &dir.join("o").display().to_string(),
            ],
            &["over the limit of 1000000 points", "--max-points", "sample"],
        );
    }
}

#[test]
fn a_space_beyond_64_bit_ids_does_not_suggest_sample_when_sampling() {
    let dir = scratch("msg");
    let spec = sweep_copy("msg_2pow64_with_sample.sweep.json", &dir);
    let (code, _, err) = accelsim(&["sweep", &spec, "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("2^64") && !err.contains("use \"sample\""),
        "{err}"
    );
}

#[test]
fn thread_count_is_bounded() {
    let spec = path("tests/data/sweep/cnn_small.json");
    expect_refusal(
        &["sweep", &spec, "--threads", "100000"],
        &["--threads 100000", "1024"],
    );
    expect_refusal(&["sweep", &spec, "--threads", "0"], &["--threads 0"]);
}

/// Runs the small sweep into `dir/ref` and returns the folder.
fn reference_sweep(dir: &Path) -> PathBuf {
    let out = dir.join("ref");
    let (code, _, err) = accelsim(&[
        "sweep",
        &path("tests/data/sweep/cnn_small.json"),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

/// A resume folder whose partial file holds the reference's first rows with `edit` applied
/// to the row on line 4.
fn resume_with(dir: &Path, case: &str, reference: &Path, edit: &RowEdit) -> i32 {
    let r = dir.join(case);
    std::fs::create_dir_all(&r).unwrap();
    std::fs::copy(reference.join("manifest.json"), r.join("manifest.json")).unwrap();
    let rows = std::fs::read_to_string(reference.join("results.jsonl")).unwrap();
    let mut partial = Vec::new();
    for (i, line) in rows.lines().take(10).enumerate() {
        if i == 3 {
            partial.extend(edit(line));
        } else {
            partial.extend(line.as_bytes());
        }
        partial.push(b'\n');
    }
    std::fs::write(r.join("results.partial.jsonl"), partial).unwrap();
    let (code, _, err) = accelsim(&[
        "sweep",
        &path("tests/data/sweep/cnn_small.json"),
        "--out",
        &r.display().to_string(),
        "--resume",
    ]);
    if code == 2 {
        assert!(
            err.contains("results.partial.jsonl") && err.contains("line 4"),
            "{case}: {err}"
        );
        assert!(!r.join("results.csv").exists(), "{case}: wrote results");
    }
    code
}

/// An edit of one results row (JSON text in, bytes out).
type RowEdit = dyn Fn(&str) -> Vec<u8>;

/// The JSON row `line` with `key` set to `value` (column order kept).
fn with_field(line: &str, key: &str, value: serde_json::Value) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v[key] = value;
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn resume_refuses_rows_that_are_not_this_sweeps() {
    let dir = scratch("resume");
    let reference = reference_sweep(&dir);
    let ok = resume_with(&dir, "untouched", &reference, &|l| l.as_bytes().to_vec());
    assert_eq!(ok, 0, "an untouched partial file resumes");
    let cases: [(&str, &RowEdit); 5] = [
        ("id", &|l| with_field(l, "id", serde_json::json!(99999))),
        ("status", &|l| {
            with_field(l, "status", serde_json::json!("bogus"))
        }),
        ("params", &|l| {
            // Another point's parameters under this id.
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let mut v = v.as_object().unwrap().clone();
            let key = v.keys().nth(1).unwrap().clone();
            v.insert(key, serde_json::json!("not-a-value"));
            serde_json::to_vec(&v).unwrap()
        }),
        ("metric", &|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let mut v = v.as_object().unwrap().clone();
            v.insert("latency_s".into(), serde_json::json!("fast"));
            serde_json::to_vec(&v).unwrap()
        }),
        ("utf8", &|l| {
            let mut b = l.as_bytes().to_vec();
            b[2] = 0xff;
            b
        }),
    ];
    for (case, edit) in cases {
        assert_eq!(resume_with(&dir, case, &reference, edit), 2, "{case}");
    }
}

#[test]
fn resume_removes_stale_temporary_files() {
    let dir = scratch("stale");
    let reference = reference_sweep(&dir);
    let stale = [".results.csv.tmp4194305", ".trace.json.tmp-4194305-0"];
    for s in stale {
        std::fs::write(reference.join(s), b"left by a killed run").unwrap();
    }
    let (code, _, err) = accelsim(&[
        "sweep",
        &path("tests/data/sweep/cnn_small.json"),
        "--out",
        &reference.display().to_string(),
        "--resume",
    ]);
    assert_eq!(code, 0, "{err}");
    for s in stale {
        assert!(!reference.join(s).exists(), "{s} still there");
    }
}

#[test]
fn merge_refuses_an_output_folder_that_is_an_input() {
    let dir = scratch("merge");
    let spec = path("tests/data/sweep/cnn_small.json");
    let shards: Vec<String> = (0..3)
        .map(|k| {
            let d = dir.join(format!("s{k}"));
            let (code, _, err) = accelsim(&[
                "sweep",
                &spec,
                "--shard",
                &format!("{k}/3"),
                "--out",
                &d.display().to_string(),
            ]);
            assert_eq!(code, 0, "{err}");
            d.display().to_string()
        })
        .collect();
    let before = std::fs::read(dir.join("s0/results.jsonl")).unwrap();
    let mut args = vec!["sweep", "merge", "--out", shards[0].as_str()];
    args.extend(shards.iter().map(String::as_str));
    expect_refusal(&args, &["also an input shard folder"]);
    assert_eq!(std::fs::read(dir.join("s0/results.jsonl")).unwrap(), before);
    let all = dir.join("all").display().to_string();
    let mut args = vec!["sweep", "merge", "--out", all.as_str()];
    args.extend(shards.iter().map(String::as_str));
    let (code, _, err) = accelsim(&args);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn cast_refuses_non_utf8_with_the_line() {
    let (code, _, err) = accelsim_stdin(&["cast", "--to", "int8"], Some(b"1.0\n\xff\xfe\n"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
}
