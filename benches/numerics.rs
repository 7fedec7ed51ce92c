//! Throughput of the numerics hot paths (values per second; criterion reports
//! elements/s): f32 → code casts through the slice API, decodes, and dot products.
//!
//! Run: `cargo bench --bench numerics`

use accelsim::numerics::{
    cast_slice, dot_i8, AccOrder, Accumulator, CastOptions, Caster, Format, Overflow, Rounding,
    SplitMix64,
};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const N: usize = 1 << 20;

/// N(0,1)-ish values spread over ±2^±8 (realistic activations), deterministic.
fn inputs() -> Vec<f32> {
    let mut g = SplitMix64::new(0x5eed);
    (0..N)
        .map(|_| {
            let u = (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let e = ((g.next_u64() % 17) as i32) - 8;
            let s = if g.next_u64() & 1 == 1 { -1.0 } else { 1.0 };
            (s * (1.0 + u) * 2f64.powi(e)) as f32
        })
        .collect()
}

fn bench_cast(c: &mut Criterion) {
    let x = inputs();
    let mut group = c.benchmark_group("cast_f32");
    group.throughput(Throughput::Elements(N as u64));
    for name in ["fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp4_e2m1", "e8m0"] {
        let f = Format::parse(name).unwrap_or(Format::FP8_E4M3);
        let mut out = vec![0u8; N];
        let mut caster = Caster::new(f, CastOptions::RNE).expect("caster");
        group.bench_function(BenchmarkId::new("rne_u8", name), |b| {
            b.iter(|| caster.cast_slice(black_box(&x), &mut out))
        });
    }
    {
        let mut out = vec![0u8; N];
        let sat = CastOptions::new(Rounding::TowardZero, Overflow::Saturate);
        group.bench_function(BenchmarkId::new("rtz_sat_u8", "fp8_e4m3"), |b| {
            b.iter(|| cast_slice(Format::FP8_E4M3, sat, black_box(&x), &mut out))
        });
        let sr = CastOptions::new(Rounding::Stochastic, Overflow::Ieee).with_seed(1);
        let mut caster = Caster::new(Format::FP8_E4M3, sr).expect("caster");
        group.bench_function(BenchmarkId::new("stochastic_u8", "fp8_e4m3"), |b| {
            b.iter(|| caster.cast_slice(black_box(&x), &mut out))
        });
        let mut caster = Caster::new(Format::INT8, CastOptions::RNE).expect("caster");
        group.bench_function(BenchmarkId::new("rne_u8", "int8"), |b| {
            b.iter(|| caster.cast_slice(black_box(&x), &mut out))
        });
    }
    for name in ["fp16", "bf16"] {
        let f = Format::parse(name).unwrap_or(Format::FP16);
        let mut out = vec![0u16; N];
        let mut caster = Caster::new(f, CastOptions::RNE).expect("caster");
        group.bench_function(BenchmarkId::new("rne_u16", name), |b| {
            b.iter(|| caster.cast_slice(black_box(&x), &mut out))
        });
        let mut generic = Caster::new(f, CastOptions::new(Rounding::NearestAway, Overflow::Ieee))
            .expect("caster");
        group.bench_function(BenchmarkId::new("rna_u16_generic", name), |b| {
            b.iter(|| generic.cast_slice(black_box(&x), &mut out))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(N as u64));
    let codes: Vec<u8> = (0..N).map(|i| (i * 7919) as u8).collect();
    let mut out = vec![0f32; N];
    let caster = Caster::new(Format::FP8_E4M3, CastOptions::RNE).expect("caster");
    group.bench_function("fp8_e4m3_u8", |b| {
        b.iter(|| caster.decode_slice(black_box(&codes), &mut out))
    });
    group.finish();
}

fn bench_dot(c: &mut Criterion) {
    const K: usize = 4096;
    let x = inputs();
    let (a, b) = (&x[..K], &x[K..2 * K]);
    let mut group = c.benchmark_group("dot");
    group.throughput(Throughput::Elements(K as u64));
    let accs = [
        ("fp32_seq_fused", Accumulator::FP32_SEQ),
        (
            "fp32_pairwise",
            Accumulator::FP32_SEQ.with_order(AccOrder::Pairwise),
        ),
        (
            "fp32_chunked16",
            Accumulator::FP32_SEQ.with_order(AccOrder::Chunked { size: 16 }),
        ),
        (
            "fp16_seq",
            Accumulator::new(accelsim::numerics::AccFormat::Float(
                accelsim::numerics::FloatFormat::FP16,
            )),
        ),
        ("exact", Accumulator::EXACT),
    ];
    for (name, acc) in accs {
        group.bench_function(name, |bch| {
            bch.iter(|| acc.dot_f32(black_box(a), black_box(b)))
        });
    }
    let ai: Vec<i8> = (0..K).map(|i| (i * 31) as i8).collect();
    let bi: Vec<i8> = (0..K).map(|i| (i * 17 + 3) as i8).collect();
    group.bench_function("int8_i32_wrap", |bch| {
        bch.iter(|| dot_i8(black_box(&ai), black_box(&bi)))
    });
    let a32: Vec<i32> = ai.iter().map(|&v| v as i32).collect();
    let b32: Vec<i32> = bi.iter().map(|&v| v as i32).collect();
    let sat = Accumulator::new(accelsim::numerics::AccFormat::Int { bits: 16 })
        .with_overflow(Overflow::Saturate);
    group.bench_function("int8_int16_saturate", |bch| {
        bch.iter(|| sat.dot_i32(black_box(&a32), black_box(&b32)))
    });
    let pa =
        accelsim::numerics::pack_binary(&ai.iter().map(|&v| (v & 1) as u8).collect::<Vec<_>>());
    let pb =
        accelsim::numerics::pack_binary(&bi.iter().map(|&v| (v & 1) as u8).collect::<Vec<_>>());
    group.bench_function("binary_xnor_popcount", |bch| {
        bch.iter(|| accelsim::numerics::binary_dot_packed(black_box(&pa), black_box(&pb), K))
    });
    group.finish();
}

criterion_group!(benches, bench_cast, bench_dot);
criterion_main!(benches);
