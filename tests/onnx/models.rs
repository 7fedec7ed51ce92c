//! Every ONNX oracle model loads, uses only recognised operators, declares the inputs
//! `cases.json` describes, and infers exactly the output dtypes and shapes `cases.json`
//! states. Truncated or corrupted copies give errors, never panics.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use accelsim::import::onnx::{OnnxError, OnnxModel, Op};
use accelsim::tensor::DType;
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join("cases.json")).expect("cases.json");
    let v: Value = serde_json::from_str(&text).expect("cases.json parses");
    assert_eq!(v["schema"], "accelsim.onnx_oracle.v1");
    v["cases"].as_array().expect("cases").clone()
}

fn shape_of(entry: &Value) -> Vec<usize> {
    entry["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect()
}

fn load(case: &Value) -> OnnxModel {
    let path = data_dir().join(case["model"].as_str().expect("model"));
    OnnxModel::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_model_loads_with_its_opsets_and_inputs() {
    let cases = cases();
    let mut loaded = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let model = load(case);
        assert!(
            model.ir_version >= 7,
            "{id}: ir_version {}",
            model.ir_version
        );
        assert_eq!(
            model.opset_version(""),
            case["opset"].as_i64(),
            "{id}: default-domain opset"
        );
        let runtime: Vec<_> = model.graph.runtime_inputs().collect();
        let expected = case["inputs"].as_array().unwrap();
        assert_eq!(
            runtime.len(),
            expected.len(),
            "{id}: number of graph inputs"
        );
        for (input, want) in runtime.iter().zip(expected) {
            assert_eq!(input.name, want["name"].as_str().unwrap(), "{id}");
            let dtype = DType::parse(want["dtype"].as_str().unwrap()).unwrap();
            assert_eq!(input.dtype, Some(dtype), "{id}: input {}", input.name);
            assert_eq!(
                input.static_shape(),
                Some(shape_of(want)),
                "{id}: input {}",
                input.name
            );
        }
        let outputs: Vec<&str> = model
            .graph
            .outputs
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        let want: Vec<&str> = case["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(outputs, want, "{id}: graph outputs");
        loaded += 1;
    }
    // Every model file in the data set is a case.
    let on_disk = std::fs::read_dir(data_dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("model.onnx").is_file())
        .count();
    println!("onnx models loaded: {loaded}/{on_disk}");
    assert_eq!(loaded, on_disk);
}

#[test]
fn every_op_type_is_recognised() {
    let cases = cases();
    let mut seen = BTreeSet::new();
    let mut nodes = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let model = load(case);
        for node in &model.graph.nodes {
            let op = Op::of(node).unwrap_or_else(|| panic!("{id}: unrecognised {}", node.label()));
            seen.insert(op);
            nodes += 1;
        }
        // The model's op set is exactly what cases.json lists (same spelling).
        let in_model: BTreeSet<String> =
            model.graph.nodes.iter().map(|n| n.qualified_op()).collect();
        let listed: BTreeSet<String> = case["ops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap().to_string())
            .collect();
        assert_eq!(in_model, listed, "{id}: ops");
        // Ops of ORT's optimized graphs are recognised too, except its internal
        // NCHWc layout ops.
        if let Some(optimized) = case["default_opt"]["optimized_ops"].as_array() {
            for op in optimized {
                let op = op.as_str().unwrap();
                let (domain, name) = op.rsplit_once(':').unwrap_or(("", op));
                if domain != "com.microsoft.nchwc" {
                    assert!(
                        Op::lookup(domain, name).is_some(),
                        "{id}: optimized op {op}"
                    );
                }
            }
        }
    }
    let names: Vec<String> = seen.iter().map(|o| o.to_string()).collect();
    println!(
        "onnx nodes recognised: {nodes}/{nodes} ({} op types: {})",
        seen.len(),
        names.join(", ")
    );
}

#[test]
fn inferred_outputs_match_cases_json() {
    let cases = cases();
    let mut matched = 0;
    let mut total = 0;
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let model = load(case);
        let inferred = model.infer_shapes().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(inferred.order.len(), model.graph.nodes.len(), "{id}");
        for node in &model.graph.nodes {
            for out in node.outputs.iter().filter(|o| !o.is_empty()) {
                assert!(inferred.get(out).is_some(), "{id}: no type for {out}");
            }
        }
        for want in case["outputs"].as_array().unwrap() {
            total += 1;
            let name = want["name"].as_str().unwrap();
            let info = inferred
                .get(name)
                .unwrap_or_else(|| panic!("{id}: output {name} not inferred"));
            let dtype = DType::parse(want["dtype"].as_str().unwrap()).unwrap();
            assert_eq!(info.dtype, dtype, "{id}: dtype of {name}");
            assert_eq!(info.shape, shape_of(want), "{id}: shape of {name}");
            matched += 1;
        }
    }
    println!("onnx outputs inferred exactly: {matched}/{total}");
    assert_eq!(matched, total);
}

#[test]
fn truncated_models_give_errors() {
    let cases = cases();
    let mut rejected = 0;
    let mut total = 0;
    for case in &cases {
        let path = data_dir().join(case["model"].as_str().unwrap());
        let good = std::fs::read(&path).unwrap();
        // Every cut point of the small models; a stride through larger ones.
        let step = (good.len() / 400).max(1);
        for cut in (0..good.len()).step_by(step) {
            total += 1;
            match OnnxModel::from_bytes(&good[..cut], &path) {
                Err(e) => {
                    assert!(
                        e.to_string().contains("model.onnx"),
                        "error names the file: {e}"
                    );
                    rejected += 1;
                }
                Ok(_) => panic!(
                    "{}: prefix of {cut}/{} bytes loaded",
                    path.display(),
                    good.len()
                ),
            }
        }
    }
    println!("truncated onnx models rejected: {rejected}/{total}");
}

#[test]
fn corrupted_models_never_panic() {
    let cases = cases();
    let mut errors = 0;
    let mut total = 0;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in &cases {
        let path = data_dir().join(case["model"].as_str().unwrap());
        let good = std::fs::read(&path).unwrap();
        for _ in 0..150 {
            let mut bad = good.clone();
            // Flip one to three bytes.
            for _ in 0..=(next() % 3) {
                let pos = (next() % bad.len() as u64) as usize;
                bad[pos] ^= (next() % 255 + 1) as u8;
            }
            total += 1;
            // Decoding and, when decoding succeeds, shape inference must not panic.
            match OnnxModel::from_bytes(&bad, &path) {
                Err(_) => errors += 1,
                Ok(model) => {
                    let _ = model.infer_shapes();
                }
            }
        }
    }
    println!("corrupted onnx models: {total} tried, {errors} rejected at load, none panicked");
}

#[test]
fn missing_and_non_onnx_files_give_errors() {
    let missing = data_dir().join("no_such_case/model.onnx");
    let e = OnnxModel::load(&missing).unwrap_err();
    assert!(matches!(e, OnnxError::Read { .. }));
    assert!(e.to_string().contains("no_such_case"), "{e}");
    // A .npy file is not a protobuf ModelProto.
    let npy = data_dir().join("fp32_matmul/in.A.npy");
    let e = OnnxModel::load(&npy).unwrap_err();
    assert!(e.to_string().contains("in.A.npy"), "{e}");
    // An empty file decodes to an empty ModelProto, which has no graph.
    let e = OnnxModel::from_bytes(&[], Path::new("empty.onnx")).unwrap_err();
    assert!(
        e.to_string().contains("empty.onnx") && e.to_string().contains("no graph"),
        "{e}"
    );
}
