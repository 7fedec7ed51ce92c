//! The area model against hand computation from its documented constants (docs/sweep.md,
//! "Area model"): 45 nm op areas from Hennessy & Patterson Fig. 1.13 (8-bit multiply
//! 282 µm², 32-bit add 137, fp16 multiply 1640, fp32 add 4184), NanGate45 DFF_X1 4.522 µm²
//! per register bit, a 0.37 µm² 6T cell at 70 % array efficiency, Stillmaker & Baas area
//! factors. Also: monotonic in PEs and KiB, in the run report, and as a sweep constraint
//! that prunes exactly the points over the budget.

use std::path::{Path, PathBuf};

use accelsim::arch::{area, Arch};
use accelsim::dse::{Metric, PointResult, Shard, Status, Sweep};
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A one-core systolic arch: `n`×`n` PEs, the given precisions, one unified buffer.
fn arch(n: u64, kib: f64, precisions: Value) -> Value {
    json!({
        "name": "small",
        "clock_ghz": 1.0,
        "cores": 1,
        "array": { "kind": "systolic", "rows": n, "cols": n, "dataflow": "os" },
        "precisions": precisions,
        "vector_unit": { "lanes": 4, "ops_per_lane_per_cycle": 1 },
        "memory": {
            "dram": { "bandwidth_gbps": 10.0, "latency_ns": 50 },
            "core_buffers": { "kind": "unified", "buffer": { "capacity_kib": kib, "bytes_per_cycle": 32 } },
            "double_buffering": true
        },
        "static_power_w": 0.0
    })
}

fn int8() -> Value {
    json!([{ "format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32" }])
}

fn build(v: &Value) -> Arch {
    Arch::from_json(&v.to_string()).unwrap()
}

// Hand figures, µm² at 45 nm.
const INT8_PE: f64 = 282.0 + 137.0 + 4.522 * (8.0 + 8.0 + 32.0);
const FP16_PE: f64 = 1640.0 + 4184.0 + 4.522 * (16.0 + 16.0 + 32.0);
const BIT: f64 = 0.37 / 0.7;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-30)
}

#[test]
fn small_int8_arch_matches_hand_computation() {
    // 4×4 int8 PEs + 64 KiB at 45 nm.
    let e = area::estimate(&build(&arch(4, 64.0, int8())));
    let array = 16.0 * INT8_PE * 1e-6;
    let sram = 64.0 * 1024.0 * 8.0 * BIT * 1e-6;
    assert!(close(e.array_mm2, array), "{} vs {array}", e.array_mm2);
    assert!(close(e.sram_mm2, sram), "{} vs {sram}", e.sram_mm2);
    assert!(close(e.total_mm2, array + sram));
    // 0.010177 mm² of MACs, 0.27712 mm² of SRAM.
    assert!((e.total_mm2 - 0.2873005).abs() < 1e-6, "{}", e.total_mm2);
    assert_eq!((e.pes, e.node_nm), (16, 45));
    assert_eq!(e.pe_sized_by, "int8×1");

    // The widest precision sizes the PE; a format at r MACs per PE per cycle counts r
    // datapaths: fp16 at 1 beats int8 at 1 and int4 at 2 (2 × (70.5 + 137 + 4.522 × 40)).
    let mixed = json!([
        { "format": "int8", "macs_per_pe_per_cycle": 1 },
        { "format": "int4", "macs_per_pe_per_cycle": 2 },
        { "format": "fp16", "macs_per_pe_per_cycle": 1 }
    ]);
    let e = area::estimate(&build(&arch(4, 64.0, mixed)));
    assert!(close(e.pe_um2_45nm, FP16_PE));
    assert_eq!(e.pe_sized_by, "fp16×1");
    let int4_pe = 2.0 * (282.0 / 4.0 + 137.0 + 4.522 * 40.0);
    let only_int = json!([
        { "format": "int8", "macs_per_pe_per_cycle": 1 },
        { "format": "int4", "macs_per_pe_per_cycle": 2 }
    ]);
    let e = area::estimate(&build(&arch(4, 64.0, only_int)));
    assert!(close(e.pe_um2_45nm, int4_pe), "{}", e.pe_um2_45nm);
}

#[test]
fn node_scaling_uses_stillmaker_baas_area_factors() {
    let base = area::estimate(&build(&arch(8, 128.0, int8()))).total_mm2;
    for (node, factor) in [(7u32, 0.059), (32, 0.46), (90, 2.8), (180, 19.0)] {
        let mut a = arch(8, 128.0, int8());
        a["technology"] = json!({ "node_nm": node, "voltage_v": 1.0 });
        let e = area::estimate(&build(&a));
        assert!(close(e.total_mm2, base * factor), "{node} nm");
        assert_eq!(e.sources["node_scaling"], area::SRC_STILLMAKER_AREA);
    }
}

