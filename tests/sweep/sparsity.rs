//! Sparsity axes reproduce hand-written sparse workloads: every point of a sweep equals
//! `accelsim::run` on the workload file a user would write for it (the bundled
//! `sparsity_study_*` files, or the base file edited by hand here), number for number; an
//! arch without sparsity support gives the dense figures for every value; activation
//! sparsity lands on the tensor feeding the layer and zero gating saves exactly that
//! layer's zero products.

use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::dse::{Metric, PointResult, Shard, Status, Sweep};
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::{Workload, WorkloadSpec};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn all(sweep: &Sweep) -> Vec<PointResult> {
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|r| r.id);
    v
}

fn sweep(spec: &Value) -> Vec<PointResult> {
    let s = Sweep::from_json(&spec.to_string(), &root()).unwrap();
    all(&s)
}

fn arch_json(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("arch_configs").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn workload_json(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("workloads").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(arch: &Value, workload: &Value, engine: Engine) -> Report {
    let arch = Arch::from_json(&arch.to_string()).unwrap();
    let spec: WorkloadSpec = serde_json::from_value(workload.clone()).unwrap();
    let wl = Workload::from_spec(spec).unwrap();
    accelsim::run(&wl, &arch, engine).unwrap()
}

/// Every run metric of a point equals the report's figure exactly.
fn same_numbers(r: &PointResult, rep: &Report, what: &str) {
    assert_eq!(r.status, Status::Ok, "{what}: {:?}", r.error);
    let s = &rep.summary;
    let e = &s.energy_breakdown_pj;
    let m = |k: Metric| r.metrics[k.index()];
    for (k, want) in [
        (Metric::LatencyS, s.latency_s),
        (Metric::EnergyPj, s.energy_pj),
        (Metric::DramBytes, s.dram_bytes),
        (Metric::EnergyMacPj, e.mac),
        (Metric::EnergyVectorPj, e.vector),
        (Metric::EnergySramPj, e.sram),
        (Metric::EnergyDramPj, e.dram),
        (Metric::EnergyStaticPj, e.static_),
        (Metric::TopsPerW, 2.0 * s.macs as f64 / s.energy_pj),
        (Metric::EdpJs, s.energy_pj * 1e-12 * s.latency_s),
    ] {
        assert_eq!(m(k), want, "{what}: {}", k.name());
    }
}

/// The six weight GEMMs of the sparsity study network.
const WEIGHT_LAYERS: [&str; 6] = [
    "attn.q", "attn.k", "attn.v", "attn.out", "ffn.up", "ffn.down",
];

#[test]
fn dense_and_2x4_reproduce_the_sparsity_study_files() {
    let arch = arch_json("tensor_core_edge.json");
    for engine in ["analytic", "event"] {
        let eng: Engine = serde_json::from_value(json!(engine)).unwrap();
        for p in ["fp16", "int8"] {
            let dense = workload_json(&format!("sparsity_study_{p}_dense.json"));
            let sparse = workload_json(&format!("sparsity_study_{p}_2x4.json"));
            let rep_dense = run(&arch, &dense, eng);
            let rep_sparse = run(&arch, &sparse, eng);
            // 2:4 pays off on this preset: the comparison below is not dense vs dense.
            assert!(rep_sparse.summary.latency_s < rep_dense.summary.latency_s);
            assert!(rep_sparse.summary.energy_pj < rep_dense.summary.energy_pj);
            // From the dense file, and back to dense from the 2:4 file.
            for base in ["dense", "2x4"] {
                let res = sweep(&json!({
                    "name": "t",
                    "engine": engine,
                    "arch": "arch_configs/tensor_core_edge.json",
                    "workload": format!("workloads/sparsity_study_{p}_{base}.json"),
                    "axes": [ { "kind": "sparsity", "layers": ["attn.?", "attn.out", "ffn.*"],
                                "mode": "group", "values": ["dense", "2:4"] } ]
                }));
                assert_eq!(res.len(), 2);
                assert_eq!(res[0].params, vec![json!("dense")]);
                assert_eq!(res[1].params, vec![json!("2:4")]);
                same_numbers(
                    &res[0],
                    &rep_dense,
                    &format!("{engine} {p} from {base}: dense"),
                );
                same_numbers(
                    &res[1],
                    &rep_sparse,
                    &format!("{engine} {p} from {base}: 2:4"),
                );
            }
        }
    }
}

#[test]
fn each_mode_points_equal_hand_edited_workloads() {
    let arch = arch_json("tensor_core_edge.json");
    let res = sweep(&json!({
        "name": "t",
        "engine": "analytic",
        "arch": "arch_configs/tensor_core_edge.json",
        "workload": "workloads/sparsity_study_int8_dense.json",
        "axes": [ { "kind": "sparsity", "layers": WEIGHT_LAYERS, "values": ["dense", "2:4"] } ]
    }));
    assert_eq!(res.len(), 64);
    let base = workload_json("sparsity_study_int8_dense.json");
    // A few points: all dense, all sparse, and single layers (mixed radix, first layer
    // most significant).
    for id in [0u64, 63, 1, 32, 4, 21] {
        let mut w = base.clone();
        for (k, layer) in WEIGHT_LAYERS.iter().enumerate() {
            let bit = (id >> (5 - k)) & 1;
            assert_eq!(
                res[id as usize].params[k],
                json!(["dense", "2:4"][bit as usize]),
                "point {id} column {k}"
            );
            if bit == 1 {
                let op = w["ops"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|o| o["name"] == *layer)
                    .unwrap();
                op["sparsity"] = json!({ "weights": "2:4" });
            }
        }
        same_numbers(
            &res[id as usize],
            &run(&arch, &w, Engine::Analytic),
            &format!("point {id}"),
        );
    }
    let s = Sweep::from_json(
        &json!({
            "name": "t",
            "engine": "analytic",
            "arch": "arch_configs/tensor_core_edge.json",
            "workload": "workloads/sparsity_study_int8_dense.json",
            "axes": [ { "kind": "sparsity", "layers": ["ffn.*"], "values": ["dense", "2:4"] },
                      { "kind": "sparsity", "layers": ["ffn.down"], "operand": "activations",
                        "values": ["dense", 0.5] } ]
        })
        .to_string(),
        &root(),
    )
    .unwrap();
    assert_eq!(
        s.param_columns(),
        vec![
            "ffn.up.sparsity.weights",
            "ffn.down.sparsity.weights",
            "ffn.down.sparsity.activations"
        ]
    );
}

#[test]
fn an_arch_without_sparsity_support_gains_nothing() {
    let arch = arch_json("edge_npu_32x32.json");
    assert!(arch.get("sparsity").is_none());
    for p in ["fp16", "int8"] {
        let rep = run(
            &arch,
            &workload_json(&format!("sparsity_study_{p}_dense.json")),
            Engine::Analytic,
        );
        let res = sweep(&json!({
            "name": "t",
            "engine": "analytic",
            "arch": "arch_configs/edge_npu_32x32.json",
            "workload": format!("workloads/sparsity_study_{p}_dense.json"),
            "axes": [
                { "kind": "sparsity", "layers": WEIGHT_LAYERS, "mode": "group",
                  "values": ["dense", "2:4", "1:4", { "density": 0.3 }, 0.5] },
                { "kind": "sparsity", "layers": ["attn.?"], "mode": "group", "operand": "activations",
                  "values": ["dense", { "density": 0.2 }] }
            ]
        }));
        assert_eq!(res.len(), 10);
        for r in &res {
            same_numbers(r, &rep, &format!("{p} point {} {:?}", r.id, r.params));
        }
    }
}

#[test]
fn activation_sparsity_lands_on_the_producer_and_gates_that_layer() {
    // tensor_core_edge plus zero gating on activations (a gated MAC costs nothing).
    let mut arch = arch_json("tensor_core_edge.json");
    arch["sparsity"]["zero_gating"] = json!({ "operands": ["activations"] });
    let res = sweep(&json!({
        "name": "t",
        "engine": "analytic",
        "arch": "arch_configs/tensor_core_edge.json",
        "workload": "workloads/sparsity_study_int8_dense.json",
        "set": { "sparsity.zero_gating": { "operands": ["activations"] } },
        "axes": [ { "kind": "sparsity", "layers": ["ffn.down"], "operand": "activations",
                    "values": ["dense", { "density": 0.25 }] } ]
    }));
    let base = workload_json("sparsity_study_int8_dense.json");
    let dense = run(&arch, &base, Engine::Analytic);
    same_numbers(&res[0], &dense, "dense");
    // By hand: ffn.down reads ffn.gelu's output, so the producer's output is annotated.
    let mut w = base.clone();
    let gelu = w["ops"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["name"] == "ffn.gelu")
        .unwrap();
    gelu["sparsity"] = json!({ "output": 0.25 });
    let sparse = run(&arch, &w, Engine::Analytic);
    same_numbers(&res[1], &sparse, "density 0.25");
    // Zero gating with no residual: ffn.down's MAC energy falls to its density, 0.25; no
    // other layer changes.
    let down = |r: &Report| {
        r.layers
            .iter()
            .find(|l| l.name == "ffn.down")
            .unwrap()
            .energy_breakdown_pj
            .mac
    };
    let saved =
        res[0].metrics[Metric::EnergyMacPj.index()] - res[1].metrics[Metric::EnergyMacPj.index()];
    let want = 0.75 * down(&dense);
    assert!(
        (saved - want).abs() <= 1e-9 * want,
        "saved {saved}, expected {want}"
    );
    assert_eq!(
        res[0].metrics[Metric::LatencyS.index()],
        res[1].metrics[Metric::LatencyS.index()],
        "gating saves energy, not time"
    );
}

/// On a power-capped preset (H100: 700 W) a sweep point runs at the clock the cap
/// allows, exactly as `accelsim run` does: fp16 and int8 × {dense, 2:4} on the sparsity
/// study network, whose 2:4 points change the power drawn.
#[test]
fn power_capped_points_equal_accelsim_run() {
    let arch = arch_json("h100_sxm.json");
    let eng: Engine = serde_json::from_value(json!("event")).unwrap();
    for p in ["fp16", "int8"] {
        let res = sweep(&json!({
            "name": "t",
            "engine": "event",
            "arch": "arch_configs/h100_sxm.json",
            "workload": format!("workloads/sparsity_study_{p}_dense.json"),
            "axes": [ { "kind": "sparsity", "layers": ["attn.?", "attn.out", "ffn.*"],
                        "mode": "group", "values": ["dense", "2:4"] } ]
        }));
        for (r, file) in res.iter().zip(["dense", "2x4"]) {
            let rep = run(
                &arch,
                &workload_json(&format!("sparsity_study_{p}_{file}.json")),
                eng,
            );
            same_numbers(r, &rep, &format!("h100 {p} {file}"));
        }
    }
    // A GEMM big enough to hit the cap: the sweep's latency is the capped run's.
    let gemm = json!({
        "name": "g",
        "inputs": [{"name": "a", "shape": [8192, 8192], "format": "fp16"}],
        "weights": [{"name": "w", "shape": [8192, 8192], "format": "fp16"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["a"], "weight": "w", "output": "y"}]
    });
    let dir = std::env::temp_dir().join(format!("accelsim_capped_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("g.json"), gemm.to_string()).unwrap();
    let res = sweep(&json!({
        "name": "t", "engine": "event",
        "arch": root().join("arch_configs/h100_sxm.json"),
        "workload": dir.join("g.json"),
        "axes": [ { "kind": "precision", "layers": ["mm"], "values": ["fp16"] } ]
    }));
    let rep = run(&arch, &gemm, eng);
    assert!(rep.summary.latency_s > 1.5e-3, "{}", rep.summary.latency_s); // capped: ~1.69 ms
    same_numbers(&res[0], &rep, "h100 fp16 8192^3");
    std::fs::remove_dir_all(&dir).ok();
}
