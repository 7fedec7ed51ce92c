//! The training-policy axis (issue #18, item 3): every point of the shipped MLP sweep
//! (sweeps/mlp3_train_policy.json, 3 policies × 2 batches) costs one training step, so its
//! latency, energy and DRAM bytes equal what `accelsim train --json` reports for that
//! policy and batch; bad policy axes are refused with the JSON path.

use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::dse::{Metric, Shard, Status, Sweep};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `accelsim train --json` on the sweep's arch and a copy of its workload at `batch`.
fn train_cli(policy: &str, batch: u64) -> Value {
    let mut w: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("workloads/mlp3_train.json")).unwrap(),
    )
    .unwrap();
    w["inputs"][0]["shape"][0] = json!(batch);
    let dir = std::env::temp_dir().join(format!("accelsim-train-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("mlp3_b{batch}.json"));
    std::fs::write(&path, w.to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args(["train", "arch_configs/h100_sxm.json"])
        .arg(&path)
        .args(["--policy", policy, "--json"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn each_point_is_the_training_step_of_its_policy() {
    let sweep = Sweep::load(&root().join("sweeps/mlp3_train_policy.json")).unwrap();
    assert_eq!(sweep.param_columns(), ["policy", "batch"]);
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut res = out.into_inner().unwrap();
    res.sort_by_key(|r| r.id);
    assert_eq!(res.len(), 6);
    let mut latencies = Vec::new();
    for r in &res {
        assert_eq!(r.status, Status::Ok, "{:?}", r.error);
        let policy = r.params[0].as_str().unwrap();
        let batch = r.params[1].as_u64().unwrap();
        let t = train_cli(policy, batch);
        assert_eq!(t["policy"], json!(policy));
        let m = |k: Metric| r.metrics[k.index()];
        assert_eq!(
            m(Metric::LatencyS),
            t["latency_s"].as_f64().unwrap(),
            "{policy} b{batch}"
        );
        assert_eq!(
            m(Metric::EnergyPj),
            t["energy_pj"].as_f64().unwrap(),
            "{policy} b{batch}"
        );
        let dram = t["dram_bytes"].as_f64().unwrap();
        assert!(
            (m(Metric::DramBytes) - dram).abs() <= 1e-9 * dram,
            "{policy} b{batch}"
        );
        // Per sample: the step over the batch it trains on.
        let per = m(Metric::LatencyS) / batch as f64;
        assert!(
            (m(Metric::LatencyPerSampleS) - per).abs() <= 1e-12 * per,
            "{policy} b{batch}"
        );
        latencies.push(m(Metric::LatencyS));
    }
    // The policies really differ: fp32, bf16 and fp8 steps do not cost the same.
    assert!(latencies[0] != latencies[2] && latencies[2] != latencies[4]);
}

fn error_of(axis: Value) -> String {
    let spec = json!({
        "name": "t",
        "arch": "arch_configs/h100_sxm.json",
        "workload": "workloads/mlp3_train.json",
        "axes": [ axis ]
    });
    match Sweep::from_json(&spec.to_string(), &root()) {
        Ok(_) => panic!("expected an error for {spec}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_policy_axes_are_refused() {
    let e = error_of(json!({ "kind": "policy", "values": ["fp33"] }));
    assert!(
        e.contains("axes[0].values[0]") && e.contains("unknown policy 'fp33'"),
        "{e}"
    );
    let e = error_of(json!({ "kind": "policy", "values": ["missing.json"] }));
    assert!(
        e.contains("axes[0].values[0]") && e.contains("missing.json"),
        "{e}"
    );
    let e = error_of(json!({ "kind": "policy", "values": ["fp32"], "los": "mse" }));
    assert!(e.contains("los"), "{e}");
    let e = error_of(json!({ "kind": "policy", "values": ["fp32"], "output": "nope" }));
    assert!(e.contains("axes[0].values[0]") && e.contains("nope"), "{e}");
    let spec = json!({
        "name": "t",
        "arch": "arch_configs/h100_sxm.json",
        "workload": "workloads/mlp3_train.json",
        "axes": [ { "kind": "policy", "values": ["fp32"] },
                  { "kind": "policy", "name": "p2", "values": ["bf16_mixed"] } ]
    });
    let e = Sweep::from_json(&spec.to_string(), &root())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("axes[1]") && e.contains("only one policy axis"),
        "{e}"
    );
}

/// `accelsim train --json` on the sweep's arch and workload with bf16_mixed plus
/// `layers` (written to a policy file, as a user reproduces a point).
fn train_with_layers(layers: Value) -> Value {
    let mut p: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("policies/bf16_mixed.json")).unwrap(),
    )
    .unwrap();
    p["layers"] = layers;
    let dir = std::env::temp_dir().join(format!("accelsim-train-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("p{}.json", fnv(&p.to_string())));
    std::fs::write(&path, p.to_string()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args([
            "train",
            "arch_configs/h100_sxm.json",
            "workloads/mlp3_train.json",
        ])
        .arg("--policy")
        .arg(&path)
        .arg("--json")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn fnv(s: &str) -> u64 {
    accelsim::dse::sweep::fnv1a64(s.as_bytes())
}

#[test]
fn each_train_format_point_is_train_with_that_layers_entry() {
    let sweep = Sweep::load(&root().join("sweeps/mlp3_train_formats.json")).unwrap();
    assert_eq!(
        sweep.param_columns(),
        ["policy", "fc2.errors", "fc3.errors"]
    );
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut res = out.into_inner().unwrap();
    res.sort_by_key(|r| r.id);
    assert_eq!(res.len(), 4);
    let mut dram = Vec::new();
    for r in &res {
        assert_eq!(r.status, Status::Ok, "{:?}", r.error);
        let fmt = |i: usize| json!({ "errors": { "format": r.params[i] } });
        let t = train_with_layers(json!({ "fc2": fmt(1), "fc3": fmt(2) }));
        let m = |k: Metric| r.metrics[k.index()];
        assert_eq!(
            m(Metric::LatencyS),
            t["latency_s"].as_f64().unwrap(),
            "{:?}",
            r.params
        );
        assert_eq!(
            m(Metric::EnergyPj),
            t["energy_pj"].as_f64().unwrap(),
            "{:?}",
            r.params
        );
        dram.push(m(Metric::DramBytes));
    }
    // E5M2 errors move fewer bytes than bf16 ones: (bf16, bf16) is the most of the four.
    assert!(dram[1..].iter().all(|&d| d < dram[0]), "{dram:?}");
    assert!(dram[3] < dram[1] && dram[3] < dram[2], "{dram:?}");
}

#[test]
fn bad_train_format_axes_are_refused() {
    let sweep = |axes: Value| {
        let spec = json!({
            "name": "t",
            "arch": "arch_configs/h100_sxm.json",
            "workload": "workloads/mlp3_train.json",
            "axes": axes
        });
        match Sweep::from_json(&spec.to_string(), &root()) {
            Ok(_) => panic!("expected an error for {spec}"),
            Err(e) => e.to_string(),
        }
    };
    let policy = json!({ "kind": "policy", "values": ["bf16_mixed"] });
    let fmt = |layers: Value, tensor: &str, values: Value| json!({ "kind": "train_format", "layers": layers, "tensor": tensor, "values": values });
    let fc2 = || json!(["fc2"]);
    // (axes, what the message must contain)
    let cases = [
        (
            json!([policy, fmt(json!(["fc9"]), "errors", json!(["fp8_e5m2"]))]),
            vec!["axes[1].layers", "'fc9' selects no compute layer"],
        ),
        (
            json!([policy, fmt(json!(["relu1"]), "errors", json!(["fp8_e5m2"]))]),
            vec!["axes[1].layers", "relu op"],
        ),
        (
            json!([fmt(fc2(), "errors", json!(["fp8_e5m2"]))]),
            vec!["axes[0]", "needs a policy axis"],
        ),
        (
            json!([policy, fmt(fc2(), "errors", json!(["bf16", "fp9"]))]),
            vec!["axes[1].values[1].format", "fp9"],
        ),
        (
            json!([
                policy,
                fmt(fc2(), "errors", json!([{ "format": "bf16", "colour": 1 }]))
            ]),
            vec!["axes[1].values[0]", "colour"],
        ),
        (
            json!([policy, fmt(fc2(), "errors", json!(["bf16", "bf16"]))]),
            vec!["axes[1].values[1]", "listed twice"],
        ),
        (
            json!([policy, fmt(fc2(), "gradients", json!(["bf16"]))]),
            vec!["axes[1]", "gradients"],
        ),
        (
            json!([
                policy,
                fmt(json!(["fc*"]), "errors", json!(["bf16"])),
                fmt(fc2(), "errors", json!(["fp8_e5m2"]))
            ]),
            vec!["axes[2].layers", "already varied by axes[1]"],
        ),
    ];
    for (axes, want) in cases {
        let e = sweep(axes);
        assert!(want.iter().all(|w| e.contains(w)), "{want:?}: {e}");
    }
}