#[test]
fn monotonic_in_pes_and_kib() {
    let mut prev = 0.0;
    for n in [1u64, 2, 4, 8, 16, 32, 64, 128] {
        let a = area::estimate(&build(&arch(n, 64.0, int8()))).total_mm2;
        assert!(a > prev, "{n}×{n}");
        prev = a;
    }
    let mut prev = 0.0;
    for kib in [1.0, 8.0, 64.0, 256.0, 1024.0, 8192.0] {
        let a = area::estimate(&build(&arch(16, kib, int8()))).total_mm2;
        assert!(a > prev, "{kib} KiB");
        prev = a;
    }
    // Cores and a global buffer count too.
    let mut a = arch(16, 64.0, int8());
    let one = area::estimate(&build(&a)).total_mm2;
    a["cores"] = json!(4);
    let four = area::estimate(&build(&a)).total_mm2;
    assert!(close(four, 4.0 * one));
    a["memory"]["global_buffer"] = json!({ "capacity_kib": 1024, "bytes_per_cycle": 64 });
    let gb = area::estimate(&build(&a)).total_mm2;
    assert!(close(gb - four, 1024.0 * 8192.0 * BIT * 1e-6));
}

#[test]
fn run_report_carries_the_area() {
    let a = build(&arch(4, 64.0, int8()));
    let w = Workload::load(&root().join("workloads/tiny_cnn.json")).unwrap();
    let r = accelsim::run(&w, &a, Engine::Analytic).unwrap();
    let hand = 16.0 * INT8_PE * 1e-6 + 64.0 * 8192.0 * BIT * 1e-6;
    assert!(close(r.summary.area_mm2, hand));
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(
        j["summary"]["area_mm2"].as_f64().unwrap(),
        r.summary.area_mm2
    );
    assert_eq!(j["area"]["sources"]["sram_bit_cell"], area::SRC_SRAM_CELL);
    let table = accelsim::report::render_table(&r);
    assert!(table.contains("area (model)") && table.contains("not a die area"));
}

fn all(sweep: &Sweep) -> Vec<PointResult> {
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|r| r.id);
    v
}

#[test]
fn area_constraint_prunes_exactly_the_points_over_budget() {
    // edge_npu_32x32 with int8 only: square array × ifmap buffer; filter + ofmap 128 KiB each.
    let sizes = [8u64, 16, 32, 64, 128];
    let ifmaps = [64.0f64, 256.0, 1024.0];
    let budget = 3.0;
    let spec = json!({
        "name": "area_budget",
        "engine": "analytic",
        "arch": "arch_configs/edge_npu_32x32.json",
        "workload": "workloads/tiny_cnn.json",
        "set": { "precisions": [ { "format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32" } ] },
        "axes": [
            { "kind": "arch", "name": "array", "paths": ["array.rows", "array.cols"], "values": sizes },
            { "kind": "arch", "name": "ifmap", "path": "memory.core_buffers.ifmap.capacity_kib", "values": ifmaps }
        ],
        "constraints": [ { "metric": "area_mm2", "max": budget } ],
        "pareto": ["latency_s", "area_mm2"]
    });
    let sweep = Sweep::from_json(&spec.to_string(), &root()).unwrap();
    let res = all(&sweep);
    assert_eq!(res.len(), 15);
    let (mut pruned, mut ok) = (0, 0);
    for r in &res {
        let n = sizes[(r.id / 3) as usize] as f64;
        let kib = ifmaps[(r.id % 3) as usize] + 256.0;
        let hand = n * n * INT8_PE * 1e-6 + kib * 8192.0 * BIT * 1e-6;
        let got = r.metrics[Metric::AreaMm2.index()];
        assert!(close(got, hand), "point {}: {got} vs {hand}", r.id);
        if hand > budget {
            assert_eq!(r.status, Status::Pruned, "point {}", r.id);
            assert!(r.metrics[Metric::LatencyS.index()].is_nan());
            pruned += 1;
        } else {
            assert_eq!(r.status, Status::Ok, "point {}", r.id);
            ok += 1;
        }
    }
    // Over 3 mm²: every 1280 KiB point (5.5 mm² of SRAM), 64×64 (2.6 mm² of MACs + at
    // least 1.4 of SRAM) and 128×128 (10.4 mm² of MACs).
    assert_eq!((pruned, ok), (9, 6));
}
