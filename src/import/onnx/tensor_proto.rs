//! Converting `TensorProto` (initializers, tensor attributes) into host [`Tensor`]s,
//! and ONNX element-type codes into [`DType`]s.
//!
//! Every storage form is handled: `raw_data` (little-endian; 4-bit types packed two per
//! byte, low nibble first) and the typed fields — `float_data`, `double_data`,
//! `int64_data`, `uint64_data`, and `int32_data`, which also carries int8/uint8/int16/
//! uint16/bool, float16/bfloat16 bits, float8 codes and packed 4-bit pairs. External
//! data is reported as an error.

use super::error::OnnxError;
use super::proto::{data_type as dt, TensorProto, DATA_LOCATION_EXTERNAL};
use crate::tensor::{DType, Tensor, TensorData};

/// The [`DType`] of an ONNX `TensorProto.DataType` code, if accelsim supports it.
pub fn dtype_from_onnx(code: i32) -> Option<DType> {
    Some(match code {
        dt::FLOAT => DType::F32,
        dt::UINT8 => DType::U8,
        dt::INT8 => DType::I8,
        dt::UINT16 => DType::U16,
        dt::INT16 => DType::I16,
        dt::INT32 => DType::I32,
        dt::INT64 => DType::I64,
        dt::BOOL => DType::Bool,
        dt::FLOAT16 => DType::F16,
        dt::DOUBLE => DType::F64,
        dt::UINT32 => DType::U32,
        dt::UINT64 => DType::U64,
        dt::BFLOAT16 => DType::BF16,
        dt::FLOAT8E4M3FN => DType::Float8E4M3FN,
        dt::FLOAT8E4M3FNUZ => DType::Float8E4M3FNUZ,
        dt::FLOAT8E5M2 => DType::Float8E5M2,
        dt::FLOAT8E5M2FNUZ => DType::Float8E5M2FNUZ,
        dt::UINT4 => DType::U4,
        dt::INT4 => DType::I4,
        dt::FLOAT4E2M1 => DType::Float4E2M1,
        _ => return None,
    })
}

/// The ONNX `TensorProto.DataType` code of a [`DType`].
pub fn dtype_to_onnx(dtype: DType) -> i32 {
    match dtype {
        DType::F32 => dt::FLOAT,
        DType::U8 => dt::UINT8,
        DType::I8 => dt::INT8,
        DType::U16 => dt::UINT16,
        DType::I16 => dt::INT16,
        DType::I32 => dt::INT32,
        DType::I64 => dt::INT64,
        DType::Bool => dt::BOOL,
        DType::F16 => dt::FLOAT16,
        DType::F64 => dt::DOUBLE,
        DType::U32 => dt::UINT32,
        DType::U64 => dt::UINT64,
        DType::BF16 => dt::BFLOAT16,
        DType::Float8E4M3FN => dt::FLOAT8E4M3FN,
        DType::Float8E4M3FNUZ => dt::FLOAT8E4M3FNUZ,
        DType::Float8E5M2 => dt::FLOAT8E5M2,
        DType::Float8E5M2FNUZ => dt::FLOAT8E5M2FNUZ,
        DType::U4 => dt::UINT4,
        DType::I4 => dt::INT4,
        DType::Float4E2M1 => dt::FLOAT4E2M1,
    }
}

/// A name for an element-type code, for messages (`STRING`, `COMPLEX64`, `code 99`).
pub fn onnx_type_name(code: i32) -> String {
    match code {
        dt::UNDEFINED => "UNDEFINED".into(),
        dt::STRING => "STRING".into(),
        dt::COMPLEX64 => "COMPLEX64".into(),
        dt::COMPLEX128 => "COMPLEX128".into(),
        dt::FLOAT8E8M0 => "FLOAT8E8M0".into(),
        dt::UINT2 => "UINT2".into(),
        dt::INT2 => "INT2".into(),
        other => match dtype_from_onnx(other) {
            Some(d) => d.name().into(),
            None => format!("code {other}"),
        },
    }
}

/// Convert a `TensorProto`. `what` names it in errors when it has no name.
pub fn tensor_from_proto(proto: &TensorProto, what: &str) -> Result<Tensor, OnnxError> {
    let name = if proto.name.is_empty() {
        what.to_string()
    } else {
        proto.name.clone()
    };
    let err = |detail: String| OnnxError::Tensor {
        tensor: name.clone(),
        detail,
    };
    if proto.data_location == DATA_LOCATION_EXTERNAL || !proto.external_data.is_empty() {
        let location = proto
            .external_data
            .iter()
            .find(|e| e.key == "location")
            .map(|e| e.value.clone())
            .unwrap_or_default();
        return Err(OnnxError::ExternalData {
            tensor: name,
            location,
        });
    }
    if proto.segment.is_some() {
        return Err(err("segmented tensors are not supported".into()));
    }
    let dtype = dtype_from_onnx(proto.data_type).ok_or_else(|| {
        err(format!(
            "element type {} is not supported",
            onnx_type_name(proto.data_type)
        ))
    })?;
    let shape = proto
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| err(format!("negative dimension {d}"))))
        .collect::<Result<Vec<usize>, _>>()?;
    let n = crate::tensor::numel(&shape).map_err(|e| err(e.to_string()))?;
    let data = if !proto.raw_data.is_empty() {
        check_no_typed_fields(proto, "raw_data").map_err(&err)?;
        from_raw(dtype, n, &proto.raw_data).map_err(&err)?
    } else {
        from_typed_fields(proto, dtype, n).map_err(&err)?
    };
    Tensor::new(dtype, shape, data).map_err(|e| err(e.to_string()))
}

