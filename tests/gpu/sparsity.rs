//! 2:4 structured sparsity in the GPU kernel model (H100/A100 presets), checked against
//! figures derived by hand from the kernel model's equations (docs/gpu.md) and the
//! presets' published numbers:
//!
//! - H100 SM: 4 tensor cores × 512 fp16 MACs/cycle = 2048 MACs/cycle, fp16 library
//!   efficiency η = 0.9, 800 fixed cycles per tile, launch 4 µs = 7920 cycles at 1.98 GHz;
//! - the presets' `sparsity` block: 2:4 on weights, speedup 2, 2 metadata bits per kept
//!   value, so a 2:4 fp16 weight stores (2/4)·(16 + 2)/16 = 0.5625 of its dense bytes and
//!   an int8 one (2/4)·(8 + 2)/8 = 0.625.

use accelsim::arch::Arch;
use accelsim::model::gpu::GpuCost;
use accelsim::model::{self, ArrayMapping, OpCost};
use accelsim::report::Report;
use accelsim::sim::{Engine, StallReason};
use accelsim::workload::Workload;
use approx::assert_relative_eq;
use serde_json::{json, Value};

fn preset(name: &str) -> Arch {
    Arch::load(format!("{}/arch_configs/{name}.json", env!("CARGO_MANIFEST_DIR")).as_ref()).unwrap()
}

fn without_sparsity(a: &Arch) -> Arch {
    let mut a = a.clone();
    a.sparsity = None;
    a
}

/// `x[m, k] · W[k, n]` in `prec`, the weight's sparsity declared as `sp` (`"2:4"`, a
/// density) or dense.
fn gemm(m: u64, n: u64, k: u64, prec: &str, sp: Option<Value>) -> Workload {
    let mut op = json!({ "name": "gemm", "op": "matmul", "inputs": ["x"], "output": "y",
                         "out_features": n, "precision": prec });
    if let Some(p) = sp {
        op["sparsity"] = json!({ "weights": p });
    }
    Workload::from_json(
        &json!({ "name": "g", "inputs": [ { "name": "x", "shape": [m, k], "format": prec } ],
                 "ops": [op] })
        .to_string(),
    )
    .unwrap()
}

fn cost(w: &Workload, a: &Arch) -> OpCost {
    model::plan(w, a).unwrap().remove(0)
}

fn kernel(c: &OpCost) -> GpuCost {
    match c.mapping {
        Some(ArrayMapping::Gpu(g)) => g,
        ref m => panic!("expected a GPU mapping, got {m:?}"),
    }
}

fn run(w: &Workload, a: &Arch) -> Report {
    accelsim::run(w, a, Engine::Event).unwrap()
}

/// Through the PyTorch eager launch path the H100 calibration measured (host-bound small
/// kernels).
fn run_eager(w: &Workload, a: &Arch) -> Report {
    let eager = accelsim::model::RunOptions::with_launch(accelsim::model::gpu::Launch::Eager);
    accelsim::run_with(w, a, Engine::Event, &eager).unwrap()
}

