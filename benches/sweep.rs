//! Sweep throughput: the 729-point MLP precision study on every preset (validation
//! excluded, then included; `evaluate_event/edge_npu_32x32` with the event engine), the same
//! study on the power-capped H100 preset with the event engine (every point solves its clock
//! under the 700 W cap), and a 2,000-point slice (shard 0/50) of the 100,000-point
//! ResNet-18 architecture sweep. Run: `cargo bench --bench sweep`.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use accelsim::dse::{front_of, Row, Shard, Sweep};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const PRESETS: [&str; 4] = ["edge_npu_32x32", "eyeriss", "scalesim_32x32", "tpu_v1"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The MLP study on a preset; presets without fp16 or int4 MACs run them on a wider
/// format (`precision_fallback`).
fn mlp_spec(preset: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("sweeps/mlp6_precision.json")).unwrap(),
    )
    .unwrap();
    v["arch"] = format!("arch_configs/{preset}.json").into();
    v["workload"] = "workloads/mlp6.json".into();
    v["accuracy"] = "sweeps/mlp6_qat_example.csv".into();
    v["set"] = serde_json::json!({ "precision_fallback": true });
    v.to_string()
}

/// Evaluates every id in parallel, sorts the rows and computes the Pareto front.
fn run_all(sweep: &Sweep, ids: &[u64]) -> usize {
    let rows = Mutex::new(Vec::with_capacity(ids.len()));
    sweep.evaluate_many(ids, |r| rows.lock().unwrap().push(Row::from_result(&r)));
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| r.id);
    front_of(&sweep.columns(), &rows, sweep.pareto()).len()
}

fn mlp(c: &mut Criterion) {
    let mut g = c.benchmark_group("mlp6_729");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(729));
    for preset in PRESETS {
        let text = mlp_spec(preset);
        let sweep = Sweep::from_json(&text, root()).unwrap();
        let ids = sweep.points().shard_ids(Shard::WHOLE);
        assert_eq!(ids.len(), 729);
        g.bench_function(format!("evaluate/{preset}"), |b| {
            b.iter(|| run_all(&sweep, &ids))
        });
        g.bench_function(format!("validate_and_evaluate/{preset}"), |b| {
            b.iter(|| {
                let s = Sweep::from_json(&text, root()).unwrap();
                run_all(&s, &ids)
            })
        });
    }
    // Issue #13's target: the same study on edge_npu_32x32 with the event engine.
    let mut v: serde_json::Value = serde_json::from_str(&mlp_spec("edge_npu_32x32")).unwrap();
    v["engine"] = "event".into();
    let sweep = Sweep::from_json(&v.to_string(), root()).unwrap();
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    g.bench_function("evaluate_event/edge_npu_32x32", |b| {
        b.iter(|| run_all(&sweep, &ids))
    });
    g.finish();
}

/// The MLP study on `h100_sxm` with the event engine: most points exceed the 700 W cap at
/// the nominal clock, so each solves its clock ([`accelsim::power::solve`]).
fn mlp_h100_capped(c: &mut Criterion) {
    let mut v: serde_json::Value = serde_json::from_str(&mlp_spec("h100_sxm")).unwrap();
    v["engine"] = "event".into();
    let sweep = Sweep::from_json(&v.to_string(), root()).unwrap();
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    assert_eq!(ids.len(), 729);
    let mut g = c.benchmark_group("mlp6_729");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(729));
    g.bench_function("evaluate/h100_sxm_capped_event", |b| {
        b.iter(|| run_all(&sweep, &ids))
    });
    g.finish();
}

fn resnet18(c: &mut Criterion) {
    let sweep = Sweep::load(&root().join("sweeps/resnet18_arch.json")).unwrap();
    assert_eq!(sweep.points().len(), 100_000);
    let ids = sweep.points().shard_ids(Shard {
        index: 0,
        count: 50,
    });
    let mut g = c.benchmark_group("resnet18_arch");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("shard_0_of_50", |b| b.iter(|| run_all(&sweep, &ids)));
    g.finish();
}

criterion_group!(benches, mlp, mlp_h100_capped, resnet18);
criterion_main!(benches);
