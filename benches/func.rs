//! Functional-execution throughput (MACs per second): the GEMM kernels alone and whole
//! one-op matmul workloads through `accelsim::func::execute` (operand decoding, kernel,
//! output encoding) for int8 (exact int32 accumulation), fp8_e4m3 and fp16 (fp32 FMA
//! chain, sequential order per output). Compare with `benches/numpy_matmul.py`.
//!
//! `cargo bench --bench func -- --warm-up-time 1 --measurement-time 3`

use accelsim::arch::Arch;
use accelsim::func::gemm::{gemm_float, gemm_int, FloatAcc, IntAcc};
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::workload::Workload;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const SIZES: [usize; 2] = [256, 512];
const KERNEL_SIZES: [usize; 3] = [256, 512, 1024];

fn data(n: usize, seed: u64) -> Vec<i32> {
    let mut s = accelsim::numerics::SplitMix64::new(seed);
    (0..n).map(|_| (s.next_u64() % 256) as i32 - 128).collect()
}

fn kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_kernel");
    g.sample_size(20);
    for &n in &KERNEL_SIZES {
        let macs = (n * n * n) as u64;
        g.throughput(Throughput::Elements(macs));
        let a = data(n * n, 1);
        let b = data(n * n, 2);
        g.bench_with_input(BenchmarkId::new("int8_i32acc", n), &n, |bch, &n| {
            bch.iter(|| {
                gemm_int(
                    black_box(&a),
                    black_box(&b),
                    None,
                    (n, n, n),
                    IntAcc::INT32_WRAP,
                )
            })
        });
        let af: Vec<f32> = a.iter().map(|&v| v as f32 / 64.0).collect();
        let bf: Vec<f32> = b.iter().map(|&v| v as f32 / 64.0).collect();
        g.bench_with_input(BenchmarkId::new("f32_fma_chain", n), &n, |bch, &n| {
            bch.iter(|| {
                gemm_float(
                    black_box(&af),
                    black_box(&bf),
                    None,
                    (n, n, n),
                    &FloatAcc::Fma32 { block: usize::MAX },
                )
            })
        });
    }
    g.finish();
}

fn workloads(c: &mut Criterion) {
    let arch = Arch::load("tests/data/func/arch_all_formats.json".as_ref()).unwrap();
    let mut g = c.benchmark_group("matmul_workload");
    g.sample_size(10);
    for (fmt, out) in [("int8", "int32"), ("fp8_e4m3", "fp32"), ("fp16", "fp32")] {
        for &n in &SIZES {
            g.throughput(Throughput::Elements((n * n * n) as u64));
            let spec = format!(
                r#"{{"name": "mm", "inputs": [{{"name": "a", "shape": [{n}, {n}], "format": "{fmt}"}}],
                   "weights": [{{"name": "w", "shape": [{n}, {n}], "format": "{fmt}"}}],
                   "ops": [{{"name": "mm", "op": "matmul", "inputs": ["a"], "weight": "w",
                             "output": "y", "precision": {{"output": "{out}"}}}}]}}"#
            );
            let w = Workload::from_json(&spec).unwrap();
            // Inputs and weights bound once (seeded random values), as a caller would.
            let mut feeds = Feeds::default();
            let out = execute(&w, &arch, &feeds, &ExecOptions { seed: 1 }).unwrap();
            let _ = out;
            for (name, is_input) in [("a", true), ("w", false)] {
                let t = &w.tensors[w.tensor_by_name(name).unwrap()];
                let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
                let v = accelsim::func::random::random_value(1, name, t.format, &shape).unwrap();
                let host = v.to_tensor().unwrap();
                if is_input {
                    feeds.inputs.insert(name.into(), host);
                } else {
                    feeds.weights.insert(name.into(), host);
                }
            }
            g.bench_with_input(BenchmarkId::new(fmt, n), &n, |bch, _| {
                bch.iter(|| execute(&w, &arch, &feeds, &ExecOptions { seed: 1 }).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, kernels, workloads);
criterion_main!(benches);
