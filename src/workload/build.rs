//! Turns a [`WorkloadSpec`] into a validated [`Workload`]: names, DAG, cycles, shapes.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};

use super::shapes::{infer, Inferred};
use super::{
    Op, OpKind, OpPrecision, OpSpec, PrecisionSpec, Tensor, TensorId, TensorRole, Workload,
    WorkloadSpec,
};
use crate::error::{InputError, InputResult};
use crate::numerics::Format;

/// The tensor table being built: tensors in declaration order, names unique.
struct Table {
    tensors: Vec<Tensor>,
    by_name: BTreeMap<String, TensorId>,
}

impl Table {
    /// Declares a tensor; `path` is the JSON path of its name (for errors).
    fn declare(&mut self, t: Tensor, path: String) -> InputResult<TensorId> {
        if t.name.is_empty() {
            return Err(InputError::at(path, "expected a non-empty tensor name"));
        }
        if self.by_name.contains_key(&t.name) {
            return Err(InputError::at(
                path,
                format!("duplicate tensor name '{}'", t.name),
            ));
        }
        let id = self.tensors.len();
        self.by_name.insert(t.name.clone(), id);
        self.tensors.push(t);
        Ok(id)
    }
}

/// Names resolve through a hash index (linear in the graph, not quadratic).
fn index_of(tensors: &[Tensor]) -> HashMap<String, TensorId> {
    tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect()
}

/// A tensor by name, or an error at `path` naming what it could have been.
fn lookup(name: &str, path: String, index: &HashMap<String, TensorId>) -> InputResult<TensorId> {
    index.get(name).copied().ok_or_else(|| {
        InputError::at(
            path,
            format!(
                "unknown tensor '{name}': not a graph input, a declared weight or any op's output"
            ),
        )
    })
}

/// An op's resolved tensors: inputs, weight, bias.
type Resolved = (Vec<TensorId>, Option<TensorId>, Option<TensorId>);

pub(super) fn build(spec: WorkloadSpec) -> InputResult<Workload> {
    let mut table = Table {
        tensors: Vec::new(),
        by_name: BTreeMap::new(),
    };
    let inputs = declare_inputs_and_weights(&spec, &mut table)?;
    // Op names unique; outputs declared (shape filled in later).
    let out_ids = declare_op_outputs(&spec, &mut table)?;
    // Resolve input / weight / bias names.
    let resolved = resolve_names(&spec, &table.tensors)?;

    // DAG and cycle detection.
    let mut graph: DiGraph<usize, TensorId> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..spec.ops.len()).map(|i| graph.add_node(i)).collect();
    for (i, (ins, _, _)) in resolved.iter().enumerate() {
        for &t in ins {
            if let Some(p) = table.tensors[t].producer {
                graph.add_edge(nodes[p], nodes[i], t);
            }
        }
    }
    let topo_order = topo_sort(&graph, &spec.ops)?;

    // Shapes, formats, attributes in topological order.
    let mut ops: Vec<Option<Op>> = vec![None; spec.ops.len()];
    let mut total_macs = 0u64;
    for &i in &topo_order {
        ops[i] = Some(shape_op(
            &spec,
            i,
            &resolved[i],
            out_ids[i],
            &mut table,
            &mut total_macs,
        )?);
    }
    let ops: Vec<Op> = ops
        .into_iter()
        .map(|o| o.expect("every op visited in topological order"))
        .collect();
    let mut tensors = table.tensors;
    super::sparsity::attach(&spec, &mut tensors, &ops)?;

    let outputs = if spec.outputs.is_empty() {
        let consumed: std::collections::BTreeSet<TensorId> =
            ops.iter().flat_map(|o| o.inputs.iter().copied()).collect();
        ops.iter()
            .map(|o| o.output)
            .filter(|t| !consumed.contains(t))
            .collect()
    } else {
        let index = index_of(&tensors);
        let mut v = Vec::new();
        for (j, name) in spec.outputs.iter().enumerate() {
            v.push(lookup(name, format!("outputs[{j}]"), &index)?);
        }
        v
    };

    Ok(Workload {
        name: spec.name.clone(),
        tensors,
        ops,
        topo_order,
        graph,
        inputs,
        outputs,
        spec,
        base_dir: None,
    })
}

