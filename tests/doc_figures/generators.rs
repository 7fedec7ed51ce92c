//! Generators for figures no single accelsim command prints (library calls in-process, or
//! several commands combined): each returns a block's text (empty when only its figures are
//! quoted) and a JSON document the registry's values can point into.

use std::path::Path;

use accelsim::arch::Arch;
use accelsim::model::ArrayMapping;
use accelsim::sim::{Engine, StallReason};
use accelsim::workload::Workload;
use serde_json::{json, Value};

/// Runs generator `name`: (block text, JSON).
pub fn run(root: &Path, name: &str) -> (String, Value) {
    match name {
        "h100_2x4" => h100_2x4(root),
        "mlp6_capacity" => mlp6_capacity(root),
        "fusion_resnet50" => fusion_resnet50(root),
        "mapping_user_bw10" => mapping_user_bw10(root),
        "area_presets" => area_presets(root),
        "technology_scale" => technology_scale(),
        "mlp6_presets" => mlp6_presets(root),
        "cnn_front" => cnn_front(root),
        "bert_layer_kernels" => bert_layer_kernels(root),
        _ => panic!(
            "unknown generator '{name}' (h100_2x4, mlp6_capacity, mlp6_presets, cnn_front, \
             fusion_resnet50, mapping_user_bw10, area_presets, technology_scale, \
             bert_layer_kernels)"
        ),
    }
}

/// `x[n, n] · W[n, n]` in `prec`, the weight dense or 2:4.
fn gemm(n: u64, prec: &str, two_four: bool) -> Workload {
    let mut op = json!({ "name": "gemm", "op": "matmul", "inputs": ["x"], "output": "y",
                         "out_features": n, "precision": prec });
    if two_four {
        op["sparsity"] = json!({ "weights": "2:4" });
    }
    let w = json!({ "name": "g", "inputs": [ { "name": "x", "shape": [n, n], "format": prec } ],
                    "ops": [op] });
    Workload::from_json(&w.to_string()).expect("GEMM workload")
}

/// One GEMM through the full pipeline (power cap included) as `accelsim run` gives it:
/// (latency µs, energy per MAC pJ, clock GHz, what bounds it, the report's summary).
fn predict(w: &Workload, arch: &Arch) -> (f64, f64, f64, String, Value) {
    let e = accelsim::evaluate(w, arch, &accelsim::Options::with_engine(Engine::Event))
        .expect("evaluate");
    let r = e.report(w);
    let bound = if r.layers[0].stall_reason == StallReason::HostBound {
        "host".to_string()
    } else {
        match &e.costs[0].mapping {
            Some(ArrayMapping::Gpu(g)) => serde_json::to_value(g.bound)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
            m => panic!("expected a GPU mapping, got {m:?}"),
        }
    };
    (
        r.summary.latency_s * 1e6,
        r.summary.energy_pj / r.summary.macs as f64,
        r.power.clock_ghz,
        bound,
        serde_json::to_value(&r.summary).expect("summary JSON"),
    )
}

