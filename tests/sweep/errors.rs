//! Bad sweep specs are refused with a clear error (JSON path + what was expected) before
//! any point is evaluated; the CLI exits with code 2 and writes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::dse::Sweep;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn base() -> Value {
    json!({
        "name": "t",
        "arch": "arch_configs/edge_npu_32x32.json",
        "workload": "workloads/mlp6.json",
        "axes": [ { "kind": "arch", "path": "array.rows", "values": [16, 32] } ]
    })
}

/// The error of a spec, as text.
fn error_of(spec: &Value) -> String {
    match Sweep::from_json(&spec.to_string(), &root()) {
        Ok(_) => panic!("expected an error for {spec}"),
        Err(e) => e.to_string(),
    }
}

fn with(edit: impl FnOnce(&mut Value)) -> String {
    let mut s = base();
    edit(&mut s);
    error_of(&s)
}

fn expect(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "error {err:?} should mention {p:?}");
    }
}

#[test]
fn base_spec_is_valid() {
    let s = Sweep::from_json(&base().to_string(), &root()).unwrap();
    assert_eq!(s.space_size(), 2);
}

#[test]
fn unknown_json_path() {
    let e = with(|s| s["axes"][0]["path"] = json!("array.rowz"));
    expect(
        &e,
        &["axes[0].values[0]", "array.rowz", "unknown field `rowz`"],
    );
    let e = with(|s| s["axes"][0]["path"] = json!("memory.dram.bandwith_gbps"));
    expect(&e, &["axes[0].values[0]", "unknown field `bandwith_gbps`"]);
    let e = with(|s| s["axes"][0]["path"] = json!("precisions[9].macs_per_pe_per_cycle"));
    expect(&e, &["axes[0].path", "3 items"]);
    let e = with(|s| s["axes"][0]["path"] = json!("array..rows"));
    expect(&e, &["axes[0].path", "malformed JSON path"]);
    let e = with(|s| s["set"] = json!({"clock_gz": 1.0}));
    expect(&e, &["set.clock_gz", "unknown field `clock_gz`"]);
}

#[test]
fn invalid_axis_values() {
    let e = with(|s| s["axes"][0]["values"] = json!([]));
    expect(&e, &["axes[0].values", "expected at least one value"]);
    let e = with(|s| s["axes"][0]["values"] = json!([16, 0]));
    expect(
        &e,
        &[
            "axes[0].values[1]",
            "array.rows",
            "expected a positive integer",
        ],
    );
    let e = with(|s| s["axes"][0]["values"] = json!([16, "big"]));
    expect(&e, &["axes[0].values[1]", "invalid type"]);
    let e = with(|s| s["axes"][0]["values"] = json!([16, 16]));
    expect(&e, &["axes[0].values[1]", "listed twice"]);
    let e = with(|s| s["axes"] = json!([{ "kind": "arch", "values": [1] }]));
    expect(&e, &["axes[0]", "\"path\""]);
    let e = with(|s| s["axes"] = json!([{ "kind": "batch", "values": [0] }]));
    expect(&e, &["axes[0].values[0]", "batch size"]);
    let e = with(|s| s["axes"] = json!([{ "kind": "clock", "values": [1] }]));
    expect(&e, &["axes[0]", "unknown variant `clock`"]);
}