#[test]
fn compute_bound_main_loop_takes_half_the_time() {
    let h = preset("h100_sxm");
    let dense = cost(&gemm(8192, 8192, 8192, "fp16", None), &h);
    let sparse = cost(&gemm(8192, 8192, 8192, "fp16", Some(json!("2:4"))), &h);
    let (d, s) = (kernel(&dense), kernel(&sparse));
    // Both pick 128×256 tiles (K slice 64), one CTA per SM: 64·32 = 2048 tiles in 16 waves.
    assert_eq!(
        (d.cta, d.ctas, d.waves, d.ctas_per_sm),
        ([128, 256, 64], 2048, 16, 1)
    );
    assert_eq!(
        (s.cta, s.ctas, s.waves, s.ctas_per_sm),
        (d.cta, d.ctas, d.waves, 1)
    );
    // Dense main loop: 128·256·8192 / (2048·0.9) MAC cycles; it outlasts the shared-memory
    // time 2·(128·2 + 256·2)·8192 / 128 = 98304. With 2:4 weights the tensor cores run at
    // 2 × 2048: half the cycles, still above the shared memory's
    // 2·(128·2 + 256·2·0.5625)·8192 / 128 = 69632.
    let mma_dense = 128.0 * 256.0 * 8192.0 / (2048.0 * 0.9);
    assert_relative_eq!(d.tile_cycles - 800.0, mma_dense, max_relative = 1e-12);
    assert_relative_eq!(s.tile_cycles - 800.0, mma_dense / 2.0, max_relative = 1e-12);
    assert_eq!((s.tile_cycles - 800.0) / (d.tile_cycles - 800.0), 0.5);
    assert_eq!(s.mma_cycles / d.mma_cycles, 0.5);
    // Device time = launch + max(waves · tile, L2 bytes / 3630 B/cycle): the sparse kernel
    // moves less through L2 but its halved main loop now sits under the L2 time.
    for (c, g) in [(&dense, d), (&sparse, s)] {
        let main = 16.0 * g.tile_cycles;
        let expect = (7920.0 + main.max(g.l2_bytes / 3630.0)).ceil() as u64;
        assert_eq!(c.compute_cycles, expect);
    }
    assert!(sparse.compute_cycles < dense.compute_cycles);
    // SM active cycles and issued MACs both halve, so does the array's energy.
    assert_relative_eq!(
        s.active_sm_cycles,
        d.active_sm_cycles / 2.0,
        max_relative = 1e-12
    );
    assert_relative_eq!(
        sparse.energy.mac_pj,
        dense.energy.mac_pj / 2.0,
        max_relative = 1e-12
    );
    // DRAM energy follows the bytes moved.
    assert_relative_eq!(
        sparse.energy.dram_pj / dense.energy.dram_pj,
        sparse.traffic.dram_bytes() / dense.traffic.dram_bytes(),
        max_relative = 1e-12
    );
    let e = sparse.sparsity.as_ref().unwrap();
    assert_eq!(e.features, ["2:4 structured"]);
    assert_eq!((e.peak_multiplier, e.mac_energy_fraction), (2.0, 0.5));
    assert_eq!(e.dense_compute_cycles, dense.compute_cycles);
    assert!(e.energy_saved_pj > 0.0 && e.dram_bytes_saved > 0.0);
}

#[test]
fn weight_bytes_are_kept_values_plus_metadata() {
    // 2048³ fits in the 50 MB L2 (three 8 MiB fp16 matrices), so HBM reads each operand
    // once: A dense plus B as its kept half, 2 bytes each, plus 2 metadata bits per kept value.
    let h = preset("h100_sxm");
    for (prec, bytes) in [("fp16", 2.0), ("int8", 1.0)] {
        let n = 2048.0f64;
        let dense = cost(&gemm(2048, 2048, 2048, prec, None), &h);
        let sparse = cost(&gemm(2048, 2048, 2048, prec, Some(json!("2:4"))), &h);
        let kept = n * n / 2.0;
        let weight_hbm = kept * bytes + kept * 2.0 / 8.0;
        let s = kernel(&sparse);
        assert_eq!(s.hbm_read_bytes, n * n * bytes + weight_hbm, "{prec}");
        assert_eq!(kernel(&dense).hbm_read_bytes, 2.0 * n * n * bytes, "{prec}");
        assert_eq!(sparse.traffic.dram_read_bytes, s.hbm_read_bytes);
        // L2: every CTA reads its A rows (bm × kc) dense and its B columns (bn × kc) as kept
        // values plus metadata, halved by the 2-CTA cluster multicast; then the outputs
        // (2048² in the output format) and, under split-K, fp32/int32 partials written
        // and read back per split.
        let [bm, bn, bk] = s.cta;
        let kc = (2048u64.div_ceil(s.split_k)).div_ceil(bk) * bk;
        let (bmf, bnf, kcf) = (bm as f64, bn as f64, kc as f64);
        let b_tile = bnf * kcf / 2.0 * bytes + bnf * kcf / 2.0 * 2.0 / 8.0;
        let partials = if s.split_k > 1 {
            2.0 * s.split_k as f64 * n * n * 4.0
        } else {
            0.0
        };
        let l2 = s.ctas as f64 * (bmf * kcf * bytes + b_tile) / 2.0 + n * n * bytes + partials;
        assert_relative_eq!(s.l2_bytes, l2, max_relative = 1e-12);
    }
}

