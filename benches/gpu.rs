//! Speed of the GPU execution model and the power-cap solver:
//! `cargo bench --bench gpu`.

use accelsim::arch::Arch;
use accelsim::sim::Engine;
use accelsim::validate::{self, calibration::Calibration};
use accelsim::workload::Workload;
use criterion::{criterion_group, criterion_main, Criterion};

fn benches(c: &mut Criterion) {
    let h100 = Arch::from_json(validate::H100_ARCH_JSON).unwrap();
    let mlp = Workload::from_json(validate::MLP6_JSON).unwrap();
    c.bench_function("run mlp6 on h100 (power-capped)", |b| {
        b.iter(|| accelsim::run(&mlp, &h100, Engine::Analytic).unwrap())
    });
    let bert = Workload::load(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/workloads/bert_base_encoder.json"
        )
        .as_ref(),
    )
    .unwrap();
    c.bench_function("run bert_base_encoder on h100", |b| {
        b.iter(|| accelsim::run(&bert, &h100, Engine::Analytic).unwrap())
    });
    let cal = Calibration::from_json(validate::H100_CALIBRATION_JSON).unwrap();
    c.bench_function("validate h100 (42 calibration points)", |b| {
        b.iter(|| validate::h100::validate(&h100, &cal).unwrap())
    });
}

criterion_group!(gpu, benches);
criterion_main!(gpu);
