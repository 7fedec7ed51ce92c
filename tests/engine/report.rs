//! The event engine's report: per-layer sums equal the summary (energy, static energy =
//! static power × makespan, MACs, bytes per level); layer-to-layer pipelining saves exactly
//! the DRAM round trip of the kept tensor; stall reasons; operand formats set the bytes
//! moved; the analytic engine stays available with the same compute cycles.

use crate::engine_util;

use accelsim::sim::{Engine, StallReason};
use engine_util::*;
use serde_json::json;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn layer_sums_equal_the_summary() {
    for (wl, cores) in [("resnet18", 1), ("bert_base_encoder", 2), ("tiny_cnn", 4)] {
        let mut spec = base_arch();
        set(&mut spec, "cores", json!(cores));
        let a = arch(&spec);
        let r = run(&workload(wl), &a, Engine::Event);
        let s = &r.summary;
        let sum = |f: &dyn Fn(&accelsim::report::LayerReport) -> f64| -> f64 {
            r.layers.iter().map(f).sum()
        };
        assert!(close(sum(&|l| l.energy_pj), s.energy_pj), "{wl} energy");
        let static_total = a.static_power_w * s.latency_s * 1e12;
        assert!(
            close(sum(&|l| l.energy_breakdown_pj.static_), static_total),
            "{wl}: static {} vs P × makespan {static_total}",
            sum(&|l| l.energy_breakdown_pj.static_)
        );
        assert!(close(s.energy_breakdown_pj.static_, static_total), "{wl}");
        assert_eq!(r.layers.iter().map(|l| l.macs).sum::<u64>(), s.macs);
        assert!(close(sum(&|l| l.dram_bytes), s.dram_bytes), "{wl}");
        assert!(close(sum(&|l| l.dram_read_bytes), s.memory.dram_read_bytes));
        assert!(close(
            sum(&|l| l.dram_write_bytes),
            s.memory.dram_write_bytes
        ));
        assert!(close(
            sum(&|l| l.kept_on_chip_bytes),
            s.memory.kept_on_chip_bytes
        ));
        assert!(close(sum(&|l| l.sram_bytes), s.sram_bytes));
        // The makespan is the last end; every op lies inside it.
        assert_eq!(
            s.cycles,
            r.layers.iter().map(|l| l.end_cycle).max().unwrap()
        );
        for l in &r.layers {
            assert_eq!(l.cycles, l.end_cycle - l.start_cycle);
            assert_eq!(l.cycles, l.compute_cycles + l.stall_cycles, "{}", l.name);
            assert_eq!(
                l.stall_cycles,
                l.stall_dram_cycles + l.stall_sram_cycles,
                "{}",
                l.name
            );
            assert_eq!(l.wait_cycles, l.start_cycle - l.ready_cycle);
        }
        // Achieved bandwidth never exceeds the channel.
        assert!(s.memory.achieved_dram_gbps <= a.memory.dram.bandwidth_gbps * (1.0 + 1e-9));
        assert!(s.events > 0 && s.engine == "event");
    }
}

/// Two chained 64×64×64 int8 GEMMs: the 4 KiB intermediate fits on chip.
fn chain() -> accelsim::workload::Workload {
    workload_json(&json!({
        "name": "chain",
        "inputs": [ { "name": "x", "shape": [64, 64], "format": "int8" } ],
        "ops": [
            { "name": "a", "op": "matmul", "inputs": ["x"], "output": "h", "out_features": 64 },
            { "name": "b", "op": "matmul", "inputs": ["h"], "output": "y", "out_features": 64 }
        ]
    }))
}

#[test]
fn layer_pipelining_saves_the_dram_round_trip() {
    let on = arch(&base_arch());
    let mut spec = base_arch();
    set(&mut spec, "memory.layer_pipelining", json!(false));
    let off = arch(&spec);
    let w = chain();
    let r_on = run(&w, &on, Engine::Event);
    let r_off = run(&w, &off, Engine::Event);
    // Off: what the model planned: x, Wa, Wb read (3 × 4096), h and y written, h read.
    let costs = accelsim::model::plan(&w, &off).unwrap();
    let planned: f64 = costs.iter().map(|c| c.traffic.dram_bytes()).sum();
    assert_eq!(r_off.summary.dram_bytes, planned);
    assert_eq!(planned, 6.0 * 4096.0);
    // On: h (4096 bytes) is neither written nor read back.
    assert_eq!(r_on.summary.dram_bytes, planned - 2.0 * 4096.0);
    assert_eq!(r_on.summary.memory.kept_on_chip_bytes, 2.0 * 4096.0);
    assert!(r_on.layers[0].output_on_chip && !r_on.layers[1].output_on_chip);
    assert_eq!(r_on.layers[0].dram_write_bytes, 0.0);
    assert_eq!(r_on.layers[1].dram_read_bytes, 4096.0);
    // DRAM energy falls by the saved bytes at the table's 1.3 nJ per 64 bits.
    let saved_pj = r_off.summary.energy_breakdown_pj.dram - r_on.summary.energy_breakdown_pj.dram;
    assert!(close(saved_pj, 2.0 * 4096.0 * 1300.0 / 8.0), "{saved_pj}");
    assert!(r_on.summary.cycles <= r_off.summary.cycles);
    // Graph outputs always go to DRAM.
    assert_eq!(r_on.layers[1].dram_write_bytes, 4096.0);
}

