//! The neutral, owned representation of an ONNX model: [`OnnxModel`], [`OnnxGraph`],
//! [`OnnxNode`] and [`ValueInfo`]. Nothing here refers to protobuf types.

use std::collections::BTreeMap;
use std::fmt;

use super::attr::Attribute;
use crate::tensor::{DType, Tensor};

/// The default ONNX operator domain (`""`, also spelled `"ai.onnx"`).
pub const DEFAULT_DOMAIN: &str = "";
/// The ONNX Runtime contrib operator domain.
pub const MICROSOFT_DOMAIN: &str = "com.microsoft";

/// Normalise a domain name: `"ai.onnx"` becomes `""`.
pub fn normalize_domain(domain: &str) -> &str {
    if domain == "ai.onnx" {
        DEFAULT_DOMAIN
    } else {
        domain
    }
}

/// A loaded ONNX model.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxModel {
    /// `ModelProto.ir_version`.
    pub ir_version: i64,
    /// Imported opsets as `(domain, version)`, in file order; the default domain is `""`.
    pub opsets: Vec<(String, i64)>,
    /// `ModelProto.producer_name`.
    pub producer_name: String,
    /// `ModelProto.producer_version`.
    pub producer_version: String,
    /// The main graph.
    pub graph: OnnxGraph,
}

impl OnnxModel {
    /// The imported version of an operator domain (`""` and `"ai.onnx"` are the same).
    pub fn opset_version(&self, domain: &str) -> Option<i64> {
        let domain = normalize_domain(domain);
        self.opsets
            .iter()
            .filter(|(d, _)| normalize_domain(d) == domain)
            .map(|(_, v)| *v)
            .max()
    }
}

/// A computation graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OnnxGraph {
    /// `GraphProto.name`.
    pub name: String,
    /// The nodes, in file order (ONNX requires topological order; see
    /// [`OnnxGraph::topological_order`]).
    pub nodes: Vec<OnnxNode>,
    /// Graph inputs, in order. With IR < 4, initializers may be listed here too; see
    /// [`OnnxGraph::runtime_inputs`].
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs, in order.
    pub outputs: Vec<ValueInfo>,
    /// Constant tensors by name.
    pub initializers: BTreeMap<String, Tensor>,
    /// Optional type/shape annotations of intermediate values, in file order.
    pub value_infos: Vec<ValueInfo>,
}

impl OnnxGraph {
    /// The graph inputs that must be fed at run time (those without an initializer).
    pub fn runtime_inputs(&self) -> impl Iterator<Item = &ValueInfo> {
        self.inputs
            .iter()
            .filter(|v| !self.initializers.contains_key(&v.name))
    }

    /// The graph input with this name.
    pub fn input(&self, name: &str) -> Option<&ValueInfo> {
        self.inputs.iter().find(|v| v.name == name)
    }

    /// The graph output with this name.
    pub fn output(&self, name: &str) -> Option<&ValueInfo> {
        self.outputs.iter().find(|v| v.name == name)
    }

    /// The distinct `(domain, op_type)` pairs used by the nodes, sorted.
    pub fn op_types(&self) -> Vec<(String, String)> {
        let mut ops: Vec<(String, String)> = self
            .nodes
            .iter()
            .map(|n| (n.domain.clone(), n.op_type.clone()))
            .collect();
        ops.sort();
        ops.dedup();
        ops
    }
}

/// One operator application.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxNode {
    /// `NodeProto.name` (may be empty).
    pub name: String,
    /// The operator, e.g. `"QLinearConv"`.
    pub op_type: String,
    /// The operator domain, normalised (`""` for the default ONNX domain,
    /// `"com.microsoft"` for ONNX Runtime contrib ops).
    pub domain: String,
    /// Input value names; an empty string marks an omitted optional input.
    pub inputs: Vec<String>,
    /// Output value names; an empty string marks an omitted optional output.
    pub outputs: Vec<String>,
    /// Attributes by name.
    pub attributes: BTreeMap<String, Attribute>,
}

impl OnnxNode {
    /// A human-readable identification for messages: `'conv1' (Conv)` when the node has
    /// a name, otherwise `Conv -> 'Y'` after its first output.
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// The `i`-th input name, or `None` if it is absent or omitted (empty).
    pub fn input(&self, i: usize) -> Option<&str> {
        self.inputs
            .get(i)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The `i`-th output name, or `None` if it is absent or omitted (empty).
    pub fn output(&self, i: usize) -> Option<&str> {
        self.outputs
            .get(i)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The op type qualified by its domain: `Conv`, or `com.microsoft:QGemm`
    /// (the spelling `cases.json` uses).
    pub fn qualified_op(&self) -> String {
        if self.domain.is_empty() {
            self.op_type.clone()
        } else {
            format!("{}:{}", self.domain, self.op_type)
        }
    }
}

impl fmt::Display for OnnxNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.name.is_empty() {
            write!(f, "'{}' ({})", self.name, self.qualified_op())
        } else if let Some(out) = self.outputs.iter().find(|o| !o.is_empty()) {
            write!(f, "{} -> '{}'", self.qualified_op(), out)
        } else {
            write!(f, "{} (unnamed)", self.qualified_op())
        }
    }
}

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A fixed size.
    Known(usize),
    /// A named symbolic size (`dim_param`, e.g. `"batch"`).
    Symbolic(String),
    /// Neither value nor name given (or a negative value).
    Unknown,
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Known(d) => write!(f, "{d}"),
            Dim::Symbolic(s) => write!(f, "{s}"),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

/// The declared type of a graph input, output or intermediate value.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInfo {
    /// The value's name.
    pub name: String,
    /// Element type, if declared.
    pub dtype: Option<DType>,
    /// Declared shape; `None` when the rank is unknown.
    pub shape: Option<Vec<Dim>>,
}

impl ValueInfo {
    /// The shape if every dimension is known.
    pub fn static_shape(&self) -> Option<Vec<usize>> {
        self.shape
            .as_ref()?
            .iter()
            .map(|d| match d {
                Dim::Known(v) => Some(*v),
                _ => None,
            })
            .collect()
    }

    /// The shape as text, e.g. `[batch, 3, 224, 224]` or `[?]` for unknown rank.
    pub fn shape_text(&self) -> String {
        match &self.shape {
            None => "[unknown rank]".to_string(),
            Some(dims) => format!(
                "[{}]",
                dims.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}
