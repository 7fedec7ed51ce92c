//! Node attributes ([`Attribute`]) and the typed getters on [`OnnxNode`] whose errors
//! name the node and the attribute.

use super::error::OnnxError;
use super::model::{OnnxGraph, OnnxNode};
use crate::tensor::Tensor;

/// A node attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    /// `FLOAT`
    Float(f32),
    /// `INT`
    Int(i64),
    /// `STRING` (bytes; ONNX specifies UTF-8)
    String(Vec<u8>),
    /// `TENSOR`
    Tensor(Tensor),
    /// `GRAPH` (a subgraph, e.g. of `If`/`Loop`)
    Graph(Box<OnnxGraph>),
    /// `FLOATS`
    Floats(Vec<f32>),
    /// `INTS`
    Ints(Vec<i64>),
    /// `STRINGS`
    Strings(Vec<Vec<u8>>),
    /// `TENSORS`
    Tensors(Vec<Tensor>),
    /// `GRAPHS`
    Graphs(Vec<OnnxGraph>),
    /// A kind accelsim keeps only by name (`SPARSE_TENSOR(S)`, `TYPE_PROTO(S)`).
    Unsupported(&'static str),
}

impl Attribute {
    /// The ONNX name of the attribute's type (`INT`, `FLOATS`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Attribute::Float(_) => "FLOAT",
            Attribute::Int(_) => "INT",
            Attribute::String(_) => "STRING",
            Attribute::Tensor(_) => "TENSOR",
            Attribute::Graph(_) => "GRAPH",
            Attribute::Floats(_) => "FLOATS",
            Attribute::Ints(_) => "INTS",
            Attribute::Strings(_) => "STRINGS",
            Attribute::Tensors(_) => "TENSORS",
            Attribute::Graphs(_) => "GRAPHS",
            Attribute::Unsupported(kind) => kind,
        }
    }
}

impl OnnxNode {
    /// The raw attribute, if present.
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes.get(name)
    }

    /// An error about attribute `attr` of this node.
    pub fn attr_error(&self, attr: &str, detail: impl Into<String>) -> OnnxError {
        OnnxError::Attribute {
            node: self.label(),
            attr: attr.to_string(),
            detail: detail.into(),
        }
    }

    fn wrong_type(&self, name: &str, wanted: &str, got: &Attribute) -> OnnxError {
        self.attr_error(
            name,
            format!("expected {wanted}, found {}", got.type_name()),
        )
    }

    /// An `INT` attribute, or `default` when absent.
    pub fn attr_int(&self, name: &str, default: i64) -> Result<i64, OnnxError> {
        Ok(self.attr_int_opt(name)?.unwrap_or(default))
    }

    /// An `INT` attribute, or `None` when absent.
    pub fn attr_int_opt(&self, name: &str) -> Result<Option<i64>, OnnxError> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Int(v)) => Ok(Some(*v)),
            Some(other) => Err(self.wrong_type(name, "INT", other)),
        }
    }

    /// A required `INT` attribute.
    pub fn attr_int_required(&self, name: &str) -> Result<i64, OnnxError> {
        self.attr_int_opt(name)?
            .ok_or_else(|| self.attr_error(name, "required attribute is missing"))
    }

    /// A `FLOAT` attribute, or `default` when absent.
    pub fn attr_float(&self, name: &str, default: f32) -> Result<f32, OnnxError> {
        match self.attr(name) {
            None => Ok(default),
            Some(Attribute::Float(v)) => Ok(*v),
            Some(other) => Err(self.wrong_type(name, "FLOAT", other)),
        }
    }

    /// A `STRING` attribute decoded as UTF-8, or `default` when absent.
    pub fn attr_str<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, OnnxError> {
        match self.attr(name) {
            None => Ok(default),
            Some(Attribute::String(bytes)) => std::str::from_utf8(bytes)
                .map_err(|_| self.attr_error(name, "string is not valid UTF-8")),
            Some(other) => Err(self.wrong_type(name, "STRING", other)),
        }
    }

    /// An `INTS` attribute, or `None` when absent.
    pub fn attr_ints(&self, name: &str) -> Result<Option<&[i64]>, OnnxError> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Ints(v)) => Ok(Some(v)),
            Some(other) => Err(self.wrong_type(name, "INTS", other)),
        }
    }

    /// A `FLOATS` attribute, or `None` when absent.
    pub fn attr_floats(&self, name: &str) -> Result<Option<&[f32]>, OnnxError> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Floats(v)) => Ok(Some(v)),
            Some(other) => Err(self.wrong_type(name, "FLOATS", other)),
        }
    }

    /// A `TENSOR` attribute, or `None` when absent.
    pub fn attr_tensor(&self, name: &str) -> Result<Option<&Tensor>, OnnxError> {
        match self.attr(name) {
            None => Ok(None),
            Some(Attribute::Tensor(t)) => Ok(Some(t)),
            Some(other) => Err(self.wrong_type(name, "TENSOR", other)),
        }
    }

    /// An `INTS` attribute whose entries must all be non-negative, as `usize`s.
    pub fn attr_usizes(&self, name: &str) -> Result<Option<Vec<usize>>, OnnxError> {
        let Some(values) = self.attr_ints(name)? else {
            return Ok(None);
        };
        values
            .iter()
            .map(|&v| {
                usize::try_from(v)
                    .map_err(|_| self.attr_error(name, format!("entries must be >= 0, found {v}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node() -> OnnxNode {
        let mut attributes = BTreeMap::new();
        attributes.insert("group".to_string(), Attribute::Int(2));
        attributes.insert("pads".to_string(), Attribute::Ints(vec![1, 1, -1, 1]));
        attributes.insert("auto_pad".to_string(), Attribute::String(b"VALID".to_vec()));
        OnnxNode {
            name: "conv7".into(),
            op_type: "Conv".into(),
            domain: String::new(),
            inputs: vec!["x".into(), "w".into(), String::new()],
            outputs: vec!["y".into()],
            attributes,
        }
    }

    #[test]
    fn getters() {
        let n = node();
        assert_eq!(n.attr_int("group", 1).unwrap(), 2);
        assert_eq!(n.attr_int("missing", 1).unwrap(), 1);
        assert_eq!(n.attr_str("auto_pad", "NOTSET").unwrap(), "VALID");
        assert_eq!(n.attr_ints("pads").unwrap().unwrap().len(), 4);
        assert_eq!(n.input(2), None);
        assert_eq!(n.input(1), Some("w"));
    }

    #[test]
    fn errors_name_node_and_attribute() {
        let n = node();
        let e = n.attr_float("group", 0.0).unwrap_err().to_string();
        assert!(
            e.contains("conv7") && e.contains("group") && e.contains("FLOAT"),
            "{e}"
        );
        let e = n.attr_usizes("pads").unwrap_err().to_string();
        assert!(e.contains("pads") && e.contains("-1"), "{e}");
        let e = n.attr_int_required("axis").unwrap_err().to_string();
        assert!(e.contains("axis") && e.contains("missing"), "{e}");
    }
}
