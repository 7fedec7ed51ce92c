//! The training policy file: number formats and rounding per tensor class, accumulator and
//! chunk size per GEMM kind, loss scaling and the optimizer (docs/training.md).

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::dse::select::{select_layers, Selector};
use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::{Format, Rounding};
use crate::workload::Workload;

/// A training policy: how every tensor class of a step is stored and rounded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name shown in reports.
    pub name: String,
    /// Free-text description (sources of the recipe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Formats per tensor class.
    pub tensors: TensorClasses,
    /// Accumulation per GEMM kind.
    pub gemms: GemmKinds,
    /// Loss scaling.
    pub loss_scaling: LossScaling,
    /// The optimizer and its hyper-parameters.
    pub optimizer: Optimizer,
    /// Per-layer overrides on top of `tensors` and `gemms`: layer selector (an exact
    /// compute-layer name, a glob `fc*` or `re:REGEX`) → the classes and accumulation it
    /// changes for that layer's GEMMs (see [`LayerPolicy`], docs/training.md).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub layers: BTreeMap<String, LayerPolicy>,
}

/// The overrides of one layer (or of the layers a selector picks): each class given sets
/// the format its GEMMs read and write for that class; `gemms` the accumulation of its
/// FWD / BWD / GRAD GEMMs (functional runs only: the cost takes the arch's accumulator).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerPolicy {
    /// The layer's input and output activations (FWD operand and result, GRAD operand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations: Option<TensorPolicy>,
    /// The layer's weights as its GEMMs read them (and its bias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<TensorPolicy>,
    /// The errors its BWD and GRAD GEMMs read and its BWD GEMM writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<TensorPolicy>,
    /// Its weight (and bias) gradients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_gradients: Option<TensorPolicy>,
    /// Accumulation of its GEMMs, per kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gemms: Option<LayerGemms>,
}

/// Per-kind accumulation overrides of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayerGemms {
    /// FWD GEMM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwd: Option<Accumulation>,
    /// BWD GEMM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bwd: Option<Accumulation>,
    /// GRAD GEMM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad: Option<Accumulation>,
}

/// The four tensor classes a layer can override.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TensorClass {
    /// Activations.
    Activations,
    /// Weights.
    Weights,
    /// Errors.
    Errors,
    /// Weight gradients.
    WeightGradients,
}

impl TensorClass {
    /// The JSON name (`activations`, `weights`, `errors`, `weight_gradients`).
    pub fn name(self) -> &'static str {
        match self {
            TensorClass::Activations => "activations",
            TensorClass::Weights => "weights",
            TensorClass::Errors => "errors",
            TensorClass::WeightGradients => "weight_gradients",
        }
    }
}

impl LayerPolicy {
    /// The override of `class`, if any.
    pub fn class(&self, class: TensorClass) -> Option<TensorPolicy> {
        match class {
            TensorClass::Activations => self.activations,
            TensorClass::Weights => self.weights,
            TensorClass::Errors => self.errors,
            TensorClass::WeightGradients => self.weight_gradients,
        }
    }

    /// Sets the override of `class`.
    pub fn set_class(&mut self, class: TensorClass, p: TensorPolicy) {
        let slot = match class {
            TensorClass::Activations => &mut self.activations,
            TensorClass::Weights => &mut self.weights,
            TensorClass::Errors => &mut self.errors,
            TensorClass::WeightGradients => &mut self.weight_gradients,
        };
        *slot = Some(p);
    }

