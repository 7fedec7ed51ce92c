//! The error type of the numerics module.

use super::format::UnknownFormat;

/// Everything that can go wrong in a numerics call. All variants describe bad input
/// (unknown names, inconsistent lengths, unsupported option combinations); the numerics
/// code itself never panics on user data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumericsError {
    /// A format name that does not parse (the message lists the valid names).
    #[error(transparent)]
    UnknownFormat(#[from] UnknownFormat),
    /// A format whose parameters are out of range (e.g. `Format::Float` built by hand).
    #[error("invalid format: {0}")]
    InvalidFormat(String),
    /// A scalar operation was asked of a block format (MX, block floating point).
    #[error(
        "'{format}' is a block format: use numerics::mx / numerics::bfp (a block shares one scale)"
    )]
    BlockFormat {
        /// Canonical name of the format.
        format: String,
    },
    /// The operation needs another kind of format (e.g. an integer format for `dot_i32`).
    #[error("'{format}' cannot be used here: {reason}")]
    WrongFormat {
        /// Canonical name of the format.
        format: String,
        /// Why it is not accepted.
        reason: String,
    },
    /// The output words are too narrow for the format's codes.
    #[error("'{format}' codes need {bits} bits but the slice holds {word_bits}-bit words")]
    CodeTooWide {
        /// Canonical name of the format.
        format: String,
        /// Bits of one code.
        bits: u32,
        /// Bits of one slice element.
        word_bits: u32,
    },
    /// Two buffers that must match in length do not.
    #[error("length mismatch for {what}: expected {expected}, got {got}")]
    LengthMismatch {
        /// Which buffer.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An option or parameter value that is not supported.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

/// Checks `got == expected`, naming the buffer in the error.
pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), NumericsError> {
    if expected == got {
        Ok(())
    } else {
        Err(NumericsError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

impl crate::error::Classify for NumericsError {
    /// Every numerics error is bad input (see the type's documentation).
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::BadInput
    }
}
