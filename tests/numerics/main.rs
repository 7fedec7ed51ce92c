//! Integration tests: Number formats: casts, CLI, GEMM, MX, properties, quantization, test vectors; .npy tensors.
//! One test binary per area (`cargo test --release --test numerics`); each file is a module.

mod cast;
mod cli;
mod gemm;
mod mx;
mod props;
mod quant;
mod tensor_npy;
mod vectors;
