//! The arch axis of a sweep: JSON paths into the arch file and the values they take.

use serde_json::Value;

use super::axes::Axes;
use super::*;

impl Axes<'_> {
    /// An arch axis: JSON paths into the arch and their values (each must build a valid arch).
    pub(super) fn arch(
        &mut self,
        i: usize,
        at: &str,
        name: &Option<String>,
        path: &Option<String>,
        paths: &[String],
        values: &[Value],
    ) -> InputResult<()> {
        let base_arch = self.base_arch;
        let all: Vec<String> = match (path, paths.is_empty()) {
            (Some(p), true) => vec![p.clone()],
            (None, false) => paths.to_vec(),
            (Some(_), false) => {
                return Err(InputError::at(
                    at,
                    "give either \"path\" or \"paths\", not both",
                ))
            }
            (None, true) => return Err(InputError::at(
                at,
                "expected \"path\" (a JSON path into the arch, e.g. \"array.rows\") or \"paths\"",
            )),
        };
        let steps: Vec<Vec<Step>> = all
            .iter()
            .map(|p| jsonpath::parse(p))
            .collect::<Result<_, _>>()
            .map_err(|e| InputError::at(format!("{at}.path"), e))?;
        check_values(values, at, compact)?;
        let touches_precision = steps.iter().any(|s| {
            matches!(s.first(), Some(Step::Key(k)) if k == "precisions" || k == "precision_fallback")
        });
        for (j, v) in values.iter().enumerate() {
            let mut a = base_arch.clone();
            for (p, st) in all.iter().zip(&steps) {
                jsonpath::set(&mut a, st, v.clone()).map_err(|e| {
                    InputError::at(
                        format!("{at}.path"),
                        format!("'{p}' does not fit the arch: {e}"),
                    )
                })?;
            }
            let built = arch_from_value(&a).map_err(|e| {
                InputError::at(
                    format!("{at}.values[{j}]"),
                    format!(
                        "setting {} = {} gives an invalid arch: at {}: {}",
                        all.join(", "),
                        compact(v),
                        e.json_path,
                        e.message
                    ),
                )
            })?;
            if touches_precision {
                self.precision_archs.push((i, j, built));
            }
        }
        self.dims.push(Dim {
            column: name.clone().unwrap_or_else(|| all.join("+")),
            kind: DimKind::Arch { paths: steps },
            labels: values.to_vec(),
        });
        Ok(())
    }
}
