//! `accelsim prune` end to end, the bundled presets' sparsity blocks, the example study,
//! and bad sparsity input (clear errors with the JSON path, exit code 2).

use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::arch::Arch;
use accelsim::sim::Engine;
use accelsim::workload::{Workload, WorkloadSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn accelsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs accelsim")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("accelsim-sparsity-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn spec(path: &Path) -> WorkloadSpec {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn prune_reproduces_the_study_files() {
    for prec in ["fp16", "int8"] {
        let out = tmp(&format!("{prec}_2x4.json"));
        let o = accelsim(&[
            "prune",
            &format!("workloads/sparsity_study_{prec}_dense.json"),
            "--pattern",
            "2:4",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let pruned = spec(&out);
        let expected = spec(&root().join(format!("workloads/sparsity_study_{prec}_2x4.json")));
        assert_eq!(pruned.ops, expected.ops);
        assert_eq!(pruned.inputs, expected.inputs);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(stderr.matches("pruned '").count(), 6, "{stderr}");
    }
}

#[test]
fn prune_annotates_conv_weights_by_channel_groups() {
    // tiny_cnn: conv1 has 3 input channels and the depthwise conv 1 per group, fewer than a
    // group of 4: left dense; the FC weight [1152 → 10] is 2:4.
    let o = accelsim(&["prune", "workloads/tiny_cnn.json", "--pattern", "2:4"]);
    assert!(o.status.success());
    let s: WorkloadSpec = serde_json::from_slice(&o.stdout).unwrap();
    let w = Workload::from_spec(s).unwrap();
    let fc = w.tensor_by_name("fc.weight").unwrap();
    let sp = w.tensors[fc].sparsity.unwrap();
    assert_eq!(
        (sp.density, sp.pattern.map(|p| p.to_string())),
        (0.5, Some("2:4".into()))
    );
    assert!(w.tensors[w.tensor_by_name("conv1.weight").unwrap()]
        .sparsity
        .is_none());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("left 'dw.weight' dense"), "{stderr}");

    // --density annotates every weight; --exclude leaves one dense; --name renames.
    let o = accelsim(&[
        "prune",
        "workloads/tiny_cnn.json",
        "--density",
        "0.3",
        "--exclude",
        "fc",
        "--name",
        "tiny_30",
    ]);
    assert!(o.status.success());
    let w = Workload::from_spec(serde_json::from_slice(&o.stdout).unwrap()).unwrap();
    assert_eq!(w.name, "tiny_30");
    let d = |n: &str| {
        w.tensors[w.tensor_by_name(n).unwrap()]
            .sparsity
            .map(|s| s.density)
    };
    assert_eq!(
        (d("conv1.weight"), d("dw.weight"), d("fc.weight")),
        (Some(0.3), Some(0.3), None)
    );
}

#[test]
fn prune_rejects_bad_input_with_exit_code_2() {
    for (args, needle) in [
        (vec!["--density", "1.5"], "in [0, 1]"),
        (vec!["--pattern", "4:2"], "1 ≤ N < M"),
        (
            vec!["--pattern", "2:4", "--exclude", "nope"],
            "names no op: 'nope'",
        ),
        (vec![], "--pattern"),
    ] {
        let mut a = vec!["prune", "workloads/tiny_cnn.json"];
        a.extend(args.iter().copied());
        let o = accelsim(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{a:?}: {err}");
    }
    // Weights with values need the .npy reader: an error naming the file and JSON path.
    let f = tmp("with_file.json");
    std::fs::write(
        &f,
        r#"{"name": "f", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8"}],
            "weights": [{"name": "w", "shape": [8, 4], "format": "int8", "file": "w.npy"}],
            "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "weight": "w"}]}"#,
    )
    .unwrap();
    let o = accelsim(&["prune", f.to_str().unwrap(), "--pattern", "2:4"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("weights[0].file") && err.contains("w.npy"),
        "{err}"
    );
}

#[test]
fn presets_declare_their_sparsity_support() {
    let tc = Arch::load(&root().join("arch_configs/tensor_core_edge.json")).unwrap();
    let st = tc
        .sparsity
        .as_ref()
        .and_then(|s| s.structured.as_ref())
        .expect("tensor_core_edge declares structured sparsity");
    assert_eq!(
        (st.patterns[0].n, st.patterns[0].m, st.patterns[0].speedup()),
        (2, 4, 2.0)
    );
    for p in ["edge_npu_32x32", "scalesim_32x32", "tpu_v1"] {
        let a = Arch::load(&root().join(format!("arch_configs/{p}.json"))).unwrap();
        assert!(a.sparsity.is_none(), "{p} declares no sparsity support");
    }
    // Eyeriss gates MACs on zero activations and run-length codes them in DRAM.
    let ey = Arch::load(&root().join("arch_configs/eyeriss.json")).unwrap();
    let s = ey
        .sparsity
        .as_ref()
        .expect("eyeriss declares its sparsity support");
    assert!(s.structured.is_none() && s.zero_skipping.is_none());
    assert!(s.zero_gating.is_some() && s.compression.is_some());
}

fn run(arch: &Arch, workload: &str) -> accelsim::report::Report {
    let w = Workload::load(&root().join("workloads").join(workload)).unwrap();
    accelsim::run(&w, arch, Engine::Analytic).unwrap()
}

#[test]
fn study_two_four_pays_only_where_supported() {
    let tc = Arch::load(&root().join("arch_configs/tensor_core_edge.json")).unwrap();
    let mut tc_dense = tc.clone();
    tc_dense.sparsity = None;
    let npu = Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap();
    for prec in ["fp16", "int8"] {
        let dense = format!("sparsity_study_{prec}_dense.json");
        let sparse = format!("sparsity_study_{prec}_2x4.json");
        // With 2:4 support every weight GEMM's block issue halves: with a 16-cycle
        // pipeline latency, sparse − 16 = (dense − 16) / 2.
        let (rd, rs) = (run(&tc, &dense), run(&tc, &sparse));
        let mut halved = 0;
        for (ld, ls) in rd.layers.iter().zip(&rs.layers) {
            if ls.sparsity.is_some() {
                assert_eq!(
                    ls.compute_cycles - 16,
                    (ld.compute_cycles - 16) / 2,
                    "{}",
                    ld.name
                );
                halved += 1;
            } else {
                assert_eq!(ls.compute_cycles, ld.compute_cycles, "{}", ld.name);
            }
        }
        assert_eq!(halved, 6);
        assert!(rs.summary.cycles < rd.summary.cycles);
        assert!(rs.summary.energy_pj < rd.summary.energy_pj);
        // No support (the same design without its block, and a bundled preset without
        // one): sparse data gains nothing.
        for a in [&tc_dense, &npu] {
            let (d, s) = (run(a, &dense).summary, run(a, &sparse).summary);
            assert_eq!(s.cycles, d.cycles, "{} {prec}", a.name);
            assert_eq!(
                s.energy_pj.to_bits(),
                d.energy_pj.to_bits(),
                "{} {prec}",
                a.name
            );
            assert_eq!(
                s.dram_bytes.to_bits(),
                d.dram_bytes.to_bits(),
                "{} {prec}",
                a.name
            );
            let sp = s.sparsity.expect("density seen is still reported");
            assert_eq!((sp.sparse_ops, sp.exploited_ops), (6, 0));
        }
    }
}

#[test]
fn bad_sparsity_input_names_the_json_path() {
    let arch = |sparsity: &str| {
        let mut a: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("arch_configs/tensor_core_edge.json")).unwrap(),
        )
        .unwrap();
        a["sparsity"] = serde_json::from_str(sparsity).unwrap();
        Arch::from_json(&a.to_string())
    };
    for (s, path, needle) in [
        (
            r#"{"structured": {"patterns": [{"n": 2, "m": 4, "speedup": 3}]}}"#,
            "sparsity.structured.patterns[0].speedup",
            "[1, m/n = 2]",
        ),
        (
            r#"{"structured": {"patterns": [{"n": 4, "m": 4}]}}"#,
            "sparsity.structured.patterns[0]",
            "1 ≤ n < m",
        ),
        (
            r#"{"structured": {"patterns": [{"n": 2, "m": 4}], "formats": ["int4"]}}"#,
            "sparsity.structured.formats[0]",
            "not one of the array's precisions",
        ),
        (
            r#"{"zero_gating": {"operands": ["weights"]}, "zero_skipping": {"operands": ["weights"]}}"#,
            "sparsity.zero_skipping.operands",
            "both zero_gating and zero_skipping",
        ),
        (
            r#"{"zero_skipping": {"operands": ["activations"], "skip_efficiency": 1.5}}"#,
            "sparsity.zero_skipping.skip_efficiency",
            "[0, 1]",
        ),
        (
            r#"{"compression": {"operands": []}}"#,
            "sparsity.compression.operands",
            "at least one",
        ),
        (
            r#"{"compression": {"operands": ["weights"]}}"#,
            "sparsity.compression",
            "\"dram\" and/or \"sram\"",
        ),
        (
            r#"{"zero_gating": {"operands": ["weights", "weights"]}}"#,
            "sparsity.zero_gating.operands[1]",
            "listed twice",
        ),
        (
            r#"{"zero_gating": {"operands": ["biases"]}}"#,
            "sparsity.zero_gating.operands[0]",
            "unknown variant",
        ),
        (
            r#"{"structured": {"patterns": [{"n": 2, "m": 4}]}, "typo": 1}"#,
            "sparsity",
            "unknown field",
        ),
    ] {
        let e = arch(s).expect_err(s);
        assert!(e.json_path.starts_with(path), "{s}: path {}", e.json_path);
        assert!(e.message.contains(needle), "{s}: {}", e.message);
    }

    let wl = |text: &str| Workload::from_json(text).expect_err(text);
    let e = wl(
        r#"{"name": "w", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8", "sparsity": 1.5}],
                  "ops": [{"name": "r", "op": "relu", "inputs": ["x"], "output": "y"}]}"#,
    );
    assert_eq!(e.json_path, "inputs[0].sparsity");
    assert!(e.message.contains("[0, 1]"));
    let e = wl(
        r#"{"name": "w", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8", "sparsity": "2:2"}],
                  "ops": [{"name": "r", "op": "relu", "inputs": ["x"], "output": "y"}]}"#,
    );
    assert_eq!(e.json_path, "inputs[0].sparsity");
    let e = wl(
        r#"{"name": "w", "inputs": [{"name": "a", "shape": [4, 8], "format": "int8"},
                                           {"name": "b", "shape": [8, 4], "format": "int8"}],
                  "ops": [{"name": "mm", "op": "matmul", "inputs": ["a", "b"], "output": "y",
                           "sparsity": {"weights": "2:4"}}]}"#,
    );
    assert_eq!(e.json_path, "ops[0].sparsity.weights");
    assert!(e.message.contains("no weight tensor"));
    let e = wl(
        r#"{"name": "w", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8"}],
                  "weights": [{"name": "k", "shape": [8, 4], "format": "int8", "sparsity": 0.5}],
                  "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "weight": "k",
                           "sparsity": {"weights": "2:4"}}]}"#,
    );
    assert_eq!(e.json_path, "ops[0].sparsity.weights");
    assert!(e.message.contains("one place"));
    let e = wl(
        r#"{"name": "w", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8",
                                            "sparsity": {"pattern": "2:4", "densty": 0.5}}],
                  "ops": [{"name": "r", "op": "relu", "inputs": ["x"], "output": "y"}]}"#,
    );
    assert!(
        e.json_path.starts_with("inputs[0].sparsity"),
        "{}",
        e.json_path
    );
    assert!(e.message.contains("unknown field"), "{}", e.message);
    // Through the CLI: exit code 2, file and path named.
    let f = tmp("bad_density.json");
    std::fs::write(
        &f,
        r#"{"name": "w", "inputs": [{"name": "x", "shape": [4, 8], "format": "int8", "sparsity": -0.1}],
            "ops": [{"name": "r", "op": "relu", "inputs": ["x"], "output": "y"}]}"#,
    )
    .unwrap();
    let o = accelsim(&[
        "run",
        "arch_configs/tensor_core_edge.json",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad_density.json") && err.contains("inputs[0].sparsity"),
        "{err}"
    );
}

