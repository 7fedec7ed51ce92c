//! Bit-exact low-precision numerics: formats, casts, rounding, quantization and exact
//! dot products. This module knows nothing about hardware or workloads.
//!
//! Map (one job per file): [`format`] names and properties of formats, [`info`] the
//! human-facing catalogue, [`rounding`] modes/overflow/PRNG and the single rounding
//! primitive, [`float`] the generic float codec, [`e8m0`], [`int`], [`fixed`] the other
//! scalar codecs, [`cast`] + [`table`] compiled casts and slice APIs, [`mx`] and [`bfp`]
//! block formats, [`quant`] integer quantization and ONNX Runtime formulas, [`exact`] the
//! exact accumulator, [`accum`] the accumulator description, [`dot`] dot products, and
//! [`cast_cli`] the logic of `accelsim cast` / `accelsim formats`. See `docs/numerics.md`.
#![warn(missing_docs)]

#[macro_use]
mod by_name;

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
