//! The rest of a sweep file, checked: column names, the point set (all or a sample), the QAT
//! accuracy table and model, constraints, Pareto objectives and plots.

use super::*;
use crate::dse::spec::SampleSpec;

/// Columns must be unique and not clash with the fixed ones (`id`, `status`, metrics, …).
pub(super) fn check_columns(dims: &[Dim]) -> InputResult<()> {
    let reserved: Vec<&str> = ["id", "status", "accuracy_source", "error"]
        .into_iter()
        .chain(Metric::ALL.iter().map(|m| m.name()))
        .collect();
    for (k, d) in dims.iter().enumerate() {
        if reserved.contains(&d.column.as_str()) || dims[..k].iter().any(|e| e.column == d.column) {
            return Err(InputError::at(
                "axes",
                format!(
                    "two columns would be named '{}'; give the axis a distinct \"name\"",
                    d.column
                ),
            ));
        }
    }

    Ok(())
}

/// The points to evaluate: the whole space, or a seeded sample of it.
pub(super) fn points(sample_spec: Option<&SampleSpec>, space: &Space) -> InputResult<PointSet> {
    Ok(match sample_spec {
        None => PointSet::All(space.total()),
        Some(s) => {
            if s.count == 0 {
                return Err(InputError::at(
                    "sample.count",
                    "expected at least 1 point, got 0",
                ));
            }
            if s.count > crate::dse::limits::MAX_SAMPLE_POINTS && s.count < space.total() {
                return Err(InputError::at(
                    "sample.count",
                    format!(
                        "expected at most {} sampled points (their ids are held in memory), got {}",
                        crate::dse::limits::MAX_SAMPLE_POINTS,
                        s.count
                    ),
                ));
            }
            if s.count >= space.total() {
                PointSet::All(space.total())
            } else {
                PointSet::Sample(sample(space.total(), s.count, s.seed))
            }
        }
    })
}

/// The QAT accuracy table (resolved against `base_dir`) and the additive model fitted to it.
pub(super) fn accuracy(
    spec: &SweepSpec,
    base_dir: &Path,
    base_wl: &Workload,
) -> InputResult<(Option<AccuracyTable>, Option<AdditiveModel>)> {
    let accuracy = match &spec.accuracy {
        None => None,
        Some(rel) => Some(AccuracyTable::load(&resolve(base_dir, rel), base_wl)?),
    };
    let accuracy_model = match (&spec.accuracy_model, &accuracy) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(InputError::at(
                "accuracy_model",
                "an accuracy model needs an \"accuracy\" QAT results file to fit",
            ))
        }
        (Some(_), Some(t)) => Some(AdditiveModel::fit(t).map_err(|e| {
            InputError::at(
                "accuracy_model",
                format!("{}: {e}", spec.accuracy.as_deref().unwrap_or_default()),
            )
        })?),
    };
    Ok((accuracy, accuracy_model))
}

/// The constraints; an accuracy constraint needs an accuracy table.
pub(super) fn constraints(spec: &SweepSpec, has_accuracy: bool) -> InputResult<Vec<Constraint>> {
    let mut constraints = Vec::new();
    for (i, c) in spec.constraints.iter().enumerate() {
        let at = format!("constraints[{i}]");
        let metric = Metric::parse(&c.metric).ok_or_else(|| {
            InputError::at(
                format!("{at}.metric"),
                format!(
                    "unknown metric '{}' (metrics: {})",
                    c.metric,
                    Metric::names()
                ),
            )
        })?;
        if c.min.is_none() && c.max.is_none() {
            return Err(InputError::at(&at, "expected \"min\", \"max\" or both"));
        }
        if let (Some(a), Some(b)) = (c.min, c.max) {
            if a > b {
                return Err(InputError::at(&at, format!("min {a} is above max {b}")));
            }
        }
        if metric == Metric::Accuracy && !has_accuracy {
            return Err(InputError::at(
                format!("{at}.metric"),
                "an accuracy constraint needs an \"accuracy\" QAT results file",
            ));
        }
        constraints.push(Constraint {
            metric,
            min: c.min,
            max: c.max,
        });
    }
    Ok(constraints)
}

/// The Pareto objectives (latency and energy by default), checked.
pub(super) fn pareto(spec: &SweepSpec, has_accuracy: bool) -> InputResult<Vec<Objective>> {
    let pareto: Vec<Objective> = if spec.pareto.is_empty() {
        vec![
            Objective {
                metric: Metric::LatencyS,
                goal: Goal::Min,
            },
            Objective {
                metric: Metric::EnergyPj,
                goal: Goal::Min,
            },
        ]
    } else {
        spec.pareto
            .iter()
            .enumerate()
            .map(|(i, o)| match o {
                ObjectiveSpec::Name(n) => {
                    Objective::parse(n).map_err(|e| InputError::at(format!("pareto[{i}]"), e))
                }
                ObjectiveSpec::Explicit { metric, goal } => Metric::parse(metric)
                    .map(|m| Objective {
                        metric: m,
                        goal: *goal,
                    })
                    .ok_or_else(|| {
                        InputError::at(
                            format!("pareto[{i}].metric"),
                            format!("unknown metric '{metric}' (metrics: {})", Metric::names()),
                        )
                    }),
            })
            .collect::<InputResult<_>>()?
    };
    check_objectives(&pareto, has_accuracy).map_err(|e| InputError::at("pareto", e))?;
    Ok(pareto)
}

/// The plots (the first two objectives by default); every axis must name a metric.
pub(super) fn plots(spec: &SweepSpec, pareto: &[Objective]) -> InputResult<Vec<PlotSpec>> {
    for (i, p) in spec.plots.iter().enumerate() {
        for (axis, name) in [("x", &p.x), ("y", &p.y)] {
            if Metric::parse(name).is_none() {
                return Err(InputError::at(
                    format!("plots[{i}].{axis}"),
                    format!("unknown metric '{name}' (metrics: {})", Metric::names()),
                ));
            }
        }
    }
    let plots = if spec.plots.is_empty() {
        vec![PlotSpec {
            x: pareto[0].metric.name().into(),
            y: pareto[1].metric.name().into(),
            log_x: false,
            log_y: false,
        }]
    } else {
        spec.plots.clone()
    };
    Ok(plots)
}
