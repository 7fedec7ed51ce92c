//! The per-layer training-format axis of a sweep (issue #18): the format of one tensor
//! class of selected compute layers, set on the point's training policy as its `layers`
//! entry would (`crate::train::Policy::set_layer_class`), so a point is reproduced by
//! `accelsim train` with that entry in the policy file.

use serde_json::Value;

use super::axes::Axes;
use super::*;
use crate::train::policy::{TensorClass, TensorPolicy};

/// One value as written: a format name stands for `{"format": NAME}`.
fn class_policy(v: &Value, at: &str) -> InputResult<TensorPolicy> {
    let obj = match v {
        Value::String(s) => serde_json::json!({ "format": s }),
        other => other.clone(),
    };
    serde_path_to_error::deserialize(&obj).map_err(|e| {
        let p = e.path().to_string();
        let path = if p == "." || p.is_empty() {
            at.to_string()
        } else {
            format!("{at}.{p}")
        };
        InputError::at(
            path,
            format!(
                "{} (expected a format name or {{\"format\", \"rounding\", \"scaling\"}})",
                e.into_inner()
            ),
        )
    })
}

impl Axes<'_> {
    /// A train_format axis: `tensor` of the selected layers takes each value in turn.
    pub(super) fn train_format(
        &mut self,
        (i, at): (usize, &str),
        class: TensorClass,
        layers: &[String],
        values: &[Value],
        mode: &PrecisionMode,
        name: &Option<String>,
    ) -> InputResult<()> {
        let spec = self.base_workload;
        let ops =
            select_layers(spec, layers).map_err(|e| InputError::at(format!("{at}.layers"), e))?;
        for &o in &ops {
            if let Some(k) = self.varied_classes.insert((o, class), i) {
                return Err(InputError::at(
                    format!("{at}.layers"),
                    format!(
                        "the {} of layer '{}' are already varied by axes[{k}]",
                        class.name(),
                        spec.ops[o].name
                    ),
                ));
            }
        }
        check_values(values, at, compact)?;
        let parsed: Vec<TensorPolicy> = values
            .iter()
            .enumerate()
            .map(|(j, v)| class_policy(v, &format!("{at}.values[{j}]")))
            .collect::<InputResult<_>>()?;
        let names = |ops: &[usize]| -> Vec<String> {
            ops.iter().map(|&o| spec.ops[o].name.clone()).collect()
        };
        let dim = |column: String, ops: &[usize]| Dim {
            column,
            kind: DimKind::TrainFormat {
                layers: names(ops),
                class,
                values: parsed.clone(),
            },
            labels: values.to_vec(),
        };
        match mode {
            PrecisionMode::Each => {
                for &o in &ops {
                    let column = format!("{}.{}", spec.ops[o].name, class.name());
                    self.dims.push(dim(column, &[o]));
                }
            }
            PrecisionMode::Group => {
                let column = name
                    .clone()
                    .unwrap_or_else(|| format!("{}.{}", layers.join(","), class.name()));
                self.dims.push(dim(column, &ops));
            }
        }
        self.train_format_axes.push(i);
        Ok(())
    }
}
