//! Typed element storage ([`TensorData`]) and the [`Element`] trait that maps Rust types
//! to it, with little-endian byte conversion.

use super::dtype::StorageKind;

/// The elements of a tensor, in C (row-major) order, in their storage type.
///
/// Which variant a dtype uses is [`DType::storage`](super::DType::storage); e.g. float16
/// bits live in [`TensorData::U16`] and float8 codes in [`TensorData::U8`].
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// `u8` elements (uint8, bool, float8/float4 codes, uint4).
    U8(Vec<u8>),
    /// `i8` elements (int8, int4).
    I8(Vec<i8>),
    /// `u16` elements (uint16, float16 and bfloat16 bits).
    U16(Vec<u16>),
    /// `i16` elements.
    I16(Vec<i16>),
    /// `u32` elements.
    U32(Vec<u32>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `u64` elements.
    U64(Vec<u64>),
    /// `i64` elements.
    I64(Vec<i64>),
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f64` elements.
    F64(Vec<f64>),
}

/// Apply `$body` to the vector inside any [`TensorData`] variant.
macro_rules! each_variant {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            TensorData::U8($v) => $body,
            TensorData::I8($v) => $body,
            TensorData::U16($v) => $body,
            TensorData::I16($v) => $body,
            TensorData::U32($v) => $body,
            TensorData::I32($v) => $body,
            TensorData::U64($v) => $body,
            TensorData::I64($v) => $body,
            TensorData::F32($v) => $body,
            TensorData::F64($v) => $body,
        }
    };
}

impl TensorData {
    /// Which storage type this is.
    pub fn kind(&self) -> StorageKind {
        match self {
            TensorData::U8(_) => StorageKind::U8,
            TensorData::I8(_) => StorageKind::I8,
            TensorData::U16(_) => StorageKind::U16,
            TensorData::I16(_) => StorageKind::I16,
            TensorData::U32(_) => StorageKind::U32,
            TensorData::I32(_) => StorageKind::I32,
            TensorData::U64(_) => StorageKind::U64,
            TensorData::I64(_) => StorageKind::I64,
            TensorData::F32(_) => StorageKind::F32,
            TensorData::F64(_) => StorageKind::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each_variant!(self, v => v.len())
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` zero elements of the given storage type.
    pub fn zeros(kind: StorageKind, n: usize) -> TensorData {
        match kind {
            StorageKind::U8 => TensorData::U8(vec![0; n]),
            StorageKind::I8 => TensorData::I8(vec![0; n]),
            StorageKind::U16 => TensorData::U16(vec![0; n]),
            StorageKind::I16 => TensorData::I16(vec![0; n]),
            StorageKind::U32 => TensorData::U32(vec![0; n]),
            StorageKind::I32 => TensorData::I32(vec![0; n]),
            StorageKind::U64 => TensorData::U64(vec![0; n]),
            StorageKind::I64 => TensorData::I64(vec![0; n]),
            StorageKind::F32 => TensorData::F32(vec![0.0; n]),
            StorageKind::F64 => TensorData::F64(vec![0.0; n]),
        }
    }

    /// Decode little-endian bytes; `bytes.len()` must be a multiple of the element size
    /// (the caller checks the exact length).
    pub fn from_le_bytes(kind: StorageKind, bytes: &[u8]) -> TensorData {
        match kind {
            StorageKind::U8 => TensorData::U8(bytes.to_vec()),
            StorageKind::I8 => TensorData::I8(bytes.iter().map(|&b| b as i8).collect()),
            StorageKind::U16 => TensorData::U16(decode(bytes, u16::from_le_bytes)),
            StorageKind::I16 => TensorData::I16(decode(bytes, i16::from_le_bytes)),
            StorageKind::U32 => TensorData::U32(decode(bytes, u32::from_le_bytes)),
            StorageKind::I32 => TensorData::I32(decode(bytes, i32::from_le_bytes)),
            StorageKind::U64 => TensorData::U64(decode(bytes, u64::from_le_bytes)),
            StorageKind::I64 => TensorData::I64(decode(bytes, i64::from_le_bytes)),
            StorageKind::F32 => TensorData::F32(decode(bytes, f32::from_le_bytes)),
            StorageKind::F64 => TensorData::F64(decode(bytes, f64::from_le_bytes)),
        }
    }

    /// The elements as little-endian bytes.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            TensorData::U8(v) => v.clone(),
            TensorData::I8(v) => v.iter().map(|&x| x as u8).collect(),
            TensorData::U16(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::I16(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::U32(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::I32(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::U64(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::I64(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::F32(v) => encode(v, |x| x.to_le_bytes()),
            TensorData::F64(v) => encode(v, |x| x.to_le_bytes()),
        }
    }

    /// Element `i` as `i64` for the integer storages (`u64` values above `i64::MAX`
    /// saturate); `None` for float storage or an index out of range.
    pub fn int_at(&self, i: usize) -> Option<i64> {
        match self {
            TensorData::U8(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I8(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::U16(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I16(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::U32(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::I32(v) => v.get(i).map(|&x| i64::from(x)),
            TensorData::U64(v) => v.get(i).map(|&x| i64::try_from(x).unwrap_or(i64::MAX)),
            TensorData::I64(v) => v.get(i).copied(),
            TensorData::F32(_) | TensorData::F64(_) => None,
        }
    }
}

fn decode<const N: usize, T>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            f(a)
        })
        .collect()
}

fn encode<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * N);
    for &x in v {
        out.extend_from_slice(&f(x));
    }
    out
}

/// A Rust element type that can be the storage of a tensor.
pub trait Element: Copy + std::fmt::Debug + 'static {
    /// The storage variant holding this type.
    const KIND: StorageKind;
    /// Borrow the elements if `data` holds this type.
    fn slice(data: &TensorData) -> Option<&[Self]>;
    /// Borrow the elements mutably if `data` holds this type.
    fn slice_mut(data: &mut TensorData) -> Option<&mut [Self]>;
    /// Wrap a vector of this type.
    fn wrap(v: Vec<Self>) -> TensorData;
}

macro_rules! impl_element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            const KIND: StorageKind = StorageKind::$variant;
            fn slice(data: &TensorData) -> Option<&[Self]> {
                match data {
                    TensorData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(data: &mut TensorData) -> Option<&mut [Self]> {
                match data {
                    TensorData::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn wrap(v: Vec<Self>) -> TensorData {
                TensorData::$variant(v)
            }
        }
    };
}

impl_element!(u8, U8);
impl_element!(i8, I8);
impl_element!(u16, U16);
impl_element!(i16, I16);
impl_element!(u32, U32);
impl_element!(i32, I32);
impl_element!(u64, U64);
impl_element!(i64, I64);
impl_element!(f32, F32);
impl_element!(f64, F64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_bytes_round_trip() {
        let d = TensorData::F32(vec![1.0, -2.5, f32::INFINITY]);
        let b = d.to_le_bytes();
        assert_eq!(b.len(), 12);
        assert_eq!(TensorData::from_le_bytes(StorageKind::F32, &b), d);
        let d = TensorData::I16(vec![-1, 300]);
        assert_eq!(d.to_le_bytes(), vec![0xff, 0xff, 0x2c, 0x01]);
    }

    #[test]
    fn int_at() {
        assert_eq!(TensorData::U64(vec![u64::MAX]).int_at(0), Some(i64::MAX));
        assert_eq!(TensorData::I8(vec![-3]).int_at(0), Some(-3));
        assert_eq!(TensorData::I8(vec![-3]).int_at(1), None);
        assert_eq!(TensorData::F32(vec![1.0]).int_at(0), None);
    }
}
