//! Backward-graph derivation: from an inference [`Workload`] and a [`Policy`], the training
//! step as an ordinary workload — the forward ops in the policy's formats, a loss, the
//! backward ops (BWD: errors, GRAD: weight gradients) and the optimizer update — with a
//! side table saying which phase and forward layer each derived op belongs to.
//!
//! Per-family rules live in `gemm.rs` (matmul, conv2d) and `vector.rs` (elementwise,
//! pooling, normalization, softmax, shape ops); docs/training.md derives each.

mod gemm;
mod vector;

use std::collections::HashMap;

use serde::Serialize;

use super::policy::{GemmKind, LayerFormats, Policy};
use crate::error::{InputError, InputResult};
use crate::numerics::Format;
use crate::workload::{
    OpId, OpKind, OpSpec, PrecisionBlock, PrecisionSpec, TensorId, TensorRole, TensorSpec,
    Workload, WorkloadSpec,
};

/// The phase of a training step an op belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Forward pass and the loss value.
    Fwd,
    /// Error propagation (loss gradient, dX GEMMs, backward of vector ops).
    Bwd,
    /// Weight gradients (dW GEMMs, bias reductions, im2col).
    Grad,
    /// Optimizer update.
    Update,
}

impl Phase {
    /// Every phase in step order.
    pub const ALL: [Phase; 4] = [Phase::Fwd, Phase::Bwd, Phase::Grad, Phase::Update];

    /// Short name (`fwd`, `bwd`, `grad`, `update`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Fwd => "fwd",
            Phase::Bwd => "bwd",
            Phase::Grad => "grad",
            Phase::Update => "update",
        }
    }
}

/// The loss appended to the forward graph's output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax over the last axis, then cross-entropy against a target distribution.
    #[default]
    SoftmaxCrossEntropy,
    /// Mean squared error against a target of the output's shape.
    Mse,
}

/// What one derived op is in the training step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedOp {
    /// Phase.
    pub phase: Phase,
    /// The forward op (layer) it derives from; `loss` for the loss ops.
    pub layer: String,
    /// The GEMM kind (compute ops only).
    pub gemm: Option<GemmKind>,
    /// What it computes (`fwd`, `dx`, `dw`, `relu_backward`, `im2col`, `sgd_update`, …).
    pub what: String,
}

/// A derived training step.
#[derive(Debug, Clone)]
pub struct TrainGraph {
    /// The step as an ordinary workload (forward, loss, backward, update).
    pub workload: Workload,
    /// Per op of `workload` (same order): phase, layer, GEMM kind.
    pub ops: Vec<DerivedOp>,
    /// Trainable weights: (weight tensor, its gradient tensor), in workload order.
    pub gradients: Vec<(String, String)>,
    /// The loss target tensor (a graph input of the derived workload).
    pub target: String,
    /// The scalar loss tensor.
    pub loss: String,
}

/// Options of the derivation.
#[derive(Debug, Clone, Default)]
pub struct DeriveOptions {
    /// The loss.
    pub loss: Loss,
    /// The forward output the loss applies to (default: the workload's only output).
    pub output: Option<String>,
}

/// Derives the training step of `fwd` under `policy` (see the module documentation).
pub fn derive(fwd: &Workload, policy: &Policy, options: &DeriveOptions) -> InputResult<TrainGraph> {
    let mut b = Builder::new(fwd, policy)?;
    b.forward();
    let (target, loss) = b.loss(options)?;
    for &id in fwd.topo_order.iter().rev() {
        b.backward(id)?;
    }
    let gradients = b.update();
    let Builder { spec, ops, .. } = b;
    let mut workload = Workload::from_spec(spec).map_err(|e| {
        InputError::at(
            e.json_path.clone(),
            format!("derived training graph: {}", e.message),
        )
    })?;
    workload.base_dir = fwd.base_dir.clone();
    Ok(TrainGraph {
        workload,
        ops,
        gradients,
        target,
        loss,
    })
}

/// Builds the derived workload spec op by op.
pub(crate) struct Builder<'a> {
    pub fwd: &'a Workload,
    pub policy: &'a Policy,
    pub spec: WorkloadSpec,
    pub ops: Vec<DerivedOp>,
    /// Gradient contributions per forward tensor (summed when it has several consumers).
    grads: HashMap<TensorId, Vec<String>>,
    /// Whether a forward tensor depends on a trainable weight.
    pub needs: Vec<bool>,
    /// Weight gradients produced: (weight, gradient).
    pub weight_grads: Vec<(String, String)>,
    /// Per forward op: its formats after the policy's per-layer overrides.
    layers: Vec<LayerFormats>,
    /// Per forward tensor: the working format of a weight (its first layer's).
    weight_formats: HashMap<TensorId, Format>,
}

