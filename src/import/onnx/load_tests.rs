//! Loader tests on models built in memory from protobuf messages: every storage form,
//! attribute typing, and the structural errors.

use std::path::Path;

use prost::Message;

use super::attr::Attribute;
use super::error::OnnxError;
use super::model::{Dim, OnnxModel};
use super::proto::{
    attr_type as at, data_type as dt, AttributeProto, Dimension, GraphProto, ModelProto, NodeProto,
    Opaque, OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    TypeProtoTensor, ValueInfoProto,
};
use crate::tensor::DType;

fn value(name: &str, elem: i32, dims: &[Dimension]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: elem,
                shape: Some(TensorShapeProto { dim: dims.to_vec() }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn d(v: i64) -> Dimension {
    Dimension {
        dim_value: Some(v),
        ..Default::default()
    }
}

fn sym(p: &str) -> Dimension {
    Dimension {
        dim_param: Some(p.into()),
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn model(nodes: Vec<NodeProto>, inits: Vec<TensorProto>) -> ModelProto {
    ModelProto {
        ir_version: 10,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: nodes,
            initializer: inits,
            input: vec![value("x", dt::FLOAT, &[sym("batch"), d(4)])],
            output: vec![value("y", dt::FLOAT, &[sym("batch"), d(4)])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn load(m: &ModelProto) -> Result<OnnxModel, OnnxError> {
    OnnxModel::from_bytes(&m.encode_to_vec(), Path::new("mem/test.onnx"))
}

fn tensor(name: &str, data_type: i32, dims: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        data_type,
        dims: dims.to_vec(),
        ..Default::default()
    }
}

#[test]
fn loads_nodes_values_and_typed_initializers() {
    let mut n = node("Add", &["x", "b"], &["t"]);
    n.name = "add0".into();
    let mut relu = node("Relu", &["t"], &["y"]);
    relu.attribute.push(AttributeProto {
        name: "note".into(),
        r#type: at::STRINGS,
        strings: vec![b"a".to_vec()],
        ..Default::default()
    });
    let mut b = tensor("b", dt::FLOAT, &[4]);
    b.float_data = vec![1.0, 2.0, 3.0, 4.0];
    let mut q = tensor("q", dt::UINT8, &[2]);
    q.int32_data = vec![0, 255];
    let mut s = tensor("s", dt::INT64, &[]);
    s.int64_data = vec![-5];
    let mut r = tensor("r", dt::FLOAT16, &[1]);
    r.raw_data = vec![0x00, 0x3c];
    let m = load(&model(vec![n, relu], vec![b, q, s, r])).unwrap();
    assert_eq!(m.ir_version, 10);
    assert_eq!(m.opset_version("ai.onnx"), Some(13));
    let g = &m.graph;
    assert_eq!(g.nodes[0].label(), "'add0' (Add)");
    assert_eq!(g.nodes[1].label(), "Relu -> 'y'");
    assert_eq!(g.initializers["b"].as_f32().unwrap(), &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(g.initializers["q"].as_u8().unwrap(), &[0, 255]);
    assert_eq!(g.initializers["s"].shape(), &[] as &[usize]);
    assert_eq!(g.initializers["s"].as_i64().unwrap(), &[-5]);
    assert_eq!(g.initializers["r"].dtype(), DType::F16);
    assert_eq!(g.initializers["r"].as_u16().unwrap(), &[0x3c00]);
    assert_eq!(
        g.inputs[0].shape,
        Some(vec![Dim::Symbolic("batch".into()), Dim::Known(4)])
    );
    assert!(matches!(
        g.nodes[1].attr("note"),
        Some(Attribute::Strings(_))
    ));
    // The symbolic batch dimension must be given for shape inference.
    let e = m.infer_shapes().unwrap_err().to_string();
    assert!(e.contains("'add0'") && e.contains("batch"), "{e}");
    let shapes = [("x".to_string(), vec![3, 4])].into_iter().collect();
    let inferred = m.infer_shapes_with(&shapes).unwrap();
    assert_eq!(inferred.get("y").unwrap().shape, vec![3, 4]);
}

#[test]
fn untyped_attributes_are_typed_by_their_field() {
    let mut n = node("Relu", &["x"], &["y"]);
    for (name, a) in [
        (
            "ints",
            AttributeProto {
                ints: vec![1, 2],
                ..Default::default()
            },
        ),
        (
            "f",
            AttributeProto {
                f: 0.5,
                ..Default::default()
            },
        ),
        (
            "s",
            AttributeProto {
                s: b"SAME_UPPER".to_vec(),
                ..Default::default()
            },
        ),
        (
            "i",
            AttributeProto {
                i: 3,
                ..Default::default()
            },
        ),
    ] {
        n.attribute.push(AttributeProto {
            name: name.into(),
            ..a
        });
    }
    let m = load(&model(vec![n], vec![])).unwrap();
    let n = &m.graph.nodes[0];
    assert_eq!(n.attr_ints("ints").unwrap(), Some(&[1i64, 2][..]));
    assert_eq!(n.attr_float("f", 0.0).unwrap(), 0.5);
    assert_eq!(n.attr_str("s", "").unwrap(), "SAME_UPPER");
    assert_eq!(n.attr_int("i", 0).unwrap(), 3);
    // No type and no value: an error naming node and attribute.
    let mut n = node("Relu", &["x"], &["y"]);
    n.attribute.push(AttributeProto {
        name: "empty".into(),
        ..Default::default()
    });
    let e = load(&model(vec![n], vec![])).unwrap_err().to_string();
    assert!(e.contains("test.onnx") && e.contains("'empty'"), "{e}");
}

fn expect_error(m: &ModelProto, needles: &[&str]) {
    let e = load(m).unwrap_err().to_string();
    assert!(e.contains("mem/test.onnx"), "names the file: {e}");
    for n in needles {
        assert!(e.contains(n), "expected '{n}' in: {e}");
    }
}

#[test]
fn structural_errors_name_the_problem() {
    // External data.
    let mut w = tensor("w", dt::FLOAT, &[4]);
    w.data_location = 1;
    w.external_data = vec![StringStringEntryProto {
        key: "location".into(),
        value: "weights.bin".into(),
    }];
    expect_error(
        &model(vec![node("Add", &["x", "w"], &["y"])], vec![w]),
        &["'w'", "weights.bin", "external"],
    );
    // A cycle.
    expect_error(
        &model(
            vec![
                node("Add", &["x", "z"], &["t"]),
                node("Relu", &["t"], &["z"]),
                node("Relu", &["t"], &["y"]),
            ],
            vec![],
        ),
        &["cycle", "Add -> 't'", "Relu -> 'z'"],
    );
    // An undefined input.
    expect_error(
        &model(vec![node("Add", &["x", "nope"], &["y"])], vec![]),
        &["'nope'"],
    );
    // A domain that is not imported.
    let mut n = node("QGemm", &["x"], &["y"]);
    n.domain = "com.microsoft".into();
    expect_error(&model(vec![n], vec![]), &["com.microsoft", "opset"]);
    // No opset at all.
    let mut m = model(vec![node("Relu", &["x"], &["y"])], vec![]);
    m.opset_import.clear();
    expect_error(&m, &["no operator set"]);
    // Unsupported element types and value kinds.
    let s = tensor("s", dt::STRING, &[1]);
    expect_error(
        &model(vec![node("Relu", &["x"], &["y"])], vec![s]),
        &["'s'", "STRING"],
    );
    let mut m = model(vec![node("Relu", &["x"], &["y"])], vec![]);
    m.graph.as_mut().unwrap().input[0].r#type = Some(TypeProto {
        sequence_type: Some(Opaque {}),
        ..Default::default()
    });
    expect_error(&m, &["'x'", "sequence"]);
    // A value produced twice.
    expect_error(
        &model(
            vec![node("Relu", &["x"], &["y"]), node("Relu", &["x"], &["y"])],
            vec![],
        ),
        &["'y'", "already defined"],
    );
    // A duplicate attribute.
    let mut n = node("Relu", &["x"], &["y"]);
    for _ in 0..2 {
        n.attribute.push(AttributeProto {
            name: "a".into(),
            r#type: at::INT,
            i: 1,
            ..Default::default()
        });
    }
    expect_error(&model(vec![n], vec![]), &["'a'", "more than once"]);
    // Initializer data of the wrong length.
    let mut b = tensor("b", dt::FLOAT, &[4]);
    b.float_data = vec![1.0];
    expect_error(
        &model(vec![node("Add", &["x", "b"], &["y"])], vec![b]),
        &["'b'", "float_data"],
    );
    // No graph.
    let mut m = model(vec![], vec![]);
    m.graph = None;
    expect_error(&m, &["no graph"]);
}
