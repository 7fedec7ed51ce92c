//! The host [`Tensor`]: a dtype, a static shape and typed C-order storage, with
//! constructors that check every invariant and typed accessors.

use super::dtype::{DType, StorageKind};
use super::error::TensorError;
use super::storage::{Element, TensorData};

/// Number of elements of `shape` (1 for a scalar), or an error if the product
/// overflows `usize`.
pub fn numel(shape: &[usize]) -> Result<usize, TensorError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| TensorError::ShapeOverflow {
            shape: shape.iter().map(|&d| d as u64).collect(),
        })
}

/// Convert 64-bit dimensions (as found in files) to a `usize` shape, checking that each
/// dimension and the element count fit in `usize`.
pub fn shape_from_u64(dims: &[u64]) -> Result<Vec<usize>, TensorError> {
    let overflow = || TensorError::ShapeOverflow {
        shape: dims.to_vec(),
    };
    let shape = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| overflow()))
        .collect::<Result<Vec<usize>, _>>()?;
    numel(&shape).map_err(|_| overflow())?;
    Ok(shape)
}

/// A dense tensor in host memory, in C (row-major) order.
///
/// Invariants (checked by every constructor): the storage type is `dtype.storage()`,
/// the element count equals the product of `shape`, and dtypes narrower than their
/// storage (bool, 4-bit types) hold only valid values.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    dtype: DType,
    shape: Vec<usize>,
    data: TensorData,
}

impl Tensor {
    /// Build a tensor from storage, checking the invariants.
    pub fn new(dtype: DType, shape: Vec<usize>, data: TensorData) -> Result<Tensor, TensorError> {
        let expected_kind = dtype.storage();
        if data.kind() != expected_kind {
            return Err(TensorError::StorageMismatch {
                dtype,
                expected: expected_kind.rust_name(),
                actual: data.kind().rust_name(),
            });
        }
        let expected = numel(&shape)?;
        if data.len() != expected {
            return Err(TensorError::LengthMismatch {
                dtype,
                shape,
                expected,
                actual: data.len(),
            });
        }
        check_range(dtype, &data)?;
        Ok(Tensor { dtype, shape, data })
    }

    /// Build a tensor from a vector of its storage type (`u16` bits for float16, `u8`
    /// codes for float8, ...).
    pub fn from_vec<T: Element>(
        dtype: DType,
        shape: Vec<usize>,
        values: Vec<T>,
    ) -> Result<Tensor, TensorError> {
        Tensor::new(dtype, shape, T::wrap(values))
    }

    /// A float32 tensor.
    pub fn from_f32(shape: Vec<usize>, values: Vec<f32>) -> Result<Tensor, TensorError> {
        Tensor::from_vec(DType::F32, shape, values)
    }

    /// An int64 tensor.
    pub fn from_i64(shape: Vec<usize>, values: Vec<i64>) -> Result<Tensor, TensorError> {
        Tensor::from_vec(DType::I64, shape, values)
    }

    /// A bool tensor.
    pub fn from_bools(shape: Vec<usize>, values: &[bool]) -> Result<Tensor, TensorError> {
        Tensor::from_vec(
            DType::Bool,
            shape,
            values.iter().map(|&b| b as u8).collect(),
        )
    }

    /// A scalar (rank-0) tensor holding one storage value.
    pub fn scalar<T: Element>(dtype: DType, value: T) -> Result<Tensor, TensorError> {
        Tensor::from_vec(dtype, Vec::new(), vec![value])
    }

    /// A tensor of zeros (all-zero bit patterns, i.e. +0.0 for the float types).
    pub fn zeros(dtype: DType, shape: Vec<usize>) -> Result<Tensor, TensorError> {
        let n = numel(&shape)?;
        Ok(Tensor {
            dtype,
            shape,
            data: TensorData::zeros(dtype.storage(), n),
        })
    }

