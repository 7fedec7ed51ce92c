//! Element types of host tensors ([`DType`]): names, widths and storage classes.
//!
//! Names follow ONNX's element types written the way NumPy/`cases.json` spell them
//! (`uint8`, `float16`, `float32`, `float8e4m3fn`, ...). [`DType::parse`] also accepts
//! ONNX's own spellings (`float`, `double`) and `ml_dtypes`' (`float8_e4m3fn`).

use std::fmt;

use super::error::TensorError;

/// The element type of a [`Tensor`](super::Tensor).
///
/// Types without a native Rust representation are stored by their bit codes:
/// `float16`/`bfloat16` as `u16` bits, the float8 and float4 types as one `u8` code per
/// element, and the 4-bit integers one element per byte (`uint4` as `u8` in 0..=15,
/// `int4` as `i8` in -8..=7). `bool` is one `u8` per element, 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// Boolean, stored as `u8` 0/1.
    Bool,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// IEEE binary16, stored as `u16` bits.
    F16,
    /// bfloat16, stored as `u16` bits.
    BF16,
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// OCP FP8 E4M3 ("fn": finite, one NaN code per sign), stored as `u8` codes.
    Float8E4M3FN,
    /// FP8 E4M3 "fnuz" (no negative zero, NaN = 0x80), stored as `u8` codes.
    Float8E4M3FNUZ,
    /// OCP FP8 E5M2 (IEEE-like, with infinities), stored as `u8` codes.
    Float8E5M2,
    /// FP8 E5M2 "fnuz" (no negative zero, NaN = 0x80), stored as `u8` codes.
    Float8E5M2FNUZ,
    /// OCP FP4 E2M1, one `u8` code (0..=15) per element.
    Float4E2M1,
    /// Unsigned 4-bit integer, one `u8` (0..=15) per element.
    U4,
    /// Signed 4-bit integer, one `i8` (-8..=7) per element.
    I4,
}

/// The Rust vector type that holds a dtype's elements (see [`DType::storage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageKind {
    /// `Vec<u8>`
    U8,
    /// `Vec<i8>`
    I8,
    /// `Vec<u16>`
    U16,
    /// `Vec<i16>`
    I16,
    /// `Vec<u32>`
    U32,
    /// `Vec<i32>`
    I32,
    /// `Vec<u64>`
    U64,
    /// `Vec<i64>`
    I64,
    /// `Vec<f32>`
    F32,
    /// `Vec<f64>`
    F64,
}

impl StorageKind {
    /// Bytes per stored element.
    pub const fn size_bytes(self) -> usize {
        match self {
            StorageKind::U8 | StorageKind::I8 => 1,
            StorageKind::U16 | StorageKind::I16 => 2,
            StorageKind::U32 | StorageKind::I32 | StorageKind::F32 => 4,
            StorageKind::U64 | StorageKind::I64 | StorageKind::F64 => 8,
        }
    }

