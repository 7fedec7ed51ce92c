//! Speed of the discrete-event engine (issue 4): ResNet-50 (batch 1) and a 32-layer
//! transformer decoder (prefill 2048) on a 128×128 array with the full memory model
//! (DRAM, global buffer, per-core buffers, layer pipelining). `run/*` is the whole
//! pipeline (plan + simulate + report); `simulate/*` is the engine alone, with criterion's
//! throughput in events per second. `run_cold/*` is the whole pipeline with the mapping
//! search's memo cleared before every run (every distinct op shape searched again); the
//! setup prints the number of distinct shapes searched and the search time per shape.
//! `run_cold_fused/*` is `run_cold/*` on the same arch with an `epilogue` (operator fusion).
//!
//! cargo bench --bench engine

use std::hint::black_box;

use accelsim::arch::Arch;
use accelsim::sim::{simulate, Engine};
use accelsim::workload::Workload;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A 128×128 weight-stationary int8 array at 1 GHz: 64 GB/s DRAM with 100 ns latency,
/// a 4 MiB global buffer, 512 KiB ifmap / 256 KiB filter / 256 KiB ofmap buffers.
/// (`benches/engine_arch.json`, also the arch of the figures docs/engine.md quotes.)
const ARCH: &str = include_str!("engine_arch.json");

fn load(name: &str) -> Workload {
    let path = format!("{}/workloads/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Workload::load(path.as_ref()).expect("workload")
}

fn bench(c: &mut Criterion) {
    let arch = Arch::from_json(ARCH).expect("arch");
    for name in ["resnet50", "transformer_decoder_32l"] {
        let w = load(name);
        let costs = accelsim::model::plan(&w, &arch).expect("plan");
        let events = simulate(&w, &arch, &costs, Engine::Event).events;
        accelsim::model::search::reset_stats();
        accelsim::run(&w, &arch, Engine::Event).expect("run");
        let st = accelsim::model::search::stats();
        eprintln!(
            "{name}: {} distinct op shapes searched, {} mappings evaluated, {:.1} µs per shape",
            st.searches,
            st.evaluated,
            st.seconds * 1e6 / st.searches.max(1) as f64
        );
        let mut g = c.benchmark_group("engine");
        g.bench_function(format!("run_cold/{name}"), |b| {
            b.iter(|| {
                accelsim::model::search::reset_stats();
                accelsim::run(black_box(&w), black_box(&arch), Engine::Event).unwrap()
            })
        });
        g.bench_function(format!("run/{name}"), |b| {
            b.iter(|| accelsim::run(black_box(&w), black_box(&arch), Engine::Event).unwrap())
        });
        g.throughput(Throughput::Elements(events));
        g.bench_function(format!("simulate/{name}"), |b| {
            b.iter(|| {
                simulate(
                    black_box(&w),
                    black_box(&arch),
                    black_box(&costs),
                    Engine::Event,
                )
            })
        });
        g.finish();
    }
    // The same arch with a post-processing path: elementwise ops fuse into their producers
    // (docs/fusion.md); the fusion pass is part of the whole run.
    let mut spec: serde_json::Value = serde_json::from_str(ARCH).expect("json");
    spec["epilogue"] =
        serde_json::json!({ "ops": ["bias", "residual", "relu", "activation", "requantize"] });
    let fused = Arch::from_json(&spec.to_string()).expect("arch");
    for name in ["resnet50", "transformer_decoder_32l"] {
        let w = load(name);
        let mut g = c.benchmark_group("engine");
        g.bench_function(format!("run_cold_fused/{name}"), |b| {
            b.iter(|| {
                accelsim::model::search::reset_stats();
                accelsim::run(black_box(&w), black_box(&fused), Engine::Event).unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
