//! Options of one run that are not part of the hardware: how the software stack drives
//! it. Passed down to the cost model beside the workload and the arch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::gpu::launch::Launch;

/// What the run's software stack does, independent of the arch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    /// How kernels are launched on a GPU arch (default [`Launch::Graph`]); no effect on
    /// other archs.
    #[serde(default)]
    pub launch: Launch,
    /// Whether elementwise ops fuse into their producer's epilogue where the arch declares
    /// one (default [`Fusion::On`]); [`Fusion::Off`] costs every op as written, for
    /// comparison (CLI `--no-fusion`). See [`crate::model::fusion`].
    #[serde(default)]
    pub fusion: Fusion,
}

/// Operator fusion switch of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fusion {
    /// Fuse elementwise ops into their producer's epilogue where legal.
    #[default]
    On,
    /// Cost every op as written (each elementwise op its own pass over memory).
    Off,
}

impl RunOptions {
    /// Options with the given launch path.
    pub fn with_launch(launch: Launch) -> RunOptions {
        RunOptions {
            launch,
            fusion: Fusion::On,
        }
    }

    /// These options with fusion switched `fusion`.
    pub fn with_fusion(self, fusion: Fusion) -> RunOptions {
        RunOptions { fusion, ..self }
    }
}
