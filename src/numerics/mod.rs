//! Bit-exact low-precision numerics: formats, casts, rounding, quantization and exact
//! dot products. This module knows nothing about hardware or workloads.

pub mod format;

pub use format::{FloatFormat, FloatKind, Format, MxElem, UnknownFormat};
