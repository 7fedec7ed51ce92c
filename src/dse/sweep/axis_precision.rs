//! The precision axis of a sweep: the precision of selected layers, each value or as a group.

use serde_json::Value;

use super::axes::Axes;
use super::*;

impl Axes<'_> {
    /// A precision axis: per-layer precision values (each a valid workload).
    pub(super) fn precision(
        &mut self,
        i: usize,
        at: &str,
        name: &Option<String>,
        layers: &[String],
        mode: &PrecisionMode,
        values: &[PrecisionSpec],
    ) -> InputResult<()> {
        let base_workload = self.base_workload;
        let ops = select_layers(base_workload, layers)
            .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
        for &o in &ops {
            if let Some(k) = self.varied_ops[o] {
                return Err(InputError::at(
                    format!("{at}.layers"),
                    format!(
                        "layer '{}' is already varied by axes[{k}]",
                        base_workload.ops[o].name
                    ),
                ));
            }
            self.varied_ops[o] = Some(i);
        }
        let labels: Vec<Value> = values
            .iter()
            .map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
            .collect();
        check_values(&labels, at, compact)?;
        for (j, v) in values.iter().enumerate() {
            let mut w = base_workload.clone();
            for &o in &ops {
                w.ops[o].precision = Some(v.clone());
            }
            let built = variant_workload(
                w,
                format!("{at}.values[{j}]"),
                format!("precision {} on the selected layers", compact(&labels[j])),
            )?;
            self.wl_checks.push((format!("{at}.values[{j}]"), built));
        }
        match mode {
            PrecisionMode::Each => {
                for &o in &ops {
                    self.dims.push(Dim {
                        column: base_workload.ops[o].name.clone(),
                        kind: DimKind::Precision {
                            ops: vec![o],
                            values: values.to_vec(),
                        },
                        labels: labels.clone(),
                    });
                }
            }
            PrecisionMode::Group => self.dims.push(Dim {
                column: name.clone().unwrap_or_else(|| layers.join(",")),
                kind: DimKind::Precision {
                    ops,
                    values: values.to_vec(),
                },
                labels,
            }),
        }
        Ok(())
    }
}
