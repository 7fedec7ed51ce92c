//! Criterion benchmarks of a training step's cost (derive the backward graph + evaluate
//! with the event engine): ResNet-18 at batch 32 on `tpu_v1` (fp8_hybrid policy, fp8 run
//! on the int8 MACs by precision fallback) and the BERT encoder on `h100_sxm` (fp8_hybrid).
//!
//! Run with `cargo bench --bench train`; figures are in BENCHMARKS.md.

use std::path::PathBuf;

use accelsim::arch::Arch;
use accelsim::train::{train_cost, Policy, TrainOptions};
use accelsim::workload::Workload;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn with_batch(path: &str, batch: u64) -> Workload {
    let w = Workload::load(&root().join(path)).unwrap();
    let mut spec = w.spec.clone();
    for t in &mut spec.inputs {
        t.shape[0] = batch;
    }
    Workload::from_spec(spec).unwrap()
}

fn bench_train(c: &mut Criterion) {
    let policy = Policy::bundled("fp8_hybrid").unwrap();
    let opts = TrainOptions::default();
    let mut g = c.benchmark_group("train_step");
    g.sample_size(20);
    let resnet = with_batch("workloads/resnet18.json", 32);
    let mut tpu = Arch::load(&root().join("arch_configs/tpu_v1.json")).unwrap();
    tpu.precision_fallback = true;
    g.bench_function("resnet18_b32_tpu_v1", |b| {
        b.iter(|| train_cost(black_box(&resnet), black_box(&tpu), &policy, &opts).unwrap())
    });
    let bert = Workload::load(&root().join("workloads/bert_base_encoder.json")).unwrap();
    let h100 = Arch::load(&root().join("arch_configs/h100_sxm.json")).unwrap();
    g.bench_function("bert_encoder_h100_sxm", |b| {
        b.iter(|| train_cost(black_box(&bert), black_box(&h100), &policy, &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
