//! The output folder of a sweep: `manifest.json`, streaming to `results.partial.jsonl`
//! while points finish, resume, the final sorted `results.csv` / `results.jsonl` /
//! `pareto.csv`, and merging shard folders.
//!
//! Streaming scheme: each finished point is appended to `results.partial.jsonl` as one
//! line and flushed, in completion order. A crash loses at most the line being written
//! (a torn last line is ignored on resume). When every point is done, all rows are sorted
//! by id and the final files are written atomically (temporary file, then rename); the
//! partial file is then removed. The final files are therefore byte-identical whatever
//! the thread count, the completion order, resumes or sharding.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::metrics::{Goal, Metric};
use super::pareto::pareto_front;
use super::rows::{csv_header, csv_line, from_jsonl, to_jsonl, Row};
use super::space::Shard;
use super::spec::PlotSpec;
use super::sweep::{Objective, Status, Sweep};
use super::DseError;
use crate::error::{load_json_file, InputError};

/// Final results file (JSON Lines, sorted by id).
pub const RESULTS_JSONL: &str = "results.jsonl";
/// Final results file (CSV, sorted by id).
pub const RESULTS_CSV: &str = "results.csv";
/// The non-dominated points (CSV, same columns, sorted by id).
pub const PARETO_CSV: &str = "pareto.csv";
/// Rows streamed while the sweep runs (completion order).
pub const PARTIAL: &str = "results.partial.jsonl";
/// What the folder holds.
pub const MANIFEST: &str = "manifest.json";

/// A Pareto objective as written in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestObjective {
    /// Metric name.
    pub metric: String,
    /// Direction.
    pub goal: Goal,
}

/// `manifest.json`: identifies the sweep and the slice of it a folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Sweep name.
    pub sweep: String,
    /// Hash of everything that decides the rows (arch, workload, axes, sample,
    /// constraints, engine, QAT data).
    pub fingerprint: String,
    /// `K/N` for a shard; absent for a whole sweep (or a merge of all shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Points this folder holds when complete.
    pub points: u64,
    /// Points of the whole sweep.
    pub total_points: u64,
    /// Result columns.
    pub columns: Vec<String>,
    /// Pareto objectives of `pareto.csv`.
    pub pareto: Vec<ManifestObjective>,
    /// Plots written with `--plot`.
    pub plots: Vec<PlotSpec>,
}

impl Manifest {
    /// The manifest for one shard of a sweep.
    pub fn new(sweep: &Sweep, shard: Shard, pareto: &[Objective]) -> Manifest {
        let total = sweep.points().len();
        let points = if shard == Shard::WHOLE {
            total
        } else {
            sweep.points().shard_len(shard)
        };
        Manifest {
            sweep: sweep.spec.name.clone(),
            fingerprint: sweep.fingerprint().to_string(),
            shard: (shard != Shard::WHOLE).then(|| shard.to_string()),
            points,
            total_points: total,
            columns: sweep.columns(),
            pareto: objectives_out(pareto),
            plots: sweep.plots().to_vec(),
        }
    }

    /// The Pareto objectives.
    pub fn objectives(&self) -> Result<Vec<Objective>, String> {
        self.pareto
            .iter()
            .map(|o| {
                Metric::parse(&o.metric)
                    .map(|metric| Objective {
                        metric,
                        goal: o.goal,
                    })
                    .ok_or_else(|| format!("unknown metric '{}'", o.metric))
            })
            .collect()
    }

    fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// Objectives as written in the manifest.
pub fn objectives_out(objs: &[Objective]) -> Vec<ManifestObjective> {
    objs.iter()
        .map(|o| ManifestObjective {
            metric: o.metric.name().into(),
            goal: o.goal,
        })
        .collect()
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> DseError {
    DseError::io(format!("{}: cannot {what}: {e}", path.display()), e)
}

/// Writes a file atomically ([`crate::fsio::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DseError> {
    crate::fsio::write_atomic(path, bytes).map_err(|e| io_err(path, "write", e))
}

/// Reads rows from a JSON Lines file. With `tolerate_torn_tail`, a last line without a
/// newline that does not parse (a write cut short by a crash) is ignored.
pub fn read_rows(
    path: &Path,
    columns: &[String],
    tolerate_torn_tail: bool,
) -> Result<Vec<Row>, DseError> {
    read_rows_checked(path, columns, tolerate_torn_tail, &|_| Ok(()))
}

/// Like [`read_rows`], also refusing a row `check` rejects (a located error: file and line).
pub fn read_rows_checked(
    path: &Path,
    columns: &[String],
    tolerate_torn_tail: bool,
    check: &dyn Fn(&Row) -> Result<(), String>,
) -> Result<Vec<Row>, DseError> {
    let bytes = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(path, "read", e)),
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        DseError::Input(
            InputError::at(
                format!("line {line}"),
                format!("not UTF-8 text (invalid byte at offset {valid})"),
            )
            .in_file(path),
        )
    })?;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut rows = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match from_jsonl(columns, line).and_then(|r| check(&r).map(|_| r)) {
            Ok(r) => rows.push(r),
            Err(_) if tolerate_torn_tail && !complete && i + 1 == lines.len() => {}
            Err(e) => {
                return Err(DseError::Input(
                    InputError::at(format!("line {}", i + 1), e).in_file(path),
                ))
            }
        }
    }
    Ok(rows)
}

/// Indices (ascending) of the rows on the Pareto front: rows with status `ok` only.
pub fn front_of(columns: &[String], rows: &[Row], objectives: &[Objective]) -> Vec<usize> {
    let ok: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].text(columns, "status") == Status::Ok.name())
        .collect();
    let pts: Vec<Vec<f64>> = ok
        .iter()
        .map(|&i| {
            objectives
                .iter()
                .map(|o| rows[i].metric(columns, o.metric))
                .collect()
        })
        .collect();
    let goals: Vec<Goal> = objectives.iter().map(|o| o.goal).collect();
    pareto_front(&pts, &goals)
        .into_iter()
        .map(|k| ok[k])
        .collect()
}

/// What the final files hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// All rows, sorted by id.
    pub rows: Vec<Row>,
    /// Indices into `rows` of the Pareto front.
    pub front: Vec<usize>,
}

/// Streams a file atomically ([`crate::fsio::write_atomic_with`]).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), DseError> {
    crate::fsio::write_atomic_with(path, fill).map_err(|e| io_err(path, "write", e))
}

fn write_csv<'a>(
    path: &Path,
    columns: &[String],
    rows: impl Iterator<Item = &'a Row>,
) -> Result<(), DseError> {
    write_atomic_with(path, |w| {
        w.write_all(csv_header(columns).as_bytes())?;
        for r in rows {
            w.write_all(csv_line(r).as_bytes())?;
        }
        Ok(())
    })
}

