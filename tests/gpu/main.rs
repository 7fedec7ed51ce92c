//! Integration tests: The GPU kernel model: access counts, CLI, engines, formats, launch paths, presets, sparsity, validation, waves.
//! One test binary per area (`cargo test --release --test gpu`); each file is a module.

mod access_counts;
mod cli;
mod engines;
mod formats;
mod launch;
mod presets;
mod sparsity;
mod validation;
mod waves;
