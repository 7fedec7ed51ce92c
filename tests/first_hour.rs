//! The first hour of a new user: the README's Quick tour runs line by line from the
//! repository and leaves `git status` unchanged; the figures the README quotes match fresh
//! runs; logs, `cast` output, the summary and the errors read as documented.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use accelsim::{arch::Arch, sim::Engine, workload::Workload};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The body of the first ```sh block after `heading`.
fn sh_block_after(text: &str, heading: &str) -> String {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has '{heading}'"));
    let rest = &text[at..];
    let start = rest.find("```sh\n").expect("a sh block") + 6;
    let end = rest[start..].find("```").expect("closed block");
    rest[start..start + end].to_string()
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_accelsim"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn git_status() -> Option<String> {
    let o = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(root())
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn accelsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run accelsim")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("accelsim_first_hour_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn readme_quick_tour_runs_verbatim_and_leaves_git_status_clean() {
    let block = sh_block_after(&readme(), "## Quick tour");
    let lines: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let tour: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("accelsim ") || l.contains("| accelsim "))
        .collect();
    assert!(
        tour.len() >= 15,
        "the tour has its accelsim lines: {lines:?}"
    );
    for l in &lines {
        assert!(
            l.starts_with("accelsim ") || l.contains("| accelsim ") || *l == "mkdir -p out",
            "a tour line that is not an accelsim command: {l}"
        );
        // Writes only under out/ (redirections and -o/--out/--outputs/--trace targets).
        for w in l.split_whitespace().collect::<Vec<_>>().windows(2) {
            if matches!(
                w[0],
                ">" | "-o" | "--out" | "--out-dir" | "--outputs" | "--trace"
            ) {
                assert!(w[1].starts_with("out/"), "'{l}' writes outside out/");
            }
        }
    }
    let before = git_status();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for l in &lines {
        let o = Command::new("sh")
            .args(["-c", l])
            .current_dir(root())
            .env("PATH", &path)
            .env_remove("RUST_LOG")
            .output()
            .expect("sh");
        assert!(
            o.status.success(),
            "README tour line failed: {l}\nstderr: {}",
            text(&o.stderr)
        );
    }
    // Spot checks of what the tour promises.
    assert!(root().join("out/imported/arch.json").exists());
    assert!(root().join("out/mlp2_outputs").read_dir().unwrap().count() >= 1);
    assert_eq!(git_status(), before, "the tour changed `git status`");
    println!(
        "README tour: {} lines ran, {} accelsim commands",
        lines.len(),
        tour.len()
    );
}

/// `{:.3e}` as the README writes it (`8.864e9`).
fn sci(v: f64) -> String {
    format!("{v:.3e}")
}

fn run_preset(arch: &str, workload: &str) -> (f64, f64) {
    let a = Arch::load(&root().join("arch_configs").join(arch)).unwrap();
    let w = Workload::load(&root().join("workloads").join(workload)).unwrap();
    let r = accelsim::run(&w, &a, Engine::default()).unwrap();
    (r.summary.latency_s * 1e6, r.summary.energy_pj)
}

#[test]
fn readme_sparsity_tables_match_fresh_runs() {
    let readme = readme();
    // One BERT-base encoder layer on tensor_core_edge.
    for p in ["fp16", "int8"] {
        for (s, label) in [("dense", "dense"), ("2x4", "2:4")] {
            let (us, pj) = run_preset(
                "tensor_core_edge.json",
                &format!("sparsity_study_{p}_{s}.json"),
            );
            let row = format!("| {p} | {label} | {us:.1} µs | {} |", sci(pj));
            assert!(readme.contains(&row), "README lacks the fresh row {row}");
        }
    }
    // GPU presets, and the savings the prose derives from them.
    for arch in ["h100_sxm", "a100_sxm"] {
        let mut saving = Vec::new();
        for p in ["fp16", "int8"] {
            let mut fig = Vec::new();
            for (s, label) in [("dense", "dense"), ("2x4", "2:4")] {
                let (us, pj) = run_preset(
                    &format!("{arch}.json"),
                    &format!("sparsity_study_{p}_{s}.json"),
                );
                let row = format!("| `{arch}` | {p} | {label} | {us:.1} µs | {} |", sci(pj));
                assert!(readme.contains(&row), "README lacks the fresh row {row}");
                fig.push((us, pj));
            }
            saving.push((
                100.0 * (1.0 - fig[1].0 / fig[0].0),
                100.0 * (1.0 - fig[1].1 / fig[0].1),
            ));
        }
        let energy = format!("{:.1} % / {:.1} % energy", saving[0].1, saving[1].1);
        assert!(readme.contains(&energy), "README lacks '{energy}' ({arch})");
        if arch == "a100_sxm" {
            let time = format!("{:.1} % / {:.1} % latency", saving[0].0, saving[1].0);
            assert!(readme.contains(&time), "README lacks '{time}' ({arch})");
        }
    }
}