/// Writes `results.jsonl`, `results.csv` and `pareto.csv` for `rows` (sorted here).
pub fn write_final(
    dir: &Path,
    columns: &[String],
    mut rows: Vec<Row>,
    objectives: &[Objective],
) -> Result<Finished, DseError> {
    rows.sort_by_key(|r| r.id);
    let front = front_of(columns, &rows, objectives);
    write_atomic_with(&dir.join(RESULTS_JSONL), |w| {
        for r in &rows {
            w.write_all(to_jsonl(columns, r).as_bytes())?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    write_csv(&dir.join(RESULTS_CSV), columns, rows.iter())?;
    write_csv(
        &dir.join(PARETO_CSV),
        columns,
        front.iter().map(|&i| &rows[i]),
    )?;
    Ok(Finished { rows, front })
}

/// An output folder being filled.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    manifest: Manifest,
    rows: Mutex<BTreeMap<u64, Row>>,
    partial: Mutex<std::io::BufWriter<File>>,
}

impl OutDir {
    /// Opens `dir` for a sweep. Without `resume`, an unfinished earlier run there is an
    /// error (so its rows are not thrown away by accident); with it, the folder's manifest
    /// must match and its finished rows are kept once `check` accepts each of them
    /// ([`super::resume::check_row`]); a row it refuses is a located error. Temporary files
    /// an interrupted run left there are removed.
    pub fn open(
        dir: &Path,
        manifest: Manifest,
        resume: bool,
        check: &dyn Fn(&Row) -> Result<(), String>,
    ) -> Result<OutDir, DseError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, "create folder", e))?;
        super::resume::remove_stale_temp_files(dir)
            .map_err(|e| io_err(dir, "remove stale temporary files", e))?;
        let partial_path = dir.join(PARTIAL);
        let manifest_path = dir.join(MANIFEST);
        let mut rows = BTreeMap::new();
        if resume {
            if manifest_path.exists() {
                let old: Manifest = load_json_file(&manifest_path)?;
                if old.fingerprint != manifest.fingerprint
                    || old.shard != manifest.shard
                    || old.columns != manifest.columns
                {
                    return Err(DseError::Input(InputError::at(
                        "$",
                        format!(
                            "this folder holds sweep '{}' (fingerprint {}, shard {}), not this one (fingerprint {}, shard {}); use another --out or drop --resume",
                            old.sweep,
                            old.fingerprint,
                            old.shard.as_deref().unwrap_or("whole"),
                            manifest.fingerprint,
                            manifest.shard.as_deref().unwrap_or("whole")
                        ),
                    ).in_file(&manifest_path)));
                }
                for r in
                    read_rows_checked(&dir.join(RESULTS_JSONL), &manifest.columns, false, check)?
                        .into_iter()
                        .chain(read_rows_checked(
                            &partial_path,
                            &manifest.columns,
                            true,
                            check,
                        )?)
                {
                    rows.insert(r.id, r);
                }
            }
        } else if partial_path.exists() {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "an unfinished sweep is in {}; pass --resume to continue it, or remove {}",
                    dir.display(),
                    partial_path.display()
                ),
            )));
        }
        write_atomic(&manifest_path, manifest.to_json().as_bytes())?;
        // Rewrite the partial file with exactly the rows kept (drops a torn tail).
        let mut text = String::new();
        for r in rows.values() {
            text.push_str(&to_jsonl(&manifest.columns, r));
            text.push('\n');
        }
        write_atomic(&partial_path, text.as_bytes())?;
        let file = OpenOptions::new()
            .append(true)
            .open(&partial_path)
            .map_err(|e| io_err(&partial_path, "open", e))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            manifest,
            rows: Mutex::new(rows),
            partial: Mutex::new(std::io::BufWriter::new(file)),
        })
    }

    /// Ids already finished (from an earlier run, with `resume`).
    pub fn done(&self) -> BTreeSet<u64> {
        self.rows
            .lock()
            .map(|r| r.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Streams one finished row to the partial file (flushed) and keeps it.
    pub fn append(&self, row: Row) -> Result<(), DseError> {
        let line = to_jsonl(&self.manifest.columns, &row);
        {
            let mut f = self
                .partial
                .lock()
                .map_err(|_| DseError::failure("partial file lock poisoned"))?;
            writeln!(f, "{line}")
                .and_then(|_| f.flush())
                .map_err(|e| io_err(&self.dir.join(PARTIAL), "write", e))?;
        }
        if let Ok(mut rows) = self.rows.lock() {
            rows.insert(row.id, row);
        }
        Ok(())
    }

    /// Writes the final files (sorted by id) and removes the partial file.
    pub fn finish(self, objectives: &[Objective]) -> Result<Finished, DseError> {
        let rows: Vec<Row> = self
            .rows
            .into_inner()
            .map_err(|_| DseError::failure("rows lock poisoned"))?
            .into_values()
            .collect();
        drop(self.partial);
        let f = write_final(&self.dir, &self.manifest.columns, rows, objectives)?;
        let _ = std::fs::remove_file(self.dir.join(PARTIAL));
        Ok(f)
    }

    /// The manifest written to the folder.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

/// The shards cover the sweep exactly once: same split, no shard twice, none missing.
fn check_coverage(manifests: &[(PathBuf, Manifest)]) -> Result<(), DseError> {
    let parse = |m: &Manifest| -> Shard {
        m.shard
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or(Shard::WHOLE)
    };
    let count = parse(&manifests[0].1).count;
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (dir, m) in manifests {
        let s = parse(m);
        if s.count != count {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "{} is shard {s} but {} is shard {}; all shards must split the sweep the same way",
                    dir.display(),
                    manifests[0].0.display(),
                    parse(&manifests[0].1)
                ),
            )));
        }
        if let Some(prev) = seen.insert(s.index, dir) {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "shard {s} appears twice: {} and {}",
                    prev.display(),
                    dir.display()
                ),
            )));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(DseError::Input(InputError::at(
            "$",
            format!("missing shards: {}", missing.join(", ")),
        )));
    }
    Ok(())
}

