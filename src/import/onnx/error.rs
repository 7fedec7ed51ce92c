//! Errors of the ONNX reader and its shape inference.

use std::path::PathBuf;

/// An error loading, validating or inferring shapes of an ONNX model.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// The file could not be read.
    #[error("cannot read ONNX model {path}: {source}")]
    Read {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a valid `ModelProto` (corrupt, truncated or not ONNX at all).
    #[error("{path}: not a valid ONNX model (corrupt or truncated protobuf): {source}")]
    Decode {
        /// The model file.
        path: PathBuf,
        /// The protobuf decoder's error.
        #[source]
        source: prost::DecodeError,
    },
    /// A problem inside a decoded model, with the file it came from.
    #[error("{path}: {source}")]
    InFile {
        /// The model file.
        path: PathBuf,
        /// The problem.
        #[source]
        source: Box<OnnxError>,
    },
    /// The `ModelProto` has no graph.
    #[error("the model has no graph")]
    NoGraph,
    /// An initializer or tensor attribute that cannot be converted.
    #[error("tensor '{tensor}': {detail}")]
    Tensor {
        /// The tensor's name (or where it appears).
        tensor: String,
        /// What is wrong.
        detail: String,
    },
    /// A tensor whose data lives outside the `.onnx` file.
    #[error(
        "tensor '{tensor}' keeps its data in an external file ('{location}'), which is not \
         supported; re-save the model with onnx.save_model(model, path, \
         save_as_external_data=False)"
    )]
    ExternalData {
        /// The tensor's name.
        tensor: String,
        /// The `location` entry of its external data, if any.
        location: String,
    },
    /// A graph input/output/value_info that cannot be converted.
    #[error("value '{value}': {detail}")]
    ValueInfo {
        /// The value's name.
        value: String,
        /// What is wrong.
        detail: String,
    },
    /// A node attribute that is missing, of the wrong type or out of range.
    #[error("node {node}: attribute '{attr}': {detail}")]
    Attribute {
        /// The node (see [`OnnxNode::label`](super::OnnxNode::label)).
        node: String,
        /// The attribute name.
        attr: String,
        /// What is wrong.
        detail: String,
    },
    /// A node that is malformed or whose shapes/dtypes do not fit its operator.
    #[error("node {node}: {detail}")]
    Node {
        /// The node (see [`OnnxNode::label`](super::OnnxNode::label)).
        node: String,
        /// What is wrong.
        detail: String,
    },
    /// An operator accelsim does not know.
    #[error("node {node}: unsupported operator '{op}' (domain '{domain}')")]
    UnsupportedOp {
        /// The node (see [`OnnxNode::label`](super::OnnxNode::label)).
        node: String,
        /// The `op_type`.
        op: String,
        /// The node's domain (empty = the default ONNX domain).
        domain: String,
    },
    /// A graph-level structural problem (a value defined twice, a use of an undefined value).
    #[error("graph '{graph}': {detail}")]
    Graph {
        /// The graph's name.
        graph: String,
        /// What is wrong.
        detail: String,
    },
    /// The nodes do not form a DAG.
    #[error("graph '{graph}' has a cycle through nodes {}", nodes.join(", "))]
    Cycle {
        /// The graph's name.
        graph: String,
        /// Labels of the nodes that could not be ordered.
        nodes: Vec<String>,
    },
}

impl OnnxError {
    /// Attach the model file's path to an error found inside the model.
    pub(crate) fn in_file(self, path: &std::path::Path) -> OnnxError {
        match self {
            e @ (OnnxError::Read { .. } | OnnxError::Decode { .. } | OnnxError::InFile { .. }) => e,
            e => OnnxError::InFile {
                path: path.to_path_buf(),
                source: Box::new(e),
            },
        }
    }
}

impl crate::error::Classify for OnnxError {
    /// Every ONNX error is about the model file given.
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::BadInput
    }
}
