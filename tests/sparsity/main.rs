//! Integration tests: Sparsity: CLI, cost model, values.
//! One test binary per area (`cargo test --release --test sparsity`); each file is a module.

mod cli;
mod model;
mod values;
