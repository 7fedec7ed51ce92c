//! `run` (the report `accelsim run --json` prints) and `execute` (functional execution
//! with numpy arrays in and out, passed as `.npy` bytes).

use std::collections::BTreeMap;
use std::path::Path;

use accelsim::arch::Arch;
use accelsim::func::{self, ExecOptions, Feeds};
use accelsim::import::onnx::{import_file, ImportOptions};
use accelsim::model::gpu::Launch;
use accelsim::model::options::Fusion;
use accelsim::model::RunOptions;
use accelsim::sim::Engine;
use accelsim::tensor::npy::{decode_npy, encode_npy};
use accelsim::workload::Workload;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::bad_input;

/// Where an arch or workload comes from: `("path", PATH)` or `("json", TEXT)`.
type Source = (String, String);

fn load_arch((kind, text): &Source) -> Result<Arch, String> {
    match kind.as_str() {
        "path" => Arch::load(Path::new(text)).map_err(|e| e.to_string()),
        _ => Arch::from_json(text).map_err(|e| e.in_file(Path::new("<arch JSON>")).to_string()),
    }
}

/// Loads a workload file, imports an `.onnx` model (with its weights), or parses JSON.
fn load_workload(
    (kind, text): &Source,
    allow_unknown: bool,
    input_shapes: BTreeMap<String, Vec<usize>>,
) -> Result<(Workload, Feeds), String> {
    if kind != "path" {
        let w = Workload::from_json(text)
            .map_err(|e| e.in_file(Path::new("<workload JSON>")).to_string())?;
        return Ok((w, Feeds::default()));
    }
    let path = Path::new(text);
    let is_onnx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"));
    if !is_onnx {
        let w = Workload::load(path).map_err(|e| e.to_string())?;
        return Ok((w, Feeds::default()));
    }
    let opts = ImportOptions {
        allow_unknown,
        input_shapes,
    };
    let imported = import_file(path, &opts).map_err(|e| e.to_string())?;
    let w = Workload::from_spec(imported.spec)
        .map_err(|e| format!("{}: the imported workload is invalid: {e}", path.display()))?;
    Ok((
        w,
        Feeds {
            inputs: BTreeMap::new(),
            weights: imported.weights,
        },
    ))
}

fn engine(name: &str) -> PyResult<Engine> {
    match name {
        "event" => Ok(Engine::Event),
        "analytic" => Ok(Engine::Analytic),
        _ => Err(bad_input(format!(
            "engine: expected 'event' or 'analytic', got '{name}'"
        ))),
    }
}

/// The GPU launch path by its CLI name (`--launch`).
fn launch(name: &str) -> PyResult<Launch> {
    match name {
        "graph" => Ok(Launch::Graph),
        "cpp" => Ok(Launch::Cpp),
        "eager" => Ok(Launch::Eager),
        _ => Err(bad_input(format!(
            "launch: expected 'graph', 'cpp' or 'eager', got '{name}'"
        ))),
    }
}

fn feeds_with_inputs(feeds: &mut Feeds, inputs: BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    for (name, bytes) in inputs {
        let t = decode_npy(&bytes).map_err(|e| format!("inputs['{name}']: {e}"))?;
        feeds.inputs.insert(name, t);
    }
    Ok(())
}

/// Simulates one (arch, workload) pair; returns the report as `accelsim run --json`
/// prints it (without the trailing newline) and, when `trace` is set, the Chrome trace.
/// With `functional`, executes first (inputs as `.npy` bytes) and costs every tensor at
/// the density its values had, as `accelsim run --functional` does. `fusion = false` costs
/// every op as written, as `accelsim run --no-fusion` does.
#[pyfunction]
#[pyo3(signature = (arch, workload, engine_name = "event", launch_name = "graph", fusion = true, trace = false, functional = false, inputs = BTreeMap::new(), seed = 0, allow_unknown = false, input_shapes = BTreeMap::new()))]
#[allow(clippy::too_many_arguments)]
pub fn run(
    py: Python<'_>,
    arch: Source,
    workload: Source,
    engine_name: &str,
    launch_name: &str,
    fusion: bool,
    trace: bool,
    functional: bool,
    inputs: BTreeMap<String, Vec<u8>>,
    seed: u64,
    allow_unknown: bool,
    input_shapes: BTreeMap<String, Vec<usize>>,
) -> PyResult<(String, Option<String>)> {
    let engine = engine(engine_name)?;
    let options = RunOptions::with_launch(launch(launch_name)?).with_fusion(if fusion {
        Fusion::On
    } else {
        Fusion::Off
    });
    let wl_file = (workload.0 == "path").then(|| workload.1.clone());
    py.allow_threads(|| -> Result<(String, Option<String>), String> {
        let arch = load_arch(&arch)?;
        let (mut wl, mut feeds) = load_workload(&workload, allow_unknown, input_shapes)?;
        let in_file = |e: accelsim::InputError| match &wl_file {
            Some(f) => e.in_file(Path::new(f)).to_string(),
            None => e.to_string(),
        };
        if functional {
            feeds_with_inputs(&mut feeds, inputs)?;
            let out = func::execute(&wl, &arch, &feeds, &ExecOptions { seed })
                .map_err(|e| e.to_string())?;
            accelsim::workload::sparsity::apply_functional(&mut wl, &out.measured);
        }
        if trace {
            let (r, t) = accelsim::run_traced(&wl, &arch, engine, &options).map_err(in_file)?;
            Ok((r.to_json(), Some(t)))
        } else {
            let r = accelsim::run_with(&wl, &arch, engine, &options).map_err(in_file)?;
            Ok((r.to_json(), None))
        }
    })
    .map_err(bad_input)
}

/// Executes a workload functionally; inputs are `.npy` bytes by graph-input name, the
/// result is `[(output name, .npy bytes)]` in the graph's output order.
#[pyfunction]
#[pyo3(signature = (arch, workload, inputs, seed = 0, allow_unknown = false, input_shapes = BTreeMap::new()))]
pub fn execute<'py>(
    py: Python<'py>,
    arch: Source,
    workload: Source,
    inputs: BTreeMap<String, Vec<u8>>,
    seed: u64,
    allow_unknown: bool,
    input_shapes: BTreeMap<String, Vec<usize>>,
) -> PyResult<Vec<(String, Bound<'py, PyBytes>)>> {
    let outs = py
        .allow_threads(|| -> Result<Vec<(String, Vec<u8>)>, String> {
            let arch = load_arch(&arch)?;
            let (wl, mut feeds) = load_workload(&workload, allow_unknown, input_shapes)?;
            feeds_with_inputs(&mut feeds, inputs)?;
            let out = func::execute(&wl, &arch, &feeds, &ExecOptions { seed })
                .map_err(|e| e.to_string())?;
            Ok(out
                .tensors
                .iter()
                .map(|(n, t)| (n.clone(), encode_npy(t)))
                .collect())
        })
        .map_err(bad_input)?;
    Ok(outs
        .into_iter()
        .map(|(n, b)| (n, PyBytes::new(py, &b)))
        .collect())
}
