//! Reading ONNX models into an owned, protobuf-free representation.
//!
//! * [`OnnxModel::load`] decodes an `.onnx` file (with `prost`, from hand-declared
//!   message structs in `proto.rs`; no `protoc` needed), converts initializers of every
//!   storage form into [`Tensor`](crate::tensor::Tensor)s and validates the graph
//!   (imported opsets, defined values, acyclicity).
//! * [`Op`] names the operators accelsim recognises.
//! * [`OnnxModel::infer_shapes`] gives every value's dtype and static shape.
//! * [`to_workload`] converts a model into an accelsim workload plus weight values.
//!
//! ```no_run
//! use accelsim::import::onnx::OnnxModel;
//! let model = OnnxModel::load("model.onnx")?;
//! let types = model.infer_shapes()?;
//! for out in &model.graph.outputs {
//!     println!("{}: {:?}", out.name, types.get(&out.name));
//! }
//! # Ok::<(), accelsim::import::onnx::OnnxError>(())
//! ```

mod attr;
mod convert;
mod error;
pub mod infer;
mod load;
#[cfg(test)]
mod load_tests;
mod measure;
mod model;
mod ops;
mod proto;
mod tensor_proto;
pub mod to_workload;
mod topo;

pub use attr::Attribute;
pub use error::OnnxError;
pub use infer::{infer_shapes, InferredGraph, TensorInfo};
pub use model::{
    normalize_domain, Dim, OnnxGraph, OnnxModel, OnnxNode, ValueInfo, DEFAULT_DOMAIN,
    MICROSOFT_DOMAIN,
};
pub use ops::Op;
pub use tensor_proto::{dtype_from_onnx, dtype_to_onnx};
pub use to_workload::{import_file, to_workload, ImportOptions, Imported};
pub use topo::Producer;