    /// What this override sets, as `(field, present)` pairs in field order.
    fn fields(&self) -> [(&'static str, bool); 7] {
        let g = self.gemms.unwrap_or_default();
        [
            ("activations", self.activations.is_some()),
            ("weights", self.weights.is_some()),
            ("errors", self.errors.is_some()),
            ("weight_gradients", self.weight_gradients.is_some()),
            ("gemms.fwd", g.fwd.is_some()),
            ("gemms.bwd", g.bwd.is_some()),
            ("gemms.grad", g.grad.is_some()),
        ]
    }

    /// `base` with every field this override gives replaced.
    fn apply(&self, base: &mut LayerFormats) {
        let set = |b: &mut TensorPolicy, o: Option<TensorPolicy>| {
            if let Some(o) = o {
                *b = o;
            }
        };
        set(&mut base.activations, self.activations);
        set(&mut base.weights, self.weights);
        set(&mut base.errors, self.errors);
        set(&mut base.weight_gradients, self.weight_gradients);
        if let Some(g) = self.gemms {
            let acc = |b: &mut Accumulation, o: Option<Accumulation>| {
                if let Some(o) = o {
                    *b = o;
                }
            };
            acc(&mut base.gemms.fwd, g.fwd);
            acc(&mut base.gemms.bwd, g.bwd);
            acc(&mut base.gemms.grad, g.grad);
        }
    }
}

/// The formats one layer's GEMMs use after the policy's per-layer overrides.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayerFormats {
    /// Activations.
    pub activations: TensorPolicy,
    /// Weights.
    pub weights: TensorPolicy,
    /// Errors.
    pub errors: TensorPolicy,
    /// Weight gradients.
    pub weight_gradients: TensorPolicy,
    /// Accumulation per GEMM kind.
    pub gemms: GemmKinds,
}

impl LayerFormats {
    /// The policy of `class`.
    pub fn class(&self, class: TensorClass) -> TensorPolicy {
        match class {
            TensorClass::Activations => self.activations,
            TensorClass::Weights => self.weights,
            TensorClass::Errors => self.errors,
            TensorClass::WeightGradients => self.weight_gradients,
        }
    }
}

/// The six tensor classes of a training step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TensorClasses {
    /// Forward activations (GEMM first operand in FWD, stored for GRAD).
    pub activations: TensorPolicy,
    /// Weights as the GEMMs read them (FWD and BWD second operand).
    pub weights: TensorPolicy,
    /// Errors: gradients with respect to activations (BWD operands and results).
    pub errors: TensorPolicy,
    /// Weight gradients (GRAD results).
    pub weight_gradients: TensorPolicy,
    /// Master copy of the weights the optimizer updates.
    pub master_weights: TensorPolicy,
    /// Optimizer state (momentum; Adam's first and second moments).
    pub optimizer_state: TensorPolicy,
}

/// How one tensor class is stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TensorPolicy {
    /// Storage format.
    pub format: Format,
    /// Rounding of every cast into the format (default `rne`).
    #[serde(default)]
    pub rounding: Rounding,
    /// Scaling before the cast: `none` (default) or `per_tensor` (amax → the format's
    /// largest finite value, a power of two).
    #[serde(default)]
    pub scaling: Scaling,
}

/// Scaling applied to a tensor before it is cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// No scaling.
    #[default]
    None,
    /// One power-of-two scale per tensor mapping its absolute maximum to at most the
    /// format's largest finite value.
    PerTensor,
}

/// The three GEMM kinds of a step.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GemmKind {
    /// Forward: Y = X·W.
    Fwd,
    /// Backward (error): dX = dY·Wᵀ.
    Bwd,
    /// Weight gradient: dW = Xᵀ·dY.
    Grad,
}

/// Accumulation per GEMM kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GemmKinds {
    /// FWD GEMMs.
    pub fwd: Accumulation,
    /// BWD GEMMs.
    pub bwd: Accumulation,
    /// GRAD GEMMs.
    pub grad: Accumulation,
}

impl GemmKinds {
    /// The accumulation of `kind`.
    pub fn get(&self, kind: GemmKind) -> Accumulation {
        match kind {
            GemmKind::Fwd => self.fwd,
            GemmKind::Bwd => self.bwd,
            GemmKind::Grad => self.grad,
        }
    }
}

/// How a GEMM accumulates its products.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accumulation {
    /// Accumulator format.
    pub accumulator: Format,
    /// Chunk-based accumulation (Wang et al. 2018): products are summed in chunks of this
    /// many terms, chunk sums added into the running sum; omitted or 0 = one long chain.
    #[serde(default)]
    pub chunk: u32,
}

