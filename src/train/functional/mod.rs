//! Functional training steps: runs forward, loss, backward and the optimizer update of a
//! workload with every tensor cast into its policy class's format (`quant.rs`), GEMMs
//! accumulated in the policy's accumulator per GEMM kind in a fixed order, convs lowered by
//! im2col (`conv.rs`). Single-threaded and seeded: results are byte-identical for a seed
//! whatever the thread count. Supported ops: matmul (with a weight, or two activations as
//! in attention), conv2d, relu, add, maxpool, avgpool, global_avgpool, softmax,
//! layernorm, transpose, reshape, flatten (`vector.rs`; see docs/training.md).

mod conv;
mod ops;
pub mod quant;
mod vector;

use std::collections::BTreeMap;

use serde::Serialize;

use super::derive::Loss;
use super::policy::{LossScaling, Optimizer, Policy};
use crate::error::{InputError, InputResult};
use crate::func::random::tensor_seed;
use crate::numerics::SplitMix64;
use crate::workload::{OpKind, TensorId, TensorRole, Workload};
use quant::quantize;

/// A named tensor of f64 values (each exactly a value of its format).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<f64>,
}

/// Options of a functional training run.
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    /// Steps to run.
    pub steps: u32,
    /// Seed of the random inputs, targets, weights and stochastic rounding.
    pub seed: u64,
    /// Given values of graph inputs, weights or the target `loss.target`.
    pub feeds: BTreeMap<String, Vec<f64>>,
    /// The loss.
    pub loss: Loss,
    /// Record the GEMM operands of the first step.
    pub record_operands: bool,
}

/// One step's log line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepLoss {
    /// Step number (1-based).
    pub step: u32,
    /// The loss before the update.
    pub loss: f64,
    /// Whether the update was skipped (non-finite gradients).
    pub skipped: bool,
    /// The loss scale the step used.
    pub loss_scale: f64,
}

/// The result of a functional training run.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// Updated (master) weights, in workload order.
    pub weights: Vec<NamedTensor>,
    /// One entry per step.
    pub losses: Vec<StepLoss>,
    /// The first step's GEMM operands (`<layer>.<fwd|bwd|grad>.<a|b>`) when recorded.
    pub operands: Vec<NamedTensor>,
}

/// Per-weight optimizer state.
struct Param {
    id: TensorId,
    master: Vec<f64>,
    state: Vec<Vec<f64>>,
}

/// The run's seeds: one stream per (step, tensor, purpose).
pub(crate) fn seed_for(seed: u64, step: u32, name: &str) -> u64 {
    tensor_seed(
        seed ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        name,
    )
}

fn uniform(seed: u64, name: &str, n: usize, scale: f64) -> Vec<f64> {
    let mut rng = SplitMix64::new(tensor_seed(seed, name));
    (0..n)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            (2.0 * u - 1.0) * scale
        })
        .collect()
}

fn fan_in(w: &Workload, t: TensorId) -> usize {
    let s = &w.tensors[t].shape;
    let op = w.ops.iter().find(|o| o.weight == Some(t));
    match op.map(|o| o.kind) {
        Some(OpKind::Conv2d) => (s[1] * s[2] * s[3]) as usize,
        Some(OpKind::Matmul) => {
            let tb = matches!(
                op.map(|o| &o.attrs),
                Some(crate::workload::OpAttrs::Matmul { transpose_b: true })
            );
            (if tb { s[s.len() - 1] } else { s[s.len() - 2] }) as usize
        }
        _ => 0,
    }
}

