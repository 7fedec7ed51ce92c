//! Training steps (issue #18): the training policy (`policy.rs`), the derivation of the
//! backward graph from any inference workload (`derive/`), and the cost of a step per
//! phase, per layer, with its memory footprint (`cost.rs`). See docs/training.md.

pub mod cost;
pub mod derive;
pub mod functional;
pub mod policy;
pub mod render;

pub use cost::{train_cost, Footprint, PhaseCost, TrainLayer, TrainOptions, TrainReport};
pub use derive::{derive, DeriveOptions, DerivedOp, Loss, Phase, TrainGraph};
pub use policy::{GemmKind, Policy};
pub use render::render_text;
