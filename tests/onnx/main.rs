//! Integration tests: Importers: ONNX (inference, models, round trips) and SCALE-Sim (import, parity).
//! One test binary per area (`cargo test --release --test onnx`); each file is a module.

mod import_roundtrip;
mod infer;
mod models;
mod qdq_lowering;
mod scalesim_import;
mod scalesim_parity;
