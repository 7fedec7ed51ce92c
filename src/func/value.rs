//! The executor's tensor values: decoded numbers (`f32` for float formats, `i32` for
//! integer ones) tagged with their format, conversions from and to host
//! [`Tensor`]s (`.npy` dtypes), and casts between formats.

use crate::numerics::{CastOptions, Caster, FloatFormat, Format, Overflow, Rounding};

/// Slices at least this long go through a compiled [`Caster`] (tables, bit tricks).
const FAST_CAST_MIN: usize = 4096;

/// Rounds every value to float format `f` (nearest-even, `overflow` policy).
pub fn round_vec(f: FloatFormat, x: &[f32], overflow: Overflow) -> Vec<f32> {
    if f == FloatFormat::FP32 && overflow == Overflow::Ieee {
        return x.to_vec();
    }
    if x.len() >= FAST_CAST_MIN {
        if let Ok(mut c) = Caster::new(
            Format::Float(f),
            CastOptions::new(Rounding::NearestEven, overflow),
        ) {
            let mut codes = vec![0u32; x.len()];
            let mut out = vec![0f32; x.len()];
            if c.cast_slice(x, &mut codes).is_ok() && c.decode_slice(&codes, &mut out).is_ok() {
                return out;
            }
        }
    }
    x.iter()
        .map(|&a| f.quantize_f32(a, Rounding::NearestEven, overflow, 0))
        .collect()
}

/// Encodes values of float format `f` (exact) as codes.
fn encode_vec(f: FloatFormat, x: &[f32]) -> Vec<u32> {
    if x.len() >= FAST_CAST_MIN {
        if let Ok(mut c) = Caster::new(Format::Float(f), CastOptions::RNE) {
            let mut codes = vec![0u32; x.len()];
            if c.cast_slice(x, &mut codes).is_ok() {
                return codes;
            }
        }
    }
    x.iter()
        .map(|&a| f.encode_f32(a, Rounding::NearestEven, Overflow::Ieee, 0))
        .collect()
}

/// Every fp16 value by code (built once).
fn fp16_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX as u32)
            .map(|c| FloatFormat::FP16.decode_f32(c))
            .collect()
    })
}

/// Decodes codes of float format `f`.
fn decode_vec(f: FloatFormat, codes: &[u32]) -> Vec<f32> {
    if f == FloatFormat::BF16 {
        return codes.iter().map(|&c| f32::from_bits(c << 16)).collect();
    }
    if f == FloatFormat::FP16 && codes.len() >= FAST_CAST_MIN {
        let t = fp16_table();
        return codes.iter().map(|&c| t[(c & 0xffff) as usize]).collect();
    }
    if codes.len() >= FAST_CAST_MIN {
        if let Ok(c) = Caster::new(Format::Float(f), CastOptions::RNE) {
            let mut out = vec![0f32; codes.len()];
            if c.decode_slice(codes, &mut out).is_ok() {
                return out;
            }
        }
    }
    codes.iter().map(|&c| f.decode_f32(c)).collect()
}
use crate::tensor::{DType, Tensor, TensorData};

/// Decoded element values.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Values of a float format, exactly (every supported float format fits in f32).
    F32(Vec<f32>),
    /// Values of an integer format (up to int32 / uint31) or binary (±1).
    I32(Vec<i32>),
}

impl Data {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I32(v) => v.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A tensor value during execution: its format, shape and decoded values (C order).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The number format every element is a value of.
    pub format: Format,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// The values.
    pub data: Data,
}

/// How the executor stores a format's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scalar float format, held as f32.
    Float(FloatFormat),
    /// An integer format with its range, held as i32.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// Binary ±1, held as i32.
    Binary,
}

/// The storage class of a format, or why the executor cannot hold it.
pub fn kind_of(format: Format) -> Result<Kind, String> {
    match format {
        Format::Float(f) => Ok(Kind::Float(f)),
        Format::Int { bits, signed } if signed && bits <= 32 => Ok(Kind::Int {
            min: -(1i64 << (bits - 1)),
            max: (1i64 << (bits - 1)) - 1,
        }),
        Format::Int { bits, signed } if !signed && bits <= 31 => Ok(Kind::Int {
            min: 0,
            max: (1i64 << bits) - 1,
        }),
        Format::Binary => Ok(Kind::Binary),
        other => Err(format!(
            "functional execution does not support the format {other} yet (supported: scalar float formats, int2..int32, uint2..uint31, binary)"
        )),
    }
}

// The DType <-> Format table lives in `tensor` (so `import` does not depend on `func`).
pub use crate::tensor::{dtype_of, file_dtype, format_of};

