//! The table between host element types ([`DType`]) and number formats ([`Format`]): what
//! `.npy` files and ONNX tensors of a format hold, and the format of an ONNX/NumPy dtype.

use super::DType;
use crate::numerics::{FloatFormat, Format};

/// The `.npy` element type of a format: the ONNX/NumPy dtype where one exists (float8
/// and 4-bit types as raw codes, binary as bool codes 0/1); `None` for formats without
/// one (their files hold float32 values or int32 integers).
pub fn dtype_of(format: Format) -> Option<DType> {
    Some(match format {
        Format::FP32 => DType::F32,
        Format::FP16 => DType::F16,
        Format::BF16 => DType::BF16,
        Format::Float(f) if f == FloatFormat::FP8_E4M3 => DType::Float8E4M3FN,
        Format::Float(f) if f == FloatFormat::FP8_E5M2 => DType::Float8E5M2,
        Format::Float(f) if f == FloatFormat::FP8_E4M3_FNUZ => DType::Float8E4M3FNUZ,
        Format::Float(f) if f == FloatFormat::FP8_E5M2_FNUZ => DType::Float8E5M2FNUZ,
        Format::Float(f) if f == FloatFormat::FP4_E2M1 => DType::Float4E2M1,
        Format::Int { bits: 8, signed } => {
            if signed {
                DType::I8
            } else {
                DType::U8
            }
        }
        Format::Int { bits: 16, signed } => {
            if signed {
                DType::I16
            } else {
                DType::U16
            }
        }
        Format::Int {
            bits: 32,
            signed: true,
        } => DType::I32,
        Format::Int { bits: 4, signed } => {
            if signed {
                DType::I4
            } else {
                DType::U4
            }
        }
        Format::Binary => DType::Bool,
        _ => return None,
    })
}

/// The file dtype used for a format: [`dtype_of`], else float32 (floats) / int32 (integers).
pub fn file_dtype(format: Format) -> DType {
    dtype_of(format).unwrap_or(if format.is_float() {
        DType::F32
    } else {
        DType::I32
    })
}

/// The format of an ONNX/NumPy element type, if accelsim has one.
pub fn format_of(dtype: DType) -> Option<Format> {
    Some(match dtype {
        DType::F32 => Format::FP32,
        DType::F16 => Format::FP16,
        DType::BF16 => Format::BF16,
        DType::Float8E4M3FN => Format::FP8_E4M3,
        DType::Float8E5M2 => Format::FP8_E5M2,
        DType::Float8E4M3FNUZ => Format::Float(FloatFormat::FP8_E4M3_FNUZ),
        DType::Float8E5M2FNUZ => Format::Float(FloatFormat::FP8_E5M2_FNUZ),
        DType::Float4E2M1 => Format::Float(FloatFormat::FP4_E2M1),
        DType::I8 => Format::INT8,
        DType::U8 => Format::Int {
            bits: 8,
            signed: false,
        },
        DType::I16 => Format::INT16,
        DType::U16 => Format::Int {
            bits: 16,
            signed: false,
        },
        DType::I32 => Format::INT32,
        DType::I4 => Format::INT4,
        DType::U4 => Format::Int {
            bits: 4,
            signed: false,
        },
        _ => return None,
    })
}