impl<'a> Builder<'a> {
    fn new(fwd: &'a Workload, policy: &'a Policy) -> InputResult<Builder<'a>> {
        let mut needs = vec![false; fwd.tensors.len()];
        for &id in &fwd.topo_order {
            let op = &fwd.ops[id];
            let trainable = op.weight.is_some()
                || op.bias.is_some()
                || op
                    .inputs
                    .iter()
                    .any(|&t| fwd.tensors[t].role == TensorRole::Weight);
            needs[op.output] = trainable || op.inputs.iter().any(|&t| needs[t]);
        }
        let spec = WorkloadSpec {
            name: format!("{} (training step, {})", fwd.name, policy.name),
            description: Some(format!(
                "training step of '{}' derived under policy '{}'",
                fwd.name, policy.name
            )),
            inputs: Vec::new(),
            weights: Vec::new(),
            ops: Vec::new(),
            outputs: Vec::new(),
            numerics: None,
            // A step processes the forward pass's batch: per-sample figures divide by it.
            batch: Some(fwd.batch()),
        };
        let layers = policy.resolve_layers(fwd)?;
        let mut weight_formats = HashMap::new();
        for &id in &fwd.topo_order {
            let op = &fwd.ops[id];
            let used = op.weight.iter().chain(op.bias.iter()).chain(&op.inputs);
            for &t in used {
                if fwd.tensors[t].role == TensorRole::Weight {
                    weight_formats.entry(t).or_insert(layers[id].weights.format);
                }
            }
        }
        Ok(Builder {
            fwd,
            policy,
            spec,
            ops: Vec::new(),
            grads: HashMap::new(),
            needs,
            weight_grads: Vec::new(),
            layers,
            weight_formats,
        })
    }

    /// The formats of forward op `id`'s GEMMs: (activations, errors, weights, weight
    /// gradients), after the policy's per-layer overrides.
    pub fn layer_formats(&self, id: OpId) -> (Format, Format, Format, Format) {
        let l = &self.layers[id];
        (
            l.activations.format,
            l.errors.format,
            l.weights.format,
            l.weight_gradients.format,
        )
    }

    /// The working format of weight tensor `t` (the weights format of the first layer
    /// that reads it).
    fn weight_format(&self, t: TensorId) -> Format {
        self.weight_formats.get(&t).copied().unwrap_or(self.wfmt())
    }

    /// Activation format of the policy.
    pub fn act(&self) -> Format {
        self.policy.tensors.activations.format
    }
    /// Error format.
    pub fn err(&self) -> Format {
        self.policy.tensors.errors.format
    }
    /// Weight format.
    pub fn wfmt(&self) -> Format {
        self.policy.tensors.weights.format
    }

    /// Name of a forward tensor.
    pub fn name(&self, t: TensorId) -> String {
        self.fwd.tensors[t].name.clone()
    }
    /// Shape of a forward tensor.
    pub fn shape(&self, t: TensorId) -> Vec<u64> {
        self.fwd.tensors[t].shape.clone()
    }
    /// Whether a forward tensor is a weight.
    pub fn is_weight(&self, t: TensorId) -> bool {
        self.fwd.tensors[t].role == TensorRole::Weight
    }

    /// Appends an op.
    pub fn push(
        &mut self,
        op: OpSpec,
        phase: Phase,
        layer: &str,
        gemm: Option<GemmKind>,
        what: &str,
    ) {
        self.spec.ops.push(op);
        self.ops.push(DerivedOp {
            phase,
            layer: layer.to_string(),
            gemm,
            what: what.to_string(),
        });
    }

    /// Appends a generic vector op (cost: one element-op per output element).
    #[allow(clippy::too_many_arguments)]
    pub fn vector(
        &mut self,
        name: String,
        inputs: Vec<String>,
        shape: &[u64],
        fmt: Format,
        phase: Phase,
        layer: &str,
        what: &str,
    ) -> String {
        let out = name.clone();
        let mut op = OpSpec::new(name, OpKind::Vector, inputs, out.clone());
        op.shape = Some(shape.iter().map(|&d| d as i64).collect());
        op.precision = Some(PrecisionSpec::Uniform(fmt));
        self.push(op, phase, layer, None, what);
        out
    }

    /// A GEMM precision block: first operand, second operand, output.
    pub fn gemm_precision(a: Format, b: Format, out: Format) -> PrecisionSpec {
        PrecisionSpec::Block(PrecisionBlock {
            weights: Some(b),
            activations: Some(a),
            accumulator: None,
            output: Some(out),
            mac: None,
        })
    }

    /// Records a gradient contribution for forward tensor `t` (ignored when `t` needs none).
    pub fn contribute(&mut self, t: TensorId, grad: String) {
        if self.needs[t] && !self.is_weight(t) {
            self.grads.entry(t).or_default().push(grad);
        }
    }

    /// Whether forward tensor `t` needs its gradient.
    pub fn wants(&self, t: TensorId) -> bool {
        self.needs[t] && !self.is_weight(t)
    }

    /// The forward ops in the policy's formats, every weight declared explicitly.
    fn forward(&mut self) {
        let fwd = self.fwd;
        for &t in &fwd.inputs {
            let src = &fwd.tensors[t];
            let mut ts = TensorSpec::new(src.name.clone(), src.shape.clone(), self.act());
            ts.file = src.file.clone();
            self.spec.inputs.push(ts);
        }
        for (id, t) in fwd.tensors.iter().enumerate() {
            if t.role != TensorRole::Weight {
                continue;
            }
            let mut ts = TensorSpec::new(t.name.clone(), t.shape.clone(), self.weight_format(id));
            ts.file = t.file.clone();
            self.spec.weights.push(ts);
        }
        for &id in &fwd.topo_order {
            let op = &fwd.ops[id];
            let mut s = fwd.spec.ops[id].clone();
            if s.weight.is_none() && op.weight.is_some() && s.inputs.len() < 2 {
                s.weight = op.weight.map(|w| self.name(w));
            }
            s.quant = None;
            s.numerics = None;
            s.precision = Some(if op.kind.is_compute() {
                let (act, _, wf, _) = self.layer_formats(id);
                Self::gemm_precision(act, wf, act)
            } else {
                PrecisionSpec::Uniform(self.act())
            });
            let what = if op.kind.is_compute() {
                "fwd"
            } else {
                op.kind.name()
            };
            let gemm = op.kind.is_compute().then_some(GemmKind::Fwd);
            self.push(s, Phase::Fwd, &op.name.clone(), gemm, what);
        }
    }

    /// Appends the loss on the chosen output; returns (target, loss) tensor names.
    fn loss(&mut self, options: &DeriveOptions) -> InputResult<(String, String)> {
        let fwd = self.fwd;
        let out = match &options.output {
            Some(n) => fwd.tensor_by_name(n).ok_or_else(|| {
                InputError::at(
                    "",
                    format!("--loss-output: no tensor '{n}' in workload '{}'", fwd.name),
                )
            })?,
            None => match fwd.outputs.as_slice() {
                [o] => *o,
                many => {
                    let names: Vec<String> = many.iter().map(|&t| self.name(t)).collect();
                    return Err(InputError::at(
                        "outputs",
                        format!(
                            "the workload has {} outputs ({}); name the one the loss applies to",
                            names.len(),
                            names.join(", ")
                        ),
                    ));
                }
            },
        };
        if !self.needs[out] {
            return Err(InputError::at(
                "",
                format!("output '{}' depends on no trainable weight", self.name(out)),
            ));
        }
        let shape = self.shape(out);
        let y = self.name(out);
        let target = "loss.target".to_string();
        self.spec
            .inputs
            .push(TensorSpec::new(target.clone(), shape.clone(), self.act()));
        let (pred, what) = match options.loss {
            Loss::SoftmaxCrossEntropy => {
                let mut sm = OpSpec::new(
                    "loss.softmax",
                    OpKind::Softmax,
                    vec![y.clone()],
                    "loss.probs",
                );
                sm.axis = Some(-1);
                sm.precision = Some(PrecisionSpec::Uniform(Format::FP32));
                self.push(sm, Phase::Fwd, "loss", None, "softmax");
                ("loss.probs".to_string(), "softmax_cross_entropy")
            }
            Loss::Mse => (y, "mse"),
        };
        let loss = self.vector(
            "loss.value".into(),
            vec![pred.clone(), target.clone()],
            &[1],
            Format::FP32,
            Phase::Fwd,
            "loss",
            what,
        );
        let mut g = OpSpec::new(
            "loss.grad",
            OpKind::Sub,
            vec![pred, target.clone()],
            "loss.grad",
        );
        g.precision = Some(PrecisionSpec::Uniform(self.err()));
        self.push(g, Phase::Bwd, "loss", None, &format!("{what}_backward"));
        self.contribute(out, "loss.grad".into());
        self.spec.outputs.push(loss.clone());
        Ok((target, loss))
    }

    /// The summed gradient of forward tensor `t` (None: nothing flows into it).
    fn grad_of(&mut self, t: TensorId, layer: &str) -> Option<String> {
        let parts = self.grads.remove(&t)?;
        let mut acc = parts[0].clone();
        for (i, p) in parts.iter().enumerate().skip(1) {
            let name = format!("{}.grad.sum{i}", self.name(t));
            let mut op = OpSpec::new(
                name.clone(),
                OpKind::Add,
                vec![acc, p.clone()],
                name.clone(),
            );
            op.precision = Some(PrecisionSpec::Uniform(self.err()));
            self.push(op, Phase::Bwd, layer, None, "grad_sum");
            acc = name;
        }
        Some(acc)
    }

    /// The backward ops of forward op `id`.
    fn backward(&mut self, id: OpId) -> InputResult<()> {
        let op = &self.fwd.ops[id];
        if !self.needs[op.output] {
            return Ok(());
        }
        let Some(dy) = self.grad_of(op.output, &op.name.clone()) else {
            return Ok(());
        };
        match op.kind {
            OpKind::Matmul => gemm::matmul(self, id, &dy),
            OpKind::Conv2d => gemm::conv2d(self, id, &dy),
            _ => vector::backward(self, id, &dy),
        }
    }

    /// Records the gradient of a weight.
    pub fn weight_grad(&mut self, w: TensorId, grad: String) {
        self.weight_grads.push((self.name(w), grad));
    }

    /// The optimizer update of every weight with a gradient; returns (weight, gradient).
    fn update(&mut self) -> Vec<(String, String)> {
        let grads = std::mem::take(&mut self.weight_grads);
        let master = self.policy.tensors.master_weights.format;
        let state = self.policy.tensors.optimizer_state.format;
        let what = match self.policy.optimizer {
            super::policy::Optimizer::Sgd { .. } => "sgd_update",
            super::policy::Optimizer::Adam { .. } => "adam_update",
        };
        for (w, g) in &grads {
            let wfmt = self
                .fwd
                .tensor_by_name(w)
                .map_or(self.wfmt(), |t| self.weight_format(t));
            let shape = self
                .spec
                .weights
                .iter()
                .find(|t| &t.name == w)
                .map(|t| t.shape.clone())
                .unwrap_or_default();
            let mut inputs = vec![g.clone()];
            if master != wfmt {
                let m = format!("{w}.master");
                self.spec
                    .weights
                    .push(TensorSpec::new(m.clone(), shape.clone(), master));
                inputs.push(m);
            } else {
                inputs.push(w.clone());
            }
            for s in 0..self.policy.optimizer.state_tensors() {
                let n = format!("{w}.state{s}");
                self.spec
                    .weights
                    .push(TensorSpec::new(n.clone(), shape.clone(), state));
                inputs.push(n);
            }
            let layer = self.layer_of_weight(w);
            let new = self.vector(
                format!("{w}.updated"),
                inputs,
                &shape,
                master,
                Phase::Update,
                &layer,
                what,
            );
            let out = if master != wfmt {
                let name = format!("{w}.next");
                let mut c = OpSpec::new(name.clone(), OpKind::Cast, vec![new], name.clone());
                c.precision = Some(PrecisionSpec::Uniform(wfmt));
                self.push(c, Phase::Update, &layer, None, "cast_to_weights");
                name
            } else {
                new
            };
            self.spec.outputs.push(out);
        }
        grads
    }

    fn layer_of_weight(&self, w: &str) -> String {
        let id = self.fwd.tensor_by_name(w);
        self.fwd
            .ops
            .iter()
            .find(|o| o.weight == id || o.bias == id || o.inputs.iter().any(|&t| Some(t) == id))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests;