/// Loss scaling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum LossScaling {
    /// No scaling.
    None,
    /// A fixed scale; a step whose gradients overflow is skipped.
    Static {
        /// The scale (> 0).
        scale: f64,
    },
    /// Dynamic scaling (Micikevicius et al. 2018): on overflow skip the step and multiply
    /// the scale by `backoff`; after `interval` good steps multiply it by `growth`.
    Dynamic {
        /// Initial scale (> 0).
        initial: f64,
        /// Growth factor (> 1).
        growth: f64,
        /// Backoff factor in (0, 1).
        backoff: f64,
        /// Good steps between growths (> 0).
        interval: u32,
    },
}

/// The optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Optimizer {
    /// SGD with (optional) momentum: v = μ·v + g; w -= lr·v.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum μ in [0, 1) (0: plain SGD, no state).
        #[serde(default)]
        momentum: f64,
    },
    /// Adam (Kingma & Ba 2015) with bias correction.
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Denominator epsilon.
        eps: f64,
    },
}

impl Optimizer {
    /// Tensors of optimizer state per weight (0 for plain SGD, 1 with momentum, 2 for Adam).
    pub fn state_tensors(&self) -> usize {
        match self {
            Optimizer::Sgd { momentum, .. } if *momentum == 0.0 => 0,
            Optimizer::Sgd { .. } => 1,
            Optimizer::Adam { .. } => 2,
        }
    }

    /// Vector element-operations per weight element of one update (SGD: scale-and-add,
    /// with momentum one more multiply-add; Adam: two moment updates, two bias
    /// corrections, square root, divide, scale-and-subtract).
    pub fn ops_per_element(&self) -> u64 {
        match self {
            Optimizer::Sgd { momentum, .. } if *momentum == 0.0 => 2,
            Optimizer::Sgd { .. } => 4,
            Optimizer::Adam { .. } => 12,
        }
    }
}

/// Names of the bundled policies.
pub const BUNDLED: [&str; 5] = ["fp32", "bf16_mixed", "fp8_hybrid", "hfp8", "mxfp8"];

fn bundled_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "fp32" => include_str!("../../policies/fp32.json"),
        "bf16_mixed" => include_str!("../../policies/bf16_mixed.json"),
        "fp8_hybrid" => include_str!("../../policies/fp8_hybrid.json"),
        "hfp8" => include_str!("../../policies/hfp8.json"),
        "mxfp8" => include_str!("../../policies/mxfp8.json"),
        _ => return None,
    })
}

impl Policy {
    /// A bundled policy by name ([`BUNDLED`]).
    pub fn bundled(name: &str) -> InputResult<Policy> {
        let text = bundled_text(name).ok_or_else(|| {
            InputError::at(
                "",
                format!(
                    "unknown policy '{name}': expected a policy file or one of {}",
                    BUNDLED.join(", ")
                ),
            )
        })?;
        Policy::from_json(text).map_err(|e| e.in_file(Path::new(&format!("<bundled {name}>"))))
    }

    /// A bundled name, or else a policy file path.
    pub fn load_named(name_or_path: &str) -> InputResult<Policy> {
        let is_file = name_or_path.ends_with(".json") || Path::new(name_or_path).exists();
        if bundled_text(name_or_path).is_some() || !is_file {
            Policy::bundled(name_or_path)
        } else {
            Policy::load(Path::new(name_or_path))
        }
    }

    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> InputResult<Policy> {
        let p: Policy = load_json_file(path)?;
        p.validate().map_err(|e| e.in_file(path))?;
        Ok(p)
    }

    /// Parses and validates policy JSON text.
    pub fn from_json(text: &str) -> InputResult<Policy> {
        let p: Policy = parse_json(text)?;
        p.validate()?;
        Ok(p)
    }

    /// The formats of every layer without overrides.
    pub fn global_formats(&self) -> LayerFormats {
        let t = &self.tensors;
        LayerFormats {
            activations: t.activations,
            weights: t.weights,
            errors: t.errors,
            weight_gradients: t.weight_gradients,
            gemms: self.gemms,
        }
    }