    /// The Rust element type's name (`u8`, `f32`, ...), for messages.
    pub const fn rust_name(self) -> &'static str {
        match self {
            StorageKind::U8 => "u8",
            StorageKind::I8 => "i8",
            StorageKind::U16 => "u16",
            StorageKind::I16 => "i16",
            StorageKind::U32 => "u32",
            StorageKind::I32 => "i32",
            StorageKind::U64 => "u64",
            StorageKind::I64 => "i64",
            StorageKind::F32 => "f32",
            StorageKind::F64 => "f64",
        }
    }
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 20] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::U16,
        DType::I16,
        DType::U32,
        DType::I32,
        DType::U64,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::Float8E4M3FN,
        DType::Float8E4M3FNUZ,
        DType::Float8E5M2,
        DType::Float8E5M2FNUZ,
        DType::Float4E2M1,
        DType::U4,
        DType::I4,
    ];

    /// Canonical name (NumPy style for native types, ONNX style otherwise):
    /// `bool`, `uint8`, ..., `float16`, `bfloat16`, `float32`, `float64`,
    /// `float8e4m3fn`, `float8e4m3fnuz`, `float8e5m2`, `float8e5m2fnuz`, `float4e2m1`,
    /// `uint4`, `int4`.
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::U16 => "uint16",
            DType::I16 => "int16",
            DType::U32 => "uint32",
            DType::I32 => "int32",
            DType::U64 => "uint64",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::Float8E4M3FN => "float8e4m3fn",
            DType::Float8E4M3FNUZ => "float8e4m3fnuz",
            DType::Float8E5M2 => "float8e5m2",
            DType::Float8E5M2FNUZ => "float8e5m2fnuz",
            DType::Float4E2M1 => "float4e2m1",
            DType::U4 => "uint4",
            DType::I4 => "int4",
        }
    }

    /// Parse a dtype name: the canonical [`DType::name`], ONNX's spelling (`float`,
    /// `double`, `FLOAT16`, case-insensitive) or `ml_dtypes`' (`float8_e4m3fn`,
    /// `float4_e2m1fn`).
    pub fn parse(name: &str) -> Result<DType, TensorError> {
        let lower = name.trim().to_ascii_lowercase();
        let canonical: String = lower.chars().filter(|c| *c != '_').collect();
        let dtype = match canonical.as_str() {
            "float" | "float32" | "f32" => DType::F32,
            "double" | "float64" | "f64" => DType::F64,
            "half" | "float16" | "f16" => DType::F16,
            "bfloat16" | "bf16" => DType::BF16,
            "float4e2m1" | "float4e2m1fn" => DType::Float4E2M1,
            "u8" => DType::U8,
            "i8" => DType::I8,
            _ => match DType::ALL.iter().find(|d| d.name() == canonical) {
                Some(d) => *d,
                None => {
                    return Err(TensorError::UnknownDType {
                        name: name.to_string(),
                    })
                }
            },
        };
        Ok(dtype)
    }

    /// How the elements are stored in memory.
    pub const fn storage(self) -> StorageKind {
        match self {
            DType::Bool
            | DType::U8
            | DType::Float8E4M3FN
            | DType::Float8E4M3FNUZ
            | DType::Float8E5M2
            | DType::Float8E5M2FNUZ
            | DType::Float4E2M1
            | DType::U4 => StorageKind::U8,
            DType::I8 | DType::I4 => StorageKind::I8,
            DType::U16 | DType::F16 | DType::BF16 => StorageKind::U16,
            DType::I16 => StorageKind::I16,
            DType::U32 => StorageKind::U32,
            DType::I32 => StorageKind::I32,
            DType::U64 => StorageKind::U64,
            DType::I64 => StorageKind::I64,
            DType::F32 => StorageKind::F32,
            DType::F64 => StorageKind::F64,
        }
    }

    /// Width of one element in the format itself (1 for bool, 4 for the 4-bit types).
    pub const fn bits(self) -> u32 {
        match self {
            DType::Bool => 1,
            DType::Float4E2M1 | DType::U4 | DType::I4 => 4,
            _ => (self.storage().size_bytes() * 8) as u32,
        }
    }

    /// True for the floating-point types, including the bit-code ones (f16, bf16, fp8, fp4).
    pub const fn is_float(self) -> bool {
        matches!(
            self,
            DType::F16
                | DType::BF16
                | DType::F32
                | DType::F64
                | DType::Float8E4M3FN
                | DType::Float8E4M3FNUZ
                | DType::Float8E5M2
                | DType::Float8E5M2FNUZ
                | DType::Float4E2M1
        )
    }

    /// True for the integer types (signed or unsigned, any width; not bool).
    pub const fn is_integer(self) -> bool {
        !self.is_float() && !matches!(self, DType::Bool)
    }

    /// True for signed integer types.
    pub const fn is_signed_integer(self) -> bool {
        matches!(
            self,
            DType::I4 | DType::I8 | DType::I16 | DType::I32 | DType::I64
        )
    }

    /// Inclusive value range of an integer or bool dtype narrower than its storage
    /// (`bool` 0..=1, `uint4` 0..=15, `int4` -8..=7, `float4e2m1` codes 0..=15);
    /// `None` when every stored value is valid.
    pub const fn restricted_range(self) -> Option<(i64, i64)> {
        match self {
            DType::Bool => Some((0, 1)),
            DType::U4 | DType::Float4E2M1 => Some((0, 15)),
            DType::I4 => Some((-8, 7)),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DType {
    type Err = TensorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DType::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::parse(d.name()).unwrap(), d);
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(DType::parse("float").unwrap(), DType::F32);
        assert_eq!(DType::parse("DOUBLE").unwrap(), DType::F64);
        assert_eq!(DType::parse("float8_e4m3fn").unwrap(), DType::Float8E4M3FN);
        assert_eq!(DType::parse("FLOAT8E5M2").unwrap(), DType::Float8E5M2);
        assert_eq!(DType::parse("float4_e2m1fn").unwrap(), DType::Float4E2M1);
        assert!(DType::parse("complex64").is_err());
    }

    #[test]
    fn widths() {
        assert_eq!(DType::I4.bits(), 4);
        assert_eq!(DType::F16.bits(), 16);
        assert_eq!(DType::Bool.bits(), 1);
        assert_eq!(DType::F64.storage().size_bytes(), 8);
    }
}
