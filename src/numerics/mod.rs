//! Bit-exact low-precision numerics: formats, casts, rounding, quantization and exact
//! dot products. This module knows nothing about hardware or workloads.

pub mod accum;
pub mod bfp;
pub mod cast;
pub mod cast_cli;
pub mod dot;
pub mod e8m0;
pub mod error;
pub mod exact;
pub mod fixed;
pub mod float;
pub mod format;
pub mod info;
pub mod int;
pub mod mx;
pub mod quant;
pub mod rounding;
pub mod table;

pub use accum::{AccFormat, AccOrder, Accumulator};
pub use cast::{cast_slice, decode_slice, Caster, CodeWord};
pub use dot::{binary_dot_packed, dot_i8, exact_dot_f32, pack_binary};
pub use error::NumericsError;
pub use exact::ExactSum;
pub use float::FloatClass;
pub use format::{FloatFormat, FloatKind, Format, MxElem, UnknownFormat};
pub use info::FormatInfo;
pub use rounding::{CastOptions, Overflow, Rounding, SplitMix64};
