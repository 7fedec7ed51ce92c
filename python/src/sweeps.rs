//! Sweeps from Python: evaluate a sweep (or one shard of it) into an output folder or in
//! memory, and merge shard folders — the same library steps and the same files as
//! `accelsim sweep` and `accelsim sweep merge`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use accelsim::dse::rows::to_jsonl;
use accelsim::dse::store::{merge as merge_dirs, Manifest, OutDir};
use accelsim::dse::sweep::check_objectives;
use accelsim::dse::{resume, DseError, Finished, Objective, Row, Shard, Sweep};
use pyo3::prelude::*;

use crate::errors::{bad_input, dse};

/// A sweep spec: `("path", PATH)` or `("json", TEXT)`; JSON text resolves its files
/// against `base_dir`.
fn load_sweep((kind, text): &(String, String), base_dir: &str) -> PyResult<Sweep> {
    match kind.as_str() {
        "path" => Sweep::load(Path::new(text)).map_err(bad_input),
        _ => Sweep::from_json(text, Path::new(base_dir))
            .map_err(|e| bad_input(e.in_file(Path::new("<sweep JSON>")))),
    }
}

fn objectives(list: &[String], has_accuracy: bool) -> PyResult<Option<Vec<Objective>>> {
    if list.is_empty() {
        return Ok(None);
    }
    let objs = list
        .iter()
        .map(|s| Objective::parse(s).map_err(|e| bad_input(format!("pareto: {e}"))))
        .collect::<PyResult<Vec<_>>>()?;
    check_objectives(&objs, has_accuracy).map_err(|e| bad_input(format!("pareto: {e}")))?;
    Ok(Some(objs))
}

/// The rows and front of a finished sweep as JSON Lines text each (one object per row,
/// keys in column order), with the column names.
type Table = (Vec<String>, String, String);

fn table(columns: Vec<String>, f: &Finished) -> Table {
    let rows: String = f
        .rows
        .iter()
        .map(|r| to_jsonl(&columns, r) + "\n")
        .collect();
    let front: String = f
        .front
        .iter()
        .map(|&i| to_jsonl(&columns, &f.rows[i]) + "\n")
        .collect();
    (columns, rows, front)
}

/// `(name, points in the product, points selected, columns, notes)`.
type SweepInfo = (String, u64, u64, Vec<String>, Vec<String>);

/// Validates a sweep and returns `(name, points in the product, points selected,
/// columns, notes)` without evaluating anything.
#[pyfunction]
#[pyo3(signature = (spec, base_dir = "."))]
pub fn sweep_info(py: Python<'_>, spec: (String, String), base_dir: &str) -> PyResult<SweepInfo> {
    let s = py.allow_threads(|| load_sweep(&spec, base_dir))?;
    Ok((
        s.spec.name.clone(),
        s.space_size(),
        s.points().len(),
        s.columns(),
        s.notes().to_vec(),
    ))
}

/// Evaluates a sweep (or shard `shard = (K, N)` of it) on `threads` threads (default: all
/// cores; results do not depend on it). With `out`, writes results.csv, results.jsonl,
/// pareto.csv and the manifest there exactly as `accelsim sweep --out` does (`resume`
/// skips finished points). Returns `(columns, rows JSONL, front JSONL, notes)`.
#[pyfunction]
#[pyo3(signature = (spec, base_dir = ".", out = None, shard = None, threads = None, resume = false, pareto = Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn sweep(
    py: Python<'_>,
    spec: (String, String),
    base_dir: &str,
    out: Option<PathBuf>,
    shard: Option<(u64, u64)>,
    threads: Option<usize>,
    resume: bool,
    pareto: Vec<String>,
) -> PyResult<(Vec<String>, String, String, Vec<String>)> {
    let sweep = py.allow_threads(|| load_sweep(&spec, base_dir))?;
    let objs =
        objectives(&pareto, sweep.has_accuracy())?.unwrap_or_else(|| sweep.pareto().to_vec());
    let shard = match shard {
        None => Shard::WHOLE,
        Some((index, count)) => format!("{index}/{count}")
            .parse::<Shard>()
            .map_err(|e| bad_input(format!("shard: {e}")))?,
    };
    if resume && out.is_none() {
        return Err(bad_input("resume=True needs out="));
    }
    let notes = sweep.notes().to_vec();
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = threads {
            b = b.num_threads(n.max(1));
        }
        b.build().map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot start threads: {e}"))
        })?
    };
    let finished = py
        .allow_threads(|| evaluate(&sweep, shard, out.as_deref(), resume, &objs, &pool))
        .map_err(dse)?;
    let mut notes = notes;
    if sweep.has_accuracy() {
        let (_, modelled, none) =
            accelsim::dse::sensitivity::coverage(&sweep.columns(), &finished.rows);
        if none > 0 {
            notes.push(format!(
                "{none} of {} points have no accuracy (not in the QAT file{}); they are left off fronts that use accuracy",
                finished.rows.len(),
                if modelled > 0 { " and not modelled" } else { "; accuracy_model \"additive\" can fill them" }
            ));
        }
    }
    let (c, r, f) = table(sweep.columns(), &finished);
    Ok((c, r, f, notes))
}

fn evaluate(
    sweep: &Sweep,
    shard: Shard,
    out: Option<&Path>,
    resume: bool,
    objectives: &[Objective],
    pool: &rayon::ThreadPool,
) -> Result<Finished, DseError> {
    let columns = sweep.columns();
    let ids = sweep.points().shard_ids(shard);
    let out = match out {
        Some(dir) => {
            let check = |r: &Row| resume::check_row(sweep, shard, &columns, r);
            Some(OutDir::open(
                dir,
                Manifest::new(sweep, shard, objectives),
                resume,
                &check,
            )?)
        }
        None => None,
    };
    let done = out.as_ref().map(|o| o.done()).unwrap_or_default();
    let todo: Vec<u64> = ids.into_iter().filter(|id| !done.contains(id)).collect();
    let memory: Mutex<Vec<Row>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<DseError>> = Mutex::new(None);
    pool.install(|| {
        sweep.evaluate_many(&todo, |r| {
            let row = Row::from_result(&r);
            match &out {
                Some(o) => {
                    if let Err(e) = o.append(row) {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                }
                None => {
                    if let Ok(mut m) = memory.lock() {
                        m.push(row);
                    }
                }
            }
        })
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    match out {
        Some(o) => o.finish(objectives),
        None => {
            let mut rows = memory.into_inner().unwrap_or_default();
            rows.sort_by_key(|r| r.id);
            let front = accelsim::dse::front_of(&columns, &rows, objectives);
            Ok(Finished { rows, front })
        }
    }
}

/// Merges finished shard folders into `out` (as `accelsim sweep merge`) and returns
/// `(columns, rows JSONL, front JSONL)`.
#[pyfunction]
#[pyo3(signature = (shards, out, pareto = Vec::new()))]
pub fn merge(
    py: Python<'_>,
    shards: Vec<PathBuf>,
    out: PathBuf,
    pareto: Vec<String>,
) -> PyResult<(Vec<String>, String, String)> {
    let objs = objectives(&pareto, true)?;
    let (manifest, finished) = py
        .allow_threads(|| merge_dirs(&shards, &out, objs.as_deref()))
        .map_err(dse)?;
    Ok(table(manifest.columns.clone(), &finished))
}
