//! accelsim library root.
pub mod import;
pub mod numerics;
pub mod tensor;
