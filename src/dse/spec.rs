//! The sweep file's serde types: a base arch and workload, the axes to vary, sampling,
//! constraints, Pareto objectives and plots. Paths to other files are relative to the
//! sweep file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::arch::sparsity::Operand;
use crate::model::gpu::Launch;
use crate::sim::Engine;
use crate::workload::PrecisionSpec;

/// A design-space sweep: which (arch, workload) variants to evaluate and what to report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Name shown in outputs.
    pub name: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Base architecture file (relative to the sweep file).
    pub arch: String,
    /// Base workload file (relative to the sweep file).
    pub workload: String,
    /// Scheduler used for every point (default `event`, as `accelsim run`).
    #[serde(default)]
    #[schemars(with = "String")]
    pub engine: Engine,
    /// GPU archs: how kernels are launched at every point — `graph` (default, as
    /// `accelsim run`), `cpp` or `eager` ([`Launch`]).
    #[serde(default, skip_serializing_if = "is_default_launch")]
    pub launch: Launch,
    /// Operator fusion at every point: `true` (default, as `accelsim run`) fuses
    /// elementwise ops into their producer's epilogue where the arch declares one;
    /// `false` costs every op as written (`--no-fusion`). See `docs/fusion.md`.
    #[serde(default = "fusion_on", skip_serializing_if = "is_fusion_on")]
    pub fusion: bool,
    /// Fixed edits applied to the base arch before any axis: JSON path → value
    /// (e.g. `{"precision_fallback": true}`).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub set: serde_json::Map<String, serde_json::Value>,
    /// The axes; the design space is their full product (first axis outermost).
    pub axes: Vec<AxisSpec>,
    /// Evaluate a random sample of the product instead of all of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleSpec>,
    /// Constraints that prune the space.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<ConstraintSpec>,
    /// QAT results file (CSV or JSON) mapping a precision configuration to accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<String>,
    /// Fills the accuracy of configurations the QAT file does not list
    /// ([`super::sensitivity`]; `"additive"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_model: Option<super::sensitivity::AccuracyModelKind>,
    /// The 2 or 3 objectives of the Pareto front (default `latency_s`, `energy_pj`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pareto: Vec<ObjectiveSpec>,
    /// Scatter plots written with `--plot` (default: the first two Pareto objectives).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plots: Vec<PlotSpec>,
}

fn is_default_launch(l: &Launch) -> bool {
    *l == Launch::default()
}

fn fusion_on() -> bool {
    true
}

fn is_fusion_on(f: &bool) -> bool {
    *f
}

impl SweepSpec {
    /// The run options of every point: the launch path and the fusion switch.
    pub fn run_options(&self) -> crate::model::RunOptions {
        use crate::model::options::Fusion;
        crate::model::RunOptions::with_launch(self.launch).with_fusion(if self.fusion {
            Fusion::On
        } else {
            Fusion::Off
        })
    }
}