/// Declares the graph inputs and the weights; returns the inputs' ids.
fn declare_inputs_and_weights(
    spec: &WorkloadSpec,
    table: &mut Table,
) -> InputResult<Vec<TensorId>> {
    let mut inputs = Vec::new();
    for (i, t) in spec.inputs.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let elements = checked_elements(&t.shape, &format!("{path}.shape"))?;
        let id = table.declare(
            Tensor {
                name: t.name.clone(),
                shape: t.shape.clone(),
                format: t.format,
                role: TensorRole::Input,
                producer: None,
                file: t.file.clone(),
                elements,
                sparsity: None,
            },
            format!("{path}.name"),
        )?;
        inputs.push(id);
    }
    for (i, t) in spec.weights.iter().enumerate() {
        let path = format!("weights[{i}]");
        let elements = checked_elements(&t.shape, &format!("{path}.shape"))?;
        table.declare(
            Tensor {
                name: t.name.clone(),
                shape: t.shape.clone(),
                format: t.format,
                role: TensorRole::Weight,
                producer: None,
                file: t.file.clone(),
                elements,
                sparsity: None,
            },
            format!("{path}.name"),
        )?;
    }
    Ok(inputs)
}

/// Checks op names and fields, declares each op's output tensor (shape filled in later).
fn declare_op_outputs(spec: &WorkloadSpec, table: &mut Table) -> InputResult<Vec<TensorId>> {
    if spec.ops.is_empty() {
        return Err(InputError::at("ops", "expected at least one op"));
    }
    let mut op_names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out_ids = Vec::with_capacity(spec.ops.len());
    for (i, op) in spec.ops.iter().enumerate() {
        let path = format!("ops[{i}]");
        if op.name.is_empty() {
            return Err(InputError::at(
                format!("{path}.name"),
                "expected a non-empty op name",
            ));
        }
        if let Some(j) = op_names.insert(&op.name, i) {
            return Err(InputError::at(
                format!("{path}.name"),
                format!("duplicate op name '{}' (also ops[{j}])", op.name),
            ));
        }
        check_fields(op, &path)?;
        let id = table.declare(
            Tensor {
                name: op.output.clone(),
                shape: vec![],
                format: Format::FP32,
                role: TensorRole::Activation,
                producer: Some(i),
                file: None,
                elements: 0,
                sparsity: None,
            },
            format!("{path}.output"),
        )?;
        out_ids.push(id);
    }
    Ok(out_ids)
}

/// Resolves every op's input, weight and bias names.
fn resolve_names(spec: &WorkloadSpec, tensors: &[Tensor]) -> InputResult<Vec<Resolved>> {
    let index = index_of(tensors);
    let mut resolved: Vec<(Vec<TensorId>, Option<TensorId>, Option<TensorId>)> = Vec::new();
    for (i, op) in spec.ops.iter().enumerate() {
        let path = format!("ops[{i}]");
        let mut ins = Vec::new();
        for (j, name) in op.inputs.iter().enumerate() {
            // Any op may read a weight (a constant) as an input: matmul/conv2d operands,
            // elementwise constants, imported ONNX initializers.
            let id = lookup(name, format!("{path}.inputs[{j}]"), &index)?;
            ins.push(id);
        }
        let weight = match &op.weight {
            Some(n) => Some(lookup(n, format!("{path}.weight"), &index)?),
            None => None,
        };
        let bias = match &op.bias {
            Some(n) => Some(lookup(n, format!("{path}.bias"), &index)?),
            None => None,
        };
        for (field, id) in [("weight", weight), ("bias", bias)] {
            if let Some(id) = id {
                if tensors[id].role != TensorRole::Weight {
                    return Err(InputError::at(
                        format!("{path}.{field}"),
                        format!(
                            "'{}' must be a declared weight tensor (in \"weights\")",
                            tensors[id].name
                        ),
                    ));
                }
            }
        }
        resolved.push((ins, weight, bias));
    }
    Ok(resolved)
}