fn initial(w: &Workload, t: TensorId, opts: &StepOptions) -> InputResult<Vec<f64>> {
    let tensor = &w.tensors[t];
    let n = tensor.elements as usize;
    if let Some(v) = opts.feeds.get(&tensor.name) {
        if v.len() != n {
            return Err(InputError::at(
                "",
                format!(
                    "--input {}: expected {} values (shape {:?}), got {}",
                    tensor.name,
                    n,
                    tensor.shape,
                    v.len()
                ),
            ));
        }
        return Ok(v.clone());
    }
    if let Some(file) = &tensor.file {
        let path = w
            .base_dir
            .as_deref()
            .unwrap_or(std::path::Path::new("."))
            .join(file);
        let t = crate::tensor::read_npy_as(&path, crate::tensor::DType::F32)
            .map_err(|e| InputError::at("", e.to_string()))?;
        let v = t.as_f32().map_err(|e| InputError::at("", e.to_string()))?;
        return Ok(v.iter().map(|&x| x as f64).collect());
    }
    let ln_scale = w
        .ops
        .iter()
        .any(|o| o.kind == OpKind::Layernorm && o.inputs.get(1) == Some(&t));
    Ok(match tensor.role {
        TensorRole::Weight if ln_scale => vec![1.0; n], // a layernorm scale starts at one
        TensorRole::Weight => {
            let f = fan_in(w, t);
            if f == 0 {
                vec![0.0; n] // biases start at zero
            } else {
                uniform(opts.seed, &tensor.name, n, 1.0 / (f as f64).sqrt())
            }
        }
        _ => uniform(opts.seed, &tensor.name, n, 1.0),
    })
}

fn target(w: &Workload, y: TensorId, opts: &StepOptions) -> InputResult<Vec<f64>> {
    let shape = &w.tensors[y].shape;
    let n = w.tensors[y].elements as usize;
    if let Some(v) = opts.feeds.get("loss.target") {
        if v.len() != n {
            return Err(InputError::at(
                "",
                format!("--input loss.target: expected {n} values, got {}", v.len()),
            ));
        }
        return Ok(v.clone());
    }
    Ok(match opts.loss {
        Loss::Mse => uniform(opts.seed, "loss.target", n, 1.0),
        Loss::SoftmaxCrossEntropy => {
            let c = *shape.last().unwrap_or(&1) as usize;
            let mut rng = SplitMix64::new(tensor_seed(opts.seed, "loss.target"));
            let mut t = vec![0.0; n];
            for r in 0..n / c.max(1) {
                t[r * c + (rng.next_u64() % c as u64) as usize] = 1.0;
            }
            t
        }
    })
}

/// Runs `opts.steps` training steps of `fwd` under `policy` (see the module documentation).
pub fn train_steps(fwd: &Workload, policy: &Policy, opts: &StepOptions) -> InputResult<StepResult> {
    ops::check_supported(fwd)?;
    let out = match fwd.outputs.as_slice() {
        [o] => *o,
        _ => {
            return Err(InputError::at(
                "outputs",
                "functional training needs a workload with one output",
            ))
        }
    };
    let layers = policy.resolve_layers(fwd)?;
    // Each weight is cast into the weights format of the first layer that reads it.
    let mut wpolicy = std::collections::HashMap::new();
    for &o in &fwd.topo_order {
        let op = &fwd.ops[o];
        for &t in op.weight.iter().chain(op.bias.iter()).chain(&op.inputs) {
            wpolicy.entry(t).or_insert(layers[o].weights);
        }
    }
    let mut params = Vec::new();
    for (id, t) in fwd
        .tensors
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == TensorRole::Weight)
    {
        let v = initial(fwd, id, opts)?;
        let master = quantize(
            &v,
            &policy.tensors.master_weights,
            seed_for(opts.seed, 0, &t.name),
        )?;
        let state = vec![vec![0.0; v.len()]; policy.optimizer.state_tensors()];
        params.push(Param { id, master, state });
    }
    let inputs: Vec<(TensorId, Vec<f64>)> = fwd
        .inputs
        .iter()
        .map(|&t| Ok((t, initial(fwd, t, opts)?)))
        .collect::<InputResult<_>>()?;
    let tgt = target(fwd, out, opts)?;
    let mut scale = match policy.loss_scaling {
        LossScaling::None => 1.0,
        LossScaling::Static { scale } => scale,
        LossScaling::Dynamic { initial, .. } => initial,
    };
    let (mut good, mut applied) = (0u32, 0u32);
    let mut losses = Vec::new();
    let mut operands = Vec::new();
    for step in 1..=opts.steps {
        let mut run = ops::Step::new(
            fwd,
            policy,
            &layers,
            opts.seed,
            step,
            opts.record_operands && step == 1,
        );
        for p in &params {
            let name = &fwd.tensors[p.id].name;
            let q = quantize(
                &p.master,
                wpolicy.get(&p.id).unwrap_or(&policy.tensors.weights),
                seed_for(opts.seed, step, &format!("{name}#w")),
            )?;
            run.weights.insert(p.id, q);
        }
        for (t, v) in &inputs {
            let q = quantize(
                v,
                &policy.tensors.activations,
                seed_for(opts.seed, step, &fwd.tensors[*t].name),
            )?;
            run.values.insert(*t, q);
        }
        run.forward()?;
        let (loss, dy) = ops::loss(opts.loss, &run.values[&out], &tgt, &fwd.tensors[out].shape);
        let dy: Vec<f64> = dy.iter().map(|g| g * scale).collect();
        let grads = run.backward(out, dy)?;
        let finite = grads.values().all(|g| g.iter().all(|v| v.is_finite()));
        losses.push(StepLoss {
            step,
            loss,
            skipped: !finite,
            loss_scale: scale,
        });
        if finite {
            applied += 1;
            for p in &mut params {
                if let Some(g) = grads.get(&p.id) {
                    let g: Vec<f64> = g.iter().map(|v| v / scale).collect();
                    update(
                        p,
                        &g,
                        policy,
                        opts.seed,
                        step,
                        applied,
                        &fwd.tensors[p.id].name,
                    )?;
                }
            }
        }
        if let LossScaling::Dynamic {
            growth,
            backoff,
            interval,
            ..
        } = policy.loss_scaling
        {
            if finite {
                good += 1;
                if good == interval {
                    scale *= growth;
                    good = 0;
                }
            } else {
                scale *= backoff;
                good = 0;
            }
        }
        operands.extend(run.operands);
    }
    let weights = params
        .into_iter()
        .map(|p| NamedTensor {
            name: fwd.tensors[p.id].name.clone(),
            shape: fwd.tensors[p.id]
                .shape
                .iter()
                .map(|&d| d as usize)
                .collect(),
            values: p.master,
        })
        .collect();
    Ok(StepResult {
        weights,
        losses,
        operands,
    })
}

