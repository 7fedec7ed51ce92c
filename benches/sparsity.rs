//! Value-level sparsity helpers on a 4096 × 4096 f32 weight (16.8 M values, the size of a
//! large transformer projection): measuring density + N:M pattern (what ONNX import does
//! per initializer), validating 2:4, and magnitude pruning to 2:4 and to a density.
//!
//! `cargo bench --bench sparsity`

use accelsim::workload::sparsity::{
    measure, prune_density, prune_nm, validate_nm, NmPattern, ReductionLayout,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn weight() -> Vec<f32> {
    let mut s = 1u64;
    (0..4096 * 4096)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0 + 1e-7
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let layout = ReductionLayout::along_axis(&[4096, 4096], 0);
    let p24 = NmPattern::new(2, 4).unwrap();
    let dense = weight();
    let mut pruned = dense.clone();
    prune_nm(&mut pruned, layout, p24);
    let mut g = c.benchmark_group("sparsity_4096x4096_f32");
    g.throughput(Throughput::Elements(dense.len() as u64));
    g.sample_size(10);
    g.bench_function("measure_dense", |b| {
        b.iter(|| measure(black_box(&dense), layout))
    });
    g.bench_function("measure_2_4", |b| {
        b.iter(|| measure(black_box(&pruned), layout))
    });
    g.bench_function("validate_2_4", |b| {
        b.iter(|| validate_nm("w", black_box(&pruned), layout, p24))
    });
    g.bench_function("prune_2_4", |b| {
        b.iter_batched_ref(
            || dense.clone(),
            |v| prune_nm(v, layout, p24),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("prune_density_0.3", |b| {
        b.iter_batched_ref(
            || dense.clone(),
            |v| prune_density(v, 0.3),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
