//! A validated sweep: the base arch and workload, the dimensions of the design space and
//! everything needed to evaluate one point. All checks run in [`Sweep::from_spec`], before
//! any point is evaluated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::jsonpath::{self, Step};
use super::metrics::{self, Goal, Metric};
use super::qat::AccuracyTable;
use super::select::select_layers;
use super::sensitivity::{AccuracySource, AdditiveModel};
use super::space::{sample, PointSet, Space};
use super::sparsity_axis::{
    apply as apply_sparsity, check_fits, slot_of, slot_tensor, Slot, SparsityChoice,
};
use super::spec::{AxisSpec, ObjectiveSpec, PlotSpec, PrecisionMode, SweepSpec};
use crate::arch::Arch;
use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::workload::{PrecisionSpec, Workload, WorkloadSpec};

/// Largest number of distinct arch variants kept built in memory.
const ARCH_CACHE_MAX: u64 = 4096;
/// Largest number of distinct workload variants kept built in memory.
const WORKLOAD_CACHE_MAX: u64 = 1024;

/// A Pareto objective: a metric and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    /// The metric.
    pub metric: Metric,
    /// Minimise or maximise.
    pub goal: Goal,
}

impl Objective {
    /// Parses `latency_s` (natural direction) or `latency_s:max`.
    pub fn parse(s: &str) -> Result<Objective, String> {
        let (name, goal) = match s.split_once(':') {
            Some((n, "min")) => (n, Some(Goal::Min)),
            Some((n, "max")) => (n, Some(Goal::Max)),
            Some((_, g)) => {
                return Err(format!(
                    "expected :min or :max after the metric, got ':{g}'"
                ))
            }
            None => (s, None),
        };
        let metric = Metric::parse(name.trim())
            .ok_or_else(|| format!("unknown metric '{name}' (metrics: {})", Metric::names()))?;
        Ok(Objective {
            metric,
            goal: goal.unwrap_or(metric.natural_goal()),
        })
    }
}

/// Checks a list of Pareto objectives: 2 or 3 distinct metrics.
pub fn check_objectives(objs: &[Objective], has_accuracy: bool) -> Result<(), String> {
    if !(2..=3).contains(&objs.len()) {
        return Err(format!(
            "expected 2 or 3 Pareto objectives, got {}",
            objs.len()
        ));
    }
    for (i, o) in objs.iter().enumerate() {
        if objs[..i].iter().any(|p| p.metric == o.metric) {
            return Err(format!("objective '{}' is listed twice", o.metric.name()));
        }
        if o.metric == Metric::Accuracy && !has_accuracy {
            return Err(
                "objective 'accuracy' needs an \"accuracy\" QAT results file in the sweep".into(),
            );
        }
    }
    Ok(())
}

/// A bound on a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constraint {
    /// The metric.
    pub metric: Metric,
    /// Inclusive lower bound.
    pub min: Option<f64>,
    /// Inclusive upper bound.
    pub max: Option<f64>,
}

impl Constraint {
    /// Whether `v` satisfies the bound (NaN never does).
    pub fn holds(&self, v: f64) -> bool {
        !v.is_nan() && self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// What one dimension varies.
#[derive(Debug, Clone)]
enum DimKind {
    Arch {
        paths: Vec<Vec<Step>>,
    },
    Precision {
        ops: Vec<usize>,
        values: Vec<PrecisionSpec>,
    },
    Batch {
        values: Vec<u64>,
    },
    Sparsity {
        slots: Vec<Slot>,
        values: Vec<SparsityChoice>,
    },
}

/// One dimension of the space: a column and its values.
#[derive(Debug, Clone)]
struct Dim {
    column: String,
    kind: DimKind,
    /// The value written in the column for each index.
    labels: Vec<Value>,
}

/// The outcome class of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Evaluated, within every constraint.
    Ok,
    /// Outside a constraint known before running (arch figures, capacity, accuracy); not run.
    Pruned,
    /// Evaluated, outside a constraint on a run metric.
    Infeasible,
    /// This combination of axis values is invalid (message in `error`).
    Error,
}

impl Status {
    /// `ok`, `pruned`, `infeasible` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Pruned => "pruned",
            Status::Infeasible => "infeasible",
            Status::Error => "error",
        }
    }
}