/// The JSON blocks of docs/sparsity.md: workload fragment, arch block, H100/A100 block.
fn doc_json_blocks() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("docs/sparsity.md")).unwrap();
    text.split("```json\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

#[test]
fn docs_examples_are_valid() {
    let blocks = doc_json_blocks();
    assert_eq!(
        blocks.len(),
        3,
        "workload fragment, arch block, preset block"
    );
    // The workload fragment, wrapped into a file, loads with the annotated sparsity.
    let w = Workload::from_json(&format!("{{\"name\": \"doc\", {} }}", blocks[0]))
        .expect("docs workload example is valid");
    let d = |n: &str| {
        w.tensors[w.tensor_by_name(n).unwrap()]
            .sparsity
            .unwrap()
            .density
    };
    assert_eq!(
        (d("x"), d("w"), d("proj.weight"), d("a")),
        (0.4, 0.5, 0.5, 0.35)
    );
    // The arch blocks validate on a design with the formats they name.
    let mut base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("arch_configs/tensor_core_edge.json")).unwrap(),
    )
    .unwrap();
    base["precisions"] = serde_json::json!([
        { "format": "fp16", "macs_per_pe_per_cycle": 1 },
        { "format": "bf16", "macs_per_pe_per_cycle": 1 },
        { "format": "int8", "macs_per_pe_per_cycle": 2 },
        { "format": "fp8_e4m3", "macs_per_pe_per_cycle": 2 },
        { "format": "fp8_e5m2", "macs_per_pe_per_cycle": 2 },
        { "format": "fp_e8m10", "macs_per_pe_per_cycle": 0.5 }
    ]);
    // The preset block shown is the H100 preset's.
    let h100 = Arch::load(&root().join("arch_configs/h100_sxm.json")).unwrap();
    let shown: serde_json::Value = serde_json::from_str(&format!("{{ {} }}", blocks[2])).unwrap();
    let shown: accelsim::arch::sparsity::SparsitySupport =
        serde_json::from_value(shown["sparsity"].clone()).unwrap();
    assert_eq!(Some(&shown), h100.sparsity.as_ref());
    for b in &blocks[1..] {
        let v: serde_json::Value = serde_json::from_str(&format!("{{ {b} }}")).unwrap();
        base["sparsity"] = v["sparsity"].clone();
        let a = Arch::from_json(&base.to_string()).expect("docs arch block is valid");
        let r = accelsim::run(&w, &a, Engine::Analytic).expect("runs");
        assert!(r.summary.sparsity.is_some());
    }
}
