//! Readers for other tools' formats (ONNX models, SCALE-Sim configs and topologies),
//! producing accelsim workloads (and, for SCALE-Sim, architectures). Importers know file
//! formats, never cost models.

pub mod onnx;
pub mod scalesim;