/// VALIDATION.md's "2:4 structured sparsity on the H100": square GEMMs dense and with 2:4
/// weights on the `h100_sxm` preset. JSON: `/PREC/N/{dense_us, sparse_us, speedup,
/// dense_pj_per_mac, sparse_pj_per_mac, dense_clock_ghz, sparse_clock_ghz, dense_summary}`
/// (`dense_summary`: the dense run's report summary).
fn h100_2x4(root: &Path) -> (String, Value) {
    let h = Arch::load(&root.join("arch_configs/h100_sxm.json")).expect("h100_sxm");
    let mut table = String::from(
        "| precision | M=N=K | dense µs | 2:4 µs | speedup | dense pJ/MAC | 2:4 pJ/MAC | clock GHz (dense / 2:4) | 2:4 bound |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    let mut doc = json!({});
    for prec in ["fp16", "bf16", "fp8_e4m3", "int8"] {
        for n in [1024, 4096, 8192, 16384] {
            let (td, ed, cd, _, summary) = predict(&gemm(n, prec, false), &h);
            let (ts, es, cs, bound, _) = predict(&gemm(n, prec, true), &h);
            table.push_str(&format!(
                "| {prec} | {n} | {td:.1} | {ts:.1} | {:.2}× | {ed:.3} | {es:.3} | {cd:.3} / {cs:.3} | {bound} |\n",
                td / ts
            ));
            doc[prec][n.to_string()] = json!({
                "dense_us": td, "sparse_us": ts, "speedup": td / ts,
                "dense_pj_per_mac": ed, "sparse_pj_per_mac": es,
                "dense_clock_ghz": cd, "sparse_clock_ghz": cs, "dense_summary": summary,
            });
        }
    }
    (table, doc)
}

/// docs/sweep.md's observations on `sweeps/mlp6_precision.json`: latency at equal
/// representational capacity. JSON: `ok` rows, `distinct` capacities, `shared` (capacities
/// of several configurations), `latency_min_s`, `latency_max_s`, the latency factor
/// (slowest / fastest) at equal capacity: `median_factor` (of the shared capacities),
/// `max_factor`, and at the capacity of the largest: `capacity_bits`, `fast_s`, `fast_id`,
/// `slow_s`, `slow_id`.
fn mlp6_capacity(root: &Path) -> (String, Value) {
    let sweep = crate::runner::sweep(root, "sweeps/mlp6_precision.json");
    (String::new(), capacity_stats(&sweep))
}

/// The figures of [`mlp6_capacity`] for one sweep's rows.
fn capacity_stats(sweep: &Value) -> Value {
    let rows: Vec<&Value> = sweep["rows"].as_object().unwrap().values().collect();
    let ok = rows.iter().filter(|r| r["status"] == "ok").count();
    let mut by_cap: std::collections::BTreeMap<u64, Vec<(f64, u64)>> = Default::default();
    for r in &rows {
        let cap = r["capacity_bits"].as_f64().unwrap() as u64;
        let lat = r["latency_s"].as_f64().unwrap();
        by_cap
            .entry(cap)
            .or_default()
            .push((lat, r["id"].as_u64().unwrap()));
    }
    let lats: Vec<f64> = rows
        .iter()
        .map(|r| r["latency_s"].as_f64().unwrap())
        .collect();
    // (slowest / fastest, capacity, fastest (latency, id), slowest (latency, id))
    type Factor = (f64, u64, (f64, u64), (f64, u64));
    let mut factors: Vec<Factor> = by_cap
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(&cap, v)| {
            let fast = *v.iter().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
            let slow = *v.iter().max_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
            (slow.0 / fast.0, cap, fast, slow)
        })
        .collect();
    factors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = factors.len();
    let median = if n % 2 == 1 {
        factors[n / 2].0
    } else {
        (factors[n / 2 - 1].0 + factors[n / 2].0) / 2.0
    };
    let (max_factor, cap, fast, slow) = factors[n - 1];
    json!({
        "ok": ok, "distinct": by_cap.len(), "shared": n,
        "latency_min_s": lats.iter().copied().fold(f64::INFINITY, f64::min),
        "latency_max_s": lats.iter().copied().fold(0.0, f64::max),
        "median_factor": median, "max_factor": max_factor, "capacity_bits": cap,
        "fast_s": fast.0, "fast_id": fast.1, "slow_s": slow.0, "slow_id": slow.1,
    })
}

