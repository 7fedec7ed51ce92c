//! The Python exception raised for bad input, and conversions from the library's errors.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;

pyo3::create_exception!(
    _native,
    AccelsimError,
    PyValueError,
    "Bad input to accelsim: the message names the file, the JSON path and what was expected."
);

/// A bad-input error (the CLI's exit code 2) as an [`AccelsimError`].
pub fn bad_input(message: impl std::fmt::Display) -> PyErr {
    AccelsimError::new_err(message.to_string())
}

/// A sweep error: bad input as [`AccelsimError`], output I/O as `OSError`.
pub fn dse(e: accelsim::dse::DseError) -> PyErr {
    use accelsim::error::{Classify, ErrorKind};
    match e.kind() {
        ErrorKind::BadInput => bad_input(e),
        ErrorKind::Internal => PyOSError::new_err(e.to_string()),
    }
}
