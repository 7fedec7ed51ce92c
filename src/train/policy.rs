//! The training policy file: number formats and rounding per tensor class, accumulator and
//! chunk size per GEMM kind, loss scaling and the optimizer (docs/training.md).

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{load_json_file, parse_json, InputError, InputResult};
use crate::numerics::{Format, Rounding};

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

    /// Checks every hyper-parameter is in range; errors name the JSON path.
    pub fn validate(&self) -> InputResult<()> {
        let bad = |path: &str, msg: String| Err(InputError::at(path, msg));
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
}
