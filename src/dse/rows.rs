//! Result rows and their two renderings: JSON Lines (one object per point, keys in
//! column order) and CSV (RFC 4180 quoting; JSON null → empty field). Both are
//! deterministic: the same row always renders to the same bytes.

use serde_json::{Map, Value};

use super::metrics::Metric;
use super::sweep::PointResult;

/// One row: the point id and one value per remaining column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Point id (index in the full product).
    pub id: u64,
    /// Values of `columns[1..]`.
    pub values: Vec<Value>,
}

/// A finite number as JSON, anything else (NaN: unknown) as null.
pub fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

impl Row {
    /// The row of a point result (columns as [`super::Sweep::columns`]).
    pub fn from_result(r: &PointResult) -> Row {
        let mut values = r.params.clone();
        values.push(Value::from(r.status.name()));
        values.extend(r.metrics.iter().map(|&v| num(v)));
        values.push(
            r.accuracy_source
                .map_or(Value::Null, |s| Value::from(s.name())),
        );
        values.push(r.error.clone().map(Value::from).unwrap_or(Value::Null));
        Row { id: r.id, values }
    }

    /// The value of a column as a number (NaN when null or not a number).
    pub fn number(&self, columns: &[String], column: &str) -> f64 {
        columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.values.get(i))
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    }

    /// The value of a column as text (`""` when null).
    pub fn text(&self, columns: &[String], column: &str) -> String {
        columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.values.get(i))
            .map(cell)
            .unwrap_or_default()
    }

    /// The row's metric value (NaN when unknown).
    pub fn metric(&self, columns: &[String], m: Metric) -> f64 {
        self.number(columns, m.name())
    }
}

/// One JSON Lines line (without the newline).
pub fn to_jsonl(columns: &[String], row: &Row) -> String {
    let mut obj = Map::new();
    obj.insert(columns[0].clone(), Value::from(row.id));
    for (c, v) in columns[1..].iter().zip(&row.values) {
        obj.insert(c.clone(), v.clone());
    }
    serde_json::to_string(&Value::Object(obj)).unwrap_or_default()
}

/// Parses one JSON Lines line written by [`to_jsonl`]; the keys must be `columns`.
pub fn from_jsonl(columns: &[String], line: &str) -> Result<Row, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(obj) = v else {
        return Err("expected a JSON object".into());
    };
    let keys: Vec<&String> = obj.keys().collect();
    if keys.len() != columns.len() || keys.iter().zip(columns).any(|(a, b)| *a != b) {
        return Err(format!(
            "columns [{}] differ from the sweep's [{}]",
            keys.iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            columns.join(", ")
        ));
    }
    let mut it = obj.into_iter();
    let id = it
        .next()
        .and_then(|(_, v)| v.as_u64())
        .ok_or("expected a non-negative integer id")?;
    Ok(Row {
        id,
        values: it.map(|(_, v)| v).collect(),
    })
}

/// A CSV cell: strings as-is, null empty, numbers and booleans as JSON, arrays and
/// objects as compact JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV header line (with newline).
pub fn csv_header(columns: &[String]) -> String {
    let mut s = columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

/// One CSV line (with newline).
pub fn csv_line(row: &Row) -> String {
    let mut s = row.id.to_string();
    for v in &row.values {
        s.push(',');
        s.push_str(&quote(&cell(v)));
    }
    s.push('\n');
    s
}

/// A whole CSV document of `rows`.
pub fn to_csv(columns: &[String], rows: &[Row]) -> String {
    let mut s = csv_header(columns);
    for r in rows {
        s.push_str(&csv_line(r));
    }
    s
}

/// A whole JSON Lines document of `rows`.
pub fn to_jsonl_doc(columns: &[String], rows: &[Row]) -> String {
    let mut s = String::new();
    for r in rows {
        s.push_str(&to_jsonl(columns, r));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonl_round_trips_and_csv_quotes() {
        let cols: Vec<String> = ["id", "p", "status", "x", "e"].map(String::from).to_vec();
        let row = Row {
            id: 7,
            values: vec![
                json!({"weights": "int4", "activations": "int8"}),
                json!("ok"),
                num(1.0e-7 / 3.0),
                Value::Null,
            ],
        };
        let line = to_jsonl(&cols, &row);
        let back = from_jsonl(&cols, &line).unwrap();
        assert_eq!(back, row);
        assert_eq!(to_jsonl(&cols, &back), line);
        assert_eq!(
            csv_line(&row),
            "7,\"{\"\"weights\"\":\"\"int4\"\",\"\"activations\"\":\"\"int8\"\"}\",ok,3.3333333333333334e-8,\n"
        );
        assert!(from_jsonl(&cols[..4], &line).is_err());
        assert_eq!(num(f64::NAN), Value::Null);
    }

    #[test]
    fn floats_round_trip_exactly() {
        let cols: Vec<String> = ["id", "x"].map(String::from).to_vec();
        for v in [
            58510540.800000004,
            0.1 + 0.2,
            1e-300,
            123_456_789.123_456_79,
            2.0f64.powi(60),
        ] {
            let row = Row {
                id: 1,
                values: vec![num(v)],
            };
            let back = from_jsonl(&cols, &to_jsonl(&cols, &row)).unwrap();
            assert_eq!(back.values[0].as_f64().unwrap().to_bits(), v.to_bits());
        }
    }
}
