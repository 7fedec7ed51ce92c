//! Converting decoded protobuf messages into the neutral model types.

use std::collections::BTreeMap;

use super::attr::Attribute;
use super::error::OnnxError;
use super::model::{normalize_domain, Dim, OnnxGraph, OnnxModel, OnnxNode, ValueInfo};
use super::proto::{
    attr_type as at, AttributeProto, GraphProto, ModelProto, NodeProto, ValueInfoProto,
};
use super::tensor_proto::{dtype_from_onnx, onnx_type_name, tensor_from_proto};

/// Convert a decoded `ModelProto`.
pub fn model_from_proto(proto: ModelProto) -> Result<OnnxModel, OnnxError> {
    let graph = proto.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    let graph = graph_from_proto(graph)?;
    let opsets = proto
        .opset_import
        .iter()
        .map(|o| (normalize_domain(&o.domain).to_string(), o.version))
        .collect();
    Ok(OnnxModel {
        ir_version: proto.ir_version,
        opsets,
        producer_name: proto.producer_name,
        producer_version: proto.producer_version,
        graph,
    })
}

/// Convert a `GraphProto` (recursively for subgraph attributes).
pub fn graph_from_proto(proto: &GraphProto) -> Result<OnnxGraph, OnnxError> {
    let graph_err = |detail: String| OnnxError::Graph {
        graph: proto.name.clone(),
        detail,
    };
    if !proto.sparse_initializer.is_empty() {
        return Err(graph_err(
            "sparse initializers are not supported".to_string(),
        ));
    }
    let mut initializers = BTreeMap::new();
    for (i, t) in proto.initializer.iter().enumerate() {
        if t.name.is_empty() {
            return Err(graph_err(format!("initializer #{i} has no name")));
        }
        let tensor = tensor_from_proto(t, &t.name)?;
        if initializers.insert(t.name.clone(), tensor).is_some() {
            return Err(graph_err(format!(
                "initializer '{}' is defined more than once",
                t.name
            )));
        }
    }
    let nodes = proto
        .node
        .iter()
        .enumerate()
        .map(|(i, n)| node_from_proto(n, i))
        .collect::<Result<Vec<_>, _>>()?;
    let value_list = |list: &[ValueInfoProto]| -> Result<Vec<ValueInfo>, OnnxError> {
        list.iter().map(value_info_from_proto).collect()
    };
    Ok(OnnxGraph {
        name: proto.name.clone(),
        nodes,
        inputs: value_list(&proto.input)?,
        outputs: value_list(&proto.output)?,
        initializers,
        value_infos: value_list(&proto.value_info)?,
    })
}

fn node_from_proto(proto: &NodeProto, index: usize) -> Result<OnnxNode, OnnxError> {
    let mut node = OnnxNode {
        name: proto.name.clone(),
        op_type: proto.op_type.clone(),
        domain: normalize_domain(&proto.domain).to_string(),
        inputs: proto.input.clone(),
        outputs: proto.output.clone(),
        attributes: BTreeMap::new(),
    };
    if node.op_type.is_empty() {
        return Err(OnnxError::Node {
            node: format!("#{index} {node}"),
            detail: "op_type is empty".into(),
        });
    }
    for a in &proto.attribute {
        if a.name.is_empty() {
            return Err(node.attr_error("", "attribute without a name"));
        }
        let value = attribute_from_proto(a, &node)?;
        if node.attributes.insert(a.name.clone(), value).is_some() {
            return Err(node.attr_error(&a.name, "attribute given more than once"));
        }
    }
    Ok(node)
}