#[test]
fn host_bound_gemm_gains_no_time() {
    // 256³ fp16 launched eagerly: the 44.5 µs host dispatch per call bounds it, dense or 2:4.
    let h = preset("h100_sxm");
    let d = run_eager(&gemm(256, 256, 256, "fp16", None), &h);
    let s = run_eager(&gemm(256, 256, 256, "fp16", Some(json!("2:4"))), &h);
    assert_eq!(s.summary.cycles, d.summary.cycles);
    assert_eq!(s.summary.cycles, (44.5e-6 * 1.98e9f64).round() as u64);
    assert_eq!(s.layers[0].stall_reason, StallReason::HostBound);
    // Fewer bytes and MACs still save energy.
    assert!(s.summary.energy_pj < d.summary.energy_pj);
}

#[test]
fn dense_data_costs_exactly_the_dense_result() {
    // The sparsity block changes nothing for dense weights: every figure of the report is
    // identical with and without it, GEMMs and convolutions alike.
    for name in ["h100_sxm", "a100_sxm"] {
        let with = preset(name);
        let without = without_sparsity(&with);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/workloads");
        let mut workloads = vec![gemm(8192, 8192, 8192, "fp16", None)];
        for wl in ["resnet18", "bert_base_encoder", "sparsity_study_int8_dense"] {
            workloads.push(Workload::load(format!("{dir}/{wl}.json").as_ref()).unwrap());
        }
        for w in &workloads {
            assert_eq!(
                model::plan(w, &with).unwrap(),
                model::plan(w, &without).unwrap()
            );
            let (a, b) = (run(w, &with), run(w, &without));
            assert_eq!(
                serde_json::to_value(&a.summary).unwrap(),
                serde_json::to_value(&b.summary).unwrap(),
                "{name} {}",
                w.name
            );
        }
    }
}

#[test]
fn no_block_or_unsupported_format_gives_the_dense_result() {
    let h = preset("h100_sxm");
    let bare = without_sparsity(&h);
    // 2:4 weights on an H100 without the block cost exactly what dense weights cost.
    for (m, prec) in [(8192, "fp16"), (1024, "int8")] {
        let dense = cost(&gemm(m, m, m, prec, None), &bare);
        let sparse = cost(&gemm(m, m, m, prec, Some(json!("2:4"))), &bare);
        assert_eq!(sparse.compute_cycles, dense.compute_cycles);
        assert_eq!(sparse.traffic, dense.traffic);
        assert_eq!(sparse.energy, dense.energy);
        let e = sparse.sparsity.unwrap();
        assert_eq!((e.compute_speedup, e.energy_saved_pj), (1.0, 0.0));
        assert!(e.not_exploited[0].contains("no sparsity support"), "{e:?}");
    }
    // fp32 runs on CUDA cores: not a sparse tensor-core format in the preset.
    let dense = cost(&gemm(4096, 4096, 4096, "fp32", None), &h);
    let sparse = cost(&gemm(4096, 4096, 4096, "fp32", Some(json!("2:4"))), &h);
    assert_eq!(
        (sparse.compute_cycles, sparse.traffic, sparse.energy),
        (dense.compute_cycles, dense.traffic, dense.energy)
    );
    // Unstructured density 0.5 matches no pattern: the tensor cores gain nothing.
    let d = cost(&gemm(4096, 4096, 4096, "fp16", None), &h);
    let u = cost(&gemm(4096, 4096, 4096, "fp16", Some(json!(0.5))), &h);
    assert_eq!(
        (u.compute_cycles, u.traffic, u.energy),
        (d.compute_cycles, d.traffic, d.energy)
    );
    assert_eq!(u.sparsity.unwrap().compute_speedup, 1.0);
}

#[test]
fn sparsity_study_on_h100_shows_the_2x4_effect() {
    // The study's six weight GEMMs hold 4·768·768 + 2·768·3072 = 7077888 weights. 2:4
    // stores them at 0.5625 (fp16) / 0.625 (int8) of their bytes, so DRAM saves
    // 7077888·2·0.4375 and 7077888·1·0.375 bytes. Launched eagerly, every op of a
    // 128-token layer is bound by the 44.5 µs (fp16) / 34.9 µs (int8) host dispatch, so
    // latency does not change.
    let h = preset("h100_sxm");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/workloads");
    for (prec, saved) in [
        ("fp16", 7077888.0 * 2.0 * 0.4375),
        ("int8", 7077888.0 * 1.0 * 0.375),
    ] {
        let load = |s: &str| {
            Workload::load(format!("{dir}/sparsity_study_{prec}_{s}.json").as_ref()).unwrap()
        };
        let (d, s) = (run_eager(&load("dense"), &h), run_eager(&load("2x4"), &h));
        let sum = s.summary.sparsity.as_ref().unwrap();
        assert_eq!((sum.sparse_ops, sum.exploited_ops), (6, 6));
        assert_eq!(sum.dram_bytes_saved, saved, "{prec}");
        assert!(sum.compute_cycles < sum.dense_compute_cycles);
        assert_eq!(
            d.summary.dram_bytes - s.summary.dram_bytes,
            saved,
            "{prec}: the event engine moves what the model saves"
        );
        assert_eq!(s.summary.cycles, d.summary.cycles, "{prec}: host-bound");
        assert!(s.summary.energy_pj < d.summary.energy_pj);
        for l in s.layers.iter().filter(|l| l.sparsity.is_some()) {
            let e = l.sparsity.as_ref().unwrap();
            assert_eq!(e.features, ["2:4 structured"], "{}", l.name);
            assert_eq!(e.density_weights, Some(0.5));
        }
    }
}

