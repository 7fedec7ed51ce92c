//! Accuracy from QAT results: a CSV or JSON file mapping a per-layer precision
//! configuration to the accuracy a training run measured for it.
//!
//! CSV (lines starting with `#` are comments, blank lines are skipped):
//! - a `config` column (`fc1=int8;fc2=int4;...`, `;` or `,` between layers) and an
//!   `accuracy` column; or
//! - one column per layer (named like the workload's compute layers) and an `accuracy`
//!   column; other columns are ignored.
//!
//! JSON: `[{"config": "fc1=int8;..." or {"fc1": "int8", ...}, "accuracy": 0.91}, ...]`.
//!
//! Every row must name the same layers, all compute layers of the workload; a point is
//! matched on those layers only. An empty accuracy (or `null`) means "not measured" and
//! the row is skipped; a point whose configuration is not in the file gets no accuracy.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::{load_json_file, InputError, InputResult};
use crate::numerics::Format;
use crate::workload::Workload;

/// Accuracy by precision configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyTable {
    /// The layers every configuration names, sorted.
    pub layers: Vec<String>,
    /// Canonical configuration key → accuracy.
    pub entries: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    config: JsonConfig,
    #[serde(default)]
    accuracy: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonConfig {
    Text(String),
    Map(BTreeMap<String, String>),
}

/// Canonical spelling of a layer's precision: a format name as accelsim prints it, or a
/// `w:FMT a:FMT o:FMT` label with each format canonicalised.
pub fn canonical_precision(v: &str) -> String {
    let v = v.trim();
    if v.contains(':') {
        v.split_whitespace()
            .map(|part| match part.split_once(':') {
                Some((role, f)) => format!("{role}:{}", canonical_precision(f)),
                None => part.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        Format::parse(v)
            .map(|f| f.name())
            .unwrap_or_else(|_| v.to_string())
    }
}

/// The precision label of every compute layer of a workload (format name when weights,
/// activations and output agree, else `w:… a:… o:…`).
pub fn layer_labels(workload: &Workload) -> BTreeMap<&str, String> {
    workload
        .ops
        .iter()
        .filter(|o| o.kind.is_compute())
        .map(|o| (o.name.as_str(), o.precision.label()))
        .collect()
}

fn key_of(config: &BTreeMap<String, String>) -> String {
    config
        .iter()
        .map(|(l, p)| format!("{l}={p}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_config_text(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut m = BTreeMap::new();
    for part in text
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (l, p) = part
            .split_once('=')
            .ok_or_else(|| format!("expected LAYER=PRECISION, got '{part}'"))?;
        if m.insert(l.trim().to_string(), canonical_precision(p))
            .is_some()
        {
            return Err(format!("layer '{}' appears twice", l.trim()));
        }
    }
    if m.is_empty() {
        return Err("empty configuration".into());
    }
    Ok(m)
}

impl AccuracyTable {
    /// Reads a QAT file (`.json` as JSON, anything else as CSV), checking its layers
    /// against the workload's compute layers.
    pub fn load(path: &Path, workload: &Workload) -> InputResult<AccuracyTable> {
        let compute: BTreeSet<&str> = layer_labels(workload).into_keys().collect();
        let rows: Vec<(String, BTreeMap<String, String>, Option<f64>)> = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            let rows: Vec<JsonRow> = load_json_file(path)?;
            let mut out = Vec::new();
            for (i, r) in rows.into_iter().enumerate() {
                let where_ = format!("[{i}].config");
                let config = match r.config {
                    JsonConfig::Text(t) => parse_config_text(&t)
                        .map_err(|e| InputError::at(where_.clone(), e).in_file(path))?,
                    JsonConfig::Map(m) => m
                        .into_iter()
                        .map(|(l, p)| (l, canonical_precision(&p)))
                        .collect(),
                };
                out.push((where_, config, r.accuracy));
            }
            out
        } else {
            let text =
                std::fs::read_to_string(path).map_err(|e| crate::error::unreadable(path, e))?;
            csv_rows(&text, &compute).map_err(|e| e.in_file(path))?
        };
        Self::from_rows(rows, &compute).map_err(|e| e.in_file(path))
    }

    fn from_rows(
        rows: Vec<(String, BTreeMap<String, String>, Option<f64>)>,
        compute: &BTreeSet<&str>,
    ) -> InputResult<AccuracyTable> {
        let mut layers: Option<(Vec<String>, String)> = None;
        let mut entries: BTreeMap<String, (f64, String)> = BTreeMap::new();
        for (where_, config, acc) in rows {
            let names: Vec<String> = config.keys().cloned().collect();
            for l in &names {
                if !compute.contains(l.as_str()) {
                    return Err(InputError::at(
                        where_,
                        format!("'{l}' is not a compute layer (matmul, conv2d) of the workload"),
                    ));
                }
            }
            match &layers {
                None => layers = Some((names, where_.clone())),
                Some((first, first_at)) if *first != names => {
                    return Err(InputError::at(
                        where_,
                        format!(
                            "names layers [{}] but {first_at} names [{}]; every row must name the same layers",
                            names.join(", "),
                            first.join(", ")
                        ),
                    ))
                }
                _ => {}
            }
            let Some(acc) = acc.filter(|a| !a.is_nan()) else {
                continue;
            };
            let key = key_of(&config);
            if let Some((_, prev)) = entries.get(&key) {
                return Err(InputError::at(
                    where_,
                    format!("configuration '{key}' is listed twice (also {prev})"),
                ));
            }
            entries.insert(key, (acc, where_));
        }
        let (layers, _) =
            layers.ok_or_else(|| InputError::at("$", "expected at least one configuration row"))?;
        Ok(AccuracyTable {
            layers,
            entries: entries.into_iter().map(|(k, (a, _))| (k, a)).collect(),
        })
    }

    /// The accuracy of the workload's configuration, NaN when it is not in the table.
    pub fn lookup(&self, workload: &Workload) -> f64 {
        self.entries
            .get(&key_of(&self.config_of(workload)))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// The workload's configuration over the table's layers (layer → canonical precision).
    pub fn config_of(&self, workload: &Workload) -> BTreeMap<String, String> {
        let labels = layer_labels(workload);
        self.layers
            .iter()
            .map(|l| {
                let p = labels.get(l.as_str()).cloned().unwrap_or_default();
                (l.clone(), canonical_precision(&p))
            })
            .collect()
    }
}

/// Splits CSV text into records (RFC 4180 quoting), skipping blank and `#` lines; each
/// record carries its 1-based line number.
pub fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut line_no = 0usize;
    let mut lines = text.split('\n').peekable();
    while let Some(raw) = lines.next() {
        line_no += 1;
        let start = line_no;
        let mut line = raw.trim_end_matches('\r').to_string();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut in_q = false;
        loop {
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                if in_q {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            cur.push('"');
                            chars.next();
                        } else {
                            in_q = false;
                        }
                    } else {
                        cur.push(c);
                    }
                } else if c == '"' {
                    in_q = true;
                } else if c == ',' {
                    fields.push(std::mem::take(&mut cur));
                } else {
                    cur.push(c);
                }
            }
            if !in_q {
                break;
            }
            // A quoted field spans lines.
            match lines.next() {
                Some(next) => {
                    line_no += 1;
                    cur.push('\n');
                    line = next.trim_end_matches('\r').to_string();
                }
                None => return Err(format!("line {start}: unterminated quoted field")),
            }
        }
        fields.push(cur);
        out.push((start, fields));
    }
    Ok(out)
}

