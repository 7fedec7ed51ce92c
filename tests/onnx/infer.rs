//! Shape and dtype inference on small graphs built in memory, covering the operators
//! and attributes the oracle models do not exercise, and the errors.

use std::collections::BTreeMap;

use accelsim::import::onnx::{
    Attribute, Dim, OnnxError, OnnxGraph, OnnxModel, OnnxNode, TensorInfo, ValueInfo,
};
use accelsim::tensor::{DType, Tensor};

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<(&str, Attribute)>) -> OnnxNode {
    let (domain, op) = op.rsplit_once(':').unwrap_or(("", op));
    OnnxNode {
        name: format!("{op}_{}", outputs[0]),
        op_type: op.to_string(),
        domain: domain.to_string(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        attributes: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

fn input(name: &str, dtype: DType, shape: &[usize]) -> ValueInfo {
    ValueInfo {
        name: name.into(),
        dtype: Some(dtype),
        shape: Some(shape.iter().map(|&d| Dim::Known(d)).collect()),
    }
}

fn model(
    inputs: Vec<ValueInfo>,
    nodes: Vec<OnnxNode>,
    inits: Vec<(&str, Tensor)>,
    opset: i64,
) -> OnnxModel {
    OnnxModel {
        ir_version: 10,
        opsets: vec![(String::new(), opset), ("com.microsoft".into(), 1)],
        producer_name: "test".into(),
        producer_version: String::new(),
        graph: OnnxGraph {
            name: "g".into(),
            nodes,
            inputs,
            outputs: vec![],
            initializers: inits.into_iter().map(|(k, t)| (k.to_string(), t)).collect(),
            value_infos: vec![],
        },
    }
}

fn ints(v: &[i64]) -> Attribute {
    Attribute::Ints(v.to_vec())
}

fn scalar_f32(v: f32) -> Tensor {
    Tensor::scalar(DType::F32, v).unwrap()
}

fn info(m: &OnnxModel, name: &str) -> TensorInfo {
    let inferred = m.infer_shapes().unwrap_or_else(|e| panic!("{e}"));
    inferred
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name}"))
}

fn check(m: &OnnxModel, name: &str, dtype: DType, shape: &[usize]) {
    assert_eq!(
        info(m, name),
        TensorInfo::new(dtype, shape.to_vec()),
        "{name}"
    );
}

fn error(m: &OnnxModel) -> String {
    m.infer_shapes().unwrap_err().to_string()
}

#[test]
fn gelu_erf_pattern_and_activations() {
    let m = model(
        vec![input("x", DType::F32, &[2, 8])],
        vec![
            node("Div", &["x", "sqrt2"], &["a"], vec![]),
            node("Erf", &["a"], &["b"], vec![]),
            node("Add", &["b", "one"], &["c"], vec![]),
            node("Mul", &["x", "c"], &["d"], vec![]),
            node("Mul", &["d", "half"], &["g"], vec![]),
            node("Sigmoid", &["g"], &["s"], vec![]),
            node("Clip", &["s", "lo", ""], &["clip"], vec![]),
            node(
                "Softmax",
                &["clip"],
                &["sm"],
                vec![("axis", Attribute::Int(-1))],
            ),
            node("Gelu", &["sm"], &["gelu"], vec![]),
            node("Tanh", &["gelu"], &["t"], vec![]),
        ],
        vec![
            ("sqrt2", scalar_f32(std::f32::consts::SQRT_2)),
            ("one", scalar_f32(1.0)),
            ("half", Tensor::from_f32(vec![1, 8], vec![0.5; 8]).unwrap()),
            ("lo", scalar_f32(0.0)),
        ],
        20,
    );
    check(&m, "g", DType::F32, &[2, 8]);
    check(&m, "t", DType::F32, &[2, 8]);
}

#[test]
fn conv_geometry() {
    let w = Tensor::zeros(DType::F32, vec![6, 2, 3, 3]).unwrap();
    let b = Tensor::zeros(DType::F32, vec![6]).unwrap();
    let conv = |attrs| {
        model(
            vec![input("x", DType::F32, &[1, 4, 10, 9])],
            vec![node("Conv", &["x", "w", "b"], &["y"], attrs)],
            vec![("w", w.clone()), ("b", b.clone())],
            13,
        )
    };
    let same = |s: &str| Attribute::String(s.as_bytes().to_vec());
    check(
        &conv(vec![("group", Attribute::Int(2))]),
        "y",
        DType::F32,
        &[1, 6, 8, 7],
    );
    check(
        &conv(vec![
            ("group", Attribute::Int(2)),
            ("auto_pad", same("SAME_UPPER")),
            ("strides", ints(&[2, 2])),
        ]),
        "y",
        DType::F32,
        &[1, 6, 5, 5],
    );
    check(
        &conv(vec![
            ("group", Attribute::Int(2)),
            ("dilations", ints(&[2, 3])),
            ("pads", ints(&[1, 0, 1, 0])),
        ]),
        "y",
        DType::F32,
        &[1, 6, 8, 3],
    );
    // group 1 does not fit 4 input channels with 2-channel weights.
    let e = error(&conv(vec![]));
    assert!(e.contains("'Conv_y'") && e.contains("group 1"), "{e}");
    // kernel_shape must agree with the weights.
    let e = error(&conv(vec![
        ("group", Attribute::Int(2)),
        ("kernel_shape", ints(&[2, 2])),
    ]));
    assert!(e.contains("kernel_shape"), "{e}");
}

#[test]
fn pooling() {
    let m = model(
        vec![input("x", DType::F16, &[1, 3, 6, 7])],
        vec![
            node(
                "MaxPool",
                &["x"],
                &["mp", "idx"],
                vec![
                    ("kernel_shape", ints(&[3, 3])),
                    ("strides", ints(&[2, 2])),
                    ("ceil_mode", Attribute::Int(1)),
                ],
            ),
            node(
                "AveragePool",
                &["x"],
                &["ap"],
                vec![
                    ("kernel_shape", ints(&[2, 2])),
                    ("pads", ints(&[1, 1, 1, 1])),
                    ("strides", ints(&[2, 2])),
                ],
            ),
            node("GlobalAveragePool", &["x"], &["gap"], vec![]),
            node("GlobalMaxPool", &["x"], &["gmp"], vec![]),
        ],
        vec![],
        13,
    );
    check(&m, "mp", DType::F16, &[1, 3, 3, 3]);
    check(&m, "idx", DType::I64, &[1, 3, 3, 3]);
    check(&m, "ap", DType::F16, &[1, 3, 4, 4]);
    check(&m, "gap", DType::F16, &[1, 3, 1, 1]);
    check(&m, "gmp", DType::F16, &[1, 3, 1, 1]);
    let m = model(
        vec![input("x", DType::F32, &[1, 3, 6, 7])],
        vec![node("MaxPool", &["x"], &["y"], vec![])],
        vec![],
        13,
    );
    assert!(error(&m).contains("kernel_shape"));
}

#[test]
fn layout_ops() {
    let shape = |v: &[i64]| Tensor::from_i64(vec![v.len()], v.to_vec()).unwrap();
    let m = model(
        vec![input("x", DType::I8, &[2, 3, 4, 5])],
        vec![
            node("Reshape", &["x", "s1"], &["r1"], vec![]),
            node(
                "Constant",
                &[],
                &["s2"],
                vec![("value_ints", ints(&[-1, 10]))],
            ),
            node("Reshape", &["x", "s2"], &["r2"], vec![]),
            node("Transpose", &["x"], &["t0"], vec![]),
            node(
                "Transpose",
                &["x"],
                &["t1"],
                vec![("perm", ints(&[0, 2, 3, 1]))],
            ),
            node(
                "Concat",
                &["x", "x"],
                &["c"],
                vec![("axis", Attribute::Int(-1))],
            ),
            node("Flatten", &["x"], &["f1"], vec![]),
            node(
                "Flatten",
                &["x"],
                &["f0"],
                vec![("axis", Attribute::Int(0))],
            ),
            node(
                "Flatten",
                &["x"],
                &["f4"],
                vec![("axis", Attribute::Int(4))],
            ),
            node("Identity", &["x"], &["id"], vec![]),
            node("Cast", &["x"], &["h"], vec![("to", Attribute::Int(10))]),
        ],
        vec![("s1", shape(&[0, -1, 5]))],
        13,
    );
    check(&m, "r1", DType::I8, &[2, 12, 5]);
    check(&m, "r2", DType::I8, &[12, 10]);
    check(&m, "t0", DType::I8, &[5, 4, 3, 2]);
    check(&m, "t1", DType::I8, &[2, 4, 5, 3]);
    check(&m, "c", DType::I8, &[2, 3, 4, 10]);
    check(&m, "f1", DType::I8, &[2, 60]);
    check(&m, "f0", DType::I8, &[1, 120]);
    check(&m, "f4", DType::I8, &[120, 1]);
    check(&m, "h", DType::F16, &[2, 3, 4, 5]);

    let reshape = |target: &[i64]| {
        model(
            vec![input("x", DType::F32, &[2, 6])],
            vec![node("Reshape", &["x", "s"], &["y"], vec![])],
            vec![("s", shape(target))],
            13,
        )
    };
    check(&reshape(&[3, -1]), "y", DType::F32, &[3, 4]);
    assert!(error(&reshape(&[-1, -1])).contains("more than one -1"));
    assert!(error(&reshape(&[5, -1])).contains("cannot reshape"));
    assert!(error(&reshape(&[2, 5])).contains("cannot reshape"));
    assert!(error(&reshape(&[1, 0, 0])).contains("rank"));
    // A shape that is a graph input is not static.
    let m = model(
        vec![
            input("x", DType::F32, &[2, 6]),
            input("s", DType::I64, &[2]),
        ],
        vec![node("Reshape", &["x", "s"], &["y"], vec![])],
        vec![],
        13,
    );
    assert!(error(&m).contains("constant"));
    let m = model(
        vec![input("x", DType::F32, &[2, 6])],
        vec![node(
            "Transpose",
            &["x"],
            &["y"],
            vec![("perm", ints(&[0, 0]))],
        )],
        vec![],
        13,
    );
    assert!(error(&m).contains("perm"));
    let m = model(
        vec![
            input("x", DType::F32, &[2, 6]),
            input("z", DType::F32, &[3, 5]),
        ],
        vec![node(
            "Concat",
            &["x", "z"],
            &["y"],
            vec![("axis", Attribute::Int(1))],
        )],
        vec![],
        13,
    );
    assert!(error(&m).contains("concatenated"));
}

#[test]
fn matrix_products() {
    let m = model(
        vec![
            input("a", DType::F32, &[2, 1, 3, 4]),
            input("b", DType::F32, &[5, 4, 6]),
            input("p", DType::F32, &[4, 3]),
            input("q", DType::F32, &[7, 4]),
        ],
        vec![
            node("MatMul", &["a", "b"], &["mm"], vec![]),
            node(
                "Gemm",
                &["p", "q", "c"],
                &["gemm"],
                vec![("transA", Attribute::Int(1)), ("transB", Attribute::Int(1))],
            ),
        ],
        vec![("c", Tensor::zeros(DType::F32, vec![1, 7]).unwrap())],
        13,
    );
    check(&m, "mm", DType::F32, &[2, 5, 3, 6]);
    check(&m, "gemm", DType::F32, &[3, 7]);
    let m = model(
        vec![
            input("p", DType::F32, &[4, 3]),
            input("q", DType::F32, &[7, 4]),
        ],
        vec![node("Gemm", &["p", "q"], &["gemm"], vec![])],
        vec![],
        13,
    );
    let e = error(&m);
    assert!(
        e.contains("'Gemm_gemm'") && e.contains("inner dimensions"),
        "{e}"
    );
    let m = model(
        vec![
            input("a", DType::F32, &[2, 3]),
            input("b", DType::F16, &[3, 2]),
        ],
        vec![node("MatMul", &["a", "b"], &["y"], vec![])],
        vec![],
        13,
    );
    assert!(error(&m).contains("same type"));
}

#[test]
fn normalization() {
    let m = model(
        vec![input("x", DType::F32, &[2, 5, 8])],
        vec![node(
            "LayerNormalization",
            &["x", "g", "b"],
            &["y", "mean", "inv"],
            vec![("axis", Attribute::Int(-1))],
        )],
        vec![
            ("g", Tensor::zeros(DType::F32, vec![8]).unwrap()),
            ("b", Tensor::zeros(DType::F32, vec![8]).unwrap()),
        ],
        17,
    );
    check(&m, "y", DType::F32, &[2, 5, 8]);
    check(&m, "mean", DType::F32, &[2, 5, 1]);
    check(&m, "inv", DType::F32, &[2, 5, 1]);
}

#[test]
fn quantization() {
    let s = scalar_f32(0.5);
    let per_channel = Tensor::from_f32(vec![3], vec![0.1, 0.2, 0.3]).unwrap();
    let m = model(
        vec![input("x", DType::F32, &[2, 3, 4])],
        vec![
            node("QuantizeLinear", &["x", "s"], &["q_default"], vec![]),
            node("QuantizeLinear", &["x", "s", "zp8"], &["q_s8"], vec![]),
            node(
                "QuantizeLinear",
                &["x", "pc"],
                &["q_axis"],
                vec![("axis", Attribute::Int(1))],
            ),
            node(
                "QuantizeLinear",
                &["x", "s"],
                &["q_f8"],
                vec![
                    ("output_dtype", Attribute::Int(17)),
                    ("saturate", Attribute::Int(0)),
                ],
            ),
            node(
                "QuantizeLinear",
                &["x", "s", "zp_e5m2"],
                &["q_e5m2"],
                vec![],
            ),
            node("DequantizeLinear", &["q_s8", "s", "zp8"], &["dq"], vec![]),
            node("DequantizeLinear", &["q_f8", "s"], &["dq_f8"], vec![]),
        ],
        vec![
            ("s", s.clone()),
            ("pc", per_channel.clone()),
            ("zp8", Tensor::scalar(DType::I8, 0i8).unwrap()),
            ("zp_e5m2", Tensor::scalar(DType::Float8E5M2, 0u8).unwrap()),
        ],
        21,
    );
    check(&m, "q_default", DType::U8, &[2, 3, 4]);
    check(&m, "q_s8", DType::I8, &[2, 3, 4]);
    check(&m, "q_axis", DType::U8, &[2, 3, 4]);
    check(&m, "q_f8", DType::Float8E4M3FN, &[2, 3, 4]);
    check(&m, "q_e5m2", DType::Float8E5M2, &[2, 3, 4]);
    check(&m, "dq", DType::F32, &[2, 3, 4]);
    check(&m, "dq_f8", DType::F32, &[2, 3, 4]);
    // Per-axis scale on the wrong axis.
    let m = model(
        vec![input("x", DType::F32, &[2, 3, 4])],
        vec![node(
            "QuantizeLinear",
            &["x", "pc"],
            &["q"],
            vec![("axis", Attribute::Int(2))],
        )],
        vec![("pc", per_channel)],
        13,
    );
    assert!(error(&m).contains("per-axis"));
    // A zero point whose type contradicts output_dtype.
    let m = model(
        vec![input("x", DType::F32, &[4])],
        vec![node(
            "QuantizeLinear",
            &["x", "s", "zp"],
            &["q"],
            vec![("output_dtype", Attribute::Int(2))],
        )],
        vec![("s", s), ("zp", Tensor::scalar(DType::I8, 0i8).unwrap())],
        21,
    );
    assert!(error(&m).contains("output_dtype"));
}

#[test]
fn contrib_channels_last_ops() {
    let u8s = |v: u8| Tensor::scalar(DType::U8, v).unwrap();
    let m = model(
        vec![input("x", DType::U8, &[1, 6, 5, 4])],
        vec![
            node(
                "com.microsoft:QLinearConv",
                &["x", "s", "zp", "w", "s", "wzp", "s", "zp"],
                &["y"],
                vec![
                    ("channels_last", Attribute::Int(1)),
                    ("pads", ints(&[1, 1, 1, 1])),
                ],
            ),
            node(
                "com.microsoft:QLinearGlobalAveragePool",
                &["y", "s", "zp", "s", "zp"],
                &["g"],
                vec![("channels_last", Attribute::Int(1))],
            ),
        ],
        vec![
            ("s", scalar_f32(0.1)),
            ("zp", u8s(128)),
            ("w", Tensor::zeros(DType::I8, vec![8, 4, 3, 3]).unwrap()),
            ("wzp", Tensor::scalar(DType::I8, 0i8).unwrap()),
        ],
        13,
    );
    check(&m, "y", DType::U8, &[1, 6, 5, 8]);
    check(&m, "g", DType::U8, &[1, 1, 1, 8]);
}

#[test]
fn graph_level_errors() {
    // Unsupported operator.
    let m = model(
        vec![input("x", DType::F32, &[2])],
        vec![node("NonMaxSuppression", &["x"], &["y"], vec![])],
        vec![],
        13,
    );
    let e = m.infer_shapes().unwrap_err();
    assert!(matches!(e, OnnxError::UnsupportedOp { .. }));
    assert!(e.to_string().contains("NonMaxSuppression"));
    // Broadcasting failure names the node and the shapes.
    let m = model(
        vec![
            input("a", DType::F32, &[2, 3]),
            input("b", DType::F32, &[4, 3]),
        ],
        vec![node("Add", &["a", "b"], &["y"], vec![])],
        vec![],
        13,
    );
    let e = error(&m);
    assert!(
        e.contains("'Add_y'") && e.contains("[2, 3]") && e.contains("[4, 3]"),
        "{e}"
    );
    // A declared output type that disagrees with inference.
    let mut m = model(
        vec![input("x", DType::F32, &[2])],
        vec![node("Relu", &["x"], &["y"], vec![])],
        vec![],
        13,
    );
    m.graph.outputs.push(input("y", DType::F16, &[2]));
    let e = error(&m);
    assert!(e.contains("'y'") && e.contains("float16"), "{e}");
    m.graph.outputs[0] = input("y", DType::F32, &[3]);
    assert!(error(&m).contains("declared shape"));
    // Symbolic input dimensions: an error naming the node, resolved by given shapes.
    let mut m = model(
        vec![ValueInfo {
            name: "x".into(),
            dtype: Some(DType::F32),
            shape: Some(vec![Dim::Symbolic("N".into()), Dim::Known(3)]),
        }],
        vec![node("Relu", &["x"], &["y"], vec![])],
        vec![],
        13,
    );
    let e = error(&m);
    assert!(e.contains("'Relu_y'") && e.contains("[N, 3]"), "{e}");
    let given: BTreeMap<String, Vec<usize>> = [("x".to_string(), vec![7, 3])].into_iter().collect();
    assert_eq!(
        m.infer_shapes_with(&given).unwrap().get("y").unwrap().shape,
        vec![7, 3]
    );
    let wrong: BTreeMap<String, Vec<usize>> = [("x".to_string(), vec![7, 4])].into_iter().collect();
    assert!(m.infer_shapes_with(&wrong).is_err());
    let unknown: BTreeMap<String, Vec<usize>> =
        [("nope".to_string(), vec![1])].into_iter().collect();
    assert!(m.infer_shapes_with(&unknown).is_err());
    // A cycle is reported by inference too.
    m.graph.nodes = vec![
        node("Relu", &["x2"], &["x1"], vec![]),
        node("Relu", &["x1"], &["x2"], vec![]),
    ];
    assert!(matches!(
        m.infer_shapes_with(&given),
        Err(OnnxError::Cycle { .. })
    ));
}

#[test]
fn absurd_sizes_give_errors_not_overflows() {
    let big = 1usize << 40;
    // Broadcasting two large vectors would overflow the element count.
    let m = model(
        vec![
            input("a", DType::F32, &[big, 1]),
            input("b", DType::F32, &[1, big]),
        ],
        vec![node("Add", &["a", "b"], &["y"], vec![])],
        vec![],
        13,
    );
    assert!(error(&m).contains("overflows"));
    // Enormous pads, strides and dilations.
    let w = Tensor::zeros(DType::F32, vec![1, 1, 3, 3]).unwrap();
    for (attr, v) in [
        ("pads", vec![i64::MAX, i64::MAX, i64::MAX, i64::MAX]),
        ("strides", vec![i64::MAX, i64::MAX]),
        ("dilations", vec![i64::MAX, i64::MAX]),
    ] {
        let m = model(
            vec![input("x", DType::F32, &[1, 1, 5, 5])],
            vec![node("Conv", &["x", "w"], &["y"], vec![(attr, ints(&v))])],
            vec![("w", w.clone())],
            13,
        );
        let _ = m.infer_shapes();
    }
    // A reshape target whose product overflows.
    let m = model(
        vec![input("x", DType::F32, &[4])],
        vec![node("Reshape", &["x", "s"], &["y"], vec![])],
        vec![(
            "s",
            Tensor::from_i64(vec![3], vec![i64::MAX, i64::MAX, 0]).unwrap(),
        )],
        13,
    );
    assert!(m.infer_shapes().is_err());
    // A declared input shape whose element count overflows.
    let m = model(
        vec![input("x", DType::F32, &[big, big])],
        vec![node("Relu", &["x"], &["y"], vec![])],
        vec![],
        13,
    );
    assert!(error(&m).contains("overflows"));
}
