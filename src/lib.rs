//! accelsim library root.
pub mod numerics;
