//! Importers that turn external model formats into accelsim's representations.

pub mod onnx;
