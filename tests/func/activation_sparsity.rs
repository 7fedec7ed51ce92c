//! Functional mode measures every tensor's density as it is computed and the report costs
//! the workload with those densities: checked against figures derived by hand below.
//!
//! The workload: x [32, 64] · W1 [64, 64] → h, a = relu(h), a · W2 [64, 16] → y, all int8
//! with int32 accumulators, on an 8×8 output-stationary systolic array (one core, 64 MiB
//! buffer, no static power).
//!
//! Values, chosen so every zero is known:
//! - x is ±1: rows 0..8 hold +1 in columns 0..33 and −1 after (row sum +2); rows 8..32
//!   hold +1 in columns 0..31 and −1 after (row sum −2). No zeros.
//! - W1[k][j] = s_j with s_j = −1 for j < 40 and +1 for j ≥ 40. No zeros.
//! - h[i][j] = s_j · rowsum_i = ±2 (no zeros); a = relu(h) is 2 where s_j · rowsum_i > 0:
//!   rows 0..8 keep columns 40..64 (40 zeros each), rows 8..32 keep columns 0..40 (24 zeros
//!   each): 8·40 + 24·24 = 896 zeros, 1152 non-zeros of 2048 → density 1152/2048 = 0.5625.
//!   Along the reduction axis of the second matmul (a's columns) rows 8..32 hold 40
//!   consecutive non-zeros, so every group of 2, 4, 8 and 16 is full somewhere: no N:M.
//! - W2 is all 1, so y = 2 · (non-zeros of the row) = 48 or 80: no zeros, no saturation.
//!
//! Cost of the second matmul (M = 32, K = 64, N = 16), SCALE-Sim's os folds on 8×8:
//! ⌈32/8⌉·⌈16/8⌉ = 8 folds of 8 + 8 + K − 2 cycles, minus 1 → 8·78 − 1 = 623 dense.
//! An int8 MAC with an int32 accumulator costs mult.int8 + add.int32 = 0.2 + 0.1 = 0.3 pJ
//! (Horowitz, ISSCC 2014), so its dense MAC energy is 32·64·16 · 0.3 pJ.
//! - zero gating on activations with residual r = 0.25 (docs/sparsity.md): MAC energy ×
//!   (D + r(1 − D)) = 0.5625 + 0.25 · 0.4375 = 0.671875; cycles unchanged.
//! - zero skipping on activations, one lane, efficiency 1: K runs as ⌈64 · 0.5625⌉ = 36 →
//!   8 · (8 + 8 + 36 − 2) − 1 = 399 cycles; MAC energy × 0.5625.

use std::path::{Path, PathBuf};
use std::process::Command;

use accelsim::arch::Arch;
use accelsim::func::{execute, ExecOptions, Feeds};
use accelsim::sim::Engine;
use accelsim::tensor::{write_npy, DType, Tensor};
use accelsim::workload::sparsity::{apply_functional, SparsitySource};
use accelsim::workload::Workload;
use approx::assert_relative_eq;
use serde_json::{json, Value};

const M: usize = 32;
const K: usize = 64;
const N: usize = 16;
/// Non-zeros of a = relu(h), derived above.
const A_NONZEROS: u64 = 1152;
/// MACs of the second matmul.
const MM2_MACS: f64 = (M * K * N) as f64;
/// pJ per int8 MAC with an int32 accumulator (Horowitz: 0.2 + 0.1).
const INT8_MAC_PJ: f64 = 0.3;

fn x_values() -> Vec<i8> {
    (0..M * K)
        .map(|i| {
            let (row, col) = (i / K, i % K);
            let ones = if row < 8 { 33 } else { 31 };
            if col < ones {
                1
            } else {
                -1
            }
        })
        .collect()
}

fn w1_values() -> Vec<i8> {
    (0..K * K)
        .map(|i| if i % K < 40 { -1 } else { 1 })
        .collect()
}

fn w2_values() -> Vec<i8> {
    vec![1; K * N]
}

fn int8(shape: Vec<usize>, v: Vec<i8>) -> Tensor {
    Tensor::from_vec(DType::I8, shape, v).unwrap()
}