impl Value {
    /// A value from parts (the caller guarantees `data` holds `shape`'s element count).
    pub fn new(format: Format, shape: Vec<usize>, data: Data) -> Value {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Value {
            format,
            shape,
            data,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the value has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Float values (`None` for integer formats).
    pub fn f32s(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            Data::I32(_) => None,
        }
    }

    /// Integer values (`None` for float formats).
    pub fn i32s(&self) -> Option<&[i32]> {
        match &self.data {
            Data::I32(v) => Some(v),
            Data::F32(_) => None,
        }
    }

    /// Every value as f32 (integers converted with round-to-nearest-even).
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match &self.data {
            Data::F32(v) => v.clone(),
            Data::I32(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// Every value as f64 (exact).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match &self.data {
            Data::F32(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I32(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }

    /// Decodes a host tensor bound to a tensor of `format`. The tensor's dtype must be
    /// [`file_dtype`]`(format)`; for formats without their own dtype, every float32 value
    /// must be exactly a value of the format (and every int32 value in range).
    pub fn from_tensor(format: Format, t: &Tensor) -> Result<Value, String> {
        let kind = kind_of(format)?;
        let want = file_dtype(format);
        if t.dtype() != want {
            return Err(format!(
                "expected {want} values for a {format} tensor, got {}",
                t.dtype()
            ));
        }
        let shape = t.shape().to_vec();
        let data = match (kind, t.data()) {
            (Kind::Float(f), TensorData::F32(v)) => {
                if dtype_of(format).is_none() {
                    for (i, &x) in v.iter().enumerate() {
                        let q = f.quantize_f32(x, Rounding::NearestEven, Overflow::Ieee, 0);
                        if q.to_bits() != x.to_bits() && !(q.is_nan() && x.is_nan()) {
                            return Err(format!(
                                "element {i} is {x:e}, which is not a {format} value (nearest: {q:e})"
                            ));
                        }
                    }
                }
                Data::F32(v.clone())
            }
            (Kind::Float(f), TensorData::U16(v)) => Data::F32(decode_vec(
                f,
                &v.iter().map(|&c| c as u32).collect::<Vec<_>>(),
            )),
            (Kind::Float(f), TensorData::U8(v)) => Data::F32(decode_vec(
                f,
                &v.iter().map(|&c| c as u32).collect::<Vec<_>>(),
            )),
            (Kind::Int { min, max }, data) => {
                // Common element types convert in one vectorisable pass, range-checked by a
                // min/max over the result.
                let direct: Option<Vec<i32>> = match data {
                    TensorData::I8(v) => Some(v.iter().map(|&x| x as i32).collect()),
                    TensorData::U8(v) => Some(v.iter().map(|&x| x as i32).collect()),
                    TensorData::I16(v) => Some(v.iter().map(|&x| x as i32).collect()),
                    TensorData::U16(v) => Some(v.iter().map(|&x| x as i32).collect()),
                    TensorData::I32(v) => Some(v.clone()),
                    _ => None,
                };
                if let Some(out) = direct {
                    let (lo, hi) = out
                        .iter()
                        .fold((i32::MAX, i32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                    if !out.is_empty() && ((lo as i64) < min || (hi as i64) > max) {
                        let i = out
                            .iter()
                            .position(|&x| (x as i64) < min || (x as i64) > max)
                            .unwrap_or(0);
                        return Err(format!(
                            "element {i} is {}, outside the {format} range {min}..={max}",
                            out[i]
                        ));
                    }
                    return Ok(Value::new(format, shape, Data::I32(out)));
                }
                let n = data.len();
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let x = data.int_at(i).ok_or("expected integer values")?;
                    if x < min || x > max {
                        return Err(format!(
                            "element {i} is {x}, outside the {format} range {min}..={max}"
                        ));
                    }
                    out.push(x as i32);
                }
                Data::I32(out)
            }
            (Kind::Binary, TensorData::U8(v)) => {
                Data::I32(v.iter().map(|&c| if c != 0 { 1 } else { -1 }).collect())
            }
            _ => return Err(format!("cannot decode {} as {format}", t.dtype())),
        };
        Ok(Value::new(format, shape, data))
    }

    /// Encodes the value as a host tensor of [`file_dtype`]`(self.format)`.
    pub fn to_tensor(&self) -> Result<Tensor, String> {
        let dtype = file_dtype(self.format);
        let shape = self.shape.clone();
        let err = |e: crate::tensor::TensorError| e.to_string();
        match (&self.data, kind_of(self.format)?) {
            (Data::F32(v), Kind::Float(f)) => match dtype {
                DType::F32 => Tensor::from_f32(shape, v.clone()).map_err(err),
                DType::F16 | DType::BF16 => Tensor::from_vec(
                    dtype,
                    shape,
                    encode_vec(f, v).into_iter().map(|c| c as u16).collect(),
                )
                .map_err(err),
                _ => Tensor::from_vec(
                    dtype,
                    shape,
                    encode_vec(f, v).into_iter().map(|c| c as u8).collect(),
                )
                .map_err(err),
            },
            (Data::I32(v), Kind::Binary) => Tensor::from_vec(
                DType::Bool,
                shape,
                v.iter().map(|&x| (x > 0) as u8).collect(),
            )
            .map_err(err),
            (Data::I32(v), Kind::Int { .. }) => match dtype {
                DType::I8 | DType::I4 => {
                    Tensor::from_vec(dtype, shape, v.iter().map(|&x| x as i8).collect())
                }
                DType::U8 | DType::U4 => {
                    Tensor::from_vec(dtype, shape, v.iter().map(|&x| x as u8).collect())
                }
                DType::I16 => Tensor::from_vec(dtype, shape, v.iter().map(|&x| x as i16).collect()),
                DType::U16 => Tensor::from_vec(dtype, shape, v.iter().map(|&x| x as u16).collect()),
                _ => Tensor::from_vec(DType::I32, shape, v.clone()),
            }
            .map_err(err),
            _ => Err(format!(
                "internal: {} value with mismatched storage",
                self.format
            )),
        }
    }
}

/// How float values that do not fit an integer format become integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntRounding {
    /// Round to nearest, ties to even, then saturate (quantize, hand-written casts).
    NearestEven,
    /// Truncate toward zero, then saturate (ONNX Cast).
    TowardZero,
}

/// Converts `v` to `format`: floats round once to nearest-even (IEEE overflow: ±Inf or
/// NaN where the format has them), integers saturate to the format's range; float →
/// integer rounds as `int_rounding` says (NaN → 0).
pub fn cast(v: &Value, format: Format, int_rounding: IntRounding) -> Result<Value, String> {
    if v.format == format {
        return Ok(v.clone());
    }
    let data = match (&v.data, kind_of(format)?) {
        (Data::F32(x), Kind::Float(f)) => Data::F32(round_vec(f, x, Overflow::Ieee)),
        (Data::I32(x), Kind::Float(f)) => Data::F32(
            x.iter()
                .map(|&a| {
                    f.decode_f32(f.encode_f64(a as f64, Rounding::NearestEven, Overflow::Ieee, 0))
                })
                .collect(),
        ),
        (Data::F32(x), Kind::Int { min, max }) => Data::I32(
            x.iter()
                .map(|&a| {
                    if a.is_nan() {
                        return 0;
                    }
                    let r = match int_rounding {
                        IntRounding::NearestEven => (a as f64).round_ties_even(),
                        IntRounding::TowardZero => (a as f64).trunc(),
                    };
                    r.clamp(min as f64, max as f64) as i32
                })
                .collect(),
        ),
        (Data::I32(x), Kind::Int { min, max }) => Data::I32(
            x.iter()
                .map(|&a| (a as i64).clamp(min, max) as i32)
                .collect(),
        ),
        (Data::F32(x), Kind::Binary) => {
            Data::I32(x.iter().map(|&a| if a < 0.0 { -1 } else { 1 }).collect())
        }
        (Data::I32(x), Kind::Binary) => {
            Data::I32(x.iter().map(|&a| if a < 0 { -1 } else { 1 }).collect())
        }
    };
    Ok(Value::new(format, v.shape.clone(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_round_trip_per_dtype() {
        let f16 = Tensor::from_vec(DType::F16, vec![2], vec![0x3c00u16, 0xc000]).unwrap();
        let v = Value::from_tensor(Format::FP16, &f16).unwrap();
        assert_eq!(v.f32s().unwrap(), &[1.0, -2.0]);
        assert_eq!(v.to_tensor().unwrap(), f16);
        let u8t = Tensor::from_vec(DType::U8, vec![3], vec![0u8, 7, 255]).unwrap();
        let u8f = format_of(DType::U8).unwrap();
        let v = Value::from_tensor(u8f, &u8t).unwrap();
        assert_eq!(v.i32s().unwrap(), &[0, 7, 255]);
        assert_eq!(v.to_tensor().unwrap(), u8t);
        // fp6 has no dtype: float32 files with exact fp6 values.
        let fp6 = Format::parse("fp6_e2m3").unwrap();
        let ok = Tensor::from_f32(vec![2], vec![0.5, -7.5]).unwrap();
        assert!(Value::from_tensor(fp6, &ok).is_ok());
        let bad = Tensor::from_f32(vec![1], vec![0.3]).unwrap();
        assert!(Value::from_tensor(fp6, &bad)
            .unwrap_err()
            .contains("not a fp6_e2m3 value"));
        // Wrong dtype.
        assert!(Value::from_tensor(Format::FP32, &u8t).is_err());
        // int range.
        let int4 = Tensor::from_vec(DType::I32, vec![1], vec![9]).unwrap();
        assert!(Value::from_tensor(Format::parse("int3").unwrap(), &int4).is_err());
    }

    #[test]
    fn casts() {
        let v = Value::new(
            Format::FP32,
            vec![4],
            Data::F32(vec![2.5, -2.5, 300.0, f32::NAN]),
        );
        let i8v = cast(&v, Format::INT8, IntRounding::NearestEven).unwrap();
        assert_eq!(i8v.i32s().unwrap(), &[2, -2, 127, 0]);
        let t = cast(&v, Format::INT8, IntRounding::TowardZero).unwrap();
        assert_eq!(t.i32s().unwrap(), &[2, -2, 127, 0]);
        let h = cast(&v, Format::FP8_E4M3, IntRounding::NearestEven).unwrap();
        assert_eq!(h.f32s().unwrap()[2], 288.0);
        let big = Value::new(Format::INT32, vec![1], Data::I32(vec![16_777_217]));
        let f = cast(&big, Format::FP32, IntRounding::NearestEven).unwrap();
        assert_eq!(f.f32s().unwrap(), &[16_777_216.0]);
    }
}
