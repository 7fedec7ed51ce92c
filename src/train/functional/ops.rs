//! One functional step: forward values, the loss, and the backward pass per op, with each
//! GEMM's operands in their policy formats and its accumulation per GEMM kind.

use std::collections::{BTreeMap, HashMap};

use super::conv::Geometry;
use super::quant::{quantize, transpose, Accumulator};
use super::vector;
use super::{seed_for, NamedTensor};
use crate::error::{InputError, InputResult};
use crate::train::derive::Loss;
use crate::train::policy::{GemmKind, LayerFormats, Policy, TensorPolicy};
use crate::workload::{Op, OpAttrs, OpKind, TensorId, Workload};

/// Refuses ops the functional path does not run, naming the op.
pub fn check_supported(w: &Workload) -> InputResult<()> {
    for op in &w.ops {
        let shape = |i: usize| &w.tensors[op.inputs[i]].shape;
        let ok = match op.kind {
            OpKind::Matmul if op.weight.is_none() => {
                // Activation × activation (attention): equal batch dimensions, no bias.
                let (a, b) = (shape(0), op.inputs.get(1).map(|_| shape(1)));
                op.inputs.len() == 2
                    && op.bias.is_none()
                    && b.is_some_and(|b| a.len() == b.len() && a[..a.len() - 2] == b[..b.len() - 2])
            }
            OpKind::Matmul | OpKind::Conv2d => op.weight.is_some() && op.inputs.len() == 1,
            OpKind::Relu
            | OpKind::Reshape
            | OpKind::Flatten
            | OpKind::GlobalAvgpool
            | OpKind::Maxpool
            | OpKind::Avgpool
            | OpKind::Softmax
            | OpKind::Layernorm
            | OpKind::Transpose => true,
            OpKind::Add => shape(0) == shape(1),
            _ => false,
        };
        if !ok {
            return Err(InputError::at(
                op.json_path.clone(),
                format!(
                    "functional training runs matmul (with a weight, or two activations with equal batch dimensions and no bias), conv2d with a weight, relu, same-shape add, maxpool, avgpool, global_avgpool, softmax, layernorm, transpose, reshape and flatten; op '{}' ({}) is not one of them",
                    op.name,
                    op.kind.name()
                ),
            ));
        }
    }
    Ok(())
}

/// The loss and its gradient with respect to the output (unscaled).
pub fn loss(kind: Loss, y: &[f64], t: &[f64], shape: &[u64]) -> (f64, Vec<f64>) {
    match kind {
        Loss::Mse => {
            let n = y.len() as f64;
            let l = y.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n;
            (l, y.iter().zip(t).map(|(a, b)| 2.0 * (a - b) / n).collect())
        }
        Loss::SoftmaxCrossEntropy => {
            let c = *shape.last().unwrap_or(&1) as usize;
            let rows = y.len() / c;
            let mut g = vec![0.0; y.len()];
            let mut l = 0.0;
            for r in 0..rows {
                let row = &y[r * c..(r + 1) * c];
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
                for j in 0..c {
                    let p = (row[j] - m).exp() / z;
                    l -= t[r * c + j] * (p.ln());
                    g[r * c + j] = (p - t[r * c + j]) / rows as f64;
                }
            }
            (l / rows as f64, g)
        }
    }
}

/// The normalised axis of a softmax / layernorm op.
fn axis(op: &Op) -> usize {
    match op.attrs {
        OpAttrs::Axis(a) => a,
        _ => 0,
    }
}

/// The permutation of a transpose op.
fn perm(op: &Op) -> &[usize] {
    match &op.attrs {
        OpAttrs::Transpose(p) => p,
        _ => &[],
    }
}

/// The state of one step.
pub struct Step<'a> {
    w: &'a Workload,
    policy: &'a Policy,
    /// Per op: its formats after the policy's per-layer overrides.
    layers: &'a [LayerFormats],
    seed: u64,
    step: u32,
    record: bool,
    /// Weights in the working format.
    pub weights: HashMap<TensorId, Vec<f64>>,
    /// Forward values.
    pub values: HashMap<TensorId, Vec<f64>>,
    /// Recorded GEMM operands.
    pub operands: Vec<NamedTensor>,
}