/// The result of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// Index in the full product.
    pub id: u64,
    /// Value of each parameter column.
    pub params: Vec<Value>,
    /// Outcome.
    pub status: Status,
    /// Metric values indexed like [`Metric::ALL`] (NaN where unknown).
    pub metrics: [f64; Metric::ALL.len()],
    /// Where the accuracy comes from (None: no accuracy).
    pub accuracy_source: Option<AccuracySource>,
    /// Why the point failed (status `error`).
    pub error: Option<String>,
}

type Cache<T> = Vec<OnceLock<Result<Arc<T>, String>>>;

/// A validated, ready-to-evaluate sweep.
#[derive(Debug)]
pub struct Sweep {
    /// The spec as read.
    pub spec: SweepSpec,
    /// The sweep file, if loaded from one.
    pub file: Option<PathBuf>,
    base_arch: Value,
    base_workload: WorkloadSpec,
    base_wl: Arc<Workload>,
    dims: Vec<Dim>,
    space: Space,
    points: PointSet,
    arch_dims: Vec<usize>,
    wl_dims: Vec<usize>,
    arch_space: Space,
    wl_space: Space,
    arch_cache: Option<Cache<Arch>>,
    wl_cache: Option<Cache<Workload>>,
    constraints: Vec<Constraint>,
    accuracy: Option<AccuracyTable>,
    accuracy_model: Option<AdditiveModel>,
    pareto: Vec<Objective>,
    plots: Vec<PlotSpec>,
    fingerprint: String,
    notes: Vec<String>,
}

/// Runs `f` with tracing switched off on this thread: per-op warnings (e.g. precision
/// fallback) would repeat for every point; the sweep reports them once (`notes`).
/// Builds one axis value's workload variant; an invalid one is an error at `path` saying
/// what the value (`what`) did to the workload.
fn variant_workload(w: WorkloadSpec, path: String, what: String) -> InputResult<Workload> {
    Workload::from_spec(w).map_err(|e| {
        InputError::at(
            path,
            format!(
                "{what} gives an invalid workload: at {}: {}",
                e.json_path, e.message
            ),
        )
    })
}

fn quietly<T>(f: impl FnOnce() -> T) -> T {
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), f)
}

fn arch_from_value(v: &Value) -> InputResult<Arch> {
    let arch: Arch = serde_path_to_error::deserialize(v).map_err(|e| {
        let p = e.path().to_string();
        let p = if p == "." || p.is_empty() {
            "$".to_string()
        } else {
            p
        };
        InputError::at(p, e.into_inner().to_string())
    })?;
    arch.validate()?;
    Ok(arch)
}

fn resolve(base: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// FNV-1a 64-bit: a stable hash (same on every platform and run).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mixed_index(digits: &[usize], dims: &[usize], space: &Space) -> usize {
    let mut idx = 0u64;
    for (k, &d) in dims.iter().enumerate() {
        idx = idx * space.radices()[k] + digits[d] as u64;
    }
    idx as usize
}

impl Sweep {
    /// Reads and validates a sweep file; other files resolve against its folder.
    pub fn load(path: &Path) -> InputResult<Sweep> {
        let spec: SweepSpec = load_json_file(path)?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut s = Sweep::from_spec(spec, base).map_err(|e| e.in_file(path))?;
        s.file = Some(path.to_path_buf());
        Ok(s)
    }

    /// Parses and validates sweep JSON text; other files resolve against `base_dir`.
    pub fn from_json(text: &str, base_dir: &Path) -> InputResult<Sweep> {
        Sweep::from_spec(parse_json(text)?, base_dir)
    }

