//! Lowering of pooling ONNX nodes to workload ops; mirrors `infer/spatial.rs`.

use super::*;

impl Builder<'_> {
    /// 2-D max and average pooling (NCHW).
    pub(super) fn lower_pool(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, op, allow, out) = (l.node, l.index, l.op, l.allow, l.out);
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
        let xn = self.operand(&first_input(node)?, node)?;
        let mut o = self.new_op(node, index, kind, vec![xn], out);
        o.kernel = Some([kernel[0] as u64, kernel[1] as u64]);
        o.stride = Some([g.strides[0] as u64, g.strides[1] as u64]);
        o.padding = Some(vec![
            g.pads_begin[0] as u64,
            g.pads_begin[1] as u64,
            g.pads_end[0] as u64,
            g.pads_end[1] as u64,
        ]);
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
        let (node, index, out) = (l.node, l.index, l.out);
        let xn = self.operand(&first_input(node)?, node)?;
        let o = self.new_op(node, index, OpKind::GlobalAvgpool, vec![xn], out);
        self.push(o);
        Ok(())
    }

    /// com.microsoft QLinearGlobalAveragePool (NCHW only).
    pub(super) fn lower_qlinear_global_pool(&mut self, l: Lowering) -> Result<(), OnnxError> {
        let (node, index, allow, out) = (l.node, l.index, l.allow, l.out);
        if node.attr_int("channels_last", 0)? != 0 {
            return self.unsupported(node, index, allow, "channels_last=1 (NHWC)");
        }
        let xn = self.operand(&first_input(node)?, node)?;
        let mut o = self.new_op(node, index, OpKind::GlobalAvgpool, vec![xn], out);
        o.quant = Some(QuantSpec {
            a_scale: self.opt_const(node, 1, "x_scale")?,
            a_zero_point: self.opt_const(node, 2, "x_zero_point")?,
            y_scale: self.opt_const(node, 3, "y_scale")?,
            y_zero_point: self.opt_const(node, 4, "y_zero_point")?,
            ..Default::default()
        });
        self.push(o);
        Ok(())
    }
}
