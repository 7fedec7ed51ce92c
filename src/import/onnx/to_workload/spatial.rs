//! Lowering of pooling ONNX nodes to workload ops; mirrors `infer/spatial.rs`.

use super::*;

impl Builder<'_> {
    /// 2-D max and average pooling (NCHW).
    pub(super) fn lower_pool(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, allow) = (l.node, l.index, l.op, l.allow);
        let xs = self.shape(&first_input(node)?, node)?;
        if xs.len() != 4 {
            return self.unsupported(node, index, allow, "only 2-D pooling (NCHW) is supported");
        }
        let kernel = node
            .attr_usizes("kernel_shape")?
            .ok_or_else(|| node.attr_error("kernel_shape", "is required"))?;
        let ceil = node.attr_int("ceil_mode", 0)? != 0;
        let g = resolve_geometry(node, &xs[2..], &kernel, ceil, op == Op::MaxPool)?;
        if g.dilations.iter().any(|&d| d != 1) {
            return self.unsupported(node, index, allow, "dilated pooling");
        }
        let kind = if op == Op::MaxPool {
            OpKind::Maxpool
        } else {
            OpKind::Avgpool
        };
        let mut o = self.new_unary_op(l, kind)?;
        o.kernel = Some([kernel[0] as u64, kernel[1] as u64]);
        set_window(&mut o, &g);
        if ceil {
            o.ceil_mode = Some(true);
        }
        if op == Op::AveragePool && node.attr_int("count_include_pad", 0)? != 0 {
            o.count_include_pad = Some(true);
        }
        self.push(o);
        Ok(())
    }

    /// GlobalAveragePool.
    pub(super) fn lower_global_pool(&mut self, l: Lowering) -> Result<(), OnnxError> {
        self.push_unary(l, OpKind::GlobalAvgpool, |_| {})
    }

    /// com.microsoft QLinearGlobalAveragePool (NCHW only).
    pub(super) fn lower_qlinear_global_pool(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, allow) = (l.node, l.index, l.allow);
        if node.attr_int("channels_last", 0)? != 0 {
            return self.unsupported(node, index, allow, "channels_last=1 (NHWC)");
        }
        let mut o = self.new_unary_op(l, OpKind::GlobalAvgpool)?;
        o.quant = Some(self.qlinear_quant(node, (1, "x"), None, (3, "y"))?);
        self.push(o);
        Ok(())
    }
}