#[test]
fn docs_sparsity_analytic_table_matches_fresh_runs() {
    let doc = std::fs::read_to_string(root().join("docs/sparsity.md")).unwrap();
    let run = |arch: &str, workload: &str| {
        let a = Arch::load(&root().join("arch_configs").join(arch)).unwrap();
        let w = Workload::load(&root().join("workloads").join(workload)).unwrap();
        accelsim::run(&w, &a, Engine::Analytic).unwrap().summary
    };
    for arch in ["tensor_core_edge", "edge_npu_32x32"] {
        for p in ["fp16", "int8"] {
            let dense = run(
                &format!("{arch}.json"),
                &format!("sparsity_study_{p}_dense.json"),
            );
            let sparse = run(
                &format!("{arch}.json"),
                &format!("sparsity_study_{p}_2x4.json"),
            );
            let row = |s: &accelsim::report::Summary, label: &str| {
                format!(
                    "| `{arch}` | {p} | {label} | {:.1} | {} | {} / {} | {:.2} |",
                    s.latency_s * 1e6,
                    sci(s.energy_pj),
                    s.compute_cycles,
                    s.stall_cycles,
                    s.dram_bytes / 1e6
                )
            };
            let rows = if arch == "edge_npu_32x32" {
                // No sparsity support: the 2:4 file costs exactly the dense figures.
                assert_eq!(row(&dense, "x"), row(&sparse, "x"));
                vec![row(&dense, "dense = 2:4")]
            } else {
                vec![row(&dense, "dense"), row(&sparse, "2:4")]
            };
            for r in rows {
                assert!(doc.contains(&r), "docs/sparsity.md lacks the fresh row {r}");
            }
        }
    }
}

#[test]
fn vv_prints_a_debug_line_per_compute_op_without_colour() {
    let o = accelsim(&[
        "run",
        "arch_configs/edge_npu_32x32.json",
        "workloads/tiny_cnn.json",
        "-vv",
    ]);
    assert!(o.status.success());
    let err = text(&o.stderr);
    let w = Workload::load(&root().join("workloads/tiny_cnn.json")).unwrap();
    let compute: Vec<&str> = w
        .ops
        .iter()
        .filter(|op| op.gemm.is_some())
        .map(|op| op.name.as_str())
        .collect();
    assert!(compute.len() >= 3, "tiny_cnn has compute ops");
    for name in compute {
        let needle = format!("op '{name}'");
        assert!(
            err.lines()
                .any(|l| l.contains("DEBUG") && l.contains(&needle) && l.contains("precision")),
            "no debug line for compute op {name}:\n{err}"
        );
    }
    assert!(
        err.contains("INFO") && err.contains("loaded workload"),
        "{err}"
    );
    // stderr is a pipe here: no ANSI escape sequences.
    assert!(!err.contains('\u{1b}'), "coloured log in a file:\n{err}");
    // Default: warnings only.
    let o = accelsim(&[
        "run",
        "arch_configs/edge_npu_32x32.json",
        "workloads/tiny_cnn.json",
    ]);
    assert!(!text(&o.stderr).contains("DEBUG") && !text(&o.stderr).contains("INFO"));
}

