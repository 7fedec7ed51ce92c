//! The additive accuracy model fills a partial QAT table (13 measured rows of 729 points;
//! hand-chosen drops in tests/data/sweep/qat_mlp6_sensitivity.csv), each row marked
//! `measured` or `modelled`; and the BOPs / weight / activation footprint columns against
//! hand derivations from mlp6's layer sizes.

use std::path::PathBuf;

use accelsim::dse::sensitivity::coverage;
use accelsim::dse::{Metric, PointResult, Row, Sweep};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// mlp6 with every layer at fp16/int8/int4, the sensitivity table, and an accuracy
/// constraint no point meets, so every point is pruned before running (fast) while
/// still carrying its accuracy and footprint.
fn sweep(model: bool, table: &str) -> Sweep {
    let text = format!(
        r#"{{
  "name": "mlp6_accuracy_model",
  "arch": "../../../arch_configs/edge_npu_32x32.json",
  "workload": "../../../workloads/mlp6.json",
  "engine": "analytic",
  "axes": [ {{ "kind": "precision", "layers": ["fc*"], "mode": "each", "values": ["fp16", "int8", "int4"] }} ],
  "accuracy": "{table}",
  {}
  "constraints": [ {{ "metric": "accuracy", "min": 2.0 }} ],
  "pareto": ["latency_s", "accuracy"]
}}"#,
        if model {
            r#""accuracy_model": "additive","#
        } else {
            ""
        }
    );
    Sweep::from_json(&text, &root().join("tests/data/sweep")).unwrap()
}

fn all(s: &Sweep) -> Vec<PointResult> {
    (0..s.space_size()).map(|id| s.evaluate(id)).collect()
}

fn precisions(r: &PointResult) -> Vec<String> {
    r.params
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

const DROP_INT8: f64 = 0.001;
const DROP_INT4: f64 = 0.01;

#[test]
fn partial_table_plus_model_fills_every_point_marked() {
    let s = sweep(true, "qat_mlp6_sensitivity.csv");
    let results = all(&s);
    assert_eq!(results.len(), 729);
    let cols = s.columns();
    let rows: Vec<Row> = results.iter().map(Row::from_result).collect();
    assert_eq!(coverage(&cols, &rows), (13, 716, 0));
    for r in &results {
        // Hand derivation: 0.97 + Σ_k drop(layer k at its precision).
        let expected = 0.97
            - precisions(r)
                .iter()
                .enumerate()
                .map(|(k, p)| match p.as_str() {
                    "int8" => DROP_INT8 * (k + 1) as f64,
                    "int4" => DROP_INT4 * (k + 1) as f64,
                    _ => 0.0,
                })
                .sum::<f64>();
        let acc = r.metrics[Metric::Accuracy.index()];
        assert!(
            (acc - expected).abs() < 1e-9,
            "{:?}: {acc} vs {expected}",
            r.params
        );
        let changed = precisions(r).iter().filter(|p| *p != "fp16").count();
        let source = r.accuracy_source.map(|s| s.name());
        assert_eq!(
            source,
            Some(if changed <= 1 { "measured" } else { "modelled" })
        );
    }
    // The all-int4 point: 0.97 − 0.01 · (1 + … + 6) = 0.76.
    let int4 = results
        .iter()
        .find(|r| precisions(r).iter().all(|p| p == "int4"))
        .unwrap();
    assert!((int4.metrics[Metric::Accuracy.index()] - 0.76).abs() < 1e-9);
    assert!(cols.contains(&"accuracy_source".to_string()));
}

#[test]
fn without_the_model_unlisted_points_have_no_accuracy() {
    let s = sweep(false, "qat_mlp6_sensitivity.csv");
    let rows: Vec<Row> = all(&s).iter().map(Row::from_result).collect();
    assert_eq!(coverage(&s.columns(), &rows), (13, 0, 716));
}

#[test]
fn model_without_a_baseline_or_table_is_bad_input() {
    // qat_mlp6.json has no uniform configuration... check the error names the path.
    let text = r#"{"name": "x", "arch": "../../../arch_configs/edge_npu_32x32.json",
      "workload": "../../../workloads/mlp6.json", "axes": [], "accuracy_model": "additive"}"#;
    let e = Sweep::from_json(text, &root().join("tests/data/sweep")).unwrap_err();
    assert_eq!(e.json_path, "accuracy_model");
    let text = r#"{"name": "x", "arch": "../../../arch_configs/edge_npu_32x32.json",
      "workload": "../../../workloads/mlp6.json", "axes": [], "accuracy_model": "linear"}"#;
    assert!(Sweep::from_json(text, &root().join("tests/data/sweep")).is_err());
}

/// mlp6's layer sizes (in → out), from its description 32768-16384-…-32768, batch 2048.
const LAYERS: [(f64, f64); 6] = [
    (32768.0, 16384.0),
    (16384.0, 8192.0),
    (8192.0, 4096.0),
    (4096.0, 2048.0),
    (2048.0, 1024.0),
    (1024.0, 32768.0),
];
const BATCH: f64 = 2048.0;

#[test]
fn bops_and_footprints_by_hand() {
    let s = sweep(true, "qat_mlp6_sensitivity.csv");
    let weights: f64 = LAYERS.iter().map(|(k, n)| k * n).sum();
    for r in all(&s) {
        let bits: Vec<f64> = precisions(&r)
            .iter()
            .map(|p| match p.as_str() {
                "fp16" => 16.0,
                "int8" => 8.0,
                _ => 4.0,
            })
            .collect();
        // BOPs = Σ MACs × b_w × b_a (weights and activations share the layer's format).
        let bops: f64 = LAYERS
            .iter()
            .zip(&bits)
            .map(|((k, n), b)| BATCH * k * n * b * b)
            .sum();
        assert_eq!(r.metrics[Metric::Bops.index()], bops, "{:?}", r.params);
        let wbytes: f64 = LAYERS
            .iter()
            .zip(&bits)
            .map(|((k, n), b)| k * n * b / 8.0)
            .sum();
        assert_eq!(r.metrics[Metric::WeightBytes.index()], wbytes);
        if bits.iter().all(|&b| b == 8.0) {
            assert_eq!(wbytes, weights);
            // Peak live activations: x (2048×32768) and fc1's output (2048×16384), int8.
            assert_eq!(
                r.metrics[Metric::ActivationBytes.index()],
                BATCH * (32768.0 + 16384.0)
            );
        }
    }
}