/// One optimizer update of a parameter, the results cast to the master / state formats.
fn update(
    p: &mut Param,
    g: &[f64],
    policy: &Policy,
    seed: u64,
    step: u32,
    t: u32,
    name: &str,
) -> InputResult<()> {
    let mut w = p.master.clone();
    match policy.optimizer {
        Optimizer::Sgd { lr, momentum } => {
            if momentum == 0.0 {
                for (w, g) in w.iter_mut().zip(g) {
                    *w -= lr * g;
                }
            } else {
                let v: Vec<f64> = p.state[0]
                    .iter()
                    .zip(g)
                    .map(|(v, g)| momentum * v + g)
                    .collect();
                for (w, v) in w.iter_mut().zip(&v) {
                    *w -= lr * v;
                }
                p.state[0] = quantize(
                    &v,
                    &policy.tensors.optimizer_state,
                    seed_for(seed, step, &format!("{name}#v")),
                )?;
            }
        }
        Optimizer::Adam {
            lr,
            beta1,
            beta2,
            eps,
        } => {
            let m: Vec<f64> = p.state[0]
                .iter()
                .zip(g)
                .map(|(m, g)| beta1 * m + (1.0 - beta1) * g)
                .collect();
            let v: Vec<f64> = p.state[1]
                .iter()
                .zip(g)
                .map(|(v, g)| beta2 * v + (1.0 - beta2) * g * g)
                .collect();
            let (c1, c2) = (1.0 - beta1.powi(t as i32), 1.0 - beta2.powi(t as i32));
            for ((w, m), v) in w.iter_mut().zip(&m).zip(&v) {
                *w -= lr * (m / c1) / ((v / c2).sqrt() + eps);
            }
            p.state[0] = quantize(
                &m,
                &policy.tensors.optimizer_state,
                seed_for(seed, step, &format!("{name}#m")),
            )?;
            p.state[1] = quantize(
                &v,
                &policy.tensors.optimizer_state,
                seed_for(seed, step, &format!("{name}#v")),
            )?;
        }
    }
    p.master = quantize(
        &w,
        &policy.tensors.master_weights,
        seed_for(seed, step, &format!("{name}#master")),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
