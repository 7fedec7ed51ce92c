//! The shipped MLP precision study (sweeps/mlp6_precision.json) checked against
//! hand-computed references: point ids in product order, representational capacity from
//! the layer widths, TOPS/W and EDP from their definitions with the MLP's MAC count,
//! accuracy read independently from the example QAT file, and per-point latency equal to
//! a plain `accelsim::run` of the same configuration written out by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::dse::{Metric, PointResult, Shard, Status, Sweep};
use accelsim::sim::Engine;
use accelsim::workload::Workload;

const LAYERS: [&str; 6] = ["fc1", "fc2", "fc3", "fc4", "fc5", "fc6"];
const FORMATS: [&str; 3] = ["fp16", "int8", "int4"];
/// Output widths of fc1..fc6 (per sample).
const WIDTHS: [u64; 6] = [16384, 8192, 4096, 2048, 1024, 32768];
const IN_WIDTH: u64 = 32768;
const BATCH: u64 = 2048;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn results() -> (Sweep, Vec<PointResult>) {
    let sweep = Sweep::load(&root().join("sweeps/mlp6_precision.json")).unwrap();
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let out = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| out.lock().unwrap().push(r));
    let mut v = out.into_inner().unwrap();
    v.sort_by_key(|r| r.id);
    (sweep, v)
}

/// The per-layer format indices of a point id: fc1 is the most significant base-3 digit.
fn digits(id: u64) -> [usize; 6] {
    let mut d = [0; 6];
    let mut x = id;
    for i in (0..6).rev() {
        d[i] = (x % 3) as usize;
        x /= 3;
    }
    d
}

fn bits(f: &str) -> u64 {
    match f {
        "fp16" => 16,
        "int8" => 8,
        "int4" => 4,
        _ => unreachable!(),
    }
}

#[test]
fn ids_capacity_and_definitions() {
    let (sweep, res) = results();
    assert_eq!(sweep.space_size(), 729);
    assert_eq!(res.len(), 729);
    let macs: u64 =
        BATCH * (IN_WIDTH * WIDTHS[0] + (0..5).map(|i| WIDTHS[i] * WIDTHS[i + 1]).sum::<u64>());
    let mut checked = 0;
    for r in &res {
        assert_eq!(r.status, Status::Ok, "point {}", r.id);
        let d = digits(r.id);
        for (k, &di) in d.iter().enumerate() {
            assert_eq!(
                r.params[k],
                serde_json::json!(FORMATS[di]),
                "point {} layer {k}",
                r.id
            );
        }
        let m = |x: Metric| r.metrics[x.index()];
        let cap: u64 = (0..6).map(|k| WIDTHS[k] * bits(FORMATS[d[k]])).sum();
        assert_eq!(
            m(Metric::CapacityBits),
            cap as f64,
            "capacity of point {}",
            r.id
        );
        let tops_w = 2.0 * macs as f64 / m(Metric::EnergyPj);
        assert!((m(Metric::TopsPerW) / tops_w - 1.0).abs() < 1e-12);
        let edp = m(Metric::EnergyPj) * 1e-12 * m(Metric::LatencyS);
        assert!((m(Metric::EdpJs) / edp - 1.0).abs() < 1e-12);
        // edge_npu_32x32: 256 + 128 + 128 KiB of SRAM, 32 × 32 PEs.
        assert_eq!(m(Metric::SramKib), 512.0);
        assert_eq!(m(Metric::Pes), 1024.0);
        let parts: f64 = [
            Metric::EnergyMacPj,
            Metric::EnergyVectorPj,
            Metric::EnergySramPj,
            Metric::EnergyDramPj,
            Metric::EnergyStaticPj,
            Metric::EnergyClockPj,
            Metric::EnergySmOverheadPj,
            Metric::EnergyL2Pj,
            Metric::EnergyRegisterFilePj,
            Metric::EnergyNocPj,
            Metric::EnergyGlobalBufferPj,
        ]
        .iter()
        .map(|&x| m(x))
        .sum();
        assert!((parts / m(Metric::EnergyPj) - 1.0).abs() < 1e-12);
        checked += 1;
    }
    println!("{checked}/729 points: ids, capacity, TOPS/W, EDP, SRAM, PEs, energy split exact");
}

