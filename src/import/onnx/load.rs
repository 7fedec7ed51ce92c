//! Reading `.onnx` files: decode with `prost`, convert, validate.

use std::path::Path;

use prost::Message;

use super::convert::model_from_proto;
use super::error::OnnxError;
use super::model::OnnxModel;
use super::proto::ModelProto;

impl OnnxModel {
    /// Load and validate an `.onnx` file. Every error names the file.
    pub fn load(path: impl AsRef<Path>) -> Result<OnnxModel, OnnxError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        OnnxModel::from_bytes(&bytes, path)
    }

    /// Decode and validate a model held in memory; `path` is used in error messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<OnnxModel, OnnxError> {
        let proto = ModelProto::decode(bytes).map_err(|source| OnnxError::Decode {
            path: path.to_path_buf(),
            source,
        })?;
        let model = model_from_proto(proto).map_err(|e| e.in_file(path))?;
        model.validate().map_err(|e| e.in_file(path))?;
        Ok(model)
    }

    /// Structural checks: at least one opset is imported, every node's domain is
    /// imported, and the graph is a well-formed DAG (see
    /// [`OnnxGraph::topological_order`](super::OnnxGraph::topological_order)).
    pub fn validate(&self) -> Result<(), OnnxError> {
        let graph_err = |detail: String| OnnxError::Graph {
            graph: self.graph.name.clone(),
            detail,
        };
        if self.opsets.is_empty() {
            return Err(graph_err("the model imports no operator set".into()));
        }
        for node in &self.graph.nodes {
            if self.opset_version(&node.domain).is_none() {
                return Err(OnnxError::Node {
                    node: node.label(),
                    detail: format!(
                        "its domain '{}' is not among the model's imported opsets",
                        node.domain
                    ),
                });
            }
        }
        self.graph.topological_order()?;
        Ok(())
    }
}