#[test]
fn precision_the_arch_cannot_run() {
    let e = with(|s| {
        s["arch"] = json!("arch_configs/tpu_v1.json");
        s["axes"] = json!([{ "kind": "precision", "layers": ["fc*"], "values": ["int8", "fp16"] }]);
    });
    expect(
        &e,
        &[
            "axes[0].values[1]",
            "cannot run",
            "no fp16 MACs",
            "tpu_v1_like",
        ],
    );
    // An arch axis that removes a needed precision.
    let e = with(|s| {
        s["axes"] = json!([
            { "kind": "arch", "path": "precisions", "values": [
                [ { "format": "int8", "macs_per_pe_per_cycle": 1 } ],
                [ { "format": "int4", "macs_per_pe_per_cycle": 2 } ]
            ] }
        ]);
    });
    expect(&e, &["workload", "axes[0].values[1]", "no int8 MACs"]);
    // The same sweep runs with the fallback switched on.
    let mut ok = base();
    ok["set"] = json!({"precision_fallback": true});
    ok["arch"] = json!("arch_configs/tpu_v1.json");
    ok["axes"] =
        json!([{ "kind": "precision", "layers": ["fc*"], "values": ["int8", "fp16", "int4"] }]);
    assert_eq!(
        Sweep::from_json(&ok.to_string(), &root())
            .unwrap()
            .space_size(),
        729
    );
}

#[test]
fn layer_selectors() {
    let e = with(|s| {
        s["axes"] = json!([{ "kind": "precision", "layers": ["conv*"], "values": ["int8"] }])
    });
    expect(
        &e,
        &["axes[0].layers", "'conv*' selects no compute layer", "fc1"],
    );
    let e = with(|s| {
        s["axes"] = json!([{ "kind": "precision", "layers": ["relu1"], "values": ["int8"] }])
    });
    expect(&e, &["axes[0].layers", "relu op"]);
    let e = with(|s| {
        s["axes"] = json!([{ "kind": "precision", "layers": ["re:fc[1-"], "values": ["int8"] }])
    });
    expect(&e, &["axes[0].layers", "invalid regex"]);
    let e = with(|s| {
        s["axes"] = json!([
            { "kind": "precision", "layers": ["fc1"], "values": ["int8"] },
            { "kind": "precision", "layers": ["re:fc[1-3]"], "mode": "group", "values": ["int4"] }
        ])
    });
    expect(
        &e,
        &["axes[1].layers", "'fc1' is already varied by axes[0]"],
    );
    let e = with(|s| {
        s["axes"] = json!([{ "kind": "precision", "layers": ["fc1"], "values": ["int9x"] }])
    });
    expect(&e, &["axes[0]", "unknown number format 'int9x'"]);
}

fn sparsity_axis(axis: Value) -> String {
    with(|s| s["axes"] = json!([axis]))
}

