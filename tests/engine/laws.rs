//! Sanity laws of the discrete-event engine (issue 4's acceptance list):
//! infinite bandwidth reproduces the array model's compute cycles exactly; halving DRAM
//! bandwidth never makes a run faster; a memory-bound op takes bytes / bandwidth within one
//! tile; two independent equal ops on two cores take the time of one; results are
//! byte-identical across runs and thread counts.

use crate::engine_util;

use accelsim::sim::Engine;
use engine_util::*;
use serde_json::json;

/// Architectures covering every array model and buffer organisation.
fn arch_variants() -> Vec<(&'static str, serde_json::Value)> {
    let mut v = Vec::new();
    for df in ["os", "ws", "is"] {
        let mut a = base_arch();
        set(&mut a, "array.dataflow", json!(df));
        v.push((df, a));
    }
    let mut big = base_arch();
    set(&mut big, "array.rows", json!(128));
    set(&mut big, "array.cols", json!(128));
    set(&mut big, "array.dataflow", json!("ws"));
    v.push(("128x128_ws", big));
    let mut tc = base_arch();
    set(
        &mut tc,
        "array",
        json!({ "kind": "tensor_core", "m": 16, "n": 8, "k": 16, "units_per_core": 4,
                "pipeline_latency_cycles": 12 }),
    );
    set(
        &mut tc,
        "precisions",
        json!([{ "format": "int8", "macs_per_pe_per_cycle": 2 },
               { "format": "fp16", "macs_per_pe_per_cycle": 1 }]),
    );
    v.push(("tensor_core", tc));
    let mut multi = base_arch();
    set(&mut multi, "cores", json!(4));
    v.push(("4_cores", multi));
    let mut unified = base_arch();
    set(
        &mut unified,
        "memory.core_buffers",
        json!({ "kind": "unified", "buffer": { "capacity_kib": 108, "bytes_per_cycle": 64 } }),
    );
    set(&mut unified, "memory.double_buffering", json!(false));
    v.push(("unified_single_buffered", unified));
    v
}

#[test]
fn infinite_bandwidth_reproduces_array_compute_cycles() {
    let mut checked = 0;
    for (name, mut a) in arch_variants() {
        make_infinite(&mut a);
        let arch = arch(&a);
        for wl in ["tiny_cnn", "resnet18", "bert_base_encoder", "mlp6"] {
            let w = workload(wl);
            let costs = accelsim::model::plan(&w, &arch).unwrap();
            let r = run(&w, &arch, Engine::Event);
            for (l, c) in r.layers.iter().zip(&costs) {
                assert_eq!(l.compute_cycles, c.compute_cycles, "{name}/{wl}/{}", l.name);
                assert_eq!(
                    l.cycles, c.compute_cycles,
                    "{name}/{wl}/{}: end − start must be the array model's cycles",
                    l.name
                );
                assert_eq!(l.stall_cycles, 0, "{name}/{wl}/{}", l.name);
                checked += 1;
            }
            // mlp6 is a chain: nothing overlaps, the makespan is the sum.
            if wl == "mlp6" {
                let sum: u64 = costs.iter().map(|c| c.compute_cycles).sum();
                assert_eq!(r.summary.cycles, sum, "{name}/{wl}");
            }
            assert!(r.summary.cycles <= r.summary.compute_cycles, "{name}/{wl}");
        }
    }
    println!("{checked} layers reproduce their compute cycles exactly");
}

#[test]
fn infinite_bandwidth_hand_computed_gemm() {
    // 128×256×512 on a 128×128 os array (SCALE-Sim's closed form, by hand): row folds
    // ceil(128/128) = 1, column folds ceil(256/128) = 2, each 128 + 128 + 512 − 2 = 766
    // cycles, total 2 · 766 − 1 = 1531.
    let mut a = base_arch();
    set(&mut a, "array.rows", json!(128));
    set(&mut a, "array.cols", json!(128));
    make_infinite(&mut a);
    let r = run(&gemm_workload(128, 256, 512), &arch(&a), Engine::Event);
    assert_eq!(r.summary.cycles, 1531);
    assert_eq!(r.layers[0].start_cycle, 0);
    assert_eq!(r.layers[0].end_cycle, 1531);
}

#[test]
fn halving_dram_bandwidth_never_makes_a_run_faster() {
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("resnet18", base_arch()),
        ("bert_base_encoder", {
            let mut a = base_arch();
            set(&mut a, "cores", json!(2));
            a
        }),
        ("tiny_cnn", {
            let mut a = base_arch();
            set(&mut a, "array.dataflow", json!("ws"));
            set(&mut a, "memory.double_buffering", json!(false));
            a
        }),
        ("resnet18", {
            let mut a = base_arch();
            set(&mut a, "cores", json!(3));
            set(
                &mut a,
                "memory.global_buffer",
                json!({ "capacity_kib": 512, "bytes_per_cycle": 64 }),
            );
            a
        }),
        ("mlp6", {
            let mut a = base_arch();
            set(&mut a, "memory.dma_engines_per_core", json!(2));
            a
        }),
    ];
    let mut pairs = 0;
    for (wl, a) in cases {
        let w = workload(wl);
        let mut prev: Option<(f64, u64)> = None;
        let mut bw = 1e6;
        while bw >= 0.5 {
            let mut a = a.clone();
            set(&mut a, "memory.dram.bandwidth_gbps", json!(bw));
            let cycles = run(&w, &arch(&a), Engine::Event).summary.cycles;
            if let Some((pbw, pc)) = prev {
                assert!(
                    cycles >= pc,
                    "{wl}: {bw} GB/s took {cycles} cycles, faster than {pc} at {pbw} GB/s"
                );
                pairs += 1;
            }
            prev = Some((bw, cycles));
            bw /= 2.0;
        }
    }
    println!("{pairs} halvings, none faster");
}

