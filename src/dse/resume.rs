//! What a resumed sweep may keep from an earlier run: every row read back from
//! `results.partial.jsonl` / `results.jsonl` is checked against the sweep before it is
//! trusted, and temporary files an interrupted run left behind are removed.
//!
//! A kept row must be a point of this sweep and shard (its id), carry the parameters the
//! sweep gives that id (the row's fingerprint: an edited or foreign row differs), a known
//! status, and values of the right JSON type in every column.

use std::path::Path;

use serde_json::Value;

use super::metrics::Metric;
use super::sensitivity::AccuracySource;
use super::space::Shard;
use super::sweep::{Status, Sweep};
use super::Row;

/// Checks one kept row against `sweep` and `shard` (`columns` are the sweep's columns).
pub fn check_row(sweep: &Sweep, shard: Shard, columns: &[String], row: &Row) -> Result<(), String> {
    let id = row.id;
    if !sweep.points().shard_contains(id, shard) {
        return Err(format!(
            "row id {id} is not a point of this sweep's shard {shard} ({} points of {} in the product)",
            sweep.points().shard_len(shard),
            sweep.space_size()
        ));
    }
    let params = sweep.params_of(id);
    let n_params = params.len();
    if row.values.len() + 1 != columns.len() || n_params + Metric::ALL.len() + 4 != columns.len() {
        return Err(format!(
            "row id {id} has {} values; expected {}",
            row.values.len() + 1,
            columns.len()
        ));
    }
    for (j, want) in params.iter().enumerate() {
        if &row.values[j] != want {
            return Err(format!(
                "row id {id}: column '{}' is {}, but this sweep's point {id} has {} (the row is \
                 from another sweep or was edited)",
                columns[j + 1],
                row.values[j],
                want
            ));
        }
    }
    let status = &row.values[n_params];
    let names = [
        Status::Ok,
        Status::Pruned,
        Status::Infeasible,
        Status::Error,
    ]
    .map(Status::name);
    if !status.as_str().is_some_and(|s| names.contains(&s)) {
        return Err(format!(
            "row id {id}: status is {status}; expected one of {}",
            names.join(", ")
        ));
    }
    for (j, v) in row.values[n_params + 1..n_params + 1 + Metric::ALL.len()]
        .iter()
        .enumerate()
    {
        if !(v.is_null() || v.as_f64().is_some_and(f64::is_finite)) {
            return Err(format!(
                "row id {id}: metric '{}' is {v}; expected a number or null",
                Metric::ALL[j].name()
            ));
        }
    }
    let source = &row.values[row.values.len() - 2];
    let sources = [AccuracySource::Measured, AccuracySource::Modelled].map(AccuracySource::name);
    if !(source.is_null() || source.as_str().is_some_and(|s| sources.contains(&s))) {
        return Err(format!(
            "row id {id}: accuracy_source is {source}; expected null or one of {}",
            sources.join(", ")
        ));
    }
    let error = &row.values[row.values.len() - 1];
    if !(error.is_null() || error.is_string()) {
        return Err(format!(
            "row id {id}: error is {error}; expected a string or null"
        ));
    }
    if (status.as_str() == Some(Status::Error.name())) != matches!(error, Value::String(_)) {
        return Err(format!(
            "row id {id}: status {status} with error {error}; an error message goes with status \"error\" only"
        ));
    }
    Ok(())
}

/// True for a temporary file of an atomic write (`.<name>.tmp<pid>` or
/// `.<name>.tmp-<pid>-<n>`), written next to its target and renamed over it.
pub fn is_temp_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some(pos) = rest.rfind(".tmp") else {
        return false;
    };
    let tail = &rest[pos + 4..];
    pos > 0
        && !tail.is_empty()
        && tail
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-')
        && tail.chars().any(|c| c.is_ascii_digit())
}

/// Removes the temporary files an interrupted run left in `dir` (not this process's own);
/// returns their names.
pub fn remove_stale_temp_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let own = format!(".tmp{}", std::process::id());
    let own_npy = format!(".tmp-{}-", std::process::id());
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if is_temp_file(&name)
            && !name.ends_with(&own)
            && !name.contains(&own_npy)
            && entry.file_type()?.is_file()
        {
            std::fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_names() {
        assert!(is_temp_file(".results.csv.tmp1234"));
        assert!(is_temp_file(".out.npy.tmp-77-3"));
        assert!(!is_temp_file("results.csv"));
        assert!(!is_temp_file(".tmp123"));
        assert!(!is_temp_file(".results.csv.tmp"));
        assert!(!is_temp_file(".results.tmpx"));
    }
}