/// One axis of the design space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AxisSpec {
    /// Any arch field by JSON path (`array.rows`, `memory.dram.bandwidth_gbps`,
    /// `precisions`); with `paths`, every path gets the same value (e.g. a square array).
    Arch {
        /// Column name (default: the path, or the paths joined with `+`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// One JSON path into the arch file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Several JSON paths set to the same value.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        paths: Vec<String>,
        /// The values (any JSON the field accepts).
        values: Vec<serde_json::Value>,
    },
    /// Precision of compute layers (matmul / conv2d) selected by name, glob (`fc*`,
    /// `layer?.0.*`) or regex (`re:^layer[12]\.`).
    Precision {
        /// Column name for `group` mode (default: the selectors joined with `,`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Layer selectors.
        layers: Vec<String>,
        /// `each` (default): every selected layer varies on its own (one column per layer);
        /// `group`: all selected layers share one value.
        #[serde(default)]
        mode: PrecisionMode,
        /// Precisions: a format name or a block `{weights, activations, output}`.
        values: Vec<PrecisionSpec>,
    },
    /// Batch size: the first dimension of every graph input.
    Batch {
        /// Batch sizes.
        values: Vec<u64>,
    },
    /// Sparsity of one operand of compute layers (matmul / conv2d), selected like a
    /// precision axis; each value is declared on the operand's tensor.
    Sparsity {
        /// Column name for `group` mode (default: the selectors joined with `,`, then
        /// `.sparsity.<operand>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Layer selectors (as for precision axes).
        layers: Vec<String>,
        /// `each` (default): one dimension per selected layer; `group`: one shared value.
        #[serde(default)]
        mode: PrecisionMode,
        /// Which operand's tensor is varied: `weights` (default: the weight, or the second
        /// input of an activation × activation matmul) or `activations` (the first input).
        #[serde(default = "default_operand")]
        operand: Operand,
        /// `"dense"`, an N:M pattern along the reduction axis (`"2:4"`), or a declared
        /// unstructured density `{"density": 0.5}` (a bare number is the same).
        values: Vec<SparsityValue>,
    },
    /// Training policy (issue #18): each point costs one training step of the workload
    /// under the policy ([`crate::train::derive`] then [`crate::evaluate`], as
    /// `accelsim train`) instead of an inference pass. At most one such axis.
    Policy {
        /// Column name (default `policy`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The loss on the workload's output: `softmax_cross_entropy` (default) or `mse`.
        #[serde(default)]
        loss: crate::train::Loss,
        /// The forward output the loss applies to (default: the workload's only output).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        /// Policies: bundled names (`fp32`, `bf16_mixed`, `fp8_hybrid`, `hfp8`, `mxfp8`) or
        /// policy files (`*.json`, relative to the sweep file).
        values: Vec<String>,
    },
    /// Per-layer training format (issue #18): the format of one tensor class of selected
    /// compute layers, on top of the point's training policy (as the policy file's
    /// `layers` entry `{"<layer>": {"<tensor>": value}}`). Needs a `policy` axis.
    TrainFormat {
        /// Column name for `group` mode (default: the selectors joined with `,`, then
        /// `.<tensor>`); `each` mode names columns `<layer>.<tensor>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Layer selectors (as for precision axes).
        layers: Vec<String>,
        /// `each` (default): one dimension per selected layer; `group`: one shared value.
        #[serde(default)]
        mode: PrecisionMode,
        /// The class: `activations`, `weights`, `errors` or `weight_gradients`.
        tensor: crate::train::policy::TensorClass,
        /// Values: a format name (`"fp8_e5m2"`, the same as `{"format": "fp8_e5m2"}`) or a
        /// class policy `{format, rounding, scaling}` as in a policy file.
        values: Vec<serde_json::Value>,
    },
}

fn default_operand() -> Operand {
    Operand::Weights
}

/// One value of a sparsity axis as written: text (`"dense"` or `"N:M"`, checked when the
/// sweep is validated so errors name the value's path) or a declared density.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SparsityValue {
    /// `"dense"` or an N:M pattern such as `"2:4"`.
    Text(String),
    /// A declared unstructured density.
    Density(DensityValue),
}

/// `{"density": D}`: a fraction of non-zeros in (0, 1], zeros spread at random.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DensityValue {
    /// Fraction of non-zero values, in (0, 1].
    pub density: f64,
}

impl<'de> Deserialize<'de> for SparsityValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SparsityValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"dense\", an N:M pattern such as \"2:4\", or {\"density\": D}")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SparsityValue, E> {
                Ok(SparsityValue::Text(s.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SparsityValue, E> {
                Ok(SparsityValue::Density(DensityValue { density: v }))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SparsityValue, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SparsityValue, E> {
                self.visit_f64(v as f64)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SparsityValue, A::Error> {
                DensityValue::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(SparsityValue::Density)
            }
        }
        d.deserialize_any(V)
    }
}

/// How a precision or sparsity axis varies its layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrecisionMode {
    /// One dimension per selected layer.
    #[default]
    Each,
    /// One dimension for all selected layers together.
    Group,
}

/// A deterministic random sample of the product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleSpec {
    /// How many distinct points (all of them if the product is smaller).
    pub count: u64,
    /// Seed of the sampler (default 0).
    #[serde(default)]
    pub seed: u64,
}

/// A bound on one metric; points outside are kept in the results with status `pruned`
/// (arch-only metrics, checked before evaluating) or `infeasible`, and left off the front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstraintSpec {
    /// Metric name (see `accelsim::dse::Metric`).
    pub metric: String,
    /// Inclusive lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A Pareto objective: a metric name (with its natural direction) or `{metric, goal}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ObjectiveSpec {
    /// Metric name, natural direction.
    Name(String),
    /// Metric with an explicit direction.
    Explicit {
        /// Metric name.
        metric: String,
        /// `min` or `max`.
        goal: super::Goal,
    },
}

/// One scatter plot: `y` against `x`, the 2-D Pareto front of (x, y) highlighted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Metric on the horizontal axis.
    pub x: String,
    /// Metric on the vertical axis.
    pub y: String,
    /// Logarithmic horizontal axis.
    #[serde(default)]
    pub log_x: bool,
    /// Logarithmic vertical axis.
    #[serde(default)]
    pub log_y: bool,
}
