//! Mapping between NumPy `descr` strings and [`DType`]s.

use crate::tensor::dtype::DType;
use crate::tensor::error::NpyErrorKind;

/// The dtype a `.npy` `descr` denotes. One-byte types accept the `|` and `<` byte-order
/// marks; wider types must be little-endian (`<`).
pub fn dtype_for_descr(descr: &str) -> Result<DType, NpyErrorKind> {
    let unsupported = |hint: &'static str| NpyErrorKind::UnsupportedDtype {
        descr: descr.to_string(),
        hint,
    };
    let (order, code) = match descr.char_indices().nth(1) {
        Some((i, _)) => descr.split_at(i),
        None => return Err(unsupported("")),
    };
    let one_byte = match code {
        "b1" => Some(DType::Bool),
        "u1" => Some(DType::U8),
        "i1" => Some(DType::I8),
        _ => None,
    };
    if let Some(d) = one_byte {
        return match order {
            "|" | "<" => Ok(d),
            _ => Err(unsupported("")),
        };
    }
    let dtype = match code {
        "u2" => DType::U16,
        "i2" => DType::I16,
        "u4" => DType::U32,
        "i4" => DType::I32,
        "u8" => DType::U64,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => return Err(unsupported("")),
    };
    match order {
        "<" => Ok(dtype),
        ">" => Err(unsupported(
            "; this is big-endian data: convert with arr.astype(arr.dtype.newbyteorder('<'))",
        )),
        "=" => Err(unsupported(
            "; native byte order '=' is ambiguous in a file, expected '<'",
        )),
        _ => Err(unsupported("")),
    }
}

/// The dtype used to store `dtype` in a `.npy` file: itself for NumPy-native types;
/// raw codes/bits otherwise (`uint8` for float8/float4/uint4, `int8` for int4,
/// `uint16` for bfloat16), the convention of the project's ONNX oracle data.
pub fn npy_storage_dtype(dtype: DType) -> DType {
    match dtype {
        DType::Float8E4M3FN
        | DType::Float8E4M3FNUZ
        | DType::Float8E5M2
        | DType::Float8E5M2FNUZ
        | DType::Float4E2M1
        | DType::U4 => DType::U8,
        DType::I4 => DType::I8,
        DType::BF16 => DType::U16,
        other => other,
    }
}

/// The `descr` written for `dtype` (after [`npy_storage_dtype`]).
pub fn descr_for(dtype: DType) -> &'static str {
    match npy_storage_dtype(dtype) {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::I8 => "|i1",
        DType::U16 => "<u2",
        DType::I16 => "<i2",
        DType::U32 => "<u4",
        DType::I32 => "<i4",
        DType::U64 => "<u8",
        DType::I64 => "<i8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        // npy_storage_dtype maps every other dtype onto one of the above.
        _ => "|u1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_has_a_readable_descr() {
        for d in DType::ALL {
            let back = dtype_for_descr(descr_for(d)).unwrap();
            assert_eq!(back, npy_storage_dtype(d), "{d}");
        }
    }

    #[test]
    fn byte_orders() {
        assert_eq!(dtype_for_descr("<u1").unwrap(), DType::U8);
        assert!(dtype_for_descr(">f4").is_err());
        assert!(dtype_for_descr("=f4").is_err());
        assert!(dtype_for_descr("|f4").is_err());
        assert!(dtype_for_descr("<c8").is_err());
        assert!(dtype_for_descr("<U10").is_err());
        assert!(dtype_for_descr("").is_err());
        assert!(dtype_for_descr("é").is_err());
    }
}