type CsvRows = Vec<(String, BTreeMap<String, String>, Option<f64>)>;

fn csv_rows(text: &str, compute: &BTreeSet<&str>) -> InputResult<CsvRows> {
    let records = parse_csv(text).map_err(|e| InputError::at("$", e))?;
    let mut it = records.into_iter();
    let (_, header) = it
        .next()
        .ok_or_else(|| InputError::at("$", "expected a header line, the file is empty"))?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let acc_col = col("accuracy").ok_or_else(|| {
        InputError::at(
            "line 1",
            format!("expected an 'accuracy' column, got [{}]", header.join(", ")),
        )
    })?;
    let config_col = col("config");
    let layer_cols: Vec<usize> = (0..header.len())
        .filter(|&i| compute.contains(header[i].as_str()))
        .collect();
    if config_col.is_none() && layer_cols.is_empty() {
        return Err(InputError::at(
            "line 1",
            format!(
                "expected a 'config' column or columns named after compute layers, got [{}]",
                header.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for (line, fields) in it {
        let where_ = format!("line {line}");
        if fields.len() != header.len() {
            return Err(InputError::at(
                where_,
                format!(
                    "expected {} fields like the header, got {}",
                    header.len(),
                    fields.len()
                ),
            ));
        }
        let config = match config_col {
            Some(c) => parse_config_text(&fields[c])
                .map_err(|e| InputError::at(format!("{where_}, column 'config'"), e))?,
            None => layer_cols
                .iter()
                .map(|&c| (header[c].clone(), canonical_precision(&fields[c])))
                .collect(),
        };
        let a = fields[acc_col].trim();
        let acc = if a.is_empty() || a.eq_ignore_ascii_case("nan") {
            None
        } else {
            Some(a.parse::<f64>().map_err(|_| {
                InputError::at(
                    format!("{where_}, column 'accuracy'"),
                    format!("expected a number, got '{a}'"),
                )
            })?)
        };
        rows.push((where_, config, acc));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting_and_comments() {
        let r = parse_csv("# note\na,b\n\"x,1\",\"say \"\"hi\"\"\"\r\n\n3,4").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1], (3, vec!["x,1".to_string(), "say \"hi\"".to_string()]));
        assert_eq!(r[2].0, 5);
        assert!(parse_csv("a\n\"open").is_err());
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_precision(" INT8 "), Format::INT8.name());
        assert_eq!(
            canonical_precision("w:int4  a:int8 o:int8"),
            "w:int4 a:int8 o:int8"
        );
        assert_eq!(
            parse_config_text("fc2=int4; fc1=int8").unwrap(),
            BTreeMap::from([
                ("fc1".to_string(), "int8".to_string()),
                ("fc2".to_string(), "int4".to_string())
            ])
        );
        assert!(parse_config_text("fc1").is_err());
    }
}