/// The workload JSON; weights read from `w1.npy` / `w2.npy` next to the file when
/// `files`, and `extra` merged into the relu op (e.g. a declared output sparsity).
fn workload_json(files: bool, relu_extra: Value) -> Value {
    let mut w1 = json!({"name": "w1", "shape": [K, K], "format": "int8"});
    let mut w2 = json!({"name": "w2", "shape": [K, N], "format": "int8"});
    if files {
        w1["file"] = json!("w1.npy");
        w2["file"] = json!("w2.npy");
    }
    let mut relu = json!({"name": "relu", "op": "relu", "inputs": ["h"], "output": "a"});
    if let (Some(r), Some(extra)) = (relu.as_object_mut(), relu_extra.as_object()) {
        r.extend(extra.clone());
    }
    json!({
        "name": "mlp_relu",
        "inputs": [{"name": "x", "shape": [M, K], "format": "int8"}],
        "weights": [w1, w2],
        "ops": [
            {"name": "mm1", "op": "matmul", "inputs": ["x"], "output": "h", "weight": "w1", "precision": "int8"},
            relu,
            {"name": "mm2", "op": "matmul", "inputs": ["a"], "output": "y", "weight": "w2", "precision": "int8"}
        ]
    })
}

fn arch_json(sparsity: Option<Value>) -> Value {
    let mut a = json!({
        "name": "test_os8",
        "clock_ghz": 1.0,
        "array": {"kind": "systolic", "rows": 8, "cols": 8, "dataflow": "os"},
        "precisions": [{"format": "int8", "macs_per_pe_per_cycle": 1}],
        "vector_unit": {"lanes": 16},
        "memory": {
            "dram": {"bandwidth_gbps": 100},
            "core_buffers": {"kind": "unified", "buffer": {"capacity_kib": 65536, "bytes_per_cycle": 1024}}
        },
        "static_power_w": 0.0
    });
    if let Some(s) = sparsity {
        a["sparsity"] = s;
    }
    a
}

fn gating() -> Option<Value> {
    Some(json!({"zero_gating": {"operands": ["activations"], "residual_energy_fraction": 0.25}}))
}

fn skipping() -> Option<Value> {
    Some(json!({"zero_skipping": {"operands": ["activations"]}}))
}

fn feeds() -> Feeds {
    let mut f = Feeds::default();
    f.inputs.insert("x".into(), int8(vec![M, K], x_values()));
    f.weights.insert("w1".into(), int8(vec![K, K], w1_values()));
    f.weights.insert("w2".into(), int8(vec![K, N], w2_values()));
    f
}

/// A scratch directory, removed when dropped.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Dir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

