//! Writing [`Tensor`]s as `.npy` files, atomically.

use std::path::Path;

use super::descr::descr_for;
use super::header::format_header;
use crate::tensor::error::TensorError;
use crate::tensor::host::Tensor;

/// Encode a tensor as a complete `.npy` file (format 1.0, or 2.0 for huge headers).
///
/// Types NumPy lacks are written as their raw storage (see
/// [`npy_storage_dtype`](super::npy_storage_dtype)); read them back with
/// [`read_npy_as`](super::read_npy_as).
pub fn encode_npy(tensor: &Tensor) -> Vec<u8> {
    let mut out = format_header(descr_for(tensor.dtype()), tensor.shape());
    out.extend_from_slice(&tensor.to_le_bytes());
    out
}

/// Write a tensor to `path` as `.npy`, atomically: the bytes go to a temporary file in
/// the same directory, which is flushed to disk and then renamed over `path`. On any
/// error the temporary file is removed and `path` is left untouched.
pub fn write_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<(), TensorError> {
    write_atomic(path.as_ref(), &encode_npy(tensor))
}

/// Write `bytes` to `path` atomically ([`crate::fsio::write_atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TensorError> {
    crate::fsio::write_atomic(path, bytes).map_err(|source| TensorError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
