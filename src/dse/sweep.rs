//! A validated sweep: the base arch and workload, the dimensions of the design space and
//! everything needed to evaluate one point. All checks run in [`Sweep::from_spec`], before
//! any point is evaluated.

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

mod axes;
mod axis_arch;
mod axis_batch;
mod axis_policy;
mod axis_precision;
mod axis_sparsity;
mod axis_train_format;
mod base;
mod fingerprint;
mod precheck;
mod settings;

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
    /// Training policies: a point with one costs a training step.
    Policy {
        policies: Vec<Arc<crate::train::Policy>>,
        derive: crate::train::DeriveOptions,
    },
    /// A per-layer training format: set on the point's policy for these layers.
    TrainFormat {
        layers: Vec<String>,
        class: crate::train::policy::TensorClass,
        values: Vec<crate::train::policy::TensorPolicy>,
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
        let (base_arch, base_arch_built) = base::base_arch(&spec, base_dir)?;

        // Base workload.
        let wl_path = resolve(base_dir, &spec.workload);
        let base_workload: WorkloadSpec = load_json_file(&wl_path)?;
        let base_wl =
            Arc::new(Workload::from_spec(base_workload.clone()).map_err(|e| e.in_file(&wl_path))?);

        // Axes → dimensions.
        let axes = axes::Axes::build(&spec.axes, &base_arch, base_dir, &base_workload, &base_wl)?;
        let mut notes = precheck::check_precisions(
            &base_wl,
            &base_arch_built,
            &axes.precision_archs,
            &axes.wl_checks,
        )?;
        if spec.accuracy.is_some() && !axes.varied_slots.is_empty() {
            notes.insert(
                "accuracy is looked up by the layers' precisions only: points that differ only in sparsity get the same accuracy".into(),
            );
        }
        let notes: Vec<String> = notes.into_iter().collect();
        let dims = axes.dims;

        settings::check_columns(&dims)?;
        let space = Space::new(dims.iter().map(|d| d.labels.len() as u64).collect())
            .map_err(|e| InputError::at("axes", e))?;
        let points = settings::points(spec.sample.as_ref(), &space)?;
        let (accuracy, accuracy_model) = settings::accuracy(&spec, base_dir, &base_wl)?;
        let constraints = settings::constraints(&spec, accuracy.is_some())?;
        let pareto = settings::pareto(&spec, accuracy.is_some())?;
        let plots = settings::plots(&spec, &pareto)?;

        let arch_dims: Vec<usize> = (0..dims.len())
            .filter(|&d| matches!(dims[d].kind, DimKind::Arch { .. }))
            .collect();
        let wl_dims: Vec<usize> = (0..dims.len())
            .filter(|&d| {
                !matches!(
                    dims[d].kind,
                    DimKind::Arch { .. } | DimKind::Policy { .. } | DimKind::TrainFormat { .. }
                )
            })
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

        let fingerprint =
            fingerprint::fingerprint(&spec, &base_arch, &base_workload, accuracy.as_ref(), &dims);

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
                DimKind::Arch { .. } | DimKind::Policy { .. } | DimKind::TrainFormat { .. } => {}
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
            run: self.spec.run_options(),
            record_trace: false,
        };
        // A policy axis: the point is a training step of `wl` under its policy.
        let wl = match self.step_for(&digits, wl) {
            Ok(w) => w,
            Err(e) => return fail(m, source, e),
        };
        let eval = match quietly(|| crate::evaluate(&wl, &arch, &options)) {
            Ok(s) => s,
            Err(e) => return fail(m, source, format!("at {}: {}", e.json_path, e.message)),
        };
        if let Err(e) = eval.check_figures(&wl) {
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

    /// The workload a point runs: `wl` itself, or with a policy axis the training step
    /// derived from it under the point's policy (as `accelsim train`), with the point's
    /// per-layer training formats set on the policy.
    fn step_for(&self, digits: &[usize], wl: Arc<Workload>) -> Result<Arc<Workload>, String> {
        for (dim, &i) in self.dims.iter().zip(digits) {
            if let DimKind::Policy { policies, derive } = &dim.kind {
                let policy = self.point_policy(digits, &policies[i]);
                let graph = crate::train::derive(&wl, &policy, derive).map_err(|e| {
                    format!(
                        "the training step does not derive: at {}: {}",
                        e.json_path, e.message
                    )
                })?;
                return Ok(Arc::new(graph.workload));
            }
        }
        Ok(wl)
    }

    /// The point's policy: `base` with every train_format axis's value set on its layers.
    fn point_policy<'p>(
        &self,
        digits: &[usize],
        base: &'p crate::train::Policy,
    ) -> std::borrow::Cow<'p, crate::train::Policy> {
        let mut policy = std::borrow::Cow::Borrowed(base);
        for (dim, &i) in self.dims.iter().zip(digits) {
            if let DimKind::TrainFormat {
                layers,
                class,
                values,
            } = &dim.kind
            {
                for l in layers {
                    policy.to_mut().set_layer_class(l, *class, values[i]);
                }
            }
        }
        policy
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
