//! The per-node view used by the inference rules: typed access to the node's inputs,
//! constants and attributes, with errors that name the node.

use std::collections::BTreeMap;

use super::TensorInfo;
use crate::import::onnx::error::OnnxError;
use crate::import::onnx::model::OnnxNode;
use crate::tensor::{DType, Tensor};

/// What is known about a value during inference.
#[derive(Debug, Clone)]
pub(crate) enum ValueState {
    /// Static dtype and shape.
    Known(TensorInfo),
    /// Not statically known, with the reason (e.g. a symbolic graph-input dimension).
    Unresolved(String),
}

/// One node together with everything inferred so far.
pub(crate) struct NodeCtx<'a> {
    pub node: &'a OnnxNode,
    pub values: &'a BTreeMap<String, ValueState>,
    /// The graph's initializers.
    pub initializers: &'a BTreeMap<String, Tensor>,
    /// Outputs of `Constant` nodes seen so far.
    pub folded: &'a BTreeMap<String, Tensor>,
    /// The imported version of the node's domain.
    pub opset: i64,
}

impl<'a> NodeCtx<'a> {
    /// An error about this node.
    pub fn err(&self, detail: impl Into<String>) -> OnnxError {
        OnnxError::Node {
            node: self.node.label(),
            detail: detail.into(),
        }
    }

    /// Input `i`, which must be present and statically known.
    pub fn input(&self, i: usize, role: &str) -> Result<&'a TensorInfo, OnnxError> {
        self.opt_input(i, role)?
            .ok_or_else(|| self.err(format!("required input #{i} ({role}) is missing")))
    }

    /// Every input that is present (`role` in messages); there must be at least one.
    pub fn present_inputs(&self, role: &str) -> Result<Vec<&'a TensorInfo>, OnnxError> {
        let mut infos = Vec::new();
        for i in 0..self.node.inputs.len() {
            if let Some(info) = self.opt_input(i, role)? {
                infos.push(info);
            }
        }
        match infos.is_empty() {
            true => Err(self.err("needs at least one input")),
            false => Ok(infos),
        }
    }

    /// Input `i` if present (not omitted); it must then be statically known.
    pub fn opt_input(&self, i: usize, role: &str) -> Result<Option<&'a TensorInfo>, OnnxError> {
        let Some(name) = self.node.input(i) else {
            return Ok(None);
        };
        match self.values.get(name) {
            Some(ValueState::Known(info)) => Ok(Some(info)),
            Some(ValueState::Unresolved(why)) => Err(self.err(format!(
                "input #{i} ({role}) '{name}' has no static shape: {why}"
            ))),
            None => Err(self.err(format!("input #{i} ({role}) '{name}' is not defined"))),
        }
    }

    /// The constant value of input `i` (an initializer or `Constant` output), if any.
    pub fn constant(&self, i: usize) -> Option<&'a Tensor> {
        let name = self.node.input(i)?;
        self.folded
            .get(name)
            .or_else(|| self.initializers.get(name))
    }

    /// Check that input `i` has one of the allowed dtypes.
    pub fn expect_dtype(
        &self,
        info: &TensorInfo,
        i: usize,
        role: &str,
        allowed: &[DType],
    ) -> Result<(), OnnxError> {
        if allowed.contains(&info.dtype) {
            Ok(())
        } else {
            Err(self.err(format!(
                "input #{i} ({role}) is {}, expected {}",
                info.dtype,
                allowed
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    /// Check that two inputs have the same dtype.
    pub fn same_dtype(
        &self,
        a: (&TensorInfo, &str),
        b: (&TensorInfo, &str),
    ) -> Result<(), OnnxError> {
        if a.0.dtype == b.0.dtype {
            Ok(())
        } else {
            Err(self.err(format!(
                "{} is {} but {} is {}; they must have the same type",
                a.1, a.0.dtype, b.1, b.0.dtype
            )))
        }
    }

    /// Normalise a possibly negative `axis` attribute against `rank` (valid range
    /// `[-rank, rank - 1]`, or `[-rank, rank]` when `inclusive`).
    pub fn axis(
        &self,
        attr: &str,
        axis: i64,
        rank: usize,
        inclusive: bool,
    ) -> Result<usize, OnnxError> {
        let r = rank as i64;
        let hi = if inclusive { r } else { r - 1 };
        if axis < -r || axis > hi {
            return Err(self.node.attr_error(
                attr,
                format!("{axis} is out of range [{}, {hi}] for rank {rank}", -r),
            ));
        }
        Ok(if axis < 0 {
            (axis + r) as usize
        } else {
            axis as usize
        })
    }
}
