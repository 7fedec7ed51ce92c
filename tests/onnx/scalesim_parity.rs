//! Parity with SCALE-Sim v3: every row of `tests/data/scalesim/results.csv` (two
//! topologies × six configs) is imported through `accelsim::import::scalesim` and planned
//! with `accelsim::model::plan`; each layer's ideal-memory `compute_cycles` must equal
//! SCALE-Sim's `total_cycles` exactly, its GEMM view SCALE-Sim's `M, N, K`, and its fold
//! counts SCALE-Sim's `row_fold`, `col_fold`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use accelsim::import::scalesim;
use accelsim::model::{self, ArrayMapping};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scalesim")
}

/// One row of results.csv, keyed by column name.
struct Row(BTreeMap<String, String>);

impl Row {
    fn get(&self, col: &str) -> &str {
        self.0
            .get(col)
            .unwrap_or_else(|| panic!("results.csv has no column {col}"))
    }
    /// Integer figure (SCALE-Sim writes some as floats, e.g. `1531.0`).
    fn int(&self, col: &str) -> u64 {
        let s = self.get(col);
        let v: f64 = s
            .parse()
            .unwrap_or_else(|_| panic!("{col} = {s} is not a number"));
        assert_eq!(v.fract(), 0.0, "{col} = {s} is not an integer");
        v as u64
    }
}

/// Layer name → (its cost, its GEMM view `[count, M, N, K]`).
type PlannedLayers = BTreeMap<String, (model::OpCost, [u64; 4])>;

fn read_results() -> Vec<Row> {
    let text = std::fs::read_to_string(data_dir().join("results.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            assert_eq!(cells.len(), header.len(), "ragged row: {l}");
            Row(header
                .iter()
                .cloned()
                .zip(cells.iter().map(|s| s.to_string()))
                .collect())
        })
        .collect()
}

#[test]
fn every_results_row_matches_scalesim_total_cycles() {
    let rows = read_results();
    assert_eq!(rows.len(), 142, "results.csv should hold 142 layer runs");

    // Import and plan each (config, topology) pair once.
    let mut planned: BTreeMap<(String, String), PlannedLayers> = BTreeMap::new();
    let mut matched: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in &rows {
        let key = (row.get("cfg").to_string(), row.get("topology").to_string());
        let layers = planned.entry(key.clone()).or_insert_with(|| {
            let cfg = scalesim::load_config(&data_dir().join("configs").join(&key.0)).unwrap();
            let topo =
                scalesim::load_topology(&data_dir().join("topologies").join(&key.1), None).unwrap();
            let arch = scalesim::to_arch(&cfg, &key.0);
            arch.validate().unwrap();
            let wl = scalesim::to_workload(&topo, &key.1).unwrap();
            let costs = model::plan(&wl, &arch).unwrap();
            wl.ops
                .iter()
                .zip(costs)
                .map(|(op, c)| {
                    let g = op.gemm.expect("every imported op is a GEMM or conv");
                    (op.name.clone(), (c, [g.count, g.m, g.n, g.k]))
                })
                .collect()
        });
        let layer = row.get("layer");
        let (cost, gemm) = layers
            .get(layer)
            .unwrap_or_else(|| panic!("layer {layer} of {} not imported", key.1));
        let df = row.get("dataflow");
        let entry = matched.entry(match df {
            "os" => "os",
            "ws" => "ws",
            "is" => "is",
            other => panic!("unknown dataflow {other}"),
        });
        let e = entry.or_insert((0, 0));
        e.1 += 1;
        let (row_folds, col_folds) = match cost.mapping {
            Some(ArrayMapping::Systolic(s)) => (s.row_folds, s.col_folds),
            other => panic!("expected a systolic mapping, got {other:?}"),
        };
        let want = (
            row.int("total_cycles"),
            [1, row.int("M"), row.int("N"), row.int("K")],
            (row.int("row_fold"), row.int("col_fold")),
        );
        let got = (cost.compute_cycles, *gemm, (row_folds, col_folds));
        if got == want {
            e.0 += 1;
        } else {
            failures.push(format!(
                "{} {} on {}: accelsim (cycles, [count,M,N,K], folds) = {got:?}, SCALE-Sim = {want:?}",
                key.1, layer, key.0
            ));
        }
    }
    let total_ok: usize = matched.values().map(|v| v.0).sum();
    let c = |d: &str| matched.get(d).copied().unwrap_or((0, 0));
    println!(
        "scalesim parity: {total_ok}/{} layers match (os: {}/{}, ws: {}/{}, is: {}/{})",
        rows.len(),
        c("os").0,
        c("os").1,
        c("ws").0,
        c("ws").1,
        c("is").0,
        c("is").1
    );
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
    // Both topologies and all six configs were covered.
    let cfgs: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.get("cfg")).collect();
    let topos: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.get("topology")).collect();
    assert_eq!(cfgs.len(), 6);
    assert_eq!(topos.len(), 2);
}

#[test]
fn readme_worked_example_by_hand() {
    // README: g128_256_512 (M=128, N=256, K=512) on 128×128 os: folds = 1 × 2,
    // per fold 128 + 128 + 512 − 2 = 766, total 2 × 766 − 1 = 1531.
    let cfg = scalesim::load_config(&data_dir().join("configs/calc_128x128_os.cfg")).unwrap();
    let topo =
        scalesim::load_topology(&data_dir().join("topologies/gemm_shapes.csv"), None).unwrap();
    let arch = scalesim::to_arch(&cfg, "calc_128x128_os.cfg");
    let wl = scalesim::to_workload(&topo, "gemm_shapes.csv").unwrap();
    let costs = model::plan(&wl, &arch).unwrap();
    let i = wl
        .ops
        .iter()
        .position(|o| o.name == "g128_256_512")
        .unwrap();
    assert_eq!(costs[i].compute_cycles, 1531);
}

#[test]
fn huge_gemm_plans_without_overflow() {
    // g2048_16384_32768 is in the topology (not in results.csv): the closed form gives
    // 128×128 os: ceil(2048/128) · ceil(16384/128) = 16 · 128 = 2048 folds of
    // 128 + 128 + 32768 − 2 = 33022 cycles → 2048 · 33022 − 1 = 67629055.
    let cfg = scalesim::load_config(&data_dir().join("configs/calc_128x128_os.cfg")).unwrap();
    let topo =
        scalesim::load_topology(&data_dir().join("topologies/gemm_shapes.csv"), None).unwrap();
    let arch = scalesim::to_arch(&cfg, "calc_128x128_os.cfg");
    let wl = scalesim::to_workload(&topo, "gemm_shapes.csv").unwrap();
    let report = accelsim::run(&wl, &arch, accelsim::sim::Engine::Analytic).unwrap();
    let l = report
        .layers
        .iter()
        .find(|l| l.name == "g2048_16384_32768")
        .unwrap();
    assert_eq!(l.compute_cycles, 67_629_055);
    assert_eq!(l.macs, 2048 * 16384 * 32768);
}