    /// Build a tensor from little-endian bytes in its storage layout (one storage element
    /// per tensor element; 4-bit types take one byte each).
    pub fn from_le_bytes(
        dtype: DType,
        shape: Vec<usize>,
        bytes: &[u8],
    ) -> Result<Tensor, TensorError> {
        let elements = numel(&shape)?;
        let size = dtype.storage().size_bytes();
        let expected = elements
            .checked_mul(size)
            .ok_or_else(|| TensorError::ShapeOverflow {
                shape: shape.iter().map(|&d| d as u64).collect(),
            })?;
        if bytes.len() != expected {
            return Err(TensorError::ByteLength {
                dtype,
                elements,
                expected,
                actual: bytes.len(),
            });
        }
        Tensor::new(
            dtype,
            shape,
            TensorData::from_le_bytes(dtype.storage(), bytes),
        )
    }

    /// The elements as little-endian bytes in storage layout (inverse of
    /// [`Tensor::from_le_bytes`]).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.data.to_le_bytes()
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Dimensions (empty for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor has no elements (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The typed storage.
    pub fn data(&self) -> &TensorData {
        &self.data
    }

    /// Take the storage out.
    pub fn into_data(self) -> TensorData {
        self.data
    }

    /// Borrow the elements as their storage type `T` (e.g. `u16` for float16 bits).
    pub fn values<T: Element>(&self) -> Result<&[T], TensorError> {
        T::slice(&self.data).ok_or_else(|| self.wrong_type(T::KIND))
    }

    /// Borrow the elements mutably as their storage type `T`. Writing values outside
    /// a narrow dtype's range (bool, 4-bit) breaks the invariant; use [`Tensor::new`]
    /// to build such tensors instead.
    pub fn values_mut<T: Element>(&mut self) -> Result<&mut [T], TensorError> {
        let err = self.wrong_type(T::KIND);
        T::slice_mut(&mut self.data).ok_or(err)
    }

    /// `u8` storage: uint8, bool, uint4, float8/float4 codes.
    pub fn as_u8(&self) -> Result<&[u8], TensorError> {
        self.values()
    }
    /// `i8` storage: int8, int4.
    pub fn as_i8(&self) -> Result<&[i8], TensorError> {
        self.values()
    }
    /// `u16` storage: uint16, float16 bits, bfloat16 bits.
    pub fn as_u16(&self) -> Result<&[u16], TensorError> {
        self.values()
    }
    /// `i16` storage.
    pub fn as_i16(&self) -> Result<&[i16], TensorError> {
        self.values()
    }
    /// `i32` storage.
    pub fn as_i32(&self) -> Result<&[i32], TensorError> {
        self.values()
    }
    /// `i64` storage.
    pub fn as_i64(&self) -> Result<&[i64], TensorError> {
        self.values()
    }
    /// `f32` storage.
    pub fn as_f32(&self) -> Result<&[f32], TensorError> {
        self.values()
    }
    /// `f64` storage.
    pub fn as_f64(&self) -> Result<&[f64], TensorError> {
        self.values()
    }

    /// The elements of an integer or bool tensor widened to `i64` (uint64 values above
    /// `i64::MAX` are an error).
    pub fn to_i64_vec(&self) -> Result<Vec<i64>, TensorError> {
        if !(self.dtype.is_integer() || self.dtype == DType::Bool) {
            return Err(self.wrong_type_named("an integer type"));
        }
        if let TensorData::U64(v) = &self.data {
            return v
                .iter()
                .enumerate()
                .map(|(index, &x)| {
                    i64::try_from(x).map_err(|_| TensorError::ValueOutOfRange {
                        dtype: self.dtype,
                        index,
                        value: i64::MAX,
                        min: i64::MIN,
                        max: i64::MAX,
                    })
                })
                .collect();
        }
        Ok((0..self.len())
            .map(|i| self.data.int_at(i).unwrap_or_default())
            .collect())
    }

    /// View the same storage as another dtype with the same storage type (e.g. uint8
    /// codes as float8e4m3fn, uint16 bits as bfloat16), re-checking value ranges.
    pub fn reinterpret(self, dtype: DType) -> Result<Tensor, TensorError> {
        if dtype.storage() != self.dtype.storage() {
            return Err(TensorError::Reinterpret {
                from: self.dtype,
                to: dtype,
                detail: format!(
                    "storage differs ({} vs {})",
                    self.dtype.storage().rust_name(),
                    dtype.storage().rust_name()
                ),
            });
        }
        let from = self.dtype;
        Tensor::new(dtype, self.shape, self.data).map_err(|e| TensorError::Reinterpret {
            from,
            to: dtype,
            detail: e.to_string(),
        })
    }

    /// The same elements with another shape of equal element count.
    pub fn reshape(self, shape: Vec<usize>) -> Result<Tensor, TensorError> {
        Tensor::new(self.dtype, shape, self.data)
    }

    fn wrong_type(&self, wanted: StorageKind) -> TensorError {
        self.wrong_type_named(wanted.rust_name())
    }

    fn wrong_type_named(&self, wanted: &'static str) -> TensorError {
        TensorError::WrongType {
            expected: wanted,
            actual: self.dtype,
            stored: self.data.kind().rust_name(),
        }
    }
}

/// Check that every element of a narrow dtype (bool, 4-bit) is in range.
fn check_range(dtype: DType, data: &TensorData) -> Result<(), TensorError> {
    let Some((min, max)) = dtype.restricted_range() else {
        return Ok(());
    };
    for index in 0..data.len() {
        let value = data.int_at(index).unwrap_or(min);
        if value < min || value > max {
            return Err(TensorError::ValueOutOfRange {
                dtype,
                index,
                value,
                min,
                max,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_checks_overflow() {
        assert_eq!(numel(&[]).unwrap(), 1);
        assert_eq!(numel(&[2, 3, 0]).unwrap(), 0);
        assert!(numel(&[usize::MAX, 2]).is_err());
        assert!(shape_from_u64(&[u64::MAX]).is_err() || usize::BITS == 64);
        assert!(shape_from_u64(&[1 << 40, 1 << 40]).is_err());
    }

    #[test]
    fn constructors_check_invariants() {
        let t = Tensor::from_f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.as_f32().unwrap()[3], 4.0);
        assert!(t.as_i32().is_err());
        assert!(Tensor::from_f32(vec![3], vec![1.0]).is_err());
        assert!(Tensor::from_vec(DType::F16, vec![1], vec![1.0f32]).is_err());
        assert!(Tensor::from_vec(DType::Bool, vec![1], vec![2u8]).is_err());
        assert!(Tensor::from_vec(DType::I4, vec![2], vec![-8i8, 8]).is_err());
        assert!(Tensor::from_vec(DType::U4, vec![1], vec![15u8]).is_ok());
        let s = Tensor::scalar(DType::I64, 7i64).unwrap();
        assert_eq!(s.rank(), 0);
        assert_eq!(s.to_i64_vec().unwrap(), vec![7]);
    }

    #[test]
    fn reinterpret_and_bytes() {
        let t = Tensor::from_vec(DType::U8, vec![3], vec![0x7fu8, 0x00, 0x38]).unwrap();
        let f8 = t.clone().reinterpret(DType::Float8E4M3FN).unwrap();
        assert_eq!(f8.dtype(), DType::Float8E4M3FN);
        assert!(t.clone().reinterpret(DType::U4).is_err());
        assert!(t.reinterpret(DType::I8).is_err());
        let h = Tensor::from_vec(DType::F16, vec![2], vec![0x3c00u16, 0xc000]).unwrap();
        let b = h.to_le_bytes();
        assert_eq!(Tensor::from_le_bytes(DType::F16, vec![2], &b).unwrap(), h);
        assert!(Tensor::from_le_bytes(DType::F16, vec![2], &b[..3]).is_err());
    }
}