#[test]
fn stall_reasons() {
    // DRAM-bound: a GEMV at 25.6 GB/s.
    let r = run(
        &gemm_workload(1, 4096, 4096),
        &arch(&base_arch()),
        Engine::Event,
    );
    assert_eq!(r.layers[0].stall_reason, StallReason::DramBound);
    assert!(r.layers[0].stall_dram_cycles > 0);
    // SRAM-bound: infinite DRAM, buffers at 1 byte per cycle.
    let mut spec = base_arch();
    make_infinite(&mut spec);
    for b in ["ifmap", "filter", "ofmap"] {
        set(
            &mut spec,
            &format!("memory.core_buffers.{b}.bytes_per_cycle"),
            json!(1),
        );
    }
    let r = run(&gemm_workload(256, 256, 256), &arch(&spec), Engine::Event);
    let l = &r.layers[0];
    assert_eq!(l.stall_reason, StallReason::SramBound);
    assert_eq!(l.stall_dram_cycles, 0);
    // One buffer at 1 B/cycle: the busiest buffer's bytes bound the op from below.
    let costs = accelsim::model::plan(&gemm_workload(256, 256, 256), &arch(&spec)).unwrap();
    let t = &costs[0].traffic;
    let busiest = t
        .ifmap_sram_bytes
        .max(t.filter_sram_bytes)
        .max(t.ofmap_sram_bytes);
    assert!(l.cycles as f64 >= busiest, "{} vs {busiest}", l.cycles);
    // Busy-core wait: two independent ops on one core at infinite bandwidth. The second
    // is ready at once but waits for the core: not a dependency (issue #13).
    let mut spec = base_arch();
    make_infinite(&mut spec);
    let w = workload_json(&json!({
        "name": "two",
        "inputs": [ { "name": "x0", "shape": [64, 64], "format": "int8" },
                    { "name": "x1", "shape": [64, 64], "format": "int8" } ],
        "ops": [
            { "name": "a", "op": "matmul", "inputs": ["x0"], "output": "y0", "out_features": 64 },
            { "name": "b", "op": "matmul", "inputs": ["x1"], "output": "y1", "out_features": 64 }
        ]
    }));
    let r = run(&w, &arch(&spec), Engine::Event);
    let (first, second) = if r.layers[0].start_cycle == 0 {
        (&r.layers[0], &r.layers[1])
    } else {
        (&r.layers[1], &r.layers[0])
    };
    assert_eq!(second.ready_cycle, 0);
    assert_eq!(second.start_cycle, first.end_cycle);
    assert_eq!(second.wait_cycles, first.cycles);
    assert_eq!(second.stall_reason, StallReason::CoreBusy);
}

#[test]
fn operand_formats_set_the_bytes_moved() {
    let mut spec = base_arch();
    set(
        &mut spec,
        "precisions",
        json!([{ "format": "int8", "macs_per_pe_per_cycle": 1 },
               { "format": "int4", "macs_per_pe_per_cycle": 2 },
               { "format": "mxint8", "macs_per_pe_per_cycle": 1 }]),
    );
    let a = arch(&spec);
    let gemm = |fmt: &str| {
        workload_json(&json!({
            "name": "g",
            "inputs": [ { "name": "x", "shape": [64, 256], "format": fmt } ],
            "ops": [ { "name": "g", "op": "matmul", "inputs": ["x"], "output": "y",
                       "out_features": 256, "precision": fmt } ]
        }))
    };
    // x 64×256, W 256×256, y 64×256 elements: 98304; int8 1 byte, int4 0.5,
    // mxint8 8 bits + an 8-bit scale per 32 elements = 8.25 bits.
    let elements = 64.0 * 256.0 + 256.0 * 256.0 + 64.0 * 256.0;
    for (fmt, bits) in [("int8", 8.0), ("int4", 4.0), ("mxint8", 8.25)] {
        let r = run(&gemm(fmt), &a, Engine::Event);
        assert_eq!(r.summary.dram_bytes, elements * bits / 8.0, "{fmt}");
    }
}

#[test]
fn analytic_engine_stays_available_with_the_same_compute_cycles() {
    let a = arch(&base_arch());
    let w = workload("resnet18");
    let ev = run(&w, &a, Engine::Event);
    let an = run(&w, &a, Engine::Analytic);
    assert_eq!(an.summary.engine, "analytic");
    assert_eq!(an.summary.events, 0);
    for (x, y) in ev.layers.iter().zip(&an.layers) {
        assert_eq!(x.compute_cycles, y.compute_cycles, "{}", x.name);
        assert_eq!(x.macs, y.macs);
    }
    // Analytic GEMV by hand: 4096·4096 + 2·4096 bytes at 25.6 B/cycle = 655680 cycles,
    // more than its 128 folds × (32 + 32 + 4096 − 2) − 1 = 532223 compute cycles, so the
    // DRAM path sets the time: 80 cycles of request latency, every load, the last step's
    // compute, then another 80-cycle latency and the last step's share of the 4096-byte
    // output (at most 160 cycles).
    let r = run(&gemm_workload(1, 4096, 4096), &a, Engine::Analytic);
    assert_eq!(r.layers[0].compute_cycles, 532_223);
    let steps = r.layers[0].tiles;
    let last_step = 532_223u64.div_ceil(steps);
    let floor = 80 + (4096 * 4096 + 4096) * 10 / 256 + last_step + 80;
    assert!(
        (floor..=floor + 161).contains(&r.summary.cycles),
        "{} vs {floor} + ≤ 160 ({steps} steps)",
        r.summary.cycles
    );
    // Default engine is the event engine.
    assert_eq!(Engine::default(), Engine::Event);
}