/// Infers op `i`'s shapes, precision and attributes (its inputs are already shaped),
/// declares its implicit weight, and fills in its output tensor.
fn shape_op(
    spec: &WorkloadSpec,
    i: usize,
    (ins, weight, bias): &Resolved,
    out: TensorId,
    table: &mut Table,
    total_macs: &mut u64,
) -> InputResult<Op> {
    let op = &spec.ops[i];
    let path = format!("ops[{i}]");
    let in_shapes: Vec<&[u64]> = ins
        .iter()
        .map(|&t| table.tensors[t].shape.as_slice())
        .collect();
    let precision = resolve_precision(op, &path, ins, *weight, &table.tensors)?;
    let weight_shape = weight.map(|w| table.tensors[w].shape.clone());
    let Inferred {
        output_shape,
        attrs,
        gemm,
        implicit_weight,
    } = infer(op, &path, &in_shapes, weight_shape.as_deref())?;
    if let Some(g) = gemm {
        let macs = g.checked_macs().ok_or_else(|| {
            InputError::at(
                path.clone(),
                format!(
                    "the op's MAC count ({} x {} x {} x {}) overflows 2^64",
                    g.count, g.m, g.n, g.k
                ),
            )
        })?;
        *total_macs = total_macs.checked_add(macs).ok_or_else(|| {
            InputError::at(
                path.clone(),
                "the workload's total MAC count overflows 2^64 at this op",
            )
        })?;
    }
    let mut weight = *weight;
    if let Some(shape) = implicit_weight {
        let elements = checked_elements(&shape, &format!("{path}.weight"))?;
        let name = format!("{}.weight", op.name);
        let id = table.declare(
            Tensor {
                name: name.clone(),
                shape,
                format: precision.weights,
                role: TensorRole::Weight,
                producer: None,
                file: None,
                elements,
                sparsity: None,
            },
            format!("{path}.weight"),
        )?;
        weight = Some(id);
    }
    if let (Some(b), Some(g)) = (bias, gemm) {
        let bt = &table.tensors[*b];
        let n_total = if op.op == OpKind::Conv2d {
            g.n * g.count
        } else {
            g.n
        };
        if bt.elements != n_total {
            return Err(InputError::at(
                format!("{path}.bias"),
                format!(
                    "bias '{}' has {} elements; expected {}",
                    bt.name, bt.elements, n_total
                ),
            ));
        }
    }
    let elements = checked_elements(&output_shape, &format!("{path}.output"))?;
    table.tensors[out].shape = output_shape;
    table.tensors[out].elements = elements;
    table.tensors[out].format = precision.output;
    Ok(Op {
        name: op.name.clone(),
        kind: op.op,
        inputs: ins.clone(),
        weight,
        bias: *bias,
        output: out,
        attrs,
        precision,
        gemm,
        json_path: path,
    })
}

/// Checked product of a shape; zero dimensions and u64 overflow are errors.
pub(super) fn checked_elements(shape: &[u64], path: &str) -> InputResult<u64> {
    if shape.is_empty() {
        return Err(InputError::at(path, "expected a non-empty shape"));
    }
    let mut n: u64 = 1;
    for (i, &d) in shape.iter().enumerate() {
        if d == 0 {
            return Err(InputError::at(
                format!("{path}[{i}]"),
                "expected a dimension > 0, got 0",
            ));
        }
        n = n.checked_mul(d).ok_or_else(|| {
            InputError::at(
                path,
                format!("the product of dimensions {shape:?} overflows u64"),
            )
        })?;
    }
    Ok(n)
}

