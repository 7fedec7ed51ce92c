//! The sparsity axis of a sweep: the density or N:M pattern of one operand of selected layers.

use serde_json::Value;

use super::axes::Axes;
use super::*;

impl Axes<'_> {
    /// A sparsity axis: the density or N:M pattern of one operand of selected layers.
    pub(super) fn sparsity(
        &mut self,
        i: usize,
        name: &Option<String>,
        layers: &[String],
        mode: &PrecisionMode,
        operand: &crate::arch::sparsity::Operand,
        values: &[super::super::spec::SparsityValue],
    ) -> InputResult<()> {
        let at = format!("axes[{i}]");
        let at = at.as_str();
        let base_workload = self.base_workload;
        let base_wl = self.base_wl;
        let ops = select_layers(base_workload, layers)
            .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
        let choices: Vec<SparsityChoice> = values
            .iter()
            .enumerate()
            .map(|(j, v)| {
                SparsityChoice::parse(v).map_err(|e| InputError::at(format!("{at}.values[{j}]"), e))
            })
            .collect::<InputResult<_>>()?;
        let labels: Vec<Value> = choices.iter().map(SparsityChoice::label).collect();
        check_values(&labels, at, compact)?;
        let mut layer_slots: Vec<(usize, Slot)> = Vec::new();
        for &o in &ops {
            let slot = slot_of(base_workload, base_wl, o, *operand)
                .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
            let tensor = || slot_tensor(base_workload, slot);
            if let Some(&(k, other)) = self.varied_slots.get(&slot) {
                let opname = |x: usize| base_workload.ops[x].name.clone();
                let msg = if k != i {
                    format!(
                        "the {} of layer '{}' (tensor '{}') is already varied by axes[{k}]",
                        operand.name(),
                        opname(o),
                        tensor()
                    )
                } else if *mode == PrecisionMode::Each {
                    format!(
                        "layers '{}' and '{}' share the {} tensor '{}', so they cannot vary on their own; use \"mode\": \"group\"",
                        opname(other), opname(o), operand.name(), tensor()
                    )
                } else {
                    String::new()
                };
                if !msg.is_empty() {
                    return Err(InputError::at(format!("{at}.layers"), msg));
                }
            } else {
                self.varied_slots.insert(slot, (i, o));
            }
            layer_slots.push((o, slot));
        }
        for (j, c) in choices.iter().enumerate() {
            if let SparsityChoice::Pattern(p) = c {
                for &(o, _) in &layer_slots {
                    check_fits(base_wl, o, *p)
                        .map_err(|e| InputError::at(format!("{at}.values[{j}]"), e))?;
                }
            }
            let mut w = base_workload.clone();
            for &(_, slot) in &layer_slots {
                apply_sparsity(&mut w, slot, c.to_spec());
            }
            let built = variant_workload(
                w,
                format!("{at}.values[{j}]"),
                format!("sparsity {} on the selected layers", compact(&labels[j])),
            )?;
            self.wl_checks.push((format!("{at}.values[{j}]"), built));
        }
        match mode {
            PrecisionMode::Each => {
                for &(o, slot) in &layer_slots {
                    self.dims.push(Dim {
                        column: format!(
                            "{}.sparsity.{}",
                            base_workload.ops[o].name,
                            operand.name()
                        ),
                        kind: DimKind::Sparsity {
                            slots: vec![slot],
                            values: choices.clone(),
                        },
                        labels: labels.clone(),
                    });
                }
            }
            PrecisionMode::Group => {
                let mut slots: Vec<Slot> = layer_slots.iter().map(|&(_, s)| s).collect();
                slots.sort_unstable();
                slots.dedup();
                self.dims.push(Dim {
                    column: name.clone().unwrap_or_else(|| {
                        format!("{}.sparsity.{}", layers.join(","), operand.name())
                    }),
                    kind: DimKind::Sparsity {
                        slots,
                        values: choices,
                    },
                    labels,
                });
            }
        }
        Ok(())
    }
}