    /// Resolves `layers` against `fwd`: the formats of each op (indexed like `fwd.ops`;
    /// ops no selector picks get the policy's). An exact layer name beats a pattern;
    /// two patterns setting the same field of one layer are an error, as is a selector
    /// that picks no compute layer (matmul, conv2d) or names a non-compute op. Errors
    /// are at `layers.<selector>`.
    pub fn resolve_layers(&self, fwd: &Workload) -> InputResult<Vec<LayerFormats>> {
        let global = self.global_formats();
        let mut out = vec![global; fwd.ops.len()];
        // Per op and field: the pattern that set it (exact names apply last, over them).
        let mut set_by: Vec<[Option<&str>; 7]> = vec![[None; 7]; fwd.ops.len()];
        let mut exact = Vec::new();
        for (key, lp) in &self.layers {
            let at = format!("layers.{key}");
            let sel = Selector::parse(key).map_err(|e| InputError::at(&at, e))?;
            let ops = select_layers(&fwd.spec, std::slice::from_ref(key))
                .map_err(|e| InputError::at(&at, e))?;
            for i in ops {
                if matches!(sel, Selector::Exact(_)) {
                    exact.push((i, lp));
                    continue;
                }
                for (f, (field, present)) in lp.fields().into_iter().enumerate() {
                    if !present {
                        continue;
                    }
                    if let Some(prev) = set_by[i][f] {
                        return Err(InputError::at(
                            &at,
                            format!(
                                "'{key}' and '{prev}' both set {field} of layer '{}'; name the layer exactly to choose",
                                fwd.ops[i].name
                            ),
                        ));
                    }
                    set_by[i][f] = Some(key);
                }
                lp.apply(&mut out[i]);
            }
        }
        for (i, lp) in exact {
            lp.apply(&mut out[i]);
        }
        Ok(out)
    }

    /// Sets `class` of the layer named `layer` (an exact-name entry of `layers`, created
    /// or updated), as a sweep's per-layer format axis does.
    pub fn set_layer_class(&mut self, layer: &str, class: TensorClass, p: TensorPolicy) {
        self.layers
            .entry(layer.to_string())
            .or_default()
            .set_class(class, p);
    }