fn attribute_from_proto(a: &AttributeProto, node: &OnnxNode) -> Result<Attribute, OnnxError> {
    if !a.ref_attr_name.is_empty() {
        return Err(node.attr_error(
            &a.name,
            format!(
                "refers to function attribute '{}'; function bodies are not supported",
                a.ref_attr_name
            ),
        ));
    }
    let kind = if a.r#type != at::UNDEFINED {
        a.r#type
    } else {
        infer_attr_type(a)
            .ok_or_else(|| node.attr_error(&a.name, "attribute has no type and no value"))?
    };
    let tensor = |t: &super::proto::TensorProto| {
        tensor_from_proto(
            t,
            &format!("attribute '{}' of node {}", a.name, node.label()),
        )
    };
    Ok(match kind {
        at::FLOAT => Attribute::Float(a.f),
        at::INT => Attribute::Int(a.i),
        at::STRING => Attribute::String(a.s.clone()),
        at::TENSOR => match &a.t {
            Some(t) => Attribute::Tensor(tensor(t)?),
            None => return Err(node.attr_error(&a.name, "TENSOR attribute without a tensor")),
        },
        at::GRAPH => match &a.g {
            Some(g) => Attribute::Graph(Box::new(graph_from_proto(g)?)),
            None => return Err(node.attr_error(&a.name, "GRAPH attribute without a graph")),
        },
        at::FLOATS => Attribute::Floats(a.floats.clone()),
        at::INTS => Attribute::Ints(a.ints.clone()),
        at::STRINGS => Attribute::Strings(a.strings.clone()),
        at::TENSORS => Attribute::Tensors(a.tensors.iter().map(tensor).collect::<Result<_, _>>()?),
        at::GRAPHS => Attribute::Graphs(
            a.graphs
                .iter()
                .map(graph_from_proto)
                .collect::<Result<_, _>>()?,
        ),
        at::SPARSE_TENSOR => Attribute::Unsupported("SPARSE_TENSOR"),
        at::SPARSE_TENSORS => Attribute::Unsupported("SPARSE_TENSORS"),
        at::TYPE_PROTO => Attribute::Unsupported("TYPE_PROTO"),
        at::TYPE_PROTOS => Attribute::Unsupported("TYPE_PROTOS"),
        other => {
            return Err(node.attr_error(&a.name, format!("unknown attribute type code {other}")))
        }
    })
}

/// The attribute type of a pre-IR-2 attribute without a `type` field, judged by which
/// value field is set.
fn infer_attr_type(a: &AttributeProto) -> Option<i32> {
    let kind = if !a.floats.is_empty() {
        at::FLOATS
    } else if !a.ints.is_empty() {
        at::INTS
    } else if !a.strings.is_empty() {
        at::STRINGS
    } else if !a.tensors.is_empty() {
        at::TENSORS
    } else if !a.graphs.is_empty() {
        at::GRAPHS
    } else if a.t.is_some() {
        at::TENSOR
    } else if a.g.is_some() {
        at::GRAPH
    } else if !a.s.is_empty() {
        at::STRING
    } else if a.i != 0 {
        at::INT
    } else if a.f != 0.0 {
        at::FLOAT
    } else {
        return None;
    };
    Some(kind)
}

fn value_info_from_proto(proto: &ValueInfoProto) -> Result<ValueInfo, OnnxError> {
    let err = |detail: &str| OnnxError::ValueInfo {
        value: proto.name.clone(),
        detail: detail.to_string(),
    };
    if proto.name.is_empty() {
        return Err(err("value without a name"));
    }
    let mut info = ValueInfo {
        name: proto.name.clone(),
        dtype: None,
        shape: None,
    };
    let Some(ty) = &proto.r#type else {
        return Ok(info);
    };
    let Some(tensor) = &ty.tensor_type else {
        if ty.sequence_type.is_some()
            || ty.map_type.is_some()
            || ty.optional_type.is_some()
            || ty.sparse_tensor_type.is_some()
        {
            return Err(err(
                "only dense tensor values are supported (sequence, map, optional and sparse types are not)",
            ));
        }
        return Ok(info);
    };
    if tensor.elem_type != 0 {
        info.dtype =
            Some(
                dtype_from_onnx(tensor.elem_type).ok_or_else(|| OnnxError::ValueInfo {
                    value: proto.name.clone(),
                    detail: format!(
                        "element type {} is not supported",
                        onnx_type_name(tensor.elem_type)
                    ),
                })?,
            );
    }
    info.shape = tensor.shape.as_ref().map(|s| {
        s.dim
            .iter()
            .map(|d| match (&d.dim_value, &d.dim_param) {
                (Some(v), _) if *v >= 0 => usize::try_from(*v).map_or(Dim::Unknown, Dim::Known),
                (_, Some(p)) if !p.is_empty() => Dim::Symbolic(p.clone()),
                _ => Dim::Unknown,
            })
            .collect()
    });
    Ok(info)
}