#[test]
fn bad_sparsity_axes() {
    let ax = |values: Value| json!({ "kind": "sparsity", "layers": ["fc*"], "values": values });
    let e = sparsity_axis(ax(json!([])));
    expect(&e, &["axes[0].values", "expected at least one value"]);
    for (bad, msg) in [
        ("3:2", "1 ≤ N < M, got 3:2"),
        ("0:4", "1 ≤ N < M, got 0:4"),
        ("2:512", "2 ≤ M ≤ 256"),
        ("2/4", "expected \"dense\", an N:M pattern"),
        ("2:x", "expected an N:M pattern such as \"2:4\""),
    ] {
        let e = sparsity_axis(ax(json!(["dense", bad])));
        expect(&e, &["axes[0].values[1]", msg]);
    }
    for bad in [
        json!({ "density": 0.0 }),
        json!({ "density": 1.5 }),
        json!(-0.5),
    ] {
        let e = sparsity_axis(ax(json!(["dense", bad])));
        expect(&e, &["axes[0].values[1]", "density", "in (0, 1]"]);
    }
    let e = sparsity_axis(ax(json!([{ "density": 0.5, "pattern": "2:4" }])));
    expect(&e, &["axes[0]", "unknown field `pattern`"]);
    let e = sparsity_axis(ax(json!(["2:4", " 2:4"])));
    expect(&e, &["axes[0].values[1]", "listed twice"]);
    // Unknown layer, non-compute layer.
    let e = sparsity_axis(json!({ "kind": "sparsity", "layers": ["fc9"], "values": ["2:4"] }));
    expect(&e, &["axes[0].layers", "'fc9' selects no compute layer"]);
    // The MLP's reduction axes are 32768 … 1024 long: 1:3 groups do not tile them.
    let e = sparsity_axis(ax(json!(["dense", "1:3"])));
    expect(
        &e,
        &[
            "axes[0].values[1]",
            "pattern 1:3 does not fit layer 'fc1'",
            "32768 elements",
            "multiple of 3",
        ],
    );
    // A pattern that fits but no arch variant exploits is fine (it gains nothing).
    let mut ok = base();
    ok["axes"] = json!([ax(json!(["dense", "2:4", "1:8"]))]);
    let s = Sweep::from_json(&ok.to_string(), &root()).unwrap();
    assert_eq!(s.space_size(), 3u64.pow(6));
    // The same tensor varied twice.
    let e = with(|s| {
        s["axes"] = json!([
            { "kind": "sparsity", "layers": ["fc2"], "values": ["2:4"] },
            { "kind": "sparsity", "layers": ["fc*"], "mode": "group", "values": ["dense", "2:4"] }
        ])
    });
    expect(
        &e,
        &["axes[1].layers", "layer 'fc2'", "already varied by axes[0]"],
    );
    // fc2's activations are fc1's output: varying both on their own is one tensor twice.
    let e = with(|s| {
        s["axes"] = json!([
            { "kind": "sparsity", "layers": ["fc2"], "operand": "activations", "values": [0.5] },
            { "kind": "sparsity", "layers": ["fc1"], "values": ["dense", "2:4"] },
            { "kind": "sparsity", "layers": ["fc2"], "operand": "activations", "values": [0.25] }
        ])
    });
    expect(&e, &["axes[2].layers", "already varied by axes[0]"]);
    let e = sparsity_axis(
        json!({ "kind": "sparsity", "layers": ["fc1"], "operand": "bias", "values": ["2:4"] }),
    );
    expect(&e, &["axes[0]", "unknown variant `bias`"]);
}

#[test]
fn shared_activation_tensors_need_group_mode() {
    let spec = |mode: &str| {
        json!({
            "name": "t",
            "arch": "arch_configs/tensor_core_edge.json",
            "workload": "workloads/sparsity_study_int8_dense.json",
            "axes": [ { "kind": "sparsity", "layers": ["attn.q", "attn.k"], "operand": "activations",
                        "mode": mode, "values": ["dense", 0.5] } ]
        })
    };
    let e = error_of(&spec("each"));
    expect(
        &e,
        &[
            "axes[0].layers",
            "'attn.q' and 'attn.k' share the activations tensor 'hidden_states'",
            "\"group\"",
        ],
    );
    let s = Sweep::from_json(&spec("group").to_string(), &root()).unwrap();
    assert_eq!(s.space_size(), 2);
}

#[test]
fn objectives_constraints_and_files() {
    let e = with(|s| s["pareto"] = json!(["latency_s"]));
    expect(&e, &["pareto", "2 or 3"]);
    let e = with(|s| s["pareto"] = json!(["latency_s", "speed"]));
    expect(
        &e,
        &["pareto[1]", "unknown metric 'speed'", "capacity_bits"],
    );
    let e = with(|s| s["pareto"] = json!(["latency_s", "accuracy"]));
    expect(&e, &["pareto", "QAT"]);
    let e = with(|s| s["constraints"] = json!([{ "metric": "die_area_mm2", "max": 1 }]));
    expect(&e, &["constraints[0].metric", "unknown metric", "area_mm2"]);
    let e = with(|s| s["constraints"] = json!([{ "metric": "latency_s" }]));
    expect(&e, &["constraints[0]", "\"min\", \"max\""]);
    let e = with(|s| s["plots"] = json!([{ "x": "latency_s", "y": "nope" }]));
    expect(&e, &["plots[0].y", "unknown metric"]);
    let e = with(|s| s["sample"] = json!({ "count": 0 }));
    expect(&e, &["sample.count"]);
    let e = with(|s| s["engine"] = json!("quantum"));
    expect(&e, &["engine", "unknown variant `quantum`"]);
    let e = with(|s| s["extra"] = json!(1));
    expect(&e, &["unknown field `extra`"]);
    let e = with(|s| s["workload"] = json!("workloads/none.json"));
    expect(&e, &["workloads/none.json", "cannot read"]);
    let e = with(|s| s["accuracy"] = json!("tests/data/sweep/cnn_small.json"));
    expect(&e, &["cnn_small.json"]);
}

