//! The operators accelsim recognises ([`Op`]), keyed by `(domain, op_type)`.

use std::fmt;

use super::model::{OnnxNode, DEFAULT_DOMAIN, MICROSOFT_DOMAIN};

macro_rules! ops {
    ($( $(#[$doc:meta])* $variant:ident => ($domain:expr, $name:literal), )*) => {
        /// An operator accelsim recognises. ONNX Runtime contrib operators
        /// (domain `com.microsoft`) have an `Ms` prefix.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $( $(#[$doc])* $variant, )*
        }

        impl Op {
            /// Every recognised operator.
            pub const ALL: &'static [Op] = &[ $( Op::$variant, )* ];

            /// The operator's domain (`""` for the default ONNX domain).
            pub const fn domain(self) -> &'static str {
                match self { $( Op::$variant => $domain, )* }
            }

            /// The ONNX `op_type`.
            pub const fn op_type(self) -> &'static str {
                match self { $( Op::$variant => $name, )* }
            }
        }
    };
}

ops! {
    /// Elementwise absolute value.
    Abs => (DEFAULT_DOMAIN, "Abs"),
    /// Broadcasting addition.
    Add => (DEFAULT_DOMAIN, "Add"),
    /// Average pooling.
    AveragePool => (DEFAULT_DOMAIN, "AveragePool"),
    /// Element type conversion (`to` attribute).
    Cast => (DEFAULT_DOMAIN, "Cast"),
    /// Elementwise ceiling.
    Ceil => (DEFAULT_DOMAIN, "Ceil"),
    /// Clamp to `[min, max]` (inputs since opset 11, attributes before).
    Clip => (DEFAULT_DOMAIN, "Clip"),
    /// Concatenation along `axis`.
    Concat => (DEFAULT_DOMAIN, "Concat"),
    /// A constant tensor.
    Constant => (DEFAULT_DOMAIN, "Constant"),
    /// N-D convolution.
    Conv => (DEFAULT_DOMAIN, "Conv"),
    /// Integer convolution with zero points, int32 output.
    ConvInteger => (DEFAULT_DOMAIN, "ConvInteger"),
    /// Linear dequantization.
    DequantizeLinear => (DEFAULT_DOMAIN, "DequantizeLinear"),
    /// Broadcasting division.
    Div => (DEFAULT_DOMAIN, "Div"),
    /// Error function (part of exported GELU patterns).
    Erf => (DEFAULT_DOMAIN, "Erf"),
    /// Elementwise exponential.
    Exp => (DEFAULT_DOMAIN, "Exp"),
    /// Flatten to 2-D at `axis`.
    Flatten => (DEFAULT_DOMAIN, "Flatten"),
    /// Elementwise floor.
    Floor => (DEFAULT_DOMAIN, "Floor"),
    /// GELU (opset 20).
    Gelu => (DEFAULT_DOMAIN, "Gelu"),
    /// General matrix multiply `alpha*A'B' + beta*C`.
    Gemm => (DEFAULT_DOMAIN, "Gemm"),
    /// Global average pooling over the spatial dimensions.
    GlobalAveragePool => (DEFAULT_DOMAIN, "GlobalAveragePool"),
    /// Global max pooling over the spatial dimensions.
    GlobalMaxPool => (DEFAULT_DOMAIN, "GlobalMaxPool"),
    /// Identity.
    Identity => (DEFAULT_DOMAIN, "Identity"),
    /// Layer normalization (opset 17).
    LayerNormalization => (DEFAULT_DOMAIN, "LayerNormalization"),
    /// Leaky ReLU.
    LeakyRelu => (DEFAULT_DOMAIN, "LeakyRelu"),
    /// Elementwise natural logarithm.
    Log => (DEFAULT_DOMAIN, "Log"),
    /// NumPy-style matrix product.
    MatMul => (DEFAULT_DOMAIN, "MatMul"),
    /// Integer matrix product with zero points, int32 output.
    MatMulInteger => (DEFAULT_DOMAIN, "MatMulInteger"),
    /// Broadcasting elementwise maximum (variadic).
    Max => (DEFAULT_DOMAIN, "Max"),
    /// Max pooling.
    MaxPool => (DEFAULT_DOMAIN, "MaxPool"),
    /// Broadcasting elementwise minimum (variadic).
    Min => (DEFAULT_DOMAIN, "Min"),
    /// Broadcasting multiplication.
    Mul => (DEFAULT_DOMAIN, "Mul"),
    /// Elementwise negation.
    Neg => (DEFAULT_DOMAIN, "Neg"),
    /// Broadcasting power.
    Pow => (DEFAULT_DOMAIN, "Pow"),
    /// Quantized convolution (NCHW).
    QLinearConv => (DEFAULT_DOMAIN, "QLinearConv"),
    /// Quantized matrix product.
    QLinearMatMul => (DEFAULT_DOMAIN, "QLinearMatMul"),
    /// Linear quantization (int8/uint8/int32/float8/4-bit).
    QuantizeLinear => (DEFAULT_DOMAIN, "QuantizeLinear"),
    /// Elementwise reciprocal.
    Reciprocal => (DEFAULT_DOMAIN, "Reciprocal"),
    /// Rectified linear unit.
    Relu => (DEFAULT_DOMAIN, "Relu"),
    /// Reshape to a constant shape (with 0 and -1).
    Reshape => (DEFAULT_DOMAIN, "Reshape"),
    /// Logistic sigmoid.
    Sigmoid => (DEFAULT_DOMAIN, "Sigmoid"),
    /// Softmax along `axis`.
    Softmax => (DEFAULT_DOMAIN, "Softmax"),
    /// Elementwise square root.
    Sqrt => (DEFAULT_DOMAIN, "Sqrt"),
    /// Broadcasting subtraction.
    Sub => (DEFAULT_DOMAIN, "Sub"),
    /// Hyperbolic tangent.
    Tanh => (DEFAULT_DOMAIN, "Tanh"),
    /// Axis permutation.
    Transpose => (DEFAULT_DOMAIN, "Transpose"),
    /// ONNX Runtime contrib DequantizeLinear (same semantics as the standard op).
    MsDequantizeLinear => (MICROSOFT_DOMAIN, "DequantizeLinear"),
    /// ONNX Runtime contrib GELU.
    MsGelu => (MICROSOFT_DOMAIN, "Gelu"),
    /// ONNX Runtime contrib quantized GEMM (`acc += C`, optional `y_scale`/`y_zero_point`).
    MsQGemm => (MICROSOFT_DOMAIN, "QGemm"),
    /// ONNX Runtime contrib quantized broadcasting addition.
    MsQLinearAdd => (MICROSOFT_DOMAIN, "QLinearAdd"),
    /// ONNX Runtime contrib quantized convolution (`channels_last` attribute for NHWC).
    MsQLinearConv => (MICROSOFT_DOMAIN, "QLinearConv"),
    /// ONNX Runtime contrib quantized global average pooling (`channels_last`).
    MsQLinearGlobalAveragePool => (MICROSOFT_DOMAIN, "QLinearGlobalAveragePool"),
    /// ONNX Runtime contrib quantized broadcasting multiplication.
    MsQLinearMul => (MICROSOFT_DOMAIN, "QLinearMul"),
    /// ONNX Runtime contrib QuantizeLinear (same semantics as the standard op).
    MsQuantizeLinear => (MICROSOFT_DOMAIN, "QuantizeLinear"),
}

impl Op {
    /// Look up an operator by its (normalised) domain and op type.
    pub fn lookup(domain: &str, op_type: &str) -> Option<Op> {
        let domain = super::model::normalize_domain(domain);
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.domain() == domain && op.op_type() == op_type)
    }

    /// The operator of a node, if recognised.
    pub fn of(node: &OnnxNode) -> Option<Op> {
        Op::lookup(&node.domain, &node.op_type)
    }

    /// `Conv`, or `com.microsoft:QGemm`: the spelling `cases.json` uses.
    pub fn qualified_name(self) -> String {
        if self.domain().is_empty() {
            self.op_type().to_string()
        } else {
            format!("{}:{}", self.domain(), self.op_type())
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_round_trips_and_is_unique() {
        for &op in Op::ALL {
            assert_eq!(Op::lookup(op.domain(), op.op_type()), Some(op));
        }
        assert_eq!(Op::lookup("ai.onnx", "Conv"), Some(Op::Conv));
        assert_eq!(Op::lookup("com.microsoft", "QGemm"), Some(Op::MsQGemm));
        assert_eq!(Op::lookup("", "QGemm"), None);
        assert_eq!(Op::MsQLinearAdd.to_string(), "com.microsoft:QLinearAdd");
    }
}
