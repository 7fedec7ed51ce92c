//! Criterion benchmarks of the library's hot paths:
//! - `accelsim::run` (analytic engine) on ResNet-50 on the TPU-like and edge presets;
//! - loading (parsing and validating) the ResNet-50 workload file;
//! - importing a SCALE-Sim config and topology and planning it.
//!
//! Run with `cargo bench --bench run`; figures are in `docs/scalesim.md`.

use std::path::PathBuf;

use accelsim::arch::Arch;
use accelsim::import::scalesim;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bench_run(c: &mut Criterion) {
    let wl = Workload::load(&root().join("workloads/resnet50.json")).unwrap();
    let mut g = c.benchmark_group("run_resnet50_analytic");
    for preset in ["tpu_v1", "edge_npu_32x32"] {
        let arch = Arch::load(&root().join(format!("arch_configs/{preset}.json"))).unwrap();
        g.bench_function(preset, |b| {
            b.iter(|| accelsim::run(black_box(&wl), black_box(&arch), Engine::Analytic).unwrap())
        });
    }
    g.finish();
}

fn bench_load(c: &mut Criterion) {
    let path = root().join("workloads/resnet50.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut g = c.benchmark_group("load_workload");
    g.bench_function("resnet50_from_json", |b| {
        b.iter(|| Workload::from_json(black_box(&text)).unwrap())
    });
    g.bench_function("resnet50_load_file", |b| {
        b.iter(|| Workload::load(black_box(&path)).unwrap())
    });
    g.finish();
}

fn bench_scalesim(c: &mut Criterion) {
    let dir = root().join("tests/data/scalesim");
    let cfg_path = dir.join("configs/calc_32x32_os.cfg");
    let topo_path = dir.join("topologies/Resnet18.csv");
    let mut g = c.benchmark_group("scalesim");
    g.bench_function("import_resnet18", |b| {
        b.iter(|| {
            scalesim::import_files(black_box(&cfg_path), black_box(&topo_path), None).unwrap()
        })
    });
    let cfg = scalesim::load_config(&cfg_path).unwrap();
    let arch = scalesim::to_arch(&cfg, "calc_32x32_os.cfg");
    let wl = scalesim::to_workload(
        &scalesim::load_topology(&topo_path, None).unwrap(),
        "Resnet18.csv",
    )
    .unwrap();
    g.bench_function("run_resnet18_32x32_os", |b| {
        b.iter(|| accelsim::run(black_box(&wl), black_box(&arch), Engine::Analytic).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_run, bench_load, bench_scalesim);
criterion_main!(benches);
