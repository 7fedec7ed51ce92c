//! Design-space exploration: sweep specs, parallel evaluation of every point through the
//! library, Pareto fronts, shards, resume and merge, and SVG plots.
//!
//! ```no_run
//! use accelsim::dse::{Sweep, Row, Shard};
//! let sweep = Sweep::load("sweeps/mlp6_precision.json".as_ref()).unwrap();
//! let ids = sweep.points().shard_ids(Shard::WHOLE);
//! let rows = std::sync::Mutex::new(Vec::new());
//! sweep.evaluate_many(&ids, |r| rows.lock().unwrap().push(Row::from_result(&r)));
//! let mut rows = rows.into_inner().unwrap();
//! rows.sort_by_key(|r| r.id);
//! let front = accelsim::dse::front_of(&sweep.columns(), &rows, sweep.pareto());
//! println!("{} points, {} on the front", rows.len(), front.len());
//! ```
//!
//! Modules: [`spec`] (the file), [`sweep`] (validation and evaluation), [`sparsity_axis`]
//! (sparsity axis values and where they land in the workload), [`space`] (point
//! ids, samples, shards), [`metrics`] ([`footprint`]: BOPs and memory footprint),
//! [`pareto`], [`qat`] (accuracy files; [`sensitivity`]: the additive model), [`rows`]
//! (CSV / JSON Lines), [`store`] (output folder, resume, merge), [`plot`] (SVG).

pub mod footprint;
pub mod jsonpath;
pub mod limits;
pub mod metrics;
pub mod pareto;
pub mod plot;
pub mod qat;
pub mod resume;
pub mod rows;
pub mod select;
pub mod sensitivity;
pub mod space;
pub mod sparsity_axis;
pub mod spec;
pub mod store;
pub mod sweep;

pub use metrics::{Goal, Metric};
pub use pareto::{dominates, pareto_front, pareto_front_brute_force};
pub use qat::AccuracyTable;
pub use rows::Row;
pub use space::{PointSet, Shard, Space};
pub use spec::{
    AxisSpec, ConstraintSpec, DensityValue, ObjectiveSpec, PlotSpec, SampleSpec, SparsityValue,
    SweepSpec,
};
pub use store::{front_of, merge, Finished, Manifest, OutDir};
pub use sweep::{Constraint, Objective, PointResult, Status, Sweep};

use crate::error::InputError;

/// A sweep failure: bad input (exit code 2 in the CLI) or an I/O problem with outputs.
#[derive(Debug, thiserror::Error)]
pub enum DseError {
    /// Bad input: the file, JSON path and what was expected.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Reading or writing outputs failed (the message names the file and the action).
    #[error("{message}")]
    Io {
        /// The full message.
        message: String,
        /// The I/O error, when there is one.
        #[source]
        source: Option<std::io::Error>,
    },
}

impl DseError {
    /// An output failure with its I/O cause.
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        DseError::Io {
            message: message.into(),
            source: Some(source),
        }
    }

    /// An output failure with no underlying I/O error (e.g. a poisoned lock).
    pub fn failure(message: impl Into<String>) -> Self {
        DseError::Io {
            message: message.into(),
            source: None,
        }
    }
}

impl crate::error::Classify for DseError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            DseError::Input(e) => crate::error::Classify::kind(e),
            DseError::Io { .. } => crate::error::ErrorKind::Internal,
        }
    }
}