/// Checks `cycles` is `bytes / bytes_per_cycle` plus at most one tile's latency (its
/// share of the bytes at full bandwidth, its compute and the DRAM latency).
fn assert_memory_bound(name: &str, r: &accelsim::report::Report, bytes_per_cycle: f64) {
    let l = &r.layers[0];
    let bytes = l.dram_bytes;
    let ideal = bytes / bytes_per_cycle;
    let tile = (bytes / l.tiles as f64) / bytes_per_cycle
        + l.compute_cycles as f64 / l.tiles as f64
        + 80.0
        + 1.0;
    let cycles = r.summary.cycles as f64;
    assert!(
        cycles >= ideal.floor() && cycles <= ideal + tile,
        "{name}: {cycles} cycles for {bytes} bytes; bytes/bandwidth = {ideal}, one tile = {tile}"
    );
    assert_eq!(
        l.stall_reason,
        accelsim::sim::StallReason::DramBound,
        "{name}"
    );
    println!("{name}: {cycles} cycles vs bytes/bandwidth {ideal:.1} (tile {tile:.1})");
}

#[test]
fn memory_bound_op_takes_bytes_over_bandwidth() {
    let a = arch(&base_arch());
    let bpc = a.dram_bytes_per_cycle();
    // A GEMV: 4096×4096 int8 weights streamed once for one activation row.
    let r = run(&gemm_workload(1, 4096, 4096), &a, Engine::Event);
    assert_eq!(r.layers[0].dram_bytes, 4096.0 * 4096.0 + 4096.0 + 4096.0);
    assert_memory_bound("gemv", &r, bpc);
    // A relu over 4 MiB of int8 (1 op per element at 32 lanes: 4× faster than DRAM).
    let w = workload_json(&json!({
        "name": "relu",
        "inputs": [ { "name": "x", "shape": [1024, 4096], "format": "int8" } ],
        "ops": [ { "name": "r", "op": "relu", "inputs": ["x"], "output": "y" } ]
    }));
    let r = run(&w, &a, Engine::Event);
    assert_eq!(r.layers[0].dram_bytes, 2.0 * 1024.0 * 4096.0);
    assert_memory_bound("relu", &r, bpc);
    // Two cores, two DMA engines each: the four streams share one channel.
    let mut two = base_arch();
    set(&mut two, "cores", json!(2));
    set(&mut two, "memory.dma_engines_per_core", json!(2));
    let r = run(&w, &arch(&two), Engine::Event);
    assert_memory_bound("relu on 2 cores", &r, bpc);
}

#[test]
fn two_independent_equal_ops_on_two_cores_take_the_time_of_one() {
    // Ops that fill the 32×32 array in one fold (M ≤ 32, N ≤ 32): splitting one across
    // cores saves nothing, so each runs on its own core.
    let pair = workload_json(&json!({
        "name": "pair",
        "inputs": [ { "name": "x0", "shape": [32, 4096], "format": "int8" },
                    { "name": "x1", "shape": [32, 4096], "format": "int8" } ],
        "ops": [
            { "name": "a", "op": "matmul", "inputs": ["x0"], "output": "y0", "out_features": 32 },
            { "name": "b", "op": "matmul", "inputs": ["x1"], "output": "y1", "out_features": 32 }
        ]
    }));
    let one = gemm_workload(32, 32, 4096);
    for infinite in [true, false] {
        let mut a1 = base_arch();
        // Compute-bound at finite bandwidth: 2 × 4096 × 32 bytes per op at 1 TB/s.
        set(&mut a1, "memory.dram.bandwidth_gbps", json!(1000.0));
        if infinite {
            make_infinite(&mut a1);
        }
        let mut a2 = a1.clone();
        set(&mut a2, "cores", json!(2));
        let single = run(&one, &arch(&a1), Engine::Event).summary.cycles;
        let both = run(&pair, &arch(&a2), Engine::Event);
        assert_eq!(both.layers[0].cores, vec![0]);
        assert_eq!(both.layers[1].cores, vec![1]);
        if infinite {
            assert_eq!(both.summary.cycles, single);
        } else {
            // Sharing the channel may delay the first loads by a few cycles.
            let extra = both.summary.cycles as f64 / single as f64 - 1.0;
            assert!(
                (0.0..0.02).contains(&extra),
                "{} vs {single}",
                both.summary.cycles
            );
        }
        // On one core they run one after the other.
        let serial = run(&pair, &arch(&a1), Engine::Event).summary.cycles;
        assert!(serial >= 2 * single - 1, "{serial} vs 2 × {single}");
    }
}

#[test]
fn results_are_byte_identical_across_runs_and_thread_counts() {
    let mut a = base_arch();
    set(&mut a, "cores", json!(2));
    let a = arch(&a);
    let w = workload("resnet18");
    let reference = accelsim::run_with_trace(&w, &a, Engine::Event).unwrap();
    let reference = (reference.0.to_json(), reference.1);
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for _ in 0..2 {
            let (r, t) = pool.install(|| accelsim::run_with_trace(&w, &a, Engine::Event).unwrap());
            assert_eq!(r.to_json(), reference.0, "{threads} threads");
            assert_eq!(t, reference.1, "{threads} threads");
        }
    }
}
