//! Lowering of layout ONNX nodes (Identity, Flatten, Reshape, Transpose, Concat) to workload ops; mirrors `infer/layout.rs`.

use super::*;

impl Builder<'_> {
    /// Flatten at an axis.
    pub(super) fn lower_flatten(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let node = l.node;
        let mut o = self.new_unary_op(l, OpKind::Flatten)?;
        o.axis = Some(node.attr_int("axis", 1)?);
        self.push(o);
        Ok(())
    }

    /// Reshape to the inferred output shape (also Identity: a reshape to the same shape).
    pub(super) fn lower_reshape(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, out) = (l.node, l.index, l.out);
        let xn = self.operand(&first_input(node)?, node)?;
        let shape = self.shape(out, node)?;
        let mut o = self.new_op(node, index, OpKind::Reshape, vec![xn], out);
        o.shape = Some(dims(&shape).iter().map(|&d| d as i64).collect());
        self.push(o);
        Ok(())
    }

    /// Transpose (reversed axes by default).
    pub(super) fn lower_transpose(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let node = l.node;
        let xs = self.shape(&first_input(node)?, node)?;
        let perm: Vec<usize> = match node.attr_ints("perm")? {
            Some(p) => p.iter().map(|&v| v as usize).collect(),
            None => (0..xs.len()).rev().collect(),
        };
        self.push_unary(l, OpKind::Transpose, |o| o.perm = Some(perm))
    }

    /// Concat along an axis.
    pub(super) fn lower_concat(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, out) = (l.node, l.index, l.out);
        let mut ins = Vec::new();
        for n in node.inputs.iter().filter(|n| !n.is_empty()) {
            ins.push(self.operand(n, node)?);
        }
        let mut o = self.new_op(node, index, OpKind::Concat, ins, out);
        o.axis = Some(node.attr_int_required("axis")?);
        self.push(o);
        Ok(())
    }
}
