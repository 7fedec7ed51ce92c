//! Integration tests: The scheduling engines: laws, reports, rooflines, traces.
//! One test binary per area (`cargo test --release --test engine`); each file is a module.

mod engine_agreement;
mod engine_util;
mod fusion;
mod laws;
mod report;
mod roofline;
mod trace;
