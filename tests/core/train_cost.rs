//! `accelsim train` (cost of a training step) end to end: phases add up to the step, the
//! emitted graph is an ordinary workload `run` costs identically, the footprint's
//! components against hand counts, and bad input (exit code 2, clear message).

use std::path::PathBuf;
use std::process::Command;

use accelsim::workload::Workload;

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
    let d = std::env::temp_dir().join(format!("accelsim-train-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn phases_add_up_and_the_emitted_graph_runs_identically() {
    let graph = tmp("tiny_cnn_step.json");
    let g = graph.to_str().unwrap();
    let r = json(&accelsim(&[
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "bf16_mixed",
        "--json",
        "--emit-graph",
        g,
    ]));
    let phases = r["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fwd", "bwd", "grad", "update"]);
    let macs: u64 = phases.iter().map(|p| p["macs"].as_u64().unwrap()).sum();
    assert_eq!(macs, r["macs"].as_u64().unwrap());
    let layer_macs: u64 = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["phases"].as_array().unwrap())
        .map(|p| p["macs"].as_u64().unwrap())
        .sum();
    assert_eq!(layer_macs, macs);
    // tiny_cnn: FWD MACs as `run` reports them for the inference workload.
    let fwd = Workload::load(&root().join("workloads/tiny_cnn.json")).unwrap();
    assert_eq!(phases[0]["macs"].as_u64().unwrap(), fwd.total_macs());
    assert_eq!(phases[3]["macs"].as_u64().unwrap(), 0);
    // The emitted graph is an ordinary workload: `run` gives the same latency and energy.
    let run = json(&accelsim(&[
        "run",
        "arch_configs/h100_sxm.json",
        g,
        "--json",
    ]));
    assert_eq!(run["summary"]["latency_s"], r["latency_s"]);
    assert_eq!(run["summary"]["energy_pj"], r["energy_pj"]);
    assert_eq!(run["summary"]["macs"], r["macs"]);
}

#[test]
fn footprint_components_match_hand_counts() {
    // fp32 policy, SGD with momentum: gradients and the momentum buffer are each as big as
    // the weights; no master copy (the weights are already fp32).
    let r = json(&accelsim(&[
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "fp32",
        "--json",
    ]));
    let m = &r["memory"];
    let fwd = Workload::load(&root().join("workloads/tiny_cnn.json")).unwrap();
    let params: u64 = fwd
        .tensors
        .iter()
        .filter(|t| t.role == accelsim::workload::TensorRole::Weight)
        .map(|t| t.elements)
        .sum();
    assert_eq!(m["weights_bytes"].as_u64().unwrap(), 4 * params);
    assert_eq!(m["weight_gradients_bytes"].as_u64().unwrap(), 4 * params);
    assert_eq!(m["optimizer_state_bytes"].as_u64().unwrap(), 4 * params);
    assert_eq!(m["master_weights_bytes"].as_u64().unwrap(), 0);
    let peak = m["peak_bytes"].as_u64().unwrap();
    assert!(peak >= 3 * 4 * params, "{peak}");
    // bf16 with Adam: bf16 weights, fp32 master, two fp32 moments, bf16 gradients.
    let r = json(&accelsim(&[
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "bf16_mixed",
        "--json",
    ]));
    let m = &r["memory"];
    assert_eq!(m["weights_bytes"].as_u64().unwrap(), 2 * params);
    assert_eq!(m["master_weights_bytes"].as_u64().unwrap(), 4 * params);
    assert_eq!(m["optimizer_state_bytes"].as_u64().unwrap(), 8 * params);
    assert_eq!(m["weight_gradients_bytes"].as_u64().unwrap(), 2 * params);
}

/// `train` of tiny_cnn with an edited copy of the fp32 policy: exit code 2, the stderr.
fn bad_policy(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let path = tmp(file);
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("policies/fp32.json")).unwrap())
            .unwrap();
    edit(&mut v);
    std::fs::write(&path, v.to_string()).unwrap();
    let o = accelsim(&[
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_input_is_a_clear_error() {
    let o = accelsim(&[
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "fp7",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("unknown policy 'fp7'") && e.contains("fp8_hybrid"),
        "{e}"
    );
    let e = bad_policy("bad_policy.json", |v| {
        v["gemms"]["bwd"]["chunk"] = (-3).into()
    });
    assert!(
        e.contains("bad_policy.json") && e.contains("gemms.bwd.chunk"),
        "{e}"
    );
    // A per-layer entry naming no layer of the workload: the policy file and the entry.
    let e = bad_policy("bad_layers.json", |v| {
        v["layers"] = serde_json::json!({"conv9": {"errors": {"format": "bf16"}}})
    });
    assert!(
        e.contains("bad_layers.json")
            && e.contains("layers.conv9")
            && e.contains("selects no compute layer"),
        "{e}"
    );
    // tpu_v1 has no float MACs: a clear error unless --precision-fallback.
    let o = accelsim(&[
        "train",
        "arch_configs/tpu_v1.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "fp32",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("precision_fallback"));
}

fn accelsim_threads(args: &[&str], threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .current_dir(root())
        .output()
        .expect("runs accelsim")
}

#[test]
fn reports_and_functional_outputs_are_byte_identical_across_thread_counts() {
    let cost = [
        "train",
        "arch_configs/h100_sxm.json",
        "workloads/tiny_cnn.json",
        "--policy",
        "fp8_hybrid",
        "--json",
    ];
    let a = accelsim_threads(&cost, "1");
    let b = accelsim_threads(&cost, "2");
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    // Functional: hfp8 (stochastic rounding of the fp16 master weights), 3 steps, MSE.
    let mlp = tmp("mlp.json");
    std::fs::write(
        &mlp,
        r#"{"name": "m", "inputs": [{"name": "x", "shape": [4, 6], "format": "fp32"}],
        "ops": [{"name": "fc1", "op": "matmul", "inputs": ["x"], "output": "h", "out_features": 8},
                {"name": "r", "op": "relu", "inputs": ["h"], "output": "a"},
                {"name": "fc2", "op": "matmul", "inputs": ["a"], "output": "y", "out_features": 3}]}"#,
    )
    .unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let dir = tmp(&format!("func{threads}"));
        let o = accelsim_threads(
            &[
                "train",
                "arch_configs/h100_sxm.json",
                mlp.to_str().unwrap(),
                "--policy",
                "hfp8",
                "--loss",
                "mse",
                "--functional",
                "--steps",
                "3",
                "--seed",
                "9",
                "--outputs",
                dir.to_str().unwrap(),
            ],
            threads,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let files: Vec<Vec<u8>> = ["fc1.weight.npy", "fc2.weight.npy", "loss.jsonl"]
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect();
        outs.push(files);
    }
    assert_eq!(outs[0], outs[1]);
    let log = String::from_utf8(outs[0][2].clone()).unwrap();
    let steps: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, [1, 2, 3]);
}