/// One GEMM through the full pipeline (power cap included) as `accelsim run` gives it:
/// (latency s, energy per MAC pJ, clock GHz, what bounds it).
fn predict(w: &Workload, arch: &Arch) -> (f64, f64, f64, String) {
    let solved =
        accelsim::evaluate(w, arch, &accelsim::Options::with_engine(Engine::Event)).unwrap();
    let r = solved.report(w);
    let bound = if r.layers[0].stall_reason == StallReason::HostBound {
        "host".to_string()
    } else {
        let b = kernel(&solved.costs[0]).bound;
        serde_json::to_value(b)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    (
        r.summary.latency_s,
        r.summary.energy_pj / r.summary.macs as f64,
        r.power.clock_ghz,
        bound,
    )
}

#[test]
fn validation_md_lists_the_current_2x4_predictions() {
    // The prediction table in VALIDATION.md ("2:4 structured sparsity on the H100") is what
    // the model gives now; on failure, paste the table printed here.
    let h = preset("h100_sxm");
    let mut table = String::from(
        "| precision | M=N=K | dense µs | 2:4 µs | speedup | dense pJ/MAC | 2:4 pJ/MAC | clock GHz (dense / 2:4) | 2:4 bound |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    for prec in ["fp16", "bf16", "fp8_e4m3", "int8"] {
        for n in [1024, 4096, 8192, 16384] {
            let (td, ed, cd, _) = predict(&gemm(n, n, n, prec, None), &h);
            let (ts, es, cs, bound) = predict(&gemm(n, n, n, prec, Some(json!("2:4"))), &h);
            table.push_str(&format!(
                "| {prec} | {n} | {:.1} | {:.1} | {:.2}× | {ed:.3} | {es:.3} | {cd:.3} / {cs:.3} | {bound} |\n",
                td * 1e6,
                ts * 1e6,
                td / ts
            ));
        }
    }
    println!("{table}");
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/VALIDATION.md")).unwrap();
    assert!(
        doc.contains(&table),
        "VALIDATION.md's 2:4 table is stale; current:\n{table}"
    );
}

#[test]
fn gpu_presets_declare_two_four_on_weights() {
    for name in ["h100_sxm", "a100_sxm"] {
        let a = preset(name);
        let st = a
            .sparsity
            .as_ref()
            .and_then(|s| s.structured.as_ref())
            .expect("structured sparsity declared");
        assert_eq!(st.operand, accelsim::arch::sparsity::Operand::Weights);
        let p = &st.patterns[0];
        assert_eq!(
            (st.patterns.len(), p.n, p.m, p.speedup(), p.metadata_bits()),
            (1, 2, 4, 2.0, 2.0)
        );
        // Every tensor-core format of the preset is sparse-capable except binary (the A100
        // whitepaper lists sparse TF32, FP16, BF16, INT8 and INT4 only); fp32 (CUDA cores)
        // is not.
        let (fp32, binary) = (
            accelsim::numerics::Format::FP32,
            accelsim::numerics::Format::Binary,
        );
        assert!(!st.formats.contains(&fp32) && !st.formats.contains(&binary));
        let dense_only = [fp32, binary];
        let capable = a
            .precisions
            .iter()
            .filter(|p| !dense_only.contains(&p.format));
        assert_eq!(st.formats.len(), capable.count(), "{name}");
        assert!(a.sources.contains_key("sparsity.structured"), "{name}");
    }
}