    /// Checks every hyper-parameter is in range; errors name the JSON path.
    pub fn validate(&self) -> InputResult<()> {
        let bad = |path: &str, msg: String| Err(InputError::at(path, msg));
        for (key, lp) in &self.layers {
            Selector::parse(key).map_err(|e| InputError::at(format!("layers.{key}"), e))?;
            if lp.fields().iter().all(|(_, present)| !present) {
                return bad(
                    &format!("layers.{key}"),
                    "expected at least one of activations, weights, errors, weight_gradients, gemms"
                        .into(),
                );
            }
        }
        match self.loss_scaling {
            LossScaling::None => {}
            LossScaling::Static { scale } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return bad(
                        "loss_scaling.scale",
                        format!("expected a finite scale > 0, got {scale}"),
                    );
                }
            }
            LossScaling::Dynamic {
                initial,
                growth,
                backoff,
                interval,
            } => {
                if !(initial.is_finite() && initial > 0.0) {
                    return bad(
                        "loss_scaling.initial",
                        format!("expected a finite scale > 0, got {initial}"),
                    );
                }
                if !(growth.is_finite() && growth > 1.0) {
                    return bad(
                        "loss_scaling.growth",
                        format!("expected a factor > 1, got {growth}"),
                    );
                }
                if !(backoff > 0.0 && backoff < 1.0) {
                    return bad(
                        "loss_scaling.backoff",
                        format!("expected a factor in (0, 1), got {backoff}"),
                    );
                }
                if interval == 0 {
                    return bad(
                        "loss_scaling.interval",
                        "expected a step count > 0, got 0".into(),
                    );
                }
            }
        }
        match self.optimizer {
            Optimizer::Sgd { lr, momentum } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad(
                        "optimizer.lr",
                        format!("expected a learning rate > 0, got {lr}"),
                    );
                }
                if !(0.0..1.0).contains(&momentum) {
                    return bad(
                        "optimizer.momentum",
                        format!("expected a momentum in [0, 1), got {momentum}"),
                    );
                }
            }
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad(
                        "optimizer.lr",
                        format!("expected a learning rate > 0, got {lr}"),
                    );
                }
                for (f, v) in [("beta1", beta1), ("beta2", beta2)] {
                    if !(0.0..1.0).contains(&v) {
                        return bad(
                            &format!("optimizer.{f}"),
                            format!("expected a decay in [0, 1), got {v}"),
                        );
                    }
                }
                if !(eps.is_finite() && eps > 0.0) {
                    return bad(
                        "optimizer.eps",
                        format!("expected an epsilon > 0, got {eps}"),
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_policy_loads() {
        for name in BUNDLED {
            let p = Policy::bundled(name).unwrap();
            assert_eq!(p.name, name);
        }
    }

    #[test]
    fn unknown_fields_and_bad_values_are_errors() {
        let mut v: serde_json::Value = serde_json::from_str(bundled_text("fp32").unwrap()).unwrap();
        v["tensors"]["errors"]["colour"] = "red".into();
        let e = Policy::from_json(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("tensors.errors") && e.contains("colour"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(bundled_text("fp32").unwrap()).unwrap();
        v["optimizer"]["lr"] = (-1.0).into();
        let e = Policy::from_json(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("optimizer.lr"), "{e}");
        let e = Policy::load_named("nope").unwrap_err().to_string();
        assert!(e.contains("fp8_hybrid"), "{e}");
    }

    fn with_layers(layers: serde_json::Value) -> InputResult<Policy> {
        let mut v: serde_json::Value =
            serde_json::from_str(bundled_text("bf16_mixed").unwrap()).unwrap();
        v["layers"] = layers;
        Policy::from_json(&v.to_string())
    }

    #[test]
    fn per_layer_overrides_resolve_exact_over_pattern() {
        let w = Workload::from_json(crate::train::derive::tests::MLP).unwrap();
        let p = with_layers(serde_json::json!({
            "fc*": {"errors": {"format": "fp8_e5m2"}},
            "fc2": {"errors": {"format": "fp16"}, "gemms": {"bwd": {"accumulator": "fp16", "chunk": 8}}}
        }))
        .unwrap();
        let l = p.resolve_layers(&w).unwrap();
        let by = |n: &str| l[w.ops.iter().position(|o| o.name == n).unwrap()];
        assert_eq!(by("fc1").errors.format, Format::FP8_E5M2);
        assert_eq!(by("fc3").errors.format, Format::FP8_E5M2);
        assert_eq!(by("fc2").errors.format, Format::FP16);
        assert_eq!(by("fc2").gemms.bwd.chunk, 8);
        // Untouched classes and layers keep the policy's.
        assert_eq!(by("fc2").activations, p.tensors.activations);
        assert_eq!(by("r1"), p.global_formats());
    }

    #[test]
    fn bad_per_layer_overrides_name_the_entry() {
        let w = Workload::from_json(crate::train::derive::tests::MLP).unwrap();
        let e = with_layers(serde_json::json!({"fc9": {"errors": {"format": "fp8_e5m2"}}}))
            .unwrap()
            .resolve_layers(&w)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layers.fc9") && e.contains("selects no compute layer") && e.contains("fc1"),
            "{e}"
        );
        let e = with_layers(serde_json::json!({"r1": {"errors": {"format": "fp8_e5m2"}}}))
            .unwrap()
            .resolve_layers(&w)
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers.r1") && e.contains("relu op"), "{e}");
        let e = with_layers(serde_json::json!({"fc*": {"errors": {"format": "fp16"}}, "re:fc[12]": {"errors": {"format": "bf16"}}}))
            .unwrap()
            .resolve_layers(&w)
            .unwrap_err()
            .to_string();
        assert!(e.contains("both set errors of layer 'fc1'"), "{e}");
        let e = with_layers(serde_json::json!({"fc1": {"erors": {"format": "fp16"}}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers.fc1") && e.contains("erors"), "{e}");
        let e = with_layers(serde_json::json!({"fc1": {"errors": {"format": "fp9"}}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers.fc1.errors.format"), "{e}");
        let e = with_layers(serde_json::json!({"fc1": {}}))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layers.fc1") && e.contains("at least one"),
            "{e}"
        );
        let e = with_layers(serde_json::json!({"re:(": {"errors": {"format": "fp16"}}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid regex"), "{e}");
    }
}
