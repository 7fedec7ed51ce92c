//! Lowering of quantization ONNX nodes (QuantizeLinear, DequantizeLinear, QLinearAdd/Mul) to workload ops; mirrors `infer/quant.rs`.

use super::*;

impl Builder<'_> {
    /// com.microsoft QLinearAdd / QLinearMul.
    pub(super) fn lower_qlinear_binary(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, out) = (l.node, l.index, l.op, l.out);
        let a = self.operand(&first_input(node)?, node)?;
        let b = node
            .input(3)
            .ok_or_else(|| node_err(node, "input #3 (B) is missing"))?;
        let b = self.operand(b, node)?;
        let kind = if op == Op::MsQLinearAdd {
            OpKind::Add
        } else {
            OpKind::Mul
        };
        let mut o = self.new_op(node, index, kind, vec![a, b], out);
        o.quant = Some(self.qlinear_quant(node, (1, "A"), Some((4, "B")), (6, "C"))?);
        self.push(o);
        Ok(())
    }

    /// QuantizeLinear and DequantizeLinear (per-tensor or per-axis; not blocked).
    pub(super) fn lower_qdq(&mut self, l: Lowering, quantize: bool) -> Result<(), OnnxError> {
        let (node, index, allow, out) = (l.node, l.index, l.allow, l.out);
        if node.attr_int("block_size", 0)? != 0 {
            return self.unsupported(node, index, allow, "blocked quantization (block_size)");
        }
        let kind = if quantize {
            OpKind::Quantize
        } else {
            OpKind::Dequantize
        };
        let mut o = self.new_unary_op(l, kind)?;
        o.precision = Some(PrecisionSpec::Block(PrecisionBlock {
            output: Some(self.format_of_value(out, Some(node))?),
            ..Default::default()
        }));
        o.quant = Some(if quantize {
            QuantSpec {
                y_scale: self.opt_const(node, 1, "y_scale")?,
                y_zero_point: self.opt_const(node, 2, "y_zero_point")?,
                axis: node.attr_int_opt("axis")?,
                saturate: node.attr_int_opt("saturate")?.map(|v| v != 0),
                ..Default::default()
            }
        } else {
            QuantSpec {
                a_scale: self.opt_const(node, 1, "x_scale")?,
                a_zero_point: self.opt_const(node, 2, "x_zero_point")?,
                axis: node.attr_int_opt("axis")?,
                ..Default::default()
            }
        });
        self.push(o);
        Ok(())
    }
}
