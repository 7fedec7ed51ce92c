//! Memory limits of functional execution, checked on the workload's shapes before any
//! value is allocated.
//!
//! Every value is held on the host in 4 bytes per element (`f32` or `i32`, see
//! [`super::Data`]), so a tensor of `n` elements costs `4 n` bytes. The defaults suit a
//! 24 GiB machine: one tensor at most 4 GiB, and all tensors of the workload together (an
//! upper bound on the live set: intermediates are freed once consumed) at most 16 GiB.
//! `accelsim run --functional` raises them with `--max-tensor-gib` and `--max-functional-gib`.

use super::{FuncError, FuncResult};
use crate::error::InputError;
use crate::workload::Workload;

/// Host bytes per stored element.
pub const BYTES_PER_ELEMENT: u64 = 4;

const GIB: u64 = 1 << 30;

/// Memory limits of a functional run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncLimits {
    /// Largest host size of one tensor, bytes (default 4 GiB).
    pub max_tensor_bytes: u64,
    /// Largest host size of all the workload's tensors together, bytes (default 16 GiB).
    pub max_total_bytes: u64,
}

impl Default for FuncLimits {
    fn default() -> Self {
        FuncLimits {
            max_tensor_bytes: 4 * GIB,
            max_total_bytes: 16 * GIB,
        }
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.3} GiB", bytes as f64 / GIB as f64)
}

impl FuncLimits {
    /// Limits from GiB figures (`--max-tensor-gib`, `--max-functional-gib`); `None` keeps a
    /// default.
    pub fn from_gib(tensor_gib: Option<f64>, total_gib: Option<f64>) -> Result<Self, String> {
        let d = FuncLimits::default();
        let to_bytes = |v: Option<f64>, flag: &str, default: u64| match v {
            None => Ok(default),
            Some(g) if g.is_finite() && g > 0.0 && g <= 1e9 => Ok((g * GIB as f64) as u64),
            Some(g) => Err(format!(
                "{flag}: expected a size in GiB in (0, 1e9], got {g}"
            )),
        };
        Ok(FuncLimits {
            max_tensor_bytes: to_bytes(tensor_gib, "--max-tensor-gib", d.max_tensor_bytes)?,
            max_total_bytes: to_bytes(total_gib, "--max-functional-gib", d.max_total_bytes)?,
        })
    }

    /// Counts the host bytes the workload's tensors need (without allocating) and refuses
    /// a workload over a limit, naming the tensor, the limit and how to raise it.
    pub fn check(&self, w: &Workload) -> FuncResult<()> {
        let mut total = 0u64;
        for t in &w.tensors {
            let bytes = t.elements.saturating_mul(BYTES_PER_ELEMENT);
            if bytes > self.max_tensor_bytes {
                return Err(FuncError::Input(InputError::at(
                    format!("tensor '{}'", t.name),
                    format!(
                        "functional execution would hold {} elements ({}) for this tensor, over the \
                         limit of {} per tensor; raise it with --max-tensor-gib \
                         (FuncLimits::max_tensor_bytes) if the machine has the memory",
                        t.elements,
                        gib(bytes),
                        gib(self.max_tensor_bytes)
                    ),
                )));
            }
            total = total.saturating_add(bytes);
        }
        if total > self.max_total_bytes {
            return Err(FuncError::Input(InputError::at(
                "tensors",
                format!(
                    "functional execution would hold {} over all tensors, over the limit of {}; \
                     raise it with --max-functional-gib (FuncLimits::max_total_bytes) if the \
                     machine has the memory",
                    gib(total),
                    gib(self.max_total_bytes)
                ),
            )));
        }
        Ok(())
    }
}
