//! The batch axis of a sweep: the first dimension of every graph input.

use serde_json::Value;

use super::axes::Axes;
use super::*;

impl Axes<'_> {
    /// The batch axis: the first dimension of every graph input.
    pub(super) fn batch(&mut self, at: &str, values: &[u64]) -> InputResult<()> {
        let base_workload = self.base_workload;
        let labels: Vec<Value> = values.iter().map(|&b| Value::from(b)).collect();
        check_values(&labels, at, compact)?;
        if self
            .dims
            .iter()
            .any(|d| matches!(d.kind, DimKind::Batch { .. }))
        {
            return Err(InputError::at(at, "only one batch axis is allowed"));
        }
        for (j, &b) in values.iter().enumerate() {
            let mut w = base_workload.clone();
            set_batch(&mut w, b).map_err(|e| InputError::at(format!("{at}.values[{j}]"), e))?;
            variant_workload(w, format!("{at}.values[{j}]"), format!("batch {b}"))?;
        }
        self.dims.push(Dim {
            column: "batch".into(),
            kind: DimKind::Batch {
                values: values.to_vec(),
            },
            labels,
        });
        Ok(())
    }
}
