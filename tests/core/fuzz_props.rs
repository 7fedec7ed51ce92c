//! The in-process fuzz suite (issue #16), bounded to run in seconds:
//!
//! - a seeded mutation run that sets every numeric field of every arch preset (and of a
//!   the tiny CNN workload) to 0, −1, 1e300, 1e-300, 2^32, 2^64 and 0.5: loading and running must
//!   never panic, and every run that succeeds reports finite, unsaturated figures;
//! - proptest properties over random arch values, GEMM shapes, sweep spaces and `cast`
//!   byte streams: errors, never panics; counts that agree with what is enumerated.
//!
//! Longer, coverage-guided runs of the JSON, ONNX and `.npy` readers are `cargo fuzz`
//! targets in `fuzz/` (docs/robustness.md).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use accelsim::arch::Arch;
use accelsim::dse::{Shard, Sweep};
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use proptest::prelude::*;
use serde_json::{json, Value};

const MUTATIONS: [f64; 7] = [
    0.0,
    -1.0,
    1e300,
    1e-300,
    4294967296.0,
    18446744073709551616.0,
    0.5,
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(rel)).unwrap()).unwrap()
}

/// JSON pointers of every numeric leaf.
fn numeric_leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(at),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numeric_leaves(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                numeric_leaves(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// The mutated value as JSON: integral values as integers where they fit (so integer
/// fields see them), others as floats.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && (0.0..1.8e19).contains(&x) && x < u64::MAX as f64 {
        json!(x as u64)
    } else if x.fract() == 0.0 && x < 0.0 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// Figures of a successful run are finite and unsaturated (checked independently of
/// `Report::check_figures`).
fn assert_figures(r: &Report, what: &str) {
    let s = &r.summary;
    for (name, v) in [
        ("latency_s", s.latency_s),
        ("energy_pj", s.energy_pj),
        ("achieved_tops", s.achieved_tops),
        ("utilization", s.utilization),
        ("average_power_w", s.average_power_w),
        ("dram_bytes", s.dram_bytes),
        ("area_mm2", s.area_mm2),
    ] {
        assert!(v.is_finite(), "{what}: {name} = {v}");
    }
    for (name, v) in [("cycles", s.cycles), ("macs", s.macs)] {
        assert!(v < u64::MAX, "{what}: {name} saturated");
    }
}

/// Loads and runs (both engines); panics fail the test, errors are fine.
fn run_case(arch_text: &str, w: &Workload, what: &str) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let Ok(arch) = Arch::from_json(arch_text) else {
            return;
        };
        for engine in [Engine::Event, Engine::Analytic] {
            if let Ok(r) = accelsim::run(w, &arch, engine) {
                assert_figures(&r, what);
            }
        }
    }));
    assert!(outcome.is_ok(), "{what}: panicked");
}

/// A small workload exercising the array (conv, matmul) and the vector unit (relu, add),
/// so each mutated arch runs in well under a millisecond.
fn small_workload() -> Workload {
    Workload::from_json(
        &json!({
            "name": "small",
            "inputs": [{"name": "x", "shape": [1, 8, 16, 16], "format": "int8"}],
            "ops": [
                {"name": "c", "op": "conv2d", "inputs": ["x"], "output": "c", "out_channels": 16, "kernel": [3, 3], "padding": [1, 1]},
                {"name": "r", "op": "relu", "inputs": ["c"], "output": "r"},
                {"name": "a", "op": "add", "inputs": ["r", "c"], "output": "a"},
                {"name": "f", "op": "flatten", "inputs": ["a"], "output": "f"},
                {"name": "m", "op": "matmul", "inputs": ["f"], "output": "y", "out_features": 10}
            ]
        })
        .to_string(),
    )
    .expect("small workload")
}

#[test]
fn seeded_mutation_of_every_numeric_arch_preset_field() {
    let w = small_workload();
    let mut cases = 0;
    for entry in std::fs::read_dir(root().join("arch_configs")).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!(
            "arch_configs/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let base = read_json(&rel);
        let mut leaves = Vec::new();
        numeric_leaves(&base, String::new(), &mut leaves);
        for leaf in &leaves {
            for x in MUTATIONS {
                let mut v = base.clone();
                *v.pointer_mut(leaf).unwrap() = number(x);
                run_case(&v.to_string(), &w, &format!("{rel}{leaf} = {x:e}"));
                cases += 1;
            }
        }
    }
    assert!(cases > 500, "only {cases} cases");
}

#[test]
fn seeded_mutation_of_every_numeric_workload_field() {
    let arch = Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap();
    for rel in ["workloads/tiny_cnn.json"] {
        let base = read_json(rel);
        let mut leaves = Vec::new();
        numeric_leaves(&base, String::new(), &mut leaves);
        for leaf in &leaves {
            for x in MUTATIONS {
                let mut v = base.clone();
                *v.pointer_mut(leaf).unwrap() = number(x);
                let what = format!("{rel}{leaf} = {x:e}");
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let Ok(w) = Workload::from_json(&v.to_string()) else {
                        return;
                    };
                    for engine in [Engine::Event, Engine::Analytic] {
                        if let Ok(r) = accelsim::run(&w, &arch, engine) {
                            assert_figures(&r, &what);
                        }
                    }
                }));
                assert!(outcome.is_ok(), "{what}: panicked");
            }
        }
    }
}