    /// Validates a spec: loads the arch, workload and QAT files, checks every axis value
    /// (each arch value builds a valid arch, each precision / batch value a valid
    /// workload, every precision runs on every arch variant), constraints, objectives
    /// and plots. Errors name the sweep's JSON path; errors inside the arch or workload
    /// name that file.
    pub fn from_spec(spec: SweepSpec, base_dir: &Path) -> InputResult<Sweep> {
        // Base arch as JSON (validated), then the fixed edits.
        let arch_path = resolve(base_dir, &spec.arch);
        let arch_text = std::fs::read_to_string(&arch_path).map_err(|e| {
            InputError::at(
                "arch",
                format!("cannot read arch file '{}': {e}", arch_path.display()),
            )
        })?;
        Arch::from_json(&arch_text).map_err(|e| e.in_file(&arch_path))?;
        let mut base_arch: Value = serde_json::from_str(&arch_text)
            .map_err(|e| InputError::at("$", e.to_string()).in_file(&arch_path))?;
        for (path, v) in &spec.set {
            let at = format!("set.{path}");
            let steps = jsonpath::parse(path).map_err(|e| InputError::at(&at, e))?;
            jsonpath::set(&mut base_arch, &steps, v.clone()).map_err(|e| InputError::at(&at, e))?;
            arch_from_value(&base_arch).map_err(|e| {
                InputError::at(
                    &at,
                    format!(
                        "setting {path} = {} gives an invalid arch: at {}: {}",
                        compact(v),
                        e.json_path,
                        e.message
                    ),
                )
            })?;
        }
        let base_arch_built = arch_from_value(&base_arch)?;

        // Base workload.
        let wl_path = resolve(base_dir, &spec.workload);
        let base_workload: WorkloadSpec = load_json_file(&wl_path)?;
        let base_wl =
            Arc::new(Workload::from_spec(base_workload.clone()).map_err(|e| e.in_file(&wl_path))?);

        // Axes → dimensions.
        let mut dims: Vec<Dim> = Vec::new();
        let mut varied_ops: Vec<Option<usize>> = vec![None; base_workload.ops.len()];
        // Tensors varied by sparsity axes: slot → (axis, first layer).
        let mut varied_slots: BTreeMap<Slot, (usize, usize)> = BTreeMap::new();
        // Arch variants that change which precisions run: (axis, value index, arch).
        let mut precision_archs: Vec<(usize, usize, Arch)> = Vec::new();
        // Workload variants to check against every arch: (where, workload).
        let mut wl_checks: Vec<(String, Workload)> = Vec::new();
        for (i, axis) in spec.axes.iter().enumerate() {
            let at = format!("axes[{i}]");
            match axis {
                AxisSpec::Arch {
                    name,
                    path,
                    paths,
                    values,
                } => {
                    let all: Vec<String> = match (path, paths.is_empty()) {
                        (Some(p), true) => vec![p.clone()],
                        (None, false) => paths.clone(),
                        (Some(_), false) => {
                            return Err(InputError::at(&at, "give either \"path\" or \"paths\", not both"))
                        }
                        (None, true) => {
                            return Err(InputError::at(&at, "expected \"path\" (a JSON path into the arch, e.g. \"array.rows\") or \"paths\""))
                        }
                    };
                    let steps: Vec<Vec<Step>> = all
                        .iter()
                        .map(|p| jsonpath::parse(p))
                        .collect::<Result<_, _>>()
                        .map_err(|e| InputError::at(format!("{at}.path"), e))?;
                    check_values(values, &at, compact)?;
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
                            precision_archs.push((i, j, built));
                        }
                    }
                    dims.push(Dim {
                        column: name.clone().unwrap_or_else(|| all.join("+")),
                        kind: DimKind::Arch { paths: steps },
                        labels: values.clone(),
                    });
                }
                AxisSpec::Precision {
                    name,
                    layers,
                    mode,
                    values,
                } => {
                    let ops = select_layers(&base_workload, layers)
                        .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
                    for &o in &ops {
                        if let Some(k) = varied_ops[o] {
                            return Err(InputError::at(
                                format!("{at}.layers"),
                                format!(
                                    "layer '{}' is already varied by axes[{k}]",
                                    base_workload.ops[o].name
                                ),
                            ));
                        }
                        varied_ops[o] = Some(i);
                    }
                    let labels: Vec<Value> = values
                        .iter()
                        .map(|v| serde_json::to_value(v).unwrap_or(Value::Null))
                        .collect();
                    check_values(&labels, &at, compact)?;
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
                        wl_checks.push((format!("{at}.values[{j}]"), built));
                    }
                    match mode {
                        PrecisionMode::Each => {
                            for &o in &ops {
                                dims.push(Dim {
                                    column: base_workload.ops[o].name.clone(),
                                    kind: DimKind::Precision {
                                        ops: vec![o],
                                        values: values.clone(),
                                    },
                                    labels: labels.clone(),
                                });
                            }
                        }
                        PrecisionMode::Group => dims.push(Dim {
                            column: name.clone().unwrap_or_else(|| layers.join(",")),
                            kind: DimKind::Precision {
                                ops,
                                values: values.clone(),
                            },
                            labels,
                        }),
                    }
                }
                AxisSpec::Batch { values } => {
                    let labels: Vec<Value> = values.iter().map(|&b| Value::from(b)).collect();
                    check_values(&labels, &at, compact)?;
                    if dims.iter().any(|d| matches!(d.kind, DimKind::Batch { .. })) {
                        return Err(InputError::at(&at, "only one batch axis is allowed"));
                    }
                    for (j, &b) in values.iter().enumerate() {
                        let mut w = base_workload.clone();
                        set_batch(&mut w, b)
                            .map_err(|e| InputError::at(format!("{at}.values[{j}]"), e))?;
                        variant_workload(w, format!("{at}.values[{j}]"), format!("batch {b}"))?;
                    }
                    dims.push(Dim {
                        column: "batch".into(),
                        kind: DimKind::Batch {
                            values: values.clone(),
                        },
                        labels,
                    });
                }
                AxisSpec::Sparsity {
                    name,
                    layers,
                    mode,
                    operand,
                    values,
                } => {
                    let ops = select_layers(&base_workload, layers)
                        .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
                    let choices: Vec<SparsityChoice> = values
                        .iter()
                        .enumerate()
                        .map(|(j, v)| {
                            SparsityChoice::parse(v)
                                .map_err(|e| InputError::at(format!("{at}.values[{j}]"), e))
                        })
                        .collect::<InputResult<_>>()?;
                    let labels: Vec<Value> = choices.iter().map(SparsityChoice::label).collect();
                    check_values(&labels, &at, compact)?;
                    let mut layer_slots: Vec<(usize, Slot)> = Vec::new();
                    for &o in &ops {
                        let slot = slot_of(&base_workload, &base_wl, o, *operand)
                            .map_err(|e| InputError::at(format!("{at}.layers"), e))?;
                        let tensor = || slot_tensor(&base_workload, slot);
                        if let Some(&(k, other)) = varied_slots.get(&slot) {
                            let opname = |x: usize| base_workload.ops[x].name.clone();
                            let msg = if k != i {
                                format!(
                                    "the {} of layer '{}' (tensor '{}') is already varied by axes[{k}]",
                                    operand.name(), opname(o), tensor()
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
                            varied_slots.insert(slot, (i, o));
                        }
                        layer_slots.push((o, slot));
                    }
                    for (j, c) in choices.iter().enumerate() {
                        if let SparsityChoice::Pattern(p) = c {
                            for &(o, _) in &layer_slots {
                                check_fits(&base_wl, o, *p)
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
                        wl_checks.push((format!("{at}.values[{j}]"), built));
                    }
                    match mode {
                        PrecisionMode::Each => {
                            for &(o, slot) in &layer_slots {
                                dims.push(Dim {
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
                            let mut slots: Vec<Slot> =
                                layer_slots.iter().map(|&(_, s)| s).collect();
                            slots.sort_unstable();
                            slots.dedup();
                            dims.push(Dim {
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
                }
            }
        }

        // Every precision must run on every arch variant that decides precisions.
        let mut archs: Vec<(String, &Arch)> = precision_archs
            .iter()
            .map(|(i, j, a)| (format!(" with axes[{i}].values[{j}]"), a))
            .collect();
        if archs.is_empty() {
            archs.push((String::new(), &base_arch_built));
        }
        let mut notes = std::collections::BTreeSet::new();
        let run_options = crate::model::RunOptions::with_launch(spec.launch);
        for (what, arch) in &archs {
            let costs =
                quietly(|| crate::model::plan_with(&base_wl, arch, &run_options)).map_err(|e| {
                    InputError::at(
                        "workload",
                        format!(
                            "the base workload cannot run on arch '{}'{what}: at {}: {}",
                            arch.name, e.json_path, e.message
                        ),
                    )
                })?;
            notes.extend(costs.into_iter().flat_map(|c| c.warnings));
            for (at, w) in &wl_checks {
                let costs =
                    quietly(|| crate::model::plan_with(w, arch, &run_options)).map_err(|e| {
                        InputError::at(
                            at.clone(),
                            format!(
                                "this precision cannot run on arch '{}'{what}: {}",
                                arch.name, e.message
                            ),
                        )
                    })?;
                notes.extend(costs.into_iter().flat_map(|c| c.warnings));
            }
        }
        if spec.accuracy.is_some() && !varied_slots.is_empty() {
            notes.insert(
                "accuracy is looked up by the layers' precisions only: points that differ only in sparsity get the same accuracy".into(),
            );
        }
        let notes: Vec<String> = notes.into_iter().collect();

        // Columns must be unique and not clash with fixed ones.
        let reserved: Vec<&str> = ["id", "status", "accuracy_source", "error"]
            .into_iter()
            .chain(Metric::ALL.iter().map(|m| m.name()))
            .collect();
        for (k, d) in dims.iter().enumerate() {
            if reserved.contains(&d.column.as_str())
                || dims[..k].iter().any(|e| e.column == d.column)
            {
                return Err(InputError::at(
                    "axes",
                    format!(
                        "two columns would be named '{}'; give the axis a distinct \"name\"",
                        d.column
                    ),
                ));
            }
        }

        let space = Space::new(dims.iter().map(|d| d.labels.len() as u64).collect())
            .map_err(|e| InputError::at("axes", e))?;
        let points = match &spec.sample {
            None => PointSet::All(space.total()),
            Some(s) => {
                if s.count == 0 {
                    return Err(InputError::at(
                        "sample.count",
                        "expected at least 1 point, got 0",
                    ));
                }
                if s.count > super::limits::MAX_SAMPLE_POINTS && s.count < space.total() {
                    return Err(InputError::at(
                        "sample.count",
                        format!(
                            "expected at most {} sampled points (their ids are held in memory), got {}",
                            super::limits::MAX_SAMPLE_POINTS,
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
        };

        // QAT accuracy.
        let accuracy = match &spec.accuracy {
            None => None,
            Some(rel) => Some(AccuracyTable::load(&resolve(base_dir, rel), &base_wl)?),
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
            if metric == Metric::Accuracy && accuracy.is_none() {
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
        check_objectives(&pareto, accuracy.is_some()).map_err(|e| InputError::at("pareto", e))?;
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

        let arch_dims: Vec<usize> = (0..dims.len())
            .filter(|&d| matches!(dims[d].kind, DimKind::Arch { .. }))
            .collect();
        let wl_dims: Vec<usize> = (0..dims.len())
            .filter(|&d| !matches!(dims[d].kind, DimKind::Arch { .. }))
            .collect();
        let arch_space = Space::new(
            arch_dims
                .iter()
                .map(|&d| dims[d].labels.len() as u64)
                .collect(),
        )
        .map_err(|e| InputError::at("axes", e))?;
        let wl_space = Space::new(
            wl_dims
                .iter()
                .map(|&d| dims[d].labels.len() as u64)
                .collect(),
        )
        .map_err(|e| InputError::at("axes", e))?;
        let n = points.len();
        let cache = |variants: u64, max: u64| -> bool { variants <= max && n >= 2 * variants };
        let arch_cache = cache(arch_space.total(), ARCH_CACHE_MAX)
            .then(|| (0..arch_space.total()).map(|_| OnceLock::new()).collect());
        let wl_cache = (wl_space.total() > 1 && cache(wl_space.total(), WORKLOAD_CACHE_MAX))
            .then(|| (0..wl_space.total()).map(|_| OnceLock::new()).collect());

        // Fingerprint of everything that decides the rows.
        let mut fp_doc = serde_json::json!({
            "arch": base_arch,
            "workload": base_workload,
            "engine": spec.engine,
            "axes": spec.axes,
            "sample": spec.sample,
            "constraints": spec.constraints,
            "accuracy": accuracy.as_ref().map(|a| &a.entries),
        });
        if let Some(m) = &spec.accuracy_model {
            fp_doc["accuracy_model"] = serde_json::json!(m);
        }
        // The launch path joins the fingerprint only when it is not the default, so the
        // rows of sweeps written before it existed still resume.
        if spec.launch != crate::model::gpu::Launch::default() {
            fp_doc["launch"] = serde_json::json!(spec.launch);
        }
        let fingerprint = format!("{:016x}", fnv1a64(compact(&fp_doc).as_bytes()));

        Ok(Sweep {
            spec,
            file: None,
            base_arch,
            base_workload,
            base_wl,
            dims,
            space,
            points,
            arch_dims,
            wl_dims,
            arch_space,
            wl_space,
            arch_cache,
            wl_cache,
            constraints,
            accuracy,
            accuracy_model,
            pareto,
            plots,
            fingerprint,
            notes,
        })
    }

    /// Names of the parameter columns, in axis order.
    pub fn param_columns(&self) -> Vec<String> {
        self.dims.iter().map(|d| d.column.clone()).collect()
    }

    /// Every column of a results row: `id`, the parameters, `status`, the metrics,
    /// `accuracy_source`, `error`.
    pub fn columns(&self) -> Vec<String> {
        let mut c = vec!["id".to_string()];
        c.extend(self.param_columns());
        c.push("status".into());
        c.extend(Metric::ALL.iter().map(|m| m.name().to_string()));
        c.push("accuracy_source".into());
        c.push("error".into());
        c
    }

    /// The parameter values (one per parameter column) the sweep gives point `id`.
    pub fn params_of(&self, id: u64) -> Vec<Value> {
        let digits = self.space.digits(id);
        self.dims
            .iter()
            .zip(&digits)
            .map(|(d, &i)| d.labels[i].clone())
            .collect()
    }

    /// Points in the full product.
    pub fn space_size(&self) -> u64 {
        self.space.total()
    }

    /// The points this sweep evaluates (the product or its sample).
    pub fn points(&self) -> &PointSet {
        &self.points
    }

    /// The Pareto objectives from the spec.
    pub fn pareto(&self) -> &[Objective] {
        &self.pareto
    }

    /// The plots from the spec (default: the first two Pareto objectives).
    pub fn plots(&self) -> &[PlotSpec] {
        &self.plots
    }

    /// A stable hash of everything that decides the results (hex).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Warnings found while validating (e.g. a precision running on a wider format via
    /// `precision_fallback`), once each; points do not repeat them.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Whether a QAT accuracy file is attached.
    pub fn has_accuracy(&self) -> bool {
        self.accuracy.is_some()
    }

    fn build_arch(&self, digits: &[usize]) -> Result<Arc<Arch>, String> {
        let mut v = self.base_arch.clone();
        for &d in &self.arch_dims {
            let dim = &self.dims[d];
            if let DimKind::Arch { paths } = &dim.kind {
                for p in paths {
                    jsonpath::set(&mut v, p, dim.labels[digits[d]].clone())?;
                }
            }
        }
        arch_from_value(&v).map(Arc::new).map_err(|e| {
            format!(
                "invalid arch for this combination: at {}: {}",
                e.json_path, e.message
            )
        })
    }

    fn build_workload(&self, digits: &[usize]) -> Result<Arc<Workload>, String> {
        if self.wl_dims.is_empty() {
            return Ok(self.base_wl.clone());
        }
        let mut w = self.base_workload.clone();
        for &d in &self.wl_dims {
            match &self.dims[d].kind {
                DimKind::Precision { ops, values } => {
                    for &o in ops {
                        w.ops[o].precision = Some(values[digits[d]].clone());
                    }
                }
                DimKind::Batch { values } => set_batch(&mut w, values[digits[d]])?,
                DimKind::Sparsity { slots, values } => {
                    for &s in slots {
                        apply_sparsity(&mut w, s, values[digits[d]].to_spec());
                    }
                }
                DimKind::Arch { .. } => {}
            }
        }
        Workload::from_spec(w).map(Arc::new).map_err(|e| {
            format!(
                "invalid workload for this combination: at {}: {}",
                e.json_path, e.message
            )
        })
    }

    fn arch_for(&self, digits: &[usize]) -> Result<Arc<Arch>, String> {
        match &self.arch_cache {
            Some(c) => c[mixed_index(digits, &self.arch_dims, &self.arch_space)]
                .get_or_init(|| self.build_arch(digits))
                .clone(),
            None => self.build_arch(digits),
        }
    }

    fn workload_for(&self, digits: &[usize]) -> Result<Arc<Workload>, String> {
        match &self.wl_cache {
            Some(c) => c[mixed_index(digits, &self.wl_dims, &self.wl_space)]
                .get_or_init(|| self.build_workload(digits))
                .clone(),
            None => self.build_workload(digits),
        }
    }

    /// Evaluates one point (id = index in the full product) through the library:
    /// [`crate::evaluate`] (plan, schedule, the power cap's clock if the arch has one, the
    /// energy ledger), the same pipeline as [`crate::run`].
    pub fn evaluate(&self, id: u64) -> PointResult {
        let digits = self.space.digits(id);
        let params: Vec<Value> = self
            .dims
            .iter()
            .zip(&digits)
            .map(|(d, &i)| d.labels[i].clone())
            .collect();
        let mut m = [f64::NAN; Metric::ALL.len()];
        let mut source = None;
        let fail = |m, source, e: String| PointResult {
            id,
            params: params.clone(),
            status: Status::Error,
            metrics: m,
            accuracy_source: source,
            error: Some(e),
        };
        let arch = match self.arch_for(&digits) {
            Ok(a) => a,
            Err(e) => return fail(m, None, e),
        };
        let wl = match self.workload_for(&digits) {
            Ok(w) => w,
            Err(e) => return fail(m, None, e),
        };
        m[Metric::SramKib.index()] = metrics::sram_kib(&arch);
        m[Metric::Pes.index()] = metrics::pes(&arch);
        m[Metric::AreaMm2.index()] = metrics::area_mm2(&arch);
        m[Metric::CapacityBits.index()] = metrics::capacity_bits(&wl);
        m[Metric::Bops.index()] = super::footprint::bops(&wl);
        m[Metric::WeightBytes.index()] = super::footprint::weight_bytes(&wl);
        m[Metric::ActivationBytes.index()] = super::footprint::activation_peak_bytes(&wl);
        if let Some(t) = &self.accuracy {
            let (acc, src) = self.accuracy_of(t, &wl);
            m[Metric::Accuracy.index()] = acc;
            source = src;
        }
        let pre_ok = self
            .constraints
            .iter()
            .filter(|c| c.metric.known_before_run())
            .all(|c| c.holds(m[c.metric.index()]));
        if !pre_ok {
            return PointResult {
                id,
                params,
                status: Status::Pruned,
                metrics: m,
                accuracy_source: source,
                error: None,
            };
        }
        // The same operating point as `accelsim run`: a power-capped arch runs at the
        // clock its cap allows.
        let options = crate::Options {
            engine: self.spec.engine,
            run: crate::model::RunOptions::with_launch(self.spec.launch),
            record_trace: false,
        };
        let eval = match quietly(|| crate::evaluate(&wl, &arch, &options)) {
            Ok(s) => s,
            Err(e) => return fail(m, source, format!("at {}: {}", e.json_path, e.message)),
        };
        if let Err(e) = eval.report(&wl).check_figures() {
            return fail(m, source, format!("at {}: {}", e.json_path, e.message));
        }
        metrics::fill_from_run(&mut m, &eval);
        let ok = self
            .constraints
            .iter()
            .all(|c| c.holds(m[c.metric.index()]));
        PointResult {
            id,
            params,
            status: if ok { Status::Ok } else { Status::Infeasible },
            metrics: m,
            accuracy_source: source,
            error: None,
        }
    }

    /// A point's accuracy: the table's row, else the model's estimate, else NaN.
    fn accuracy_of(&self, t: &AccuracyTable, wl: &Workload) -> (f64, Option<AccuracySource>) {
        let measured = t.lookup(wl);
        if !measured.is_nan() {
            return (measured, Some(AccuracySource::Measured));
        }
        match self
            .accuracy_model
            .as_ref()
            .and_then(|m| m.predict(&t.config_of(wl)))
        {
            Some(a) => (a, Some(AccuracySource::Modelled)),
            None => (f64::NAN, None),
        }
    }

    /// Evaluates `ids` in parallel (rayon), calling `on_done` as each finishes (in any
    /// order; each result is independent of the thread count).
    pub fn evaluate_many<F: Fn(PointResult) + Sync>(&self, ids: &[u64], on_done: F) {
        use rayon::prelude::*;
        ids.par_iter()
            .with_min_len(4)
            .for_each(|&id| on_done(self.evaluate(id)));
    }
}

/// Sets the first dimension of every graph input to `batch`.
fn set_batch(w: &mut WorkloadSpec, batch: u64) -> Result<(), String> {
    if batch == 0 {
        return Err("expected a batch size ≥ 1, got 0".into());
    }
    // The swept leading dimension is the batch from now on.
    w.batch = None;
    for t in &mut w.inputs {
        match t.shape.first_mut() {
            Some(d) => *d = batch,
            None => {
                return Err(format!(
                    "input '{}' has no dimensions to use as the batch",
                    t.name
                ))
            }
        }
    }
    Ok(())
}

fn check_values(values: &[Value], at: &str, show: fn(&Value) -> String) -> InputResult<()> {
    if values.is_empty() {
        return Err(InputError::at(
            format!("{at}.values"),
            "expected at least one value, got an empty list",
        ));
    }
    for (j, v) in values.iter().enumerate() {
        if let Some(k) = values[..j].iter().position(|u| u == v) {
            return Err(InputError::at(
                format!("{at}.values[{j}]"),
                format!("value {} is listed twice (also values[{k}])", show(v)),
            ));
        }
    }
    Ok(())
}