#[test]
fn accuracy_matches_the_qat_file_and_missing_is_nan() {
    let (_, res) = results();
    // Read the example file independently: config → accuracy.
    let text = std::fs::read_to_string(root().join("sweeps/mlp6_qat_example.csv")).unwrap();
    let mut expect: BTreeMap<u64, f64> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let (config, acc) = line.split_once(',').unwrap();
        let mut id = 0u64;
        for (k, part) in config.split(';').enumerate() {
            let (layer, f) = part.split_once('=').unwrap();
            assert_eq!(layer, LAYERS[k]);
            id = id * 3 + FORMATS.iter().position(|x| *x == f).unwrap() as u64;
        }
        expect.insert(id, acc.parse().unwrap());
    }
    assert_eq!(expect.len(), 103);
    for r in &res {
        let a = r.metrics[Metric::Accuracy.index()];
        match expect.get(&r.id) {
            Some(&e) => assert_eq!(a, e, "point {}", r.id),
            None => assert!(a.is_nan(), "point {} has no QAT entry", r.id),
        }
    }
    println!(
        "{} points with accuracy, {} without",
        expect.len(),
        729 - expect.len()
    );
}

#[test]
fn latency_equals_a_plain_run_of_the_same_configuration() {
    let (_, res) = results();
    let arch = Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap();
    let base = std::fs::read_to_string(root().join("workloads/mlp6.json")).unwrap();
    for id in [0u64, 1, 100, 364, 500, 728] {
        let d = digits(id);
        let mut v: serde_json::Value = serde_json::from_str(&base).unwrap();
        for op in v["ops"].as_array_mut().unwrap() {
            let name = op["name"].as_str().unwrap().to_string();
            if let Some(k) = LAYERS.iter().position(|l| *l == name) {
                op["precision"] = serde_json::json!(FORMATS[d[k]]);
            }
        }
        let wl = Workload::from_json(&v.to_string()).unwrap();
        let rep = accelsim::run(&wl, &arch, Engine::Analytic).unwrap();
        let r = &res[id as usize];
        assert_eq!(r.metrics[Metric::LatencyS.index()], rep.summary.latency_s);
        assert_eq!(r.metrics[Metric::EnergyPj.index()], rep.summary.energy_pj);
        assert_eq!(r.metrics[Metric::DramBytes.index()], rep.summary.dram_bytes);
    }
}

#[test]
fn equal_capacity_latency_spread_and_front() {
    let (sweep, res) = results();
    let mut by_cap: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for r in &res {
        let c = r.metrics[Metric::CapacityBits.index()] as u64;
        let l = r.metrics[Metric::LatencyS.index()];
        let e = by_cap.entry(c).or_insert((f64::INFINITY, 0.0));
        *e = (e.0.min(l), e.1.max(l));
    }
    let worst = by_cap
        .values()
        .map(|(lo, hi)| hi / lo)
        .fold(1.0f64, f64::max);
    let cols = sweep.columns();
    let rows: Vec<_> = res.iter().map(accelsim::dse::Row::from_result).collect();
    let front = accelsim::dse::front_of(&cols, &rows, sweep.pareto());
    println!(
        "{} distinct capacities; worst latency spread at equal capacity {:.2}x; front {} points",
        by_cap.len(),
        worst,
        front.len()
    );
    assert!(
        worst > 1.4,
        "configurations of equal capacity differ in latency"
    );
    // The all-int4 point is the fastest; the all-fp16 point has the largest capacity:
    // both are on the (capacity max, latency min) front.
    assert!(front.contains(&0) && front.contains(&728));
}
