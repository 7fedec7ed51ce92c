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
}

impl RunOptions {
    /// Options with the given launch path.
    pub fn with_launch(launch: Launch) -> RunOptions {
        RunOptions { launch }
    }
}
