//! The training-policy axis of a sweep (issue #18): each value is a training policy, and a
//! point with one costs a training step of its workload under that policy instead of an
//! inference pass.

use serde_json::Value;

use super::axes::Axes;
use super::*;
use crate::train::{DeriveOptions, Loss, Policy};

impl Axes<'_> {
    /// A policy axis: every value loads as a policy (a bundled name, or a `*.json` file
    /// relative to the sweep file) and the base workload's step derives under it.
    pub(super) fn policy(
        &mut self,
        at: &str,
        name: &Option<String>,
        loss: Loss,
        output: &Option<String>,
        values: &[String],
    ) -> InputResult<()> {
        if self
            .dims
            .iter()
            .any(|d| matches!(d.kind, DimKind::Policy { .. }))
        {
            return Err(InputError::at(at, "only one policy axis is allowed"));
        }
        let labels: Vec<Value> = values.iter().map(|v| Value::from(v.as_str())).collect();
        check_values(&labels, at, compact)?;
        let derive = DeriveOptions {
            loss,
            output: output.clone(),
        };
        let mut policies = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            let vat = format!("{at}.values[{j}]");
            let policy = if v.ends_with(".json") {
                Policy::load(&resolve(self.base_dir, v))
            } else {
                Policy::bundled(v)
            }
            .map_err(|e| InputError::at(&vat, e.to_string()))?;
            // The base workload's step must derive under every policy.
            crate::train::derive(self.base_wl, &policy, &derive).map_err(|e| {
                InputError::at(
                    &vat,
                    format!(
                        "the training step does not derive: at {}: {}",
                        e.json_path, e.message
                    ),
                )
            })?;
            policies.push(Arc::new(policy));
        }
        self.dims.push(Dim {
            column: name.clone().unwrap_or_else(|| "policy".into()),
            kind: DimKind::Policy { policies, derive },
            labels,
        });
        Ok(())
    }
}