#[test]
fn each_written_file_is_announced_once_at_info() {
    let dir = tmp("announce");
    let csv = dir.join("layers.csv");
    let trace = dir.join("t.json");
    let o = accelsim(&[
        "run",
        "arch_configs/edge_npu_32x32.json",
        "workloads/tiny_cnn.json",
        "--csv",
        "-o",
        csv.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
        "-v",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    for f in [&csv, &trace] {
        let n = err
            .lines()
            .filter(|l| l.contains("INFO") && l.contains(&format!("wrote {}", f.display())))
            .count();
        assert_eq!(n, 1, "{} announced {n} times:\n{err}", f.display());
    }
    // --csv -o FILE writes the file and nothing to stdout.
    assert!(o.stdout.is_empty(), "stdout: {}", text(&o.stdout));
    let body = std::fs::read_to_string(&csv).unwrap();
    assert!(body.lines().count() == 9, "header + 8 layers:\n{body}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cast_shows_decimal_input_result_and_flags() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(["cast", "--to", "fp8_e4m3", "--saturate"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"0.3\n464\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = text(&o.stdout);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 0.3 → 0.3125 = 1.25·2^-2, the nearest e4m3 value (0.28125 and 0.3125 are neighbours);
    // 464 is beyond the largest finite e4m3 value 448 = 1.75·2^8.
    assert_eq!(lines[0]["input"], 0.3);
    assert_eq!(lines[0]["value"], 0.3125);
    assert_eq!(lines[0]["flags"], serde_json::json!(["rounded"]));
    assert_eq!(lines[1]["input"], 464.0);
    assert_eq!(lines[1]["value"], 448.0);
    assert_eq!(lines[1]["flags"], serde_json::json!(["saturated"]));
    assert!(out.contains("0.3125") && out.contains("448"));
}

#[test]
fn default_summary_is_compact_and_explains_its_columns() {
    let o = accelsim(&[
        "run",
        "arch_configs/edge_npu_32x32.json",
        "workloads/tiny_cnn.json",
    ]);
    let out = text(&o.stdout);
    // The summary table (up to its closing border) fits a 100-column terminal.
    let width = out
        .lines()
        .take_while(|l| !l.starts_with('╰'))
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(width <= 100, "summary is {width} columns wide:\n{out}");
    assert!(out.contains("legend:") && out.contains("overlap"), "{out}");
    assert!(out.contains("array %") && out.contains("vector %"));
    // ReLU runs on the vector unit: no MAC-array figure for it.
    let relu = out.lines().find(|l| l.contains("relu1")).unwrap();
    assert!(relu.contains(" - "), "{relu}");
    let o = accelsim(&[
        "run",
        "arch_configs/edge_npu_32x32.json",
        "workloads/tiny_cnn.json",
        "--details",
    ]);
    assert!(text(&o.stdout).contains("DRAM background"));
}

#[test]
fn swapped_arguments_are_named() {
    let o = accelsim(&[
        "run",
        "workloads/tiny_cnn.json",
        "arch_configs/edge_npu_32x32.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("swapped"), "{err}");
    assert!(
        err.contains("accelsim run arch_configs/edge_npu_32x32.json workloads/tiny_cnn.json"),
        "{err}"
    );
    let o = accelsim(&[
        "run",
        "tests/data/onnx/qdq_mlp2_small/model.onnx",
        "tests/data/func/arch_all_formats.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("swapped"));
}

#[test]
fn missing_file_names_the_path_without_a_json_path() {
    let o = accelsim(&["run", "no_such_arch.json", "workloads/tiny_cnn.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("no_such_arch.json: cannot read file"), "{err}");
    assert!(!err.contains("at $"), "{err}");
}

#[test]
fn failed_functional_run_leaves_no_output_files() {
    // The functional execution succeeds on an all-formats arch; costing the model on
    // eyeriss fails (it has no fp32 MACs), so no output may be written.
    let dir = tmp("failed_functional");
    let outputs = dir.join("outputs");
    let report = dir.join("report.json");
    let trace = dir.join("trace.json");
    let o = accelsim(&[
        "run",
        "arch_configs/eyeriss.json",
        "tests/data/onnx/fp32_matmul/model.onnx",
        "--functional",
        "--outputs",
        outputs.to_str().unwrap(),
        "--json",
        "-o",
        report.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!outputs.exists(), "outputs written by a failed run");
    assert!(!report.exists() && !trace.exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn onnx_import_description_is_plain_words() {
    let dir = tmp("describe");
    let out = dir.join("m.json");
    let o = accelsim(&[
        "import",
        "onnx",
        "tests/data/onnx/qdq_mlp2_small/model.onnx",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let d = v["description"].as_str().unwrap();
    assert!(d.contains("opsets ai.onnx 13"), "{d}");
    assert!(!d.contains("[(") && !d.contains("\\\""), "{d}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `accelsim run ... --functional --outputs DIR` under `ACCELSIM_ISA=isa`; the bytes of
/// every output file, by name.
fn functional_outputs(isa: &str, args: &[&str], dir: &Path) -> Vec<(String, Vec<u8>)> {
    let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .args(["--functional", "--outputs", dir.to_str().unwrap()])
        .current_dir(root())
        .env("ACCELSIM_ISA", isa)
        .output()
        .unwrap();
    assert!(o.status.success(), "{isa}: {}", text(&o.stderr));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn isa_cap_runs_the_avx2_and_portable_kernels_bit_identically() {
    let dir = tmp("isa");
    // An int8 GEMM with odd sizes (seeded random operands) through every kernel path.
    let wl = dir.join("mm.json");
    std::fs::write(
        &wl,
        r#"{"name": "mm", "inputs": [{"name": "a", "shape": [67, 259], "format": "int8"}],
            "weights": [{"name": "w", "shape": [259, 131], "format": "int8"}],
            "ops": [{"name": "mm", "op": "matmul", "inputs": ["a"], "weight": "w",
                     "output": "y", "precision": {"output": "int32"}}]}"#,
    )
    .unwrap();
    let arch = "tests/data/func/arch_all_formats.json";
    let case = "tests/data/onnx/matmulinteger_s8s8_percol_bzp";
    let want = std::fs::read(root().join(case).join("out.Y.npy")).unwrap();
    let mut random = Vec::new();
    for isa in ["native", "avx2", "portable"] {
        let out = dir.join(format!("mm_{isa}"));
        random.push(functional_outputs(
            isa,
            &["run", arch, wl.to_str().unwrap()],
            &out,
        ));
        // ONNX Runtime's output for MatMulInteger, under every cap.
        let out = dir.join(format!("onnx_{isa}"));
        let a = format!("A={case}/in.A.npy");
        let b = format!("B={case}/in.B.npy");
        let model = format!("{case}/model.onnx");
        let got = functional_outputs(
            isa,
            &["run", arch, &model, "--input", &a, "--input", &b],
            &out,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].1, want,
            "{isa}: MatMulInteger differs from ONNX Runtime"
        );
    }
    assert!(random[0][0].1.len() > 67 * 131 * 4);
    assert_eq!(random[0], random[1], "avx2 cap changed the int8 GEMM");
    assert_eq!(random[0], random[2], "portable cap changed the int8 GEMM");
    let _ = std::fs::remove_dir_all(&dir);
}
