//! One precision binding: an op's precision resolved against an arch, once, into the value
//! the cost model (`model`), functional execution (`func`) and the sweep's pre-check
//! consume: the format the op asks for, the MAC mode the arch runs it on (format,
//! MACs/PE/cycle, accumulator, fallback) and the arch's accumulation order for it.
//!
//! Errors carry the op-relative field they are about (`precision`,
//! `precision.accumulator`), not a JSON path: callers put them at the op's path.

use crate::arch::{Arch, MacMode};
use crate::numerics::{Accumulator, Format};
use crate::workload::OpPrecision;

/// An op's precision bound to an arch.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundPrecision {
    /// The format the op asks its MACs in ([`OpPrecision::mac_format`]).
    pub requested: Format,
    /// What the arch runs it on (may be a wider format with `precision_fallback`).
    pub mac: MacMode,
    /// The arch's declared accumulation order for the MAC format, if any.
    pub accumulation: Option<Accumulator>,
}

/// Why an op's precision does not bind to an arch.
#[derive(Debug, Clone, PartialEq)]
pub enum BindError {
    /// The arch has no MACs in the format (and no fallback): the arch's message.
    Unsupported(String),
    /// The op asks for an accumulator the arch does not use for its MAC format.
    AccumulatorMismatch {
        /// The accumulator the op asks for.
        requested: Format,
        /// The MAC mode the arch runs the op on.
        mac: MacMode,
    },
}

impl BindError {
    /// The op field the error is about (relative to the op's JSON path).
    pub fn field(&self) -> &'static str {
        match self {
            BindError::Unsupported(_) => "precision",
            BindError::AccumulatorMismatch { .. } => "precision.accumulator",
        }
    }
}

impl std::fmt::Display for BindError {
    /// The message, without the op's name (callers prefix it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindError::Unsupported(m) => f.write_str(m),
            BindError::AccumulatorMismatch { requested, mac } => write!(
                f,
                "asks for a {requested} accumulator but the architecture accumulates {} MACs in {}",
                mac.format, mac.accumulator
            ),
        }
    }
}

impl std::error::Error for BindError {}

/// Binds an op's precision to `arch`: resolves its MAC mode ([`Arch::mac_mode`]) and checks
/// a requested accumulator against the arch's.
pub fn bind(precision: &OpPrecision, arch: &Arch) -> Result<BoundPrecision, BindError> {
    let requested = precision.mac_format();
    let mac = arch.mac_mode(requested).map_err(BindError::Unsupported)?;
    if let Some(acc) = precision.accumulator {
        if acc != mac.accumulator {
            return Err(BindError::AccumulatorMismatch {
                requested: acc,
                mac,
            });
        }
    }
    let accumulation = arch.precision(mac.format).and_then(|p| p.accumulation);
    Ok(BoundPrecision {
        requested,
        mac,
        accumulation,
    })
}

impl BoundPrecision {
    /// The warning a run gives when the requested format fell back to a wider one.
    pub fn fallback_warning(&self, op_name: &str) -> Option<String> {
        self.mac.fell_back.then(|| {
            format!(
                "op '{op_name}': {} is not supported; runs on {} MACs",
                self.requested, self.mac.format
            )
        })
    }
}
