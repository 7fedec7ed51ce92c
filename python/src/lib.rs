//! `accelsim._native`: the compiled half of the `accelsim` Python package. Every function
//! calls the `accelsim` library directly (never the CLI) and releases the GIL while it
//! works; the pure-Python half (`python/accelsim/__init__.py`) normalises arguments
//! (paths, dicts, JSON text, numpy arrays) and parses the JSON results.
//!
//! Modules: [`errors`] (the Python exception and conversions), [`numerics`] (cast,
//! encode, decode on numpy arrays), [`simulate`] (run and functional execution),
//! [`sweeps`] (sweeps, shards and merge).

use pyo3::prelude::*;

pub mod errors;
pub mod numerics;
pub mod simulate;
pub mod sweeps;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("AccelsimError", m.py().get_type::<errors::AccelsimError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(numerics::cast, m)?)?;
    m.add_function(wrap_pyfunction!(numerics::encode, m)?)?;
    m.add_function(wrap_pyfunction!(numerics::decode, m)?)?;
    m.add_function(wrap_pyfunction!(numerics::code_bits, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::run, m)?)?;
    m.add_function(wrap_pyfunction!(simulate::execute, m)?)?;
    m.add_function(wrap_pyfunction!(sweeps::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweeps::merge, m)?)?;
    m.add_function(wrap_pyfunction!(sweeps::sweep_info, m)?)?;
    Ok(())
}
