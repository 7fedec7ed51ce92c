//! NumPy `.npy` files: a small strict reader and an atomic writer.
//!
//! Supported: format versions 1.0/2.0/3.0, C order, little-endian dtypes
//! `|b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 <f2 <f4 <f8`. Bad files give a
//! [`TensorError::Npy`](crate::tensor::TensorError::Npy) naming the file and the problem;
//! nothing here panics on bad input.
//!
//! This is hand-written rather than built on `npyz`: the format is one fixed-form
//! header plus raw little-endian data, and `npyz` would pull in a Python-literal parser
//! (`py_literal`/`pest`, `num-bigint`) while still needing wrapping for file names in
//! errors, a guard against header shapes whose product overflows, and the float8-as-
//! raw-`uint8` convention of the ONNX oracle data.

mod descr;
mod header;
mod read;
mod write;

pub use descr::{descr_for, dtype_for_descr, npy_storage_dtype};
pub use header::{format_header, parse_header, NpyHeader};
pub use read::{decode_npy, read_npy, read_npy_as};
pub use write::{encode_npy, write_npy};
