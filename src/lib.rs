//! accelsim library root.
pub mod numerics;
pub mod tensor;
