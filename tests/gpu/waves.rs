//! The GPU execution model against hand-computed figures on a toy 4-SM GPU
//! (tests/data/gpu/toy_gpu.json: 1 GHz, 1024 fp16 MACs/SM/cycle, one 128×128 CTA tile with
//! a 64-element K slice, one CTA per SM, no overheads, no L2, 1000 bytes/cycle of DRAM).

use accelsim::arch::Arch;
use accelsim::model::gpu::{gemm_cost, GemmShape, GpuParams};
use accelsim::model::ArrayMapping;
use accelsim::numerics::Format;
use accelsim::sim::{Engine, StallReason};
use accelsim::validate::gemm::gemm_workload;

fn toy() -> Arch {
    Arch::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gpu/toy_gpu.json").as_ref())
        .unwrap()
}

fn latency_cycles(arch: &Arch, m: u64, n: u64, k: u64, f: Format) -> u64 {
    let w = gemm_workload(m, n, k, f, f).unwrap();
    accelsim::run(&w, arch, Engine::Analytic)
        .unwrap()
        .summary
        .cycles
}

#[test]
fn full_waves_are_tile_time_times_waves() {
    // 512×256 output = 4×2 = 8 tiles on 4 SMs = 2 waves; one tile is
    // 128·128·1024 MACs / 1024 per cycle = 16384 cycles.
    let arch = toy();
    assert_eq!(
        latency_cycles(&arch, 512, 256, 1024, Format::FP16),
        2 * 16384
    );
    let w = gemm_workload(512, 256, 1024, Format::FP16, Format::FP16).unwrap();
    let costs = accelsim::model::plan(&w, &arch).unwrap();
    match costs[0].mapping {
        Some(ArrayMapping::Gpu(c)) => {
            assert_eq!((c.ctas, c.waves, c.cta), (8, 2, [128, 128, 64]));
            assert_eq!(c.mapping_efficiency, 1.0);
        }
        ref other => panic!("expected a GPU mapping, got {other:?}"),
    }
}

#[test]
fn last_partial_wave_costs_a_full_tile() {
    // 513 rows need 5 row tiles: 10 tiles = 2 full waves + 2 tiles → 3 waves, the same as
    // 640 rows (also 10 tiles), though 513 rows is barely more work than 512.
    let arch = toy();
    let t512 = latency_cycles(&arch, 512, 256, 1024, Format::FP16);
    let t513 = latency_cycles(&arch, 513, 256, 1024, Format::FP16);
    let t640 = latency_cycles(&arch, 640, 256, 1024, Format::FP16);
    assert_eq!(t513, 3 * 16384);
    assert_eq!(t513, t640);
    assert_eq!(t513 * 2, t512 * 3);
    println!("wave quantization: 512 rows {t512}, 513 rows {t513}, 640 rows {t640} cycles");
}

#[test]
fn efficiency_and_precision_rate() {
    // int8 runs at 2 MACs/PE/cycle with efficiency 0.5: the same 16384 cycles per tile of
    // K = 1024 (its K slice is 128 elements, so 8 slices instead of 16).
    let arch = toy();
    assert_eq!(
        latency_cycles(&arch, 512, 256, 1024, Format::INT8),
        2 * 16384
    );
}

#[test]
fn skinny_gemm_is_dram_bound() {
    // 8×4096 by 4096×512 fp16 on a 10 B/cycle DRAM: 4 column tiles = one wave of
    // 128·128·4096/1024 = 65536 cycles, while the bytes take ~426800 cycles to stream.
    let arch = toy();
    let mut dram_arch = arch.clone();
    dram_arch.memory.dram.bandwidth_gbps = 10.0; // 10 bytes per cycle
    let w = gemm_workload(8, 512, 4096, Format::FP16, Format::FP16).unwrap();
    let r = accelsim::run(&w, &dram_arch, Engine::Analytic).unwrap();
    // DRAM bytes: A 8·4096·2 = 65536, B 4096·512·2 = 4194304, C 8·512·2 = 8192.
    let bytes = 65536.0 + 4194304.0 + 8192.0;
    assert_eq!(r.layers[0].stall_reason, StallReason::DramBound);
    assert_eq!(r.summary.cycles, (bytes / 10.0f64).ceil() as u64);
}

#[test]
fn small_gemm_is_launch_and_host_bound() {
    let mut arch = toy();
    if let accelsim::arch::ArrayConfig::TensorCore { gpu: Some(g), .. } = &mut arch.array {
        g.launch_latency_us = 2.0; // 2000 cycles at 1 GHz
    }
    // 64×64×64: one tile of 128·128·64/1024 = 1024 cycles (padded), + 2000 launch = 3024 on
    // the device, under the C++ launch path's 5 µs = 5000-cycle host dispatch.
    let w = gemm_workload(64, 64, 64, Format::FP16, Format::FP16).unwrap();
    let cpp = accelsim::model::RunOptions::with_launch(accelsim::model::gpu::Launch::Cpp);
    let r = accelsim::run_with(&w, &arch, Engine::Analytic, &cpp).unwrap();
    assert_eq!(r.layers[0].compute_cycles, 3024);
    assert_eq!(r.summary.cycles, 5000);
    assert_eq!(r.layers[0].stall_reason, StallReason::HostBound);
}

#[test]
fn heuristic_picks_the_faster_tile_and_split_k() {
    // Pure kernel model: 4 SMs, tiles 128×128 or 64×64. A 128×128×8192 GEMM is one
    // 128×128 tile (1 SM busy: 128·128·8192/1024 = 131072 cycles) or four 64×64 tiles (one
    // wave of 64·64·8192/1024 = 32768 cycles): the heuristic takes the 64×64 tiles. With only
    // the 128×128 tile but split-K up to 4, the K split into 4 CTAs gives the same 32768.
    let p = GpuParams {
        sms: 4,
        macs_per_sm_per_cycle: 1024.0,
        efficiency: 1.0,
        cta_tiles: vec![[128, 128], [64, 64]],
        cta_k_bytes: 128,
        pipeline_stages: 2,
        max_ctas_per_sm: 1,
        register_file_bytes: 262144.0,
        smem_bytes: 233472.0,
        smem_bytes_per_cycle: 1e9,
        l2_bytes: 1e9,
        l2_bytes_per_cycle: f64::INFINITY,
        cluster_multicast: 1.0,
        hbm_bytes_per_cycle: 1e9,
        max_split_k: 1,
        tile_overhead_cycles: 0.0,
        launch_latency_cycles: 0.0,
    };
    let g = GemmShape::dense(1, 128, 128, 8192, 2.0, 2.0, 2.0, 4.0);
    let c = gemm_cost(&g, &p).unwrap();
    assert_eq!((c.cta[0], c.cta[1], c.device_cycles), (64, 64, 32768));
    let split = GpuParams {
        cta_tiles: vec![[128, 128]],
        max_split_k: 4,
        ..p
    };
    let c = gemm_cost(&g, &split).unwrap();
    assert_eq!((c.split_k, c.ctas, c.device_cycles), (4, 4, 32768));
}
