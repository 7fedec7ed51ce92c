//! Workload figures of a sweep point known without running it: bit operations (BOPs)
//! and the weight and activation memory footprints, all for one run of the workload
//! (the whole batch) at the point's precisions.

use crate::workload::{TensorRole, Workload};

/// Bit operations: Σ over compute ops (matmul, conv2d) of MACs × the element bits of
/// the weight (second operand) format × the element bits of the activation format — the
/// BOPs count of mixed-precision studies (e.g. Baskin et al., UNIQ, 2021; van Baalen et
/// al., Bayesian Bits, 2020). MX and BFP elements count their element bits (scales
/// excluded); fp16 counts 16.
pub fn bops(workload: &Workload) -> f64 {
    workload
        .ops
        .iter()
        .filter_map(|o| {
            let g = o.gemm?;
            let p = &o.precision;
            Some(
                g.macs() as f64
                    * p.weights.element_bits() as f64
                    * p.activations.element_bits() as f64,
            )
        })
        .sum()
}

/// Weight footprint in bytes: every weight tensor (constants: weights and biases) in its
/// storage format, block scales included.
pub fn weight_bytes(workload: &Workload) -> f64 {
    workload
        .tensors
        .iter()
        .filter(|t| t.role == TensorRole::Weight)
        .map(|t| t.bytes() as f64)
        .sum()
}

/// Activation footprint in bytes: the peak, over the ops in topological order, of the
/// bytes of graph inputs and activations live at once. A tensor is live from the op
/// producing it (graph inputs: from the first op) to the last op reading it; graph outputs
/// stay live to the end. An op's inputs and output are live together.
pub fn activation_peak_bytes(workload: &Workload) -> f64 {
    let n = workload.topo_order.len();
    if n == 0 {
        return workload
            .tensors
            .iter()
            .filter(|t| t.role == TensorRole::Input)
            .map(|t| t.bytes() as f64)
            .sum();
    }
    let mut pos = vec![0usize; workload.ops.len()];
    for (i, &op) in workload.topo_order.iter().enumerate() {
        pos[op] = i;
    }
    let mut last_use: Vec<Option<usize>> = vec![None; workload.tensors.len()];
    for (op_id, op) in workload.ops.iter().enumerate() {
        for &t in &op.inputs {
            let p = pos[op_id];
            last_use[t] = Some(last_use[t].map_or(p, |q: usize| q.max(p)));
        }
    }
    for &t in &workload.outputs {
        last_use[t] = Some(n - 1);
    }
    // delta[i] = bytes becoming live at i minus bytes freed after i - 1.
    let mut delta = vec![0f64; n + 1];
    for (id, t) in workload.tensors.iter().enumerate() {
        let start = match t.role {
            TensorRole::Weight => continue,
            TensorRole::Input => 0,
            TensorRole::Activation => t.producer.map_or(0, |p| pos[p]),
        };
        let end = last_use[id].unwrap_or(start).max(start);
        delta[start] += t.bytes() as f64;
        delta[end + 1] -= t.bytes() as f64;
    }
    let (mut live, mut peak) = (0f64, 0f64);
    for d in &delta[..n] {
        live += d;
        peak = peak.max(live);
    }
    peak
}