/// The names of the typed data fields that hold values.
fn nonempty_typed_fields(proto: &TensorProto) -> Vec<&'static str> {
    let mut fields = Vec::new();
    for (name, len) in [
        ("float_data", proto.float_data.len()),
        ("int32_data", proto.int32_data.len()),
        ("string_data", proto.string_data.len()),
        ("int64_data", proto.int64_data.len()),
        ("double_data", proto.double_data.len()),
        ("uint64_data", proto.uint64_data.len()),
    ] {
        if len > 0 {
            fields.push(name);
        }
    }
    fields
}

fn check_no_typed_fields(proto: &TensorProto, used: &str) -> Result<(), String> {
    let others: Vec<_> = nonempty_typed_fields(proto)
        .into_iter()
        .filter(|f| *f != used)
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "data is given both in {used} and in {}",
            others.join(", ")
        ))
    }
}

/// Decode `raw_data` for `n` elements.
fn from_raw(dtype: DType, n: usize, raw: &[u8]) -> Result<TensorData, String> {
    if dtype.bits() == 4 {
        let needed = n.div_ceil(2);
        if raw.len() != needed {
            return Err(format!(
                "raw_data has {} bytes, {n} packed {dtype} elements need {needed}",
                raw.len()
            ));
        }
        return Ok(unpack_nibbles(dtype, raw.iter().map(|&b| i64::from(b)), n));
    }
    let size = dtype.storage().size_bytes();
    let needed = n
        .checked_mul(size)
        .ok_or_else(|| "element count overflows".to_string())?;
    if raw.len() != needed {
        return Err(format!(
            "raw_data has {} bytes, {n} {dtype} elements need {needed}",
            raw.len()
        ));
    }
    Ok(TensorData::from_le_bytes(dtype.storage(), raw))
}

/// Unpack 4-bit pairs (low nibble first) into one element per byte.
fn unpack_nibbles(dtype: DType, bytes: impl Iterator<Item = i64>, n: usize) -> TensorData {
    let mut codes = Vec::with_capacity(n + 1);
    for b in bytes {
        codes.push((b & 0x0f) as u8);
        codes.push(((b >> 4) & 0x0f) as u8);
    }
    codes.truncate(n);
    if dtype == DType::I4 {
        // Sign-extend the 4-bit two's complement codes.
        TensorData::I8(codes.into_iter().map(|c| ((c << 4) as i8) >> 4).collect())
    } else {
        TensorData::U8(codes)
    }
}

/// Decode the typed field that `dtype` uses.
fn from_typed_fields(proto: &TensorProto, dtype: DType, n: usize) -> Result<TensorData, String> {
    let field = match dtype {
        DType::F32 => "float_data",
        DType::F64 => "double_data",
        DType::I64 => "int64_data",
        DType::U32 | DType::U64 => "uint64_data",
        _ => "int32_data",
    };
    check_no_typed_fields(proto, field)?;
    let count = |len: usize| -> Result<(), String> {
        if len == n {
            Ok(())
        } else if len == 0 {
            Err(format!(
                "no data: expected {n} elements in raw_data or {field}"
            ))
        } else {
            Err(format!("{field} has {len} values, the shape needs {n}"))
        }
    };
    let data = match dtype {
        DType::F32 => {
            count(proto.float_data.len())?;
            TensorData::F32(proto.float_data.clone())
        }
        DType::F64 => {
            count(proto.double_data.len())?;
            TensorData::F64(proto.double_data.clone())
        }
        DType::I64 => {
            count(proto.int64_data.len())?;
            TensorData::I64(proto.int64_data.clone())
        }
        DType::U64 => {
            count(proto.uint64_data.len())?;
            TensorData::U64(proto.uint64_data.clone())
        }
        DType::U32 => {
            count(proto.uint64_data.len())?;
            TensorData::U32(narrow(&proto.uint64_data, dtype)?)
        }
        DType::I32 => {
            count(proto.int32_data.len())?;
            TensorData::I32(proto.int32_data.clone())
        }
        DType::U4 | DType::I4 | DType::Float4E2M1 => {
            let needed = n.div_ceil(2);
            let len = proto.int32_data.len();
            if len != needed {
                return Err(format!(
                    "int32_data has {len} values, {n} packed {dtype} elements need {needed}"
                ));
            }
            let bytes: Vec<u8> = narrow(&proto.int32_data, DType::U8)?;
            unpack_nibbles(dtype, bytes.into_iter().map(i64::from), n)
        }
        // Everything else narrower than 32 bits travels in int32_data.
        _ => {
            count(proto.int32_data.len())?;
            match dtype.storage() {
                crate::tensor::StorageKind::U8 => TensorData::U8(narrow(&proto.int32_data, dtype)?),
                crate::tensor::StorageKind::I8 => TensorData::I8(narrow(&proto.int32_data, dtype)?),
                crate::tensor::StorageKind::U16 => {
                    TensorData::U16(narrow(&proto.int32_data, dtype)?)
                }
                crate::tensor::StorageKind::I16 => {
                    TensorData::I16(narrow(&proto.int32_data, dtype)?)
                }
                other => {
                    return Err(format!(
                        "{dtype} (stored as {}) cannot come from int32_data",
                        other.rust_name()
                    ))
                }
            }
        }
    };
    Ok(data)
}

