//! Bit-exact low-precision numerics: formats, casts, rounding, quantization and exact
//! dot products. This module knows nothing about hardware or workloads.

pub mod cast;
pub mod e8m0;
pub mod error;
pub mod fixed;
pub mod float;
pub mod format;
pub mod int;
pub mod rounding;
pub mod table;

pub use cast::{cast_slice, decode_slice, Caster, CodeWord};
pub use error::NumericsError;
pub use float::FloatClass;
pub use format::{FloatFormat, FloatKind, Format, MxElem, UnknownFormat};
pub use rounding::{CastOptions, Overflow, Rounding, SplitMix64};
