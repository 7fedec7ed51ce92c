//! Lowering of MatMul and Gemm ONNX nodes (and their integer / QLinear forms) to workload ops; mirrors `infer/linalg.rs`.

use super::*;

impl Builder<'_> {
    /// MatMul, MatMulInteger and QLinearMatMul.
    pub(super) fn lower_matmul(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, allow, out) = (l.node, l.index, l.op, l.allow, l.out);
        let (ai, bi) = if op == Op::QLinearMatMul {
            (0, 3)
        } else {
            (0, 1)
        };
        let a = named_input(node, ai, "A")?;
        let b = named_input(node, bi, "B")?;
        if self.shape(&a, node)?.len() < 2 || self.shape(&b, node)?.len() < 2 {
            return self.unsupported(node, index, allow, "a 1-D MatMul operand");
        }
        let quant = match op {
            Op::MatMulInteger => Some(self.integer_quant(node, ["a", "b"])?),
            Op::QLinearMatMul => {
                Some(self.qlinear_quant(node, (1, "a"), Some((4, "b")), (6, "y"))?)
            }
            _ => None,
        };
        self.matmul(node, index, &a, &b, None, false, quant, out)?;
        Ok(())
    }

    /// Gemm and com.microsoft QGemm (transA becomes a Transpose op).
    pub(super) fn lower_gemm(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, allow, out) = (l.node, l.index, l.op, l.allow, l.out);
        let q = op == Op::MsQGemm;
        let (ai, bi, ci) = if q { (0, 3, 6) } else { (0, 1, 2) };
        let alpha = node.attr_float("alpha", 1.0)?;
        let beta = node.attr_float("beta", 1.0)?;
        if alpha != 1.0 || (!q && beta != 1.0) {
            return self.unsupported(node, index, allow, "Gemm with alpha or beta other than 1");
        }
        let mut a = named_input(node, ai, "A")?;
        let b = named_input(node, bi, "B")?;
        if node.attr_int("transA", 0)? != 0 {
            let an = self.operand(&a, node)?;
            let t_out = format!("{out}.transA");
            let name = self.op_name(node, index, ".transA");
            let mut t = OpSpec::new(name, OpKind::Transpose, vec![an], t_out.clone());
            t.perm = Some(vec![1, 0]);
            self.push(t);
            a = t_out;
        }
        let trans_b = node.attr_int("transB", 0)? != 0;
        let quant = if q {
            if node.input(7).is_none() {
                return self.unsupported(
                    node,
                    index,
                    allow,
                    "QGemm with a float output (no y_scale)",
                );
            }
            Some(self.qlinear_quant(node, (1, "a"), Some((4, "b")), (7, "y"))?)
        } else {
            None
        };
        let c = node.input(ci).map(str::to_string);
        self.matmul(node, index, &a, &b, c.as_deref(), trans_b, quant, out)?;
        Ok(())
    }
}
