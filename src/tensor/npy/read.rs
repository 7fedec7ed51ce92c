//! Reading `.npy` files into [`Tensor`]s.

use std::path::Path;

use super::descr::{dtype_for_descr, npy_storage_dtype};
use super::header::parse_header;
use crate::tensor::dtype::DType;
use crate::tensor::error::{NpyErrorKind, TensorError};
use crate::tensor::host::{shape_from_u64, Tensor};

/// Read a `.npy` file (format 1.0/2.0/3.0, little-endian, C order) with its own dtype.
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor, TensorError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| TensorError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    decode_npy(&bytes).map_err(|kind| TensorError::Npy {
        path: path.to_path_buf(),
        kind,
    })
}

/// Read a `.npy` file as `dtype`. The file must hold `dtype` itself or, for types NumPy
/// lacks, its raw codes (see [`npy_storage_dtype`]): e.g. a `|u1` file read as
/// `float8e4m3fn`, as the ONNX oracle data stores float8 tensors.
pub fn read_npy_as(path: impl AsRef<Path>, dtype: DType) -> Result<Tensor, TensorError> {
    let path = path.as_ref();
    let tensor = read_npy(path)?;
    let npy_error = |kind| TensorError::Npy {
        path: path.to_path_buf(),
        kind,
    };
    if tensor.dtype() == dtype {
        return Ok(tensor);
    }
    if tensor.dtype() != npy_storage_dtype(dtype) {
        return Err(npy_error(NpyErrorKind::DtypeMismatch {
            descr: super::descr::descr_for(tensor.dtype()).to_string(),
            found: tensor.dtype(),
            wanted: dtype,
        }));
    }
    tensor
        .reinterpret(dtype)
        .map_err(|e| npy_error(NpyErrorKind::Content(Box::new(e))))
}

/// Decode a complete `.npy` file held in memory.
pub fn decode_npy(bytes: &[u8]) -> Result<Tensor, NpyErrorKind> {
    let header = parse_header(bytes)?;
    let dtype = dtype_for_descr(&header.descr)?;
    if header.fortran_order {
        // A Fortran-order array of rank <= 1 has the same layout as C order, but NumPy
        // never writes one, so any True flag is treated as unsupported.
        return Err(NpyErrorKind::FortranOrder);
    }
    let shape = shape_from_u64(&header.shape).map_err(|e| NpyErrorKind::BadHeader {
        detail: e.to_string(),
    })?;
    let elements: usize = shape.iter().product();
    let actual = bytes.len() - header.data_offset.min(bytes.len());
    let expected = elements
        .checked_mul(dtype.storage().size_bytes())
        .ok_or_else(|| NpyErrorKind::BadHeader {
            detail: format!(
                "shape {shape:?} of {} overflows the address space",
                header.descr
            ),
        })?;
    if actual < expected {
        return Err(NpyErrorKind::Truncated {
            shape,
            descr: header.descr,
            expected,
            actual,
        });
    }
    if actual > expected {
        return Err(NpyErrorKind::TrailingData {
            shape,
            descr: header.descr,
            extra: actual - expected,
        });
    }
    Tensor::from_le_bytes(dtype, shape, &bytes[header.data_offset..])
        .map_err(|e| NpyErrorKind::Content(Box::new(e)))
}
