//! ONNX protobuf bytes: decode, validate and import to a workload; errors, never panics.
#![no_main]

use accelsim::import::onnx::{to_workload, ImportOptions, OnnxModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = OnnxModel::from_bytes(data, std::path::Path::new("fuzz.onnx")) {
        let _ = to_workload(&model, &ImportOptions::default());
    }
});