/// Merges finished shard folders into `out`: checks they belong to the same sweep and
/// cover every shard exactly once, combines their rows, recomputes the Pareto front
/// (`objectives`, default: the manifest's) and writes the final files and a whole-sweep
/// manifest, identical to an unsharded run's.
pub fn merge(
    inputs: &[PathBuf],
    out: &Path,
    objectives: Option<&[Objective]>,
) -> Result<(Manifest, Finished), DseError> {
    if inputs.is_empty() {
        return Err(DseError::Input(InputError::at(
            "$",
            "expected at least one shard folder to merge",
        )));
    }
    // Writing into one of the inputs would replace a shard's results with the merge.
    if let Ok(out_real) = out.canonicalize() {
        for dir in inputs {
            if dir.canonicalize().is_ok_and(|d| d == out_real) {
                return Err(DseError::Input(InputError::at(
                    "$",
                    format!(
                        "the output folder {} is also an input shard folder ({}); merge into a new folder",
                        out.display(),
                        dir.display()
                    ),
                )));
            }
        }
    }
    let mut manifests: Vec<(PathBuf, Manifest)> = Vec::new();
    for dir in inputs {
        let mpath = dir.join(MANIFEST);
        if !mpath.exists() {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "{} has no {MANIFEST}; is it a sweep --out folder?",
                    dir.display()
                ),
            )));
        }
        let m: Manifest = load_json_file(&mpath)?;
        if dir.join(PARTIAL).exists() || !dir.join(RESULTS_JSONL).exists() {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "{} holds an unfinished sweep; rerun that shard with --resume first",
                    dir.display()
                ),
            )));
        }
        if let Some((first_dir, first)) = manifests.first() {
            if first.fingerprint != m.fingerprint || first.columns != m.columns {
                return Err(DseError::Input(InputError::at(
                    "$",
                    format!(
                        "{} (sweep '{}', fingerprint {}) and {} (sweep '{}', fingerprint {}) come from different sweeps",
                        first_dir.display(),
                        first.sweep,
                        first.fingerprint,
                        dir.display(),
                        m.sweep,
                        m.fingerprint
                    ),
                )));
            }
        }
        manifests.push((dir.clone(), m));
    }
    check_coverage(&manifests)?;
    let first = manifests[0].1.clone();
    let mut rows: BTreeMap<u64, Row> = BTreeMap::new();
    for (dir, m) in &manifests {
        let status_at = m.columns.iter().position(|c| c == "status");
        let check = |r: &Row| -> Result<(), String> {
            let known = ["ok", "pruned", "infeasible", "error"];
            match status_at.and_then(|j| r.values.get(j - 1)) {
                Some(v) if v.as_str().is_some_and(|s| known.contains(&s)) => Ok(()),
                Some(v) => Err(format!(
                    "row id {}: status is {v}; expected one of {}",
                    r.id,
                    known.join(", ")
                )),
                None => Err("the manifest's columns have no 'status'".into()),
            }
        };
        let got = read_rows_checked(&dir.join(RESULTS_JSONL), &m.columns, false, &check)?;
        if got.len() as u64 != m.points {
            return Err(DseError::Input(InputError::at(
                "$",
                format!(
                    "{} holds {} rows but its shard has {} points",
                    dir.display(),
                    got.len(),
                    m.points
                ),
            )));
        }
        for r in got {
            let id = r.id;
            if rows.insert(id, r).is_some() {
                return Err(DseError::Input(InputError::at(
                    "$",
                    format!("point {id} appears in more than one shard"),
                )));
            }
        }
    }
    let objs = match objectives {
        Some(o) => o.to_vec(),
        None => first
            .objectives()
            .map_err(|e| DseError::Input(InputError::at("pareto", e)))?,
    };
    let manifest = Manifest {
        shard: None,
        points: first.total_points,
        pareto: objectives_out(&objs),
        ..first
    };
    std::fs::create_dir_all(out).map_err(|e| io_err(out, "create folder", e))?;
    write_atomic(&out.join(MANIFEST), manifest.to_json().as_bytes())?;
    let f = write_final(out, &manifest.columns, rows.into_values().collect(), &objs)?;
    Ok((manifest, f))
}
