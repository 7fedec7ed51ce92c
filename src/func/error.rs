//! Errors of functional execution.

use crate::error::InputError;
use crate::tensor::TensorError;

/// Why a functional run failed. Every variant is a problem with the inputs (the
/// workload, the arch, a value file or a format the executor does not support).
#[derive(Debug, thiserror::Error)]
pub enum FuncError {
    /// A workload or arch field that functional execution cannot use, with its path.
    #[error(transparent)]
    Input(InputError),
    /// A bad or mismatching value file (`.npy`).
    #[error("{context}: {source}")]
    Tensor {
        /// What was being read (`input 'x'`, `weight 'w' from w.npy`).
        context: String,
        /// The tensor-layer error (names the file).
        #[source]
        source: TensorError,
    },
    /// A value that does not fit the tensor it is bound to (shape or dtype).
    #[error("{tensor}: {message}")]
    Binding {
        /// The tensor's name and role (`input 'x'`).
        tensor: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An op the executor cannot compute (an unsupported format, a generic vector op).
    #[error("op '{op}' ({path}): {message}")]
    Unsupported {
        /// The op's name.
        op: String,
        /// Its JSON path (`ops[3]`).
        path: String,
        /// What is unsupported.
        message: String,
    },
}

impl FuncError {
    /// An error about an op field.
    pub(crate) fn op(op: &crate::workload::Op, field: &str, message: impl Into<String>) -> Self {
        let path = if field.is_empty() {
            op.json_path.clone()
        } else {
            format!("{}.{field}", op.json_path)
        };
        FuncError::Input(InputError::at(
            path,
            format!("op '{}': {}", op.name, message.into()),
        ))
    }

    /// An op the executor cannot compute.
    pub(crate) fn unsupported(op: &crate::workload::Op, message: impl Into<String>) -> Self {
        FuncError::Unsupported {
            op: op.name.clone(),
            path: op.json_path.clone(),
            message: message.into(),
        }
    }
}

/// Result alias of the functional executor.
pub type FuncResult<T> = Result<T, FuncError>;

impl crate::error::Classify for FuncError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            FuncError::Tensor { source, .. } => source.kind(),
            _ => crate::error::ErrorKind::BadInput,
        }
    }
}