impl<'a> Step<'a> {
    /// A step with no values yet.
    pub fn new(
        w: &'a Workload,
        policy: &'a Policy,
        layers: &'a [LayerFormats],
        seed: u64,
        step: u32,
        record: bool,
    ) -> Step<'a> {
        Step {
            w,
            policy,
            layers,
            seed,
            step,
            record,
            weights: HashMap::new(),
            values: HashMap::new(),
            operands: Vec::new(),
        }
    }

    fn q(&self, x: &[f64], p: &TensorPolicy, name: &str) -> InputResult<Vec<f64>> {
        quantize(x, p, seed_for(self.seed, self.step, name))
    }

    fn rec(&mut self, name: String, shape: Vec<usize>, v: &[f64]) {
        if self.record {
            self.operands.push(NamedTensor {
                name,
                shape,
                values: v.to_vec(),
            });
        }
    }

    fn acc(&self, op: &Op, k: GemmKind) -> InputResult<Accumulator> {
        Accumulator::new(self.lf(op).gemms.get(k))
    }

    /// The formats of `op` (its per-layer overrides applied).
    fn lf(&self, op: &Op) -> &LayerFormats {
        match self.w.tensors[op.output].producer {
            Some(id) => &self.layers[id],
            None => &self.layers[0],
        }
    }

    /// `x` re-cast from the policy's class format into the layer's when the layer
    /// overrides it (a layer reading or writing another format than its neighbours).
    fn to_layer(
        &self,
        x: &[f64],
        global: &TensorPolicy,
        layer: &TensorPolicy,
        name: &str,
    ) -> InputResult<Vec<f64>> {
        if layer == global {
            Ok(x.to_vec())
        } else {
            self.q(x, layer, name)
        }
    }

    /// A compute layer's input in its activations format (the same cast, same seed, in
    /// FWD and GRAD).
    fn layer_input(&self, op: &Op) -> InputResult<Vec<f64>> {
        let x = self.value_of(op.inputs[0]);
        let lf = self.lf(op);
        self.to_layer(
            x,
            &self.policy.tensors.activations,
            &lf.activations,
            &format!("{}#x", op.name),
        )
    }

    fn shape(&self, t: TensorId) -> Vec<u64> {
        self.w.tensors[t].shape.clone()
    }

    /// Runs every op forward, storing outputs cast to the activation format.
    pub fn forward(&mut self) -> InputResult<()> {
        for &id in &self.w.topo_order.clone() {
            let op = &self.w.ops[id];
            let x = if op.kind.is_compute() {
                self.layer_input(op)?
            } else {
                self.value_of(op.inputs[0]).to_vec()
            };
            let y = match op.kind {
                OpKind::Matmul if op.weight.is_none() => self.matmul2_fwd(op, &x)?,
                OpKind::Matmul => self.matmul_fwd(op, &x)?,
                OpKind::Conv2d => self.conv_fwd(op, &x)?,
                OpKind::Relu => x.iter().map(|v| v.max(0.0)).collect(),
                OpKind::Add => {
                    let b = self.value_of(op.inputs[1]);
                    x.iter().zip(b).map(|(a, b)| a + b).collect()
                }
                OpKind::GlobalAvgpool => {
                    let s = self.shape(op.inputs[0]);
                    let hw = (s[2] * s[3]) as usize;
                    x.chunks(hw)
                        .map(|c| c.iter().sum::<f64>() / hw as f64)
                        .collect()
                }
                OpKind::Maxpool | OpKind::Avgpool => self.pool(op).forward(&x),
                OpKind::Softmax => vector::softmax(&x, &self.shape(op.inputs[0]), axis(op)),
                OpKind::Layernorm => self.with_layernorm(op, |ln| ln.forward(&x)),
                OpKind::Transpose => vector::permute(&x, &self.shape(op.inputs[0]), perm(op)),
                _ => x,
            };
            let name = self.w.tensors[op.output].name.clone();
            let y = self.q(&y, &self.layers[id].activations, &name)?;
            self.values.insert(op.output, y);
        }
        Ok(())
    }

    /// A tensor's current value: a forward value, else a weight in its working format.
    fn value_of(&self, t: TensorId) -> &[f64] {
        match self.values.get(&t) {
            Some(v) => v,
            None => &self.weights[&t],
        }
    }

    /// The pooling geometry of a maxpool / avgpool op.
    fn pool(&self, op: &Op) -> vector::Pool {
        let OpAttrs::Pool(attrs) = op.attrs.clone() else {
            unreachable!("pool attrs")
        };
        let (xs, ys) = (self.shape(op.inputs[0]), self.shape(op.output));
        let id = self.w.tensors[op.output].producer.unwrap_or(0);
        vector::Pool {
            planes: (xs[0] * xs[1]) as usize,
            h: xs[2] as usize,
            w: xs[3] as usize,
            ho: ys[2] as usize,
            wo: ys[3] as usize,
            attrs,
            include_pad: self.w.spec.ops[id].count_include_pad.unwrap_or(false),
            max: op.kind == OpKind::Maxpool,
        }
    }

    /// Runs `f` with the layernorm of `op`: its row length, epsilon, and the scale and
    /// bias inputs expanded to a row.
    fn with_layernorm<T>(&self, op: &Op, f: impl FnOnce(&vector::LayerNorm) -> T) -> T {
        let xs = self.shape(op.inputs[0]);
        let tail = &xs[axis(op)..];
        let expand = |i: usize| -> Option<Vec<f64>> {
            let t = *op.inputs.get(i)?;
            let v = self.value_of(t);
            let idx = vector::tail_index(tail, &self.shape(t));
            Some(idx.iter().map(|&j| v[j]).collect())
        };
        let (scale, bias) = (expand(1), expand(2));
        let id = self.w.tensors[op.output].producer.unwrap_or(0);
        f(&vector::LayerNorm {
            n: tail.iter().product::<u64>() as usize,
            eps: self.w.spec.ops[id].epsilon.unwrap_or(1e-5),
            scale: scale.as_deref(),
            bias: bias.as_deref(),
        })
    }

    /// The (m, k, n) and batch count of an activation × activation matmul, and whether B
    /// is stored `[.., N, K]`.
    fn matmul2_dims(&self, op: &Op) -> (usize, usize, usize, usize, bool) {
        let (a, y) = (self.shape(op.inputs[0]), self.shape(op.output));
        let r = y.len();
        let (m, k, n) = (y[r - 2] as usize, a[r - 1] as usize, y[r - 1] as usize);
        let batch = y[..r - 2].iter().product::<u64>() as usize;
        let tb = matches!(op.attrs, OpAttrs::Matmul { transpose_b: true });
        (batch, m, k, n, tb)
    }

    /// The second operand of an activation × activation matmul in the layer's
    /// activations format (the same cast in FWD and BWD).
    fn layer_input_b(&self, op: &Op) -> InputResult<Vec<f64>> {
        let lf = self.lf(op).activations;
        let b = self.value_of(op.inputs[1]);
        let name = format!("{}#b", op.name);
        self.to_layer(b, &self.policy.tensors.activations, &lf, &name)
    }

    /// Y = A·B (or A·Bᵀ) per batch, both operands activations (FWD accumulation).
    fn matmul2_fwd(&mut self, op: &Op, a: &[f64]) -> InputResult<Vec<f64>> {
        let (batch, m, k, n, tb) = self.matmul2_dims(op);
        let b = self.layer_input_b(op)?;
        let mut y = Vec::with_capacity(batch * m * n);
        for i in 0..batch {
            let ai = &a[i * m * k..(i + 1) * m * k];
            let bi = &b[i * k * n..(i + 1) * k * n];
            let bi = if tb { transpose(bi, n, k) } else { bi.to_vec() };
            self.rec(format!("{}.fwd.a.b{i}", op.name), vec![m, k], ai);
            self.rec(format!("{}.fwd.b.b{i}", op.name), vec![k, n], &bi);
            y.extend(self.acc(op, GemmKind::Fwd)?.gemm(ai, &bi, m, k, n));
        }
        Ok(y)
    }

    /// dA = dY·Bᵀ and dB = Aᵀ·dY (dBᵀ = dYᵀ·A when B is stored transposed) per batch,
    /// each a BWD GEMM, for the inputs that have a producer.
    fn matmul2_bwd(&mut self, op: &Op, dy: &[f64]) -> InputResult<Vec<(TensorId, Vec<f64>)>> {
        let (batch, m, k, n, tb) = self.matmul2_dims(op);
        let (a, b) = (self.layer_input(op)?, self.layer_input_b(op)?);
        let wants = |t: TensorId| self.w.tensors[t].producer.is_some();
        let (wa, wb) = (wants(op.inputs[0]), wants(op.inputs[1]));
        let (mut da, mut db) = (Vec::new(), Vec::new());
        for i in 0..batch {
            let (ai, bi) = (
                &a[i * m * k..(i + 1) * m * k],
                &b[i * k * n..(i + 1) * k * n],
            );
            let dyi = &dy[i * m * n..(i + 1) * m * n];
            if wa {
                // Bᵀ as [n, k]: B stored [k, n] transposes, B stored [n, k] is Bᵀ.
                let bt = if tb { bi.to_vec() } else { transpose(bi, k, n) };
                self.rec(format!("{}.bwd.a.b{i}", op.name), vec![m, n], dyi);
                self.rec(format!("{}.bwd.b.b{i}", op.name), vec![n, k], &bt);
                da.extend(self.acc(op, GemmKind::Bwd)?.gemm(dyi, &bt, m, n, k));
            }
            if wb {
                let g = if tb {
                    let dyt = transpose(dyi, m, n);
                    self.acc(op, GemmKind::Bwd)?.gemm(&dyt, ai, n, m, k)
                } else {
                    let at = transpose(ai, m, k);
                    self.acc(op, GemmKind::Bwd)?.gemm(&at, dyi, k, m, n)
                };
                db.extend(g);
            }
        }
        let mut out = Vec::new();
        if wa {
            out.push((op.inputs[0], da));
        }
        if wb {
            out.push((op.inputs[1], db));
        }
        Ok(out)
    }

    fn add_bias(&self, op: &Op, y: &mut [f64], per: usize, inner: usize) {
        if let Some(b) = op.bias.and_then(|b| self.weights.get(&b)) {
            for (i, v) in y.iter_mut().enumerate() {
                *v += b[(i / inner) % per];
            }
        }
    }

    fn matmul_fwd(&mut self, op: &Op, x: &[f64]) -> InputResult<Vec<f64>> {
        let wid = op.weight.expect("checked");
        let ws = self.shape(wid);
        let tb = matches!(op.attrs, OpAttrs::Matmul { transpose_b: true });
        let (k, n) = if tb {
            (ws[1] as usize, ws[0] as usize)
        } else {
            (ws[0] as usize, ws[1] as usize)
        };
        let m = x.len() / k;
        let w = if tb {
            transpose(&self.weights[&wid], n, k)
        } else {
            self.weights[&wid].clone()
        };
        self.rec(format!("{}.fwd.a", op.name), vec![m, k], x);
        self.rec(format!("{}.fwd.b", op.name), vec![k, n], &w);
        let mut y = self.acc(op, GemmKind::Fwd)?.gemm(x, &w, m, k, n);
        self.add_bias(op, &mut y, n, 1);
        Ok(y)
    }

    fn geometry(&self, op: &Op) -> Geometry {
        let OpAttrs::Conv2d(a) = &op.attrs else {
            unreachable!("conv attrs")
        };
        Geometry::new(
            &self.shape(op.inputs[0]),
            &self.shape(op.output),
            &self.shape(op.weight.expect("checked")),
            a,
        )
    }

    fn conv_fwd(&mut self, op: &Op, x: &[f64]) -> InputResult<Vec<f64>> {
        let g = self.geometry(op);
        let wv = self.weights[&op.weight.expect("checked")].clone();
        let (cog, kg, rows) = (g.co / g.g, g.kg(), g.rows());
        let mut y = vec![0.0; g.n * g.co * g.ho * g.wo];
        for gi in 0..g.g {
            let cols = g.im2col(x, gi);
            let wt = transpose(&wv[gi * cog * kg..(gi + 1) * cog * kg], cog, kg);
            self.rec(format!("{}.fwd.a.g{gi}", op.name), vec![rows, kg], &cols);
            self.rec(format!("{}.fwd.b.g{gi}", op.name), vec![kg, cog], &wt);
            let m = self.acc(op, GemmKind::Fwd)?.gemm(&cols, &wt, rows, kg, cog);
            g.scatter_rows(&m, gi, &mut y);
        }
        self.add_bias(op, &mut y, g.co, g.ho * g.wo);
        Ok(y)
    }

    /// Backward from the output's (scaled) loss gradient: returns the weight gradients (in
    /// the weight-gradient format, still scaled).
    pub fn backward(
        &mut self,
        out: TensorId,
        dy: Vec<f64>,
    ) -> InputResult<BTreeMap<TensorId, Vec<f64>>> {
        let mut grads: HashMap<TensorId, Vec<f64>> = HashMap::new();
        let name = format!("{}#err", self.w.tensors[out].name);
        grads.insert(out, self.q(&dy, &self.policy.tensors.errors, &name)?);
        let mut wg = BTreeMap::new();
        for &id in self.w.topo_order.clone().iter().rev() {
            let op = &self.w.ops[id];
            let Some(dy) = grads.remove(&op.output) else {
                continue;
            };
            let x = op.inputs[0];
            let needs_dx = self.w.tensors[x].producer.is_some();
            let errs = (self.policy.tensors.errors, self.layers[id].errors);
            let dy = if op.kind.is_compute() {
                self.to_layer(&dy, &errs.0, &errs.1, &format!("{}#dy", op.name))?
            } else {
                dy
            };
            let dxs: Vec<(TensorId, Vec<f64>)> = match op.kind {
                OpKind::Matmul if op.weight.is_none() => self.matmul2_bwd(op, &dy)?,
                OpKind::Matmul => self.matmul_bwd(op, &dy, needs_dx, &mut wg)?,
                OpKind::Conv2d => self.conv_bwd(op, &dy, needs_dx, &mut wg)?,
                OpKind::Relu => {
                    let xv = &self.values[&x];
                    vec![(
                        x,
                        dy.iter()
                            .zip(xv)
                            .map(|(g, v)| if *v > 0.0 { *g } else { 0.0 })
                            .collect(),
                    )]
                }
                OpKind::Add => {
                    self.weight_grad(op, op.inputs[1], &dy, &mut wg)?;
                    vec![(x, dy.clone()), (op.inputs[1], dy)]
                }
                OpKind::Maxpool | OpKind::Avgpool => {
                    vec![(x, self.pool(op).backward(&self.values[&x], &dy))]
                }
                OpKind::Softmax => {
                    let (y, s) = (&self.values[&op.output], self.shape(x));
                    vec![(x, vector::softmax_backward(y, &dy, &s, axis(op)))]
                }
                OpKind::Layernorm => self.layernorm_bwd(op, &dy, &mut wg)?,
                OpKind::Transpose => {
                    let p = perm(op);
                    let ys = self.shape(op.output);
                    vec![(x, vector::permute(&dy, &ys, &vector::inverse(p)))]
                }
                OpKind::GlobalAvgpool => {
                    let s = self.shape(x);
                    let hw = (s[2] * s[3]) as usize;
                    vec![(
                        x,
                        dy.iter()
                            .flat_map(|g| std::iter::repeat_n(g / hw as f64, hw))
                            .collect(),
                    )]
                }
                _ => vec![(x, dy)],
            };
            for (t, g) in dxs {
                if self.w.tensors[t].producer.is_none() {
                    continue;
                }
                // A compute layer writes its error in its own errors format.
                let g = if op.kind.is_compute() {
                    self.to_layer(&g, &errs.0, &errs.1, &format!("{}#dx", op.name))?
                } else {
                    g
                };
                let sum = match grads.remove(&t) {
                    Some(prev) => prev.iter().zip(&g).map(|(a, b)| a + b).collect(),
                    None => g,
                };
                let name = format!("{}#err", self.w.tensors[t].name);
                grads.insert(t, self.q(&sum, &self.policy.tensors.errors, &name)?);
            }
        }
        Ok(wg)
    }

    /// Records `g` as the gradient of `t` when `t` is a weight (cast into the layer's
    /// weight-gradient format).
    fn weight_grad(
        &self,
        op: &Op,
        t: TensorId,
        g: &[f64],
        wg: &mut BTreeMap<TensorId, Vec<f64>>,
    ) -> InputResult<()> {
        if self.weights.contains_key(&t) {
            let name = format!("{}#grad", self.w.tensors[t].name);
            wg.insert(t, self.q(g, &self.lf(op).weight_gradients, &name)?);
        }
        Ok(())
    }

    /// Layernorm backward: the input's error, and the scale / bias gradients (summed onto
    /// their shapes) when they are weights.
    fn layernorm_bwd(
        &self,
        op: &Op,
        dy: &[f64],
        wg: &mut BTreeMap<TensorId, Vec<f64>>,
    ) -> InputResult<Vec<(TensorId, Vec<f64>)>> {
        let x = op.inputs[0];
        let (dx, ds, db) = self.with_layernorm(op, |ln| ln.backward(&self.values[&x], dy));
        let tail = self.shape(x)[axis(op)..].to_vec();
        for (i, g) in [(1, ds), (2, db)] {
            let Some(&t) = op.inputs.get(i) else { continue };
            let shape = self.shape(t);
            let mut sum = vec![0.0; shape.iter().product::<u64>() as usize];
            for (j, &to) in vector::tail_index(&tail, &shape).iter().enumerate() {
                sum[to] += g[j];
            }
            self.weight_grad(op, t, &sum, wg)?;
        }
        Ok(vec![(x, dx)])
    }

    fn bias_grad(
        &self,
        op: &Op,
        dy: &[f64],
        per: usize,
        inner: usize,
        wg: &mut BTreeMap<TensorId, Vec<f64>>,
    ) -> InputResult<()> {
        if let Some(b) = op.bias {
            let mut g = vec![0.0; per];
            for (i, v) in dy.iter().enumerate() {
                g[(i / inner) % per] += v;
            }
            let name = format!("{}#grad", self.w.tensors[b].name);
            wg.insert(b, self.q(&g, &self.lf(op).weight_gradients, &name)?);
        }
        Ok(())
    }

    fn matmul_bwd(
        &mut self,
        op: &Op,
        dy: &[f64],
        needs_dx: bool,
        wg: &mut BTreeMap<TensorId, Vec<f64>>,
    ) -> InputResult<Vec<(TensorId, Vec<f64>)>> {
        let wid = op.weight.expect("checked");
        let ws = self.shape(wid);
        let tb = matches!(op.attrs, OpAttrs::Matmul { transpose_b: true });
        let (k, n) = if tb {
            (ws[1] as usize, ws[0] as usize)
        } else {
            (ws[0] as usize, ws[1] as usize)
        };
        let x = self.layer_input(op)?;
        let m = x.len() / k;
        let w = &self.weights[&wid];
        let wt = if tb { w.clone() } else { transpose(w, k, n) }; // Wᵀ as [n, k]
        let mut out = Vec::new();
        if needs_dx {
            self.rec(format!("{}.bwd.a", op.name), vec![m, n], dy);
            self.rec(format!("{}.bwd.b", op.name), vec![n, k], &wt);
            out.push((
                op.inputs[0],
                self.acc(op, GemmKind::Bwd)?.gemm(dy, &wt, m, n, k),
            ));
        }
        let xt = transpose(&x, m, k);
        self.rec(format!("{}.grad.a", op.name), vec![k, m], &xt);
        self.rec(format!("{}.grad.b", op.name), vec![m, n], dy);
        let dw = self.acc(op, GemmKind::Grad)?.gemm(&xt, dy, k, m, n);
        let dw = if tb { transpose(&dw, k, n) } else { dw };
        let name = format!("{}#grad", self.w.tensors[wid].name);
        wg.insert(wid, self.q(&dw, &self.lf(op).weight_gradients, &name)?);
        self.bias_grad(op, dy, n, 1, wg)?;
        Ok(out)
    }

    fn conv_bwd(
        &mut self,
        op: &Op,
        dy: &[f64],
        needs_dx: bool,
        wg: &mut BTreeMap<TensorId, Vec<f64>>,
    ) -> InputResult<Vec<(TensorId, Vec<f64>)>> {
        let g = self.geometry(op);
        let wid = op.weight.expect("checked");
        let wv = self.weights[&wid].clone();
        let x = self.layer_input(op)?;
        let (cog, kg, rows) = (g.co / g.g, g.kg(), g.rows());
        let mut dx = vec![0.0; x.len()];
        let mut dw = vec![0.0; wv.len()];
        for gi in 0..g.g {
            let dyr = g.gather_rows(dy, gi);
            let wg_ = &wv[gi * cog * kg..(gi + 1) * cog * kg];
            if needs_dx {
                self.rec(format!("{}.bwd.a.g{gi}", op.name), vec![rows, cog], &dyr);
                self.rec(format!("{}.bwd.b.g{gi}", op.name), vec![cog, kg], wg_);
                let dcols = self.acc(op, GemmKind::Bwd)?.gemm(&dyr, wg_, rows, cog, kg);
                g.col2im_add(&dcols, gi, &mut dx);
            }
            let cols = g.im2col(&x, gi);
            let dyt = transpose(&dyr, rows, cog);
            self.rec(format!("{}.grad.a.g{gi}", op.name), vec![cog, rows], &dyt);
            self.rec(format!("{}.grad.b.g{gi}", op.name), vec![rows, kg], &cols);
            let d = self
                .acc(op, GemmKind::Grad)?
                .gemm(&dyt, &cols, cog, rows, kg);
            dw[gi * cog * kg..(gi + 1) * cog * kg].copy_from_slice(&d);
        }
        let name = format!("{}#grad", self.w.tensors[wid].name);
        wg.insert(wid, self.q(&dw, &self.lf(op).weight_gradients, &name)?);
        self.bias_grad(op, dy, g.co, g.ho * g.wo, wg)?;
        Ok(if needs_dx {
            vec![(op.inputs[0], dx)]
        } else {
            Vec::new()
        })
    }
}