#[test]
fn qat_files_in_every_format() {
    for (file, n) in [
        ("tests/data/sweep/qat_mlp6.json", 2),
        ("tests/data/sweep/qat_mlp6_columns.csv", 2),
        ("sweeps/mlp6_qat_example.csv", 103),
    ] {
        let mut s = base();
        s["accuracy"] = json!(file);
        s["axes"] = json!([{ "kind": "precision", "layers": ["fc*"], "mode": "group", "values": ["fp16", "int8", "int4"] }]);
        let sweep = Sweep::from_json(&s.to_string(), &root()).unwrap();
        assert!(sweep.has_accuracy());
        let acc: Vec<f64> = (0..3)
            .map(|id| sweep.evaluate(id).metrics[accelsim::dse::Metric::Accuracy.index()])
            .collect();
        println!("{file}: {n} configurations, uniform fp16/int8/int4 accuracy {acc:?}");
        if n == 2 {
            assert_eq!(acc[0], 0.93);
            assert_eq!(acc[1], 0.91);
            assert!(
                acc[2].is_nan(),
                "a null / empty accuracy means not measured"
            );
        } else {
            assert_eq!(acc, vec![0.9269, 0.9186, 0.8639]);
        }
    }
    // Errors in QAT files name the file and the row.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_errors");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, parts) in [
        (
            "a.csv",
            "config,accuracy\nfc1=int8;fc9=int8,0.5\n",
            vec!["line 2", "'fc9' is not a compute layer"],
        ),
        ("b.csv", "config,acc\n", vec!["line 1", "'accuracy' column"]),
        (
            "c.csv",
            "config,accuracy\nfc1=int8,0.5\nfc1=int8;fc2=int8,0.6\n",
            vec!["line 3", "same layers"],
        ),
        (
            "d.csv",
            "config,accuracy\nfc1=int8,0.5\nfc1=int8,0.6\n",
            vec!["line 3", "listed twice"],
        ),
        (
            "e.csv",
            "config,accuracy\nfc1=int8,high\n",
            vec!["line 2, column 'accuracy'", "expected a number"],
        ),
        (
            "f.json",
            "[{\"config\": \"fc1=int8\", \"acc\": 1}]",
            vec!["f.json", "unknown field `acc`"],
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let e = with(|s| s["accuracy"] = json!(p.to_str().unwrap()));
        expect(&e, &parts);
        expect(&e, &[name]);
    }
}

#[test]
fn cli_exits_2_and_writes_nothing() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_errors_cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut s = base();
    s["arch"] = json!(root().join("arch_configs/edge_npu_32x32.json"));
    s["workload"] = json!(root().join("workloads/mlp6.json"));
    s["axes"][0]["path"] = json!("array.rowz");
    let spec = dir.join("bad.json");
    std::fs::write(&spec, s.to_string()).unwrap();
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args([
            "sweep",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    expect(
        &err,
        &["bad.json", "axes[0].values[0]", "unknown field `rowz`"],
    );
    assert!(!out.exists(), "nothing is written for a bad spec");
    // Bad --shard and --pareto arguments are bad input too.
    for args in [vec!["--shard", "3/3"], vec!["--pareto", "latency_s"]] {
        let mut a = vec!["sweep", "sweeps/mlp6_precision.json"];
        a.extend(args);
        let o = Command::new(env!("CARGO_BIN_EXE_accelsim"))
            .args(&a)
            .current_dir(root())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{a:?}");
    }
}