/// A fresh directory with the arch, `workload` and the `.npy` files.
fn setup_with(tag: &str, sparsity: Option<Value>, workload: Value) -> Dir {
    let d = std::env::temp_dir().join(format!("accelsim-actdens-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("arch.json"), arch_json(sparsity).to_string()).unwrap();
    std::fs::write(d.join("wl.json"), workload.to_string()).unwrap();
    write_npy(d.join("x.npy"), &int8(vec![M, K], x_values())).unwrap();
    write_npy(d.join("w1.npy"), &int8(vec![K, K], w1_values())).unwrap();
    write_npy(d.join("w2.npy"), &int8(vec![K, N], w2_values())).unwrap();
    Dir(d)
}

/// [`setup_with`] the hand-derived workload, weights from `.npy` files.
fn setup(tag: &str, sparsity: Option<Value>, relu_extra: Value) -> Dir {
    setup_with(tag, sparsity, workload_json(true, relu_extra))
}

/// `accelsim run arch.json wl.json [extra...]` in `dir`; stdout on success.
fn accelsim(dir: &Path, extra: &[&str], threads: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_accelsim"));
    c.args(["run", "arch.json", "wl.json"])
        .args(extra)
        .current_dir(dir);
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    let out = c.output().expect("runs accelsim");
    assert!(
        out.status.success(),
        "accelsim {extra:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const FUNCTIONAL_JSON: [&str; 4] = ["--functional", "--input", "x=x.npy", "--json"];

fn layer<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("layer {name} in the report"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, got {v}"))
}

#[test]
fn execution_records_every_tensors_measured_density() {
    let w = Workload::from_json(&workload_json(false, json!({})).to_string()).unwrap();
    let arch = Arch::from_json(&arch_json(None).to_string()).unwrap();
    let out = execute(&w, &arch, &feeds(), &ExecOptions::default()).unwrap();
    let names: Vec<&str> = out.measured.keys().map(String::as_str).collect();
    assert_eq!(names, ["a", "h", "w1", "w2", "x", "y"]);
    let a = &out.measured["a"];
    assert_eq!((a.elements, a.nonzeros), ((M * K) as u64, A_NONZEROS));
    assert_eq!(a.density, A_NONZEROS as f64 / (M * K) as f64);
    assert_eq!(a.density, 0.5625);
    assert_eq!(a.pattern, None);
    for dense in ["x", "w1", "w2", "h", "y"] {
        let m = &out.measured[dense];
        assert_eq!((m.nonzeros, m.density), (m.elements, 1.0), "{dense}");
    }
    // The values agree with the hand derivation: y = 48 (rows 0..8) or 80.
    let y = out.tensors[0].1.as_i8().unwrap();
    assert!(y[..8 * N].iter().all(|&v| v == 48) && y[8 * N..].iter().all(|&v| v == 80));

    // Only the sparse tensor is annotated, tagged functional.
    let mut wm = w.clone();
    apply_functional(&mut wm, &out.measured);
    for t in &wm.tensors {
        match t.name.as_str() {
            "a" => {
                let s = t.sparsity.expect("a is annotated");
                assert_eq!((s.density, s.source), (0.5625, SparsitySource::Functional));
            }
            _ => assert_eq!(t.sparsity, None, "{}", t.name),
        }
    }
}

#[test]
fn gating_cuts_the_consumers_mac_energy_by_the_measured_zeros() {
    let d = setup("gate", gating(), json!({}));
    let plain: Value = serde_json::from_str(&accelsim(&d, &["--json"], None)).unwrap();
    let func: Value = serde_json::from_str(&accelsim(&d, &FUNCTIONAL_JSON, None)).unwrap();
    let (p, q) = (layer(&plain, "mm2"), layer(&func, "mm2"));
    assert_relative_eq!(
        f(&p["energy_breakdown_pj"]["mac"]),
        MM2_MACS * INT8_MAC_PJ,
        max_relative = 1e-12
    );
    let fraction = 0.5625 + 0.25 * (1.0 - 0.5625);
    assert_eq!(fraction, 0.671875);
    assert_relative_eq!(
        f(&q["energy_breakdown_pj"]["mac"]),
        MM2_MACS * INT8_MAC_PJ * fraction,
        max_relative = 1e-12
    );
    // Gating keeps cycles.
    assert_eq!(p["compute_cycles"], 8 * 78 - 1);
    assert_eq!(q["compute_cycles"], p["compute_cycles"]);
    let s = &q["sparsity"];
    assert_eq!(f(&s["density_activations"]), 0.5625);
    assert_eq!(s["density_source"], "functional");
    assert_eq!(f(&s["mac_energy_fraction"]), fraction);
    assert!(s["features"]
        .as_array()
        .unwrap()
        .contains(&json!("zero gating")));
    // The producer's output shows the same density; the first matmul saw dense data.
    assert_eq!(
        f(&layer(&func, "relu")["sparsity"]["density_output"]),
        0.5625
    );
    assert!(layer(&func, "mm1").get("sparsity").is_none());
    assert_eq!(
        layer(&func, "mm1")["energy_breakdown_pj"],
        layer(&plain, "mm1")["energy_breakdown_pj"]
    );
    // Without --functional nothing was sparse.
    assert!(p.get("sparsity").is_none() && plain["summary"].get("sparsity").is_none());
}

#[test]
fn skipping_shortens_the_consumer_by_the_measured_zeros() {
    let d = setup("skip", skipping(), json!({}));
    let func: Value = serde_json::from_str(&accelsim(&d, &FUNCTIONAL_JSON, None)).unwrap();
    let q = layer(&func, "mm2");
    assert_eq!(q["compute_cycles"], 8 * (8 + 8 + 36 - 2) - 1);
    assert_eq!(q["sparsity"]["dense_compute_cycles"], 8 * 78 - 1);
    assert_relative_eq!(
        f(&q["energy_breakdown_pj"]["mac"]),
        MM2_MACS * INT8_MAC_PJ * 0.5625,
        max_relative = 1e-12
    );
    assert_eq!(q["sparsity"]["density_source"], "functional");
}

/// The report without its sparsity records (per layer and in the summary).
fn without_sparsity(mut r: Value) -> Value {
    r["summary"].as_object_mut().unwrap().remove("sparsity");
    for l in r["layers"].as_array_mut().unwrap() {
        l.as_object_mut().unwrap().remove("sparsity");
    }
    r
}

#[test]
fn no_sparsity_support_costs_exactly_the_same() {
    let d = setup("none", None, json!({}));
    let plain: Value = serde_json::from_str(&accelsim(&d, &["--json"], None)).unwrap();
    let func: Value = serde_json::from_str(&accelsim(&d, &FUNCTIONAL_JSON, None)).unwrap();
    // The measured density is reported, as not exploited, and nothing else changes.
    let s = &layer(&func, "mm2")["sparsity"];
    assert_eq!(f(&s["density_activations"]), 0.5625);
    assert_eq!(f(&s["energy_saved_pj"]), 0.0);
    assert_eq!(f(&s["compute_speedup"]), 1.0);
    assert!(s["not_exploited"][0]
        .as_str()
        .unwrap()
        .contains("no sparsity support"));
    assert_eq!(without_sparsity(func), without_sparsity(plain));
}

#[test]
fn functional_report_is_the_same_on_one_and_two_threads() {
    // Large enough that the GEMM kernels split rows over rayon tasks (72 rows each):
    // seeded random int8 values, a ReLU zeroing about half of h.
    let big = json!({
        "name": "big",
        "inputs": [{"name": "x", "shape": [576, 256], "format": "int8"}],
        "ops": [
            {"name": "mm1", "op": "matmul", "inputs": ["x"], "output": "h", "out_features": 256, "precision": "int8"},
            {"name": "relu", "op": "relu", "inputs": ["h"], "output": "a"},
            {"name": "mm2", "op": "matmul", "inputs": ["a"], "output": "y", "out_features": 64, "precision": "int8"}
        ]
    });
    let d = setup_with("threads", gating(), big);
    let args = ["--functional", "--seed", "5"];
    let one = accelsim(&d, &[&args[..], &["--json"]].concat(), Some("1"));
    let two = accelsim(&d, &[&args[..], &["--json"]].concat(), Some("2"));
    assert_eq!(one, two);
    let r: Value = serde_json::from_str(&one).unwrap();
    let density = f(&layer(&r, "mm2")["sparsity"]["density_activations"]);
    assert!((0.3..0.7).contains(&density), "{density}");
    let text_one = accelsim(&d, &args, Some("1"));
    assert_eq!(text_one, accelsim(&d, &args, Some("2")));
    // The text report names the source.
    assert!(
        text_one.contains("density source") && text_one.contains("functional"),
        "{text_one}"
    );
}

#[test]
fn a_declared_density_is_replaced_by_the_measured_one() {
    let d = setup("declared", gating(), json!({"sparsity": {"output": 0.25}}));
    let plain: Value = serde_json::from_str(&accelsim(&d, &["--json"], None)).unwrap();
    let func: Value = serde_json::from_str(&accelsim(&d, &FUNCTIONAL_JSON, None)).unwrap();
    // Declared: gating at 0.25 + 0.25 · 0.75 = 0.4375; measured: 0.671875.
    assert_relative_eq!(
        f(&layer(&plain, "mm2")["energy_breakdown_pj"]["mac"]),
        MM2_MACS * INT8_MAC_PJ * 0.4375,
        max_relative = 1e-12
    );
    let q = layer(&func, "mm2");
    assert_relative_eq!(
        f(&q["energy_breakdown_pj"]["mac"]),
        MM2_MACS * INT8_MAC_PJ * 0.671875,
        max_relative = 1e-12
    );
    let note = q["sparsity"]["replaced"][0].as_str().unwrap();
    assert!(
        note.contains("'a'")
            && note.contains("declared density 0.250")
            && note.contains("functional"),
        "{note}"
    );
    assert!(layer(&plain, "mm2")["sparsity"].get("replaced").is_none());
    let text = accelsim(&d, &FUNCTIONAL_JSON[..3], None);
    assert!(
        text.contains("replaced: 'a': declared density 0.250"),
        "{text}"
    );
}

#[test]
fn a_declared_pattern_the_computed_values_break_is_an_error() {
    // a's rows 8..32 hold 40 consecutive non-zeros along mm2's reduction axis: not 2:4.
    let w = workload_json(false, json!({"sparsity": {"output": "2:4"}}));
    let w = Workload::from_json(&w.to_string()).unwrap();
    let arch = Arch::from_json(&arch_json(None).to_string()).unwrap();
    let e = execute(&w, &arch, &feeds(), &ExecOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ops[1].sparsity.output") && e.contains("'a'") && e.contains("2:4"),
        "{e}"
    );
    // The first offending group: row 0 keeps columns 40..64, so columns 40..44 hold 4.
    assert!(
        e.contains("elements 40..44 (outer index 0") && e.contains("has 4 non-zeros"),
        "{e}"
    );
}

#[test]
fn seeded_random_inputs_declared_n_m_are_pruned_and_measured() {
    // A random graph input declared 2:4 and read as the activation operand: pruned along
    // its rows (K), so the measured pattern implies 2:4 and exactly half the values stay
    // (random int8 values may themselves be 0, so at most half).
    let v = json!({
        "name": "r", "inputs": [{"name": "x", "shape": [4, 16], "format": "int8", "sparsity": "2:4"}],
        "ops": [{"name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "out_features": 8, "precision": "int8"}]
    });
    let w = Workload::from_json(&v.to_string()).unwrap();
    let arch = Arch::from_json(&arch_json(None).to_string()).unwrap();
    let out = execute(&w, &arch, &Feeds::default(), &ExecOptions { seed: 7 }).unwrap();
    let x = &out.measured["x"];
    assert!(x.nonzeros <= 32, "{x:?}");
    let p = x.pattern.expect("a pattern");
    let two_four = accelsim::workload::sparsity::NmPattern::new(2, 4).unwrap();
    assert!(p.implies(&two_four), "{p}");
    let mut wm = w.clone();
    apply_functional(&mut wm, &out.measured);
    let s = wm.tensors[wm.tensor_by_name("x").unwrap()]
        .sparsity
        .unwrap();
    assert_eq!(s.source, SparsitySource::Functional);
    let report = accelsim::run(&wm, &arch, Engine::Analytic).unwrap();
    let e = report.layers[0].sparsity.as_ref().unwrap();
    assert_eq!(e.density_activations, Some(x.density));
    assert_eq!(e.density_source, Some(SparsitySource::Functional));
}

#[test]
fn import_and_functional_measure_the_same_weight_density() {
    // The ONNX importer measures initializers from the file's codes, functional execution
    // from the decoded values: two measurements of one weight, which must agree, so an
    // imported model's declaration is taken over by the functional figures, not replaced.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |extra: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_accelsim"))
            .args([
                "run",
                "tests/data/func/arch_all_formats.json",
                "tests/data/onnx/convinteger_u8u8/model.onnx",
                "--json",
            ])
            .args(extra)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (imported, func) = (run(&[]), run(&["--functional"]));
    let (a, b) = (
        &imported["layers"][0]["sparsity"],
        &func["layers"][0]["sparsity"],
    );
    let d = f(&a["density_weights"]);
    assert!(d < 1.0, "the model's weight has zero codes: {d}");
    assert_eq!(f(&b["density_weights"]), d);
    assert!(a.get("density_source").is_none());
    assert_eq!(b["density_source"], "functional");
    assert!(b.get("replaced").is_none(), "{b}");
}
