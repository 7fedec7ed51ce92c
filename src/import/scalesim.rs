//! SCALE-Sim compatibility: read a SCALE-Sim v3 `.cfg` file and topology CSV (conv or
//! GEMM) and produce the equivalent accelsim [`Arch`] and workload, so that a SCALE-Sim
//! user can switch in one command (`accelsim import scalesim`).
//!
//! With the imported pair, each layer's ideal-memory `compute_cycles` equals SCALE-Sim's
//! `total_cycles` (CALC mode), and its GEMM view equals SCALE-Sim's `Sr, Sc, T`.
//!
//! ```no_run
//! use accelsim::import::scalesim;
//! let cfg = scalesim::load_config("scale.cfg".as_ref()).unwrap();
//! let topo = scalesim::load_topology("Resnet18.csv".as_ref(), None).unwrap();
//! let arch = scalesim::to_arch(&cfg, "scale.cfg");
//! let workload = scalesim::to_workload(&topo, "Resnet18.csv").unwrap();
//! let report = accelsim::run(&workload, &arch, accelsim::sim::Engine::Analytic).unwrap();
//! ```

mod config;
mod convert;
mod topology;

use std::path::Path;

pub use config::{parse_config, InterfaceBandwidth, ScaleSimConfig};
pub use convert::{
    buffer_bytes_per_cycle, ceil_padding, to_arch, to_workload, to_workload_spec,
    ASSUMED_CLOCK_GHZ, BYTES_PER_WORD,
};
pub use topology::{
    parse_topology, scalesim_ofmap, ConvLayer, Layer, LayerDims, Topology, TopologyKind,
    MAX_DEPTHWISE_CHANNELS,
};

use crate::arch::Arch;
use crate::error::InputResult;
use crate::workload::WorkloadSpec;

fn read(path: &Path) -> InputResult<String> {
    std::fs::read_to_string(path).map_err(|e| crate::error::unreadable(path, e))
}

/// Reads and parses a SCALE-Sim `.cfg` file; errors name the file and line.
pub fn load_config(path: &Path) -> InputResult<ScaleSimConfig> {
    parse_config(&read(path)?).map_err(|e| e.in_file(path))
}

/// Reads and parses a SCALE-Sim topology CSV (format detected from the header unless
/// `kind` is given). The workload is named after the file stem, as SCALE-Sim does.
pub fn load_topology(path: &Path, kind: Option<TopologyKind>) -> InputResult<Topology> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scalesim_topology".to_string());
    parse_topology(&read(path)?, &name, kind).map_err(|e| e.in_file(path))
}

/// Imports a config and a topology file into an architecture and a (validated) workload
/// spec, ready to be written as `arch.json` and `workload.json`.
pub fn import_files(
    config: &Path,
    topology: &Path,
    kind: Option<TopologyKind>,
) -> InputResult<(Arch, WorkloadSpec)> {
    let cfg = load_config(config)?;
    let topo = load_topology(topology, kind)?;
    let file_name = |p: &Path| {
        p.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let arch = to_arch(&cfg, &file_name(config));
    arch.validate().map_err(|e| e.in_file(config))?;
    let spec = to_workload_spec(&topo, &file_name(topology));
    // Validate now so a bad topology is reported against its file, not a generated one.
    crate::workload::Workload::from_spec(spec.clone()).map_err(|e| e.in_file(topology))?;
    Ok((arch, spec))
}
