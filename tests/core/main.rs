//! Integration tests: Core model, presets, bad input and exit codes, robustness, the pipeline, power capping, the mapping oracle and README examples.
//! One test binary per area (`cargo test --release --test core`); each file is a module.

mod access_counts;
mod area_model;
mod array;
mod bad_input;
mod energy;
mod energy_idle;
mod energy_model;
mod energy_scaling;
mod exit_codes;
mod fuzz_props;
mod mapper_compare;
mod mapping_oracle;
mod pipeline;
mod power_cap;
mod presets;
mod readme_examples;
mod robustness;
mod train_cost;
