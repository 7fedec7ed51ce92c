//! Sharded runs merged give exactly the unsharded results; reruns, other thread counts
//! and resumed runs after a crash are byte-identical. Runs the `accelsim` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FILES: [&str; 4] = [
    "results.csv",
    "results.jsonl",
    "pareto.csv",
    "manifest.json",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sweep_shards")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.parent().unwrap()).unwrap();
    d
}

fn accelsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = accelsim(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "accelsim {args:?} failed: {err}");
    err
}

fn same_files(a: &Path, b: &Path) {
    for f in FILES {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SWEEPS: [&str; 3] = [
    "sweeps/mlp6_precision.json",
    "tests/data/sweep/cnn_small.json",
    "sweeps/sparsity_study_precision_sparsity.json",
];

#[test]
fn merged_shards_equal_the_unsharded_run() {
    for (k, sweep) in SWEEPS.iter().enumerate() {
        let whole = scratch(&format!("whole{k}"));
        ok(&["sweep", sweep, "--out", s(&whole)]);
        let n = 3;
        let mut dirs = Vec::new();
        for i in 0..n {
            let d = scratch(&format!("shard{k}_{i}"));
            ok(&[
                "sweep",
                sweep,
                "--out",
                s(&d),
                "--shard",
                &format!("{i}/{n}"),
            ]);
            dirs.push(d);
        }
        let merged = scratch(&format!("merged{k}"));
        let mut args = vec!["sweep", "merge", "--out", s(&merged)];
        // Order of the shard folders does not matter.
        args.extend(dirs.iter().rev().map(|d| s(d)));
        ok(&args);
        same_files(&whole, &merged);
        let lines = std::fs::read_to_string(whole.join("results.jsonl"))
            .unwrap()
            .lines()
            .count();
        println!("{sweep}: {n} shards merged = unsharded ({lines} rows)");

        // A missing shard is refused.
        let o = accelsim(&[
            "sweep",
            "merge",
            "--out",
            s(&scratch("bad")),
            s(&dirs[0]),
            s(&dirs[2]),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("missing shards: 1/3"));
    }
}

#[test]
fn reruns_and_thread_counts_are_byte_identical() {
    let sweep = SWEEPS[0];
    let a = scratch("rerun_a");
    let b = scratch("rerun_b");
    ok(&["sweep", sweep, "--out", s(&a)]);
    let first = std::fs::read(a.join("results.csv")).unwrap();
    ok(&["sweep", sweep, "--out", s(&a)]);
    assert_eq!(first, std::fs::read(a.join("results.csv")).unwrap());
    ok(&["sweep", sweep, "--out", s(&b), "--threads", "1"]);
    same_files(&a, &b);
}

#[test]
fn resume_after_a_crash_gives_the_same_files() {
    let sweep = SWEEPS[1];
    let whole = scratch("resume_ref");
    ok(&["sweep", sweep, "--out", s(&whole)]);
    // Simulate a crash: the manifest and the first 40 streamed rows, the 41st cut short.
    let crashed = scratch("resume_crashed");
    std::fs::create_dir_all(&crashed).unwrap();
    std::fs::copy(whole.join("manifest.json"), crashed.join("manifest.json")).unwrap();
    let text = std::fs::read_to_string(whole.join("results.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut partial: String = lines[..40].iter().rev().map(|l| format!("{l}\n")).collect();
    partial.push_str(&lines[40][..lines[40].len() / 2]);
    std::fs::write(crashed.join("results.partial.jsonl"), partial).unwrap();

    // Without --resume the unfinished run is not overwritten.
    let o = accelsim(&["sweep", sweep, "--out", s(&crashed)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));

    let err = ok(&["sweep", sweep, "--out", s(&crashed), "--resume"]);
    assert!(
        err.contains("resuming: 40 of 100 points already done"),
        "{err}"
    );
    same_files(&whole, &crashed);
    assert!(!crashed.join("results.partial.jsonl").exists());

    // Resuming a finished folder evaluates nothing and changes nothing.
    let err = ok(&["sweep", sweep, "--out", s(&crashed), "--resume"]);
    assert!(err.contains("0 points evaluated"), "{err}");
    same_files(&whole, &crashed);

    // Resuming another sweep's folder is refused.
    let o = accelsim(&["sweep", SWEEPS[0], "--out", s(&crashed), "--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not this one"));
}

#[test]
fn without_out_the_front_goes_to_stdout() {
    let o = accelsim(&["sweep", SWEEPS[0], "--pareto", "latency_s,energy_pj"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("id,fc1,fc2,fc3,fc4,fc5,fc6,status,latency_s"));
    assert!(text.lines().count() > 1);
}
