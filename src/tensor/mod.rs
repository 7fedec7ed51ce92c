//! Host tensors for functional execution: element types ([`DType`]), typed storage
//! ([`TensorData`]), the [`Tensor`] itself and `.npy` I/O ([`npy`]).
//!
//! This module knows nothing about ONNX, hardware or workloads; it only holds values.

mod dtype;
mod error;
mod format;
mod host;
pub mod npy;
mod storage;

pub use dtype::{DType, StorageKind};
pub use error::{NpyErrorKind, TensorError};
pub use format::{dtype_of, file_dtype, format_of};
pub use host::{numel, shape_from_u64, Tensor};
pub use npy::{read_npy, read_npy_as, write_npy};
pub use storage::{Element, TensorData};