/// docs/sweep.md's MLP study on other presets: `sweeps/mlp6_precision.json` with the arch
/// replaced and `"set": {"precision_fallback": true}`. JSON `/PRESET/`: as
/// [`mlp6_capacity`].
fn mlp6_presets(root: &Path) -> (String, Value) {
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("sweeps/mlp6_precision.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("accelsim_doc_mlp6_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let abs = |rel: &str| root.join(rel).to_str().unwrap().to_string();
    let mut doc = json!({});
    for p in ["tpu_v1", "eyeriss", "scalesim_32x32"] {
        let mut spec = base.clone();
        spec["arch"] = json!(abs(&format!("arch_configs/{p}.json")));
        spec["workload"] = json!(abs("workloads/mlp6.json"));
        spec["accuracy"] = json!(abs("sweeps/mlp6_qat_example.csv"));
        spec["set"] = json!({ "precision_fallback": true });
        let file = dir.join(format!("{p}.json"));
        std::fs::write(&file, spec.to_string()).unwrap();
        doc[p] = capacity_stats(&crate::runner::sweep(root, file.to_str().unwrap()));
    }
    let _ = std::fs::remove_dir_all(&dir);
    (String::new(), doc)
}

/// docs/fusion.md's measurement: ResNet-50 on `examples/fusion/npu_64x64_int8.json` per
/// engine (`event`, `analytic`) and fusion (`on`, `off`). JSON `/ENGINE/FUSION/`:
/// `latency_s`, `dram_bytes`, `energy_pj`, and the elementwise ops' (relu, add) share of
/// the DRAM bytes and of the makespan's cycles, `elementwise_dram_pct`,
/// `elementwise_cycles_pct`.
fn fusion_resnet50(root: &Path) -> (String, Value) {
    let mut doc = json!({});
    for engine in ["event", "analytic"] {
        for fusion in ["on", "off"] {
            let mut args: Vec<String> = [
                "run",
                "examples/fusion/npu_64x64_int8.json",
                "workloads/resnet50.json",
                "--engine",
                engine,
                "--json",
            ]
            .map(String::from)
            .to_vec();
            if fusion == "off" {
                args.push("--no-fusion".into());
            }
            let r: Value = serde_json::from_str(&crate::runner::accelsim(root, &args, None))
                .expect("run --json");
            let s = &r["summary"];
            let ew: Vec<&Value> = r["layers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["op"] == "relu" || l["op"] == "add")
                .collect();
            let sum = |k: &str| ew.iter().map(|l| l[k].as_f64().unwrap()).sum::<f64>();
            let num = |k: &str| s[k].as_f64().unwrap();
            doc[engine][fusion] = json!({
                "latency_s": num("latency_s"), "dram_bytes": num("dram_bytes"),
                "energy_pj": num("energy_pj"),
                "elementwise_dram_pct": 100.0 * sum("dram_bytes") / num("dram_bytes"),
                "elementwise_cycles_pct": 100.0 * sum("cycles") / num("cycles"),
            });
        }
    }
    (String::new(), doc)
}

/// README's count of the kernels a 128-token BERT layer launches on the H100 preset
/// (`workloads/sparsity_study_fp16_dense.json`): the layers that run on a unit (array or
/// vector), with fusion on and off. JSON `/on/kernels`, `/off/kernels`.
fn bert_layer_kernels(root: &Path) -> (String, Value) {
    let mut doc = json!({});
    for fusion in ["on", "off"] {
        let mut args: Vec<String> = [
            "run",
            "arch_configs/h100_sxm.json",
            "workloads/sparsity_study_fp16_dense.json",
            "--json",
        ]
        .map(String::from)
        .to_vec();
        if fusion == "off" {
            args.push("--no-fusion".into());
        }
        let r: Value =
            serde_json::from_str(&crate::runner::accelsim(root, &args, None)).expect("run --json");
        let kernels = r["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["unit"] != "none")
            .count();
        doc[fusion] = json!({ "kernels": kernels });
    }
    (String::new(), doc)
}

/// docs/mapping.md's table: the GEMMs of `tests/data/scalesim/topologies/gemm_shapes.csv`
/// planned on the imported `user_bw10_128x128_os` config. JSON `/LAYER/`: `dram_bytes`
/// (the searched mapping's), `lower_bound_bytes`, `ratio`.
fn mapping_user_bw10(root: &Path) -> (String, Value) {
    use accelsim::import::scalesim;
    let data = root.join("tests/data/scalesim");
    let cfg = "user_bw10_128x128_os.cfg";
    let c = scalesim::load_config(&data.join("configs").join(cfg)).expect("config");
    let arch = scalesim::to_arch(&c, cfg);
    let csv = std::fs::read_to_string(data.join("topologies/gemm_shapes.csv")).unwrap();
    let topo = scalesim::parse_topology(&csv, "gemm_shapes.csv", None).expect("topology");
    let wl = scalesim::to_workload(&topo, "gemm_shapes.csv").expect("workload");
    let mut doc = json!({});
    for (op, cost) in wl
        .ops
        .iter()
        .zip(accelsim::model::plan(&wl, &arch).expect("plan"))
    {
        let s = cost.temporal.expect("compute ops carry their mapping");
        doc[&op.name] = json!({
            "dram_bytes": cost.traffic.dram_bytes(),
            "lower_bound_bytes": s.lower_bound_bytes,
            "ratio": s.lower_bound_ratio(),
        });
    }
    (String::new(), doc)
}

/// docs/sweep.md's area table: `area` of `accelsim run PRESET workloads/tiny_cnn.json
/// --json` for every preset (the area does not depend on the workload). JSON: `/PRESET/`
/// the report's `area`.
fn area_presets(root: &Path) -> (String, Value) {
    let mut table = String::from(
        "| preset | node | `area_mm2` | MAC array | SRAM | PE sized by |\n|---|---|---|---|---|---|\n",
    );
    let mut doc = json!({});
    for p in [
        "tpu_v1",
        "eyeriss",
        "edge_npu_32x32",
        "scalesim_32x32",
        "tensor_core_edge",
        "a100_sxm",
        "h100_sxm",
    ] {
        let args = [
            "run",
            &format!("arch_configs/{p}.json"),
            "workloads/tiny_cnn.json",
            "--json",
        ]
        .map(String::from);
        let r: Value = serde_json::from_str(&crate::runner::accelsim(root, &args, None)).unwrap();
        let a = &r["area"];
        let mm2 = |k: &str| {
            let v = a[k].as_f64().unwrap();
            // Two decimals below 10 mm², one above.
            if a["total_mm2"].as_f64().unwrap() < 10.0 {
                format!("{v:.2}")
            } else {
                format!("{v:.1}")
            }
        };
        let sized = a["pe_sized_by"].as_str().unwrap().replace('×', " × ");
        table.push_str(&format!(
            "| `{p}` | {} | {} | {} | {} | {sized} |\n",
            a["node_nm"],
            mm2("total_mm2"),
            mm2("array_mm2"),
            mm2("sram_mm2")
        ));
        doc[p] = a.clone();
    }
    (table, doc)
}

/// docs/gpu.md's examples of the Stillmaker & Baas energy scaling from the Horowitz table
/// (45 nm, 0.9 V): JSON `/NODE/VOLTAGE` (`/7/0.7`, `/7/1.0`).
fn technology_scale() -> (String, Value) {
    use accelsim::arch::energy::technology_energy_scale;
    let s = |v: f64| technology_energy_scale(45, 0.9, 7, v).expect("7 nm fit");
    (
        String::new(),
        json!({ "7": { "0.7": s(0.7), "1.0": s(1.0) } }),
    )
}

/// docs/sweep.md's CNN study: the Pareto front of
/// `sweeps/cnn_array_dataflow_precision.json`, one row per point by id.
fn cnn_front(root: &Path) -> (String, Value) {
    let sweep = crate::runner::sweep(root, "sweeps/cnn_array_dataflow_precision.json");
    let mut table = String::from(
        "| id | array | dataflow | stages | latency ms | energy_pj | TOPS/W |\n|---|---|---|---|---|---|---|\n",
    );
    for id in sweep["pareto_ids"].as_array().unwrap() {
        let r = &sweep["rows"][id.to_string()];
        let num = |k: &str| r[k].as_f64().unwrap();
        table.push_str(&format!(
            "| {id} | {} | {} | {} | {:.3} | {:.2e} | {:.2} |\n",
            r["array"],
            r["dataflow"].as_str().unwrap(),
            r["stages"].as_str().unwrap(),
            num("latency_s") * 1e3,
            num("energy_pj"),
            num("tops_per_w")
        ));
    }
    (table, sweep)
}
