//! Integration tests: Functional execution: GEMM vectors, MX, ONNX oracle, sparsity, workloads, bad input.
//! One test binary per area (`cargo test --release --test func`); each file is a module.

mod activation_sparsity;
mod bad_input;
mod gemm_vectors;
mod mx;
mod onnx_oracle;
mod sparsity;
mod workload;