fn extreme_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(f64::MAX),
        Just(1e300),
        Just(1e-300),
        Just(4294967296.0),
        -1e6..1e6f64,
        0.0..4.0f64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any value in any numeric field of the edge NPU preset: a located error or a run
    /// with finite figures.
    #[test]
    fn arch_fields_take_any_value(field in 0usize..64, x in extreme_f64()) {
        let base = read_json("arch_configs/edge_npu_32x32.json");
        let mut leaves = Vec::new();
        numeric_leaves(&base, String::new(), &mut leaves);
        let leaf = &leaves[field % leaves.len()];
        let mut v = base.clone();
        *v.pointer_mut(leaf).unwrap() = json!(x);
        let w = small_workload();
        match Arch::from_json(&v.to_string()) {
            Err(e) => prop_assert!(!e.json_path.is_empty(), "unlocated: {e}"),
            Ok(arch) => {
                for engine in [Engine::Event, Engine::Analytic] {
                    if let Ok(r) = accelsim::run(&w, &arch, engine) {
                        assert_figures(&r, leaf);
                    }
                }
            }
        }
    }

    /// GEMMs of any size: refused when a count overflows, otherwise finite figures.
    #[test]
    fn gemm_shapes_of_any_size(m in 1u64..(1 << 40), k in 1u64..(1 << 40), n in 1u64..(1 << 40), shift in 0u32..24) {
        let (m, k, n) = (m >> shift | 1, k >> shift | 1, n >> shift | 1);
        let text = json!({
            "name": "mm",
            "inputs": [{"name": "x", "shape": [m, k], "format": "int8"}],
            "ops": [{"name": "fc", "op": "matmul", "inputs": ["x"], "output": "y", "out_features": n, "precision": "int8"}]
        })
        .to_string();
        let arch = Arch::load(&root().join("arch_configs/edge_npu_32x32.json")).unwrap();
        match Workload::from_json(&text) {
            Err(_) => {
                let macs = (m as u128) * (k as u128) * (n as u128);
                let elements = [(m as u128) * (k as u128), (m as u128) * (n as u128), (k as u128) * (n as u128)];
                prop_assert!(macs > u64::MAX as u128 || elements.iter().any(|&e| e > u64::MAX as u128));
            }
            Ok(w) => {
                prop_assert_eq!(w.total_macs() as u128, (m as u128) * (k as u128) * (n as u128));
                if let Ok(r) = accelsim::run(&w, &arch, Engine::Analytic) {
                    assert_figures(&r, "gemm");
                }
            }
        }
    }

    /// Sweep spaces of any shape: the size is the product of the axes' lengths (or an
    /// error past 2^64 - 1), and shard counts add up without enumerating.
    #[test]
    fn sweep_spaces_count_without_enumerating(lens in prop::collection::vec(1usize..2000, 1..8), shards in 1u64..50, sample in prop::option::of(1u64..100_000)) {
        let axes: Vec<Value> = lens
            .iter()
            .enumerate()
            .map(|(i, &n)| json!({"kind": "arch", "name": format!("a{i}"), "path": "memory.dram.latency_ns", "values": (0..n).map(|v| v as f64).collect::<Vec<_>>()}))
            .collect();
        let mut spec = json!({
            "name": "p",
            "arch": root().join("arch_configs/edge_npu_32x32.json"),
            "workload": root().join("workloads/tiny_cnn.json"),
            "engine": "analytic",
            "axes": axes,
        });
        if let Some(c) = sample {
            spec["sample"] = json!({"count": c, "seed": 3});
        }
        let product = lens.iter().try_fold(1u64, |a, &n| a.checked_mul(n as u64));
        match Sweep::from_json(&spec.to_string(), root()) {
            Err(e) => prop_assert!(product.is_none(), "{e}"),
            Ok(s) => {
                prop_assert_eq!(Some(s.space_size()), product);
                let len = s.points().len();
                let total: u64 = (0..shards).map(|k| s.points().shard_len(Shard { index: k, count: shards })).sum();
                prop_assert_eq!(total, len);
                if len <= 5000 {
                    let sh = Shard { index: shards / 2, count: shards };
                    let ids = s.points().shard_ids(sh);
                    prop_assert_eq!(ids.len() as u64, s.points().shard_len(sh));
                    for id in ids {
                        prop_assert!(s.points().shard_contains(id, sh));
                    }
                }
            }
        }
    }

    /// `cast` on arbitrary bytes: values or an error naming a line, never a panic.
    #[test]
    fn cast_streams_of_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), fmt in 0usize..4) {
        let format = ["int8", "fp8_e4m3", "mxfp4_e2m1", "bfp8_b16"][fmt];
        let mut out = Vec::new();
        let r = accelsim::numerics::cast_cli::run_cast_stream(
            format,
            accelsim::numerics::CastOptions::default(),
            bytes.as_slice(),
            &mut out,
        );
        if let Err(e) = r {
            let m = e.to_string();
            prop_assert!(m.contains("line") || m.contains("format"), "{m}");
        }
    }
}
