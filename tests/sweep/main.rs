//! Integration tests: Design-space sweeps: axes, errors, accuracy model, MLP study, Pareto, plots, shards, sparsity.
//! One test binary per area (`cargo test --release --test sweep`); each file is a module.

mod accuracy_model;
mod axes;
mod errors;
mod fusion_switch;
mod mlp;
mod pareto;
mod plot;
mod shards;
mod sparsity;
mod train_policy;
