//! Readers for other tools' formats, producing accelsim workloads (and, for SCALE-Sim,
//! architectures). Importers know file formats, never cost models.

pub mod scalesim;