/// Narrow wide integers to the storage type `T`, with a range check.
fn narrow<S, T>(values: &[S], dtype: DType) -> Result<Vec<T>, String>
where
    S: Copy + std::fmt::Display,
    T: TryFrom<S>,
{
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            T::try_from(v).map_err(|_| format!("element {i} ({v}) does not fit in {dtype}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proto(data_type: i32, dims: Vec<i64>) -> TensorProto {
        TensorProto {
            name: "t".into(),
            data_type,
            dims,
            ..Default::default()
        }
    }

    #[test]
    fn typed_fields() {
        let mut p = proto(dt::INT8, vec![3]);
        p.int32_data = vec![-128, 0, 127];
        let t = tensor_from_proto(&p, "").unwrap();
        assert_eq!(t.as_i8().unwrap(), &[-128, 0, 127]);
        p.int32_data = vec![-129, 0, 127];
        assert!(tensor_from_proto(&p, "").is_err());

        let mut p = proto(dt::FLOAT16, vec![2]);
        p.int32_data = vec![0x3c00, 0xfbff];
        assert_eq!(
            tensor_from_proto(&p, "").unwrap().as_u16().unwrap(),
            &[0x3c00, 0xfbff]
        );

        let mut p = proto(dt::FLOAT8E4M3FN, vec![2]);
        p.int32_data = vec![0x7e, 0x80];
        let t = tensor_from_proto(&p, "").unwrap();
        assert_eq!(t.dtype(), DType::Float8E4M3FN);
        assert_eq!(t.as_u8().unwrap(), &[0x7e, 0x80]);

        let mut p = proto(dt::UINT32, vec![1]);
        p.uint64_data = vec![1 << 32];
        assert!(tensor_from_proto(&p, "").is_err());

        let mut p = proto(dt::BOOL, vec![2]);
        p.int32_data = vec![1, 0];
        assert_eq!(tensor_from_proto(&p, "").unwrap().as_u8().unwrap(), &[1, 0]);
        p.int32_data = vec![1, 2];
        assert!(tensor_from_proto(&p, "").is_err());
    }

    #[test]
    fn raw_and_packed() {
        let mut p = proto(dt::INT4, vec![3]);
        p.raw_data = vec![0x8f, 0x07];
        let t = tensor_from_proto(&p, "").unwrap();
        assert_eq!(t.as_i8().unwrap(), &[-1, -8, 7]);
        let mut p = proto(dt::UINT4, vec![3]);
        p.int32_data = vec![0x21, 0x03];
        assert_eq!(
            tensor_from_proto(&p, "").unwrap().as_u8().unwrap(),
            &[1, 2, 3]
        );
        let mut p = proto(dt::INT32, vec![2]);
        p.raw_data = vec![1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            tensor_from_proto(&p, "").unwrap().as_i32().unwrap(),
            &[1, -1]
        );
        p.raw_data.pop();
        let e = tensor_from_proto(&p, "").unwrap_err().to_string();
        assert!(e.contains("'t'") && e.contains("7 bytes"), "{e}");
    }

    #[test]
    fn errors() {
        let p = proto(dt::FLOAT, vec![2]);
        assert!(tensor_from_proto(&p, "")
            .unwrap_err()
            .to_string()
            .contains("no data"));
        let mut p = proto(dt::FLOAT, vec![-1]);
        p.float_data = vec![1.0];
        assert!(tensor_from_proto(&p, "").is_err());
        let p = proto(dt::STRING, vec![1]);
        assert!(tensor_from_proto(&p, "")
            .unwrap_err()
            .to_string()
            .contains("STRING"));
        let mut p = proto(dt::FLOAT, vec![1]);
        p.data_location = DATA_LOCATION_EXTERNAL;
        assert!(matches!(
            tensor_from_proto(&p, ""),
            Err(OnnxError::ExternalData { .. })
        ));
        let mut p = proto(dt::FLOAT, vec![1]);
        p.float_data = vec![1.0];
        p.int64_data = vec![1];
        assert!(tensor_from_proto(&p, "").is_err());
        // An empty tensor needs no data.
        let p = proto(dt::FLOAT, vec![0, 3]);
        assert_eq!(tensor_from_proto(&p, "").unwrap().len(), 0);
        let mut p = proto(dt::FLOAT, vec![i64::MAX, i64::MAX]);
        p.float_data = vec![1.0];
        assert!(tensor_from_proto(&p, "").is_err());
    }
}
