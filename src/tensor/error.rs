//! Errors of the tensor layer: building tensors and reading/writing `.npy` files.

use std::path::PathBuf;

use super::dtype::DType;

/// An error building, accessing, reading or writing a [`Tensor`](super::Tensor).
#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    /// A dtype name that [`DType::parse`] does not know.
    #[error("unknown dtype '{name}'")]
    UnknownDType {
        /// The name given.
        name: String,
    },
    /// The product of the dimensions does not fit in `usize`.
    #[error("shape {shape:?} has more elements than fit in memory (usize overflow)")]
    ShapeOverflow {
        /// The offending shape.
        shape: Vec<u64>,
    },
    /// The element count of the data does not match the shape.
    #[error("{dtype} tensor of shape {shape:?} needs {expected} elements, got {actual}")]
    LengthMismatch {
        /// Element type.
        dtype: DType,
        /// Shape.
        shape: Vec<usize>,
        /// Elements the shape needs.
        expected: usize,
        /// Elements supplied.
        actual: usize,
    },
    /// The data vector's element type is not the dtype's storage type.
    #[error("{dtype} is stored as {expected}, but the data is {actual}")]
    StorageMismatch {
        /// Element type.
        dtype: DType,
        /// Storage the dtype needs.
        expected: &'static str,
        /// Storage supplied.
        actual: &'static str,
    },
    /// A typed accessor was used on a tensor of another dtype.
    #[error("expected a tensor stored as {expected}, but it is {actual} (stored as {stored})")]
    WrongType {
        /// What the accessor reads.
        expected: &'static str,
        /// The tensor's dtype.
        actual: DType,
        /// The tensor's storage.
        stored: &'static str,
    },
    /// A stored value lies outside its dtype's range (e.g. a bool that is 2, an int4 of 9).
    #[error(
        "element {index} of a {dtype} tensor is {value}, outside the valid range {min}..={max}"
    )]
    ValueOutOfRange {
        /// Element type.
        dtype: DType,
        /// Flat index of the first bad element.
        index: usize,
        /// Its value.
        value: i64,
        /// Smallest valid value.
        min: i64,
        /// Largest valid value.
        max: i64,
    },
    /// A byte buffer's length does not match `elements * element size`.
    #[error("{dtype} data for {elements} elements needs {expected} bytes, got {actual}")]
    ByteLength {
        /// Element type.
        dtype: DType,
        /// Element count.
        elements: usize,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// A tensor cannot be viewed as another dtype (different storage or values out of range).
    #[error("cannot reinterpret a {from} tensor as {to}: {detail}")]
    Reinterpret {
        /// Source dtype.
        from: DType,
        /// Requested dtype.
        to: DType,
        /// Why not.
        detail: String,
    },
    /// An I/O error on a file.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// "read", "write", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A `.npy` file is malformed or unsupported.
    #[error("{path}: {kind}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        kind: NpyErrorKind,
    },
}

/// What is wrong with a `.npy` file.
#[derive(Debug, thiserror::Error)]
pub enum NpyErrorKind {
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file (bad magic; expected \\x93NUMPY)")]
    BadMagic,
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The header ends before its declared length or is not a valid header dict.
    #[error("malformed header: {detail}")]
    BadHeader {
        /// What is wrong.
        detail: String,
    },
    /// A `descr` this reader does not handle.
    #[error("unsupported dtype '{descr}' (supported: |b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f2 <f4 <f8, little-endian){hint}")]
    UnsupportedDtype {
        /// The `descr` string from the header.
        descr: String,
        /// Extra advice (e.g. about big-endian data), possibly empty.
        hint: &'static str,
    },
    /// `fortran_order` is `True`; only C order is supported.
    #[error("Fortran-order arrays are not supported (save with numpy.ascontiguousarray)")]
    FortranOrder,
    /// Fewer data bytes than the header's shape and dtype need.
    #[error(
        "truncated data: shape {shape:?} of {descr} needs {expected} bytes, file has {actual}"
    )]
    Truncated {
        /// Shape from the header.
        shape: Vec<usize>,
        /// `descr` from the header.
        descr: String,
        /// Bytes needed.
        expected: usize,
        /// Bytes present after the header.
        actual: usize,
    },
    /// More data bytes than the header's shape and dtype account for.
    #[error("{extra} unexpected bytes after the data (shape {shape:?} of {descr})")]
    TrailingData {
        /// Shape from the header.
        shape: Vec<usize>,
        /// `descr` from the header.
        descr: String,
        /// Extra bytes.
        extra: usize,
    },
    /// The file's dtype cannot be read as the requested one.
    #[error("holds {found} ('{descr}') data, which cannot be read as {wanted}")]
    DtypeMismatch {
        /// `descr` from the header.
        descr: String,
        /// dtype the file holds.
        found: DType,
        /// dtype requested.
        wanted: DType,
    },
    /// The file's shape is not the one required.
    #[error("has shape {found:?}, expected {wanted:?}")]
    ShapeMismatch {
        /// Shape in the file.
        found: Vec<usize>,
        /// Shape required.
        wanted: Vec<usize>,
    },
    /// The data does not form a valid tensor (e.g. a bool byte that is neither 0 nor 1).
    #[error("{0}")]
    Content(Box<TensorError>),
}

impl crate::error::Classify for TensorError {
    /// Failing to write a file is internal; everything else (an unreadable or malformed
    /// input, a mismatching value) is bad input.
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            TensorError::Io { action, .. } if *action != "read" => {
                crate::error::ErrorKind::Internal
            }
            _ => crate::error::ErrorKind::BadInput,
        }
    }
}
