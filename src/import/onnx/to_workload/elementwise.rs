//! Lowering of elementwise ONNX nodes (activations, arithmetic, Clip, Cast, Softmax, LayerNormalization) to workload ops; mirrors `infer/elementwise.rs`.

use super::*;

impl Builder<'_> {
    /// Unary activations (Relu, Sigmoid, Erf, Tanh, Exp, Sqrt, Gelu).
    pub(super) fn lower_unary(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, allow) = (l.node, l.index, l.op, l.allow);
        if op == Op::Gelu && node.attr_str("approximate", "none")? != "none" {
            return self.unsupported(node, index, allow, "Gelu with approximate='tanh'");
        }
        let kind = match op {
            Op::Relu => OpKind::Relu,
            Op::Sigmoid => OpKind::Sigmoid,
            Op::Erf => OpKind::Erf,
            Op::Tanh => OpKind::Tanh,
            Op::Exp => OpKind::Exp,
            Op::Sqrt => OpKind::Sqrt,
            _ => OpKind::Gelu,
        };
        let o = self.new_unary_op(l, kind)?;
        self.push(o);
        Ok(())
    }

    /// Binary elementwise ops (Add, Sub, Mul, Div, Pow).
    pub(super) fn lower_binary(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, out) = (l.node, l.index, l.op, l.out);
        let kind = match op {
            Op::Add => OpKind::Add,
            Op::Sub => OpKind::Sub,
            Op::Mul => OpKind::Mul,
            Op::Div => OpKind::Div,
            _ => OpKind::Pow,
        };
        let a = self.operand(&first_input(node)?, node)?;
        let b = node
            .input(1)
            .ok_or_else(|| node_err(node, "input #1 is missing"))?;
        let b = self.operand(b, node)?;
        let mut o = self.new_op(node, index, kind, vec![a.clone(), b], out);
        o.precision = self.output_precision(node, &a, out)?;
        self.push(o);
        Ok(())
    }

    /// Clip, its bounds from inputs (opset ≥ 11) or attributes.
    pub(super) fn lower_clip(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let node = l.node;
        let mut o = self.new_unary_op(l, OpKind::Clip)?;
        if node.inputs.len() > 1 {
            o.min = self.opt_const(node, 1, "min")?.map(|v| v.values()[0]);
            o.max = self.opt_const(node, 2, "max")?.map(|v| v.values()[0]);
        } else {
            let bound = |name: &str, default: f32| {
                let v = node.attr(name).map(|_| node.attr_float(name, default));
                v.transpose().map(|v| v.map(|v| v as f64))
            };
            o.min = bound("min", f32::MIN)?;
            o.max = bound("max", f32::MAX)?;
        }
        self.push(o);
        Ok(())
    }

    /// Cast to the output value's format.
    pub(super) fn lower_cast(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, out) = (l.node, l.out);
        let mut o = self.new_unary_op(l, OpKind::Cast)?;
        o.precision = Some(PrecisionSpec::Block(PrecisionBlock {
            output: Some(self.format_of_value(out, Some(node))?),
            ..Default::default()
        }));
        self.push(o);
        Ok(())
    }

    /// Softmax over one axis.
    pub(super) fn lower_softmax(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, allow) = (l.node, l.index, l.allow);
        let xs = self.shape(&first_input(node)?, node)?;
        let opset = self.model.opset_version("").unwrap_or(13);
        let axis = node.attr_int("axis", if opset >= 13 { -1 } else { 1 })?;
        let r = xs.len() as i64;
        let a = if axis < 0 { axis + r } else { axis };
        if opset < 13 && a != r - 1 {
            return self.unsupported(
                node,
                index,
                allow,
                "Softmax before opset 13 over several axes",
            );
        }
        self.push_unary(l, OpKind::Softmax, |o| o.axis = Some(axis))
    }

    /// LayerNormalization with optional scale and bias.
    pub(super) fn lower_layernorm(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, out) = (l.node, l.index, l.out);
        let mut ins = vec![self.operand(&first_input(node)?, node)?];
        for i in 1..3 {
            if let Some(n) = node.input(i) {
                ins.push(self.operand(n, node)?);
            }
        }
        let mut o = self.new_op(node, index, OpKind::Layernorm, ins, out);
        o.axis = Some(node.attr_int("axis", -1)?);
        o.epsilon = Some(node.attr_float("epsilon", 1e-5)? as f64);
        self.push(o);
        Ok(())
    }
}