/// Kahn's algorithm, taking ready ops in file order (deterministic); on a cycle, names
/// the ops on it.
fn topo_sort(graph: &DiGraph<usize, TensorId>, ops: &[OpSpec]) -> InputResult<Vec<usize>> {
    use petgraph::Direction;
    let n = graph.node_count();
    let mut indeg: Vec<usize> = (0..n)
        .map(|i| {
            graph
                .neighbors_directed(NodeIndex::new(i), Direction::Incoming)
                .count()
        })
        .collect();
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for e in graph.edges_directed(NodeIndex::new(i), Direction::Outgoing) {
            use petgraph::visit::EdgeRef;
            let j = e.target().index();
            indeg[j] -= 1;
            if indeg[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Report one strongly connected component with a cycle.
    let sccs = petgraph::algo::tarjan_scc(graph);
    let cyc = sccs
        .into_iter()
        .filter(|c| c.len() > 1 || graph.contains_edge(c[0], c[0]))
        .min_by_key(|c| c.iter().map(|n| n.index()).min())
        .unwrap_or_default();
    let mut idx: Vec<usize> = cyc.iter().map(|n| n.index()).collect();
    idx.sort_unstable();
    let names: Vec<String> = idx.iter().map(|&i| format!("'{}'", ops[i].name)).collect();
    let first = idx.first().copied().unwrap_or(0);
    Err(InputError::at(
        format!("ops[{first}]"),
        format!(
            "the ops form a cycle: {} (each consumes a tensor another produces); a workload must be a DAG",
            names.join(" → ")
        ),
    ))
}

fn resolve_precision(
    op: &OpSpec,
    path: &str,
    ins: &[TensorId],
    weight: Option<TensorId>,
    tensors: &[Tensor],
) -> InputResult<OpPrecision> {
    let in_fmt = ins
        .first()
        .map(|&t| tensors[t].format)
        .unwrap_or(Format::FP32);
    let (w, a, acc, o, mac) = match &op.precision {
        None => (None, None, None, None, None),
        Some(PrecisionSpec::Uniform(f)) => (Some(*f), Some(*f), None, Some(*f), None),
        Some(PrecisionSpec::Block(b)) => (b.weights, b.activations, b.accumulator, b.output, b.mac),
    };
    let activations = a.unwrap_or(in_fmt);
    let weights = w
        .or_else(|| weight.map(|t| tensors[t].format))
        .or_else(|| (op.op.is_compute() && ins.len() > 1).then(|| tensors[ins[1]].format))
        .unwrap_or(activations);
    let needs_output = matches!(
        op.op,
        OpKind::Quantize | OpKind::Requantize | OpKind::Dequantize | OpKind::Cast
    );
    if needs_output && o.is_none() {
        return Err(InputError::at(
            format!("{path}.precision"),
            format!(
                "a {} op needs \"precision\": {{\"output\": FORMAT}}",
                op.op.name()
            ),
        ));
    }
    if let Some(wid) = weight {
        let wf = tensors[wid].format;
        if let Some(wp) = w {
            if wp != wf {
                return Err(InputError::at(
                    format!("{path}.precision.weights"),
                    format!(
                        "weight '{}' is stored as {wf} but the op's precision says {wp}",
                        tensors[wid].name
                    ),
                ));
            }
        }
    }
    Ok(OpPrecision {
        weights,
        activations,
        accumulator: acc,
        output: o.unwrap_or(activations),
        mac,
    })
}

/// Rejects fields that do not apply to the op's kind.
fn check_fields(op: &OpSpec, path: &str) -> InputResult<()> {
    use OpKind::*;
    let present: [(&str, bool); 19] = [
        ("weight", op.weight.is_some()),
        ("bias", op.bias.is_some()),
        ("out_features", op.out_features.is_some()),
        ("transpose_b", op.transpose_b.is_some()),
        ("out_channels", op.out_channels.is_some()),
        ("kernel", op.kernel.is_some()),
        ("stride", op.stride.is_some()),
        ("padding", op.padding.is_some()),
        ("dilation", op.dilation.is_some()),
        ("groups", op.groups.is_some()),
        ("ceil_mode", op.ceil_mode.is_some()),
        ("axis", op.axis.is_some()),
        ("shape", op.shape.is_some()),
        ("perm", op.perm.is_some()),
        ("min", op.min.is_some()),
        ("max", op.max.is_some()),
        ("count_include_pad", op.count_include_pad.is_some()),
        ("epsilon", op.epsilon.is_some()),
        ("quant", op.quant.is_some()),
    ];
    let allowed: &[&str] = match op.op {
        Matmul => &["weight", "bias", "out_features", "transpose_b", "quant"],
        Conv2d => &[
            "weight",
            "bias",
            "out_channels",
            "kernel",
            "stride",
            "padding",
            "dilation",
            "groups",
            "quant",
        ],
        Maxpool => &["kernel", "stride", "padding", "ceil_mode"],
        Avgpool => &[
            "kernel",
            "stride",
            "padding",
            "ceil_mode",
            "count_include_pad",
        ],
        Layernorm => &["axis", "epsilon"],
        Softmax | Flatten | Concat => &["axis"],
        Reshape | Vector => &["shape"],
        Transpose => &["perm"],
        Clip => &["min", "max"],
        Add | Mul | GlobalAvgpool | Quantize | Requantize | Dequantize => &["quant"],
        Relu | Gelu | Sigmoid | Sub | Div | Pow | Erf | Tanh | Exp | Sqrt | Cast => &[],
    };
    for (field, is_set) in present {
        if is_set && !allowed.contains(&field) {
            return Err(InputError::at(
                format!("{path}.{field}"),
                format!(
                    "field '{field}' does not apply to a {} op (allowed: {})",
                    op.op.name(),
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}
