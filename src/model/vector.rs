//! Vector-unit cost of non-GEMM ops: element-operations and cycles.
//!
//! Each kind has an operation count per element, documented here (a modelling choice,
//! reported in the layer table so it can be checked):
//!
//! | op | element-ops | counted over |
//! |---|---|---|
//! | add, sub, mul, div, relu, dequantize, cast, vector (generic) | 1 | output |
//! | erf, tanh, exp, sqrt, pow | 4 (a short polynomial / iteration) | output |
//! | clip, quantize, requantize | 2 (compare/scale + round/clamp) | output |
//! | sigmoid | 4 (exp, add, reciprocal, mul) | output |
//! | gelu | 8 (tanh form: 3 mul, 2 add, tanh≈3) | output |
//! | softmax | 5 (max, sub, exp, sum, div) | input |
//! | layernorm | 7 (sum, sub, square, sum, rsqrt-mul, scale, shift) | input |
//! | maxpool, avgpool | kh·kw per output element | output |
//! | global_avgpool | 1 per input element | input |
//! | transpose, concat | 1 (a copy) | output |
//! | reshape, flatten | 0 (a view; no data moves) | — |

use crate::workload::{OpAttrs, OpKind};

/// Element-operations per counted element of a vector op.
pub fn ops_per_element(kind: OpKind, attrs: &OpAttrs) -> u64 {
    match kind {
        OpKind::Add
        | OpKind::Mul
        | OpKind::Sub
        | OpKind::Div
        | OpKind::Relu
        | OpKind::Dequantize
        | OpKind::Cast
        | OpKind::Vector => 1,
        OpKind::Erf | OpKind::Tanh | OpKind::Exp | OpKind::Sqrt | OpKind::Pow => 4,
        OpKind::Clip | OpKind::Quantize | OpKind::Requantize => 2,
        OpKind::Sigmoid => 4,
        OpKind::Gelu => 8,
        OpKind::Softmax => 5,
        OpKind::Layernorm => 7,
        OpKind::Maxpool | OpKind::Avgpool => match attrs {
            OpAttrs::Pool(p) => p.kernel[0] * p.kernel[1],
            _ => 1,
        },
        OpKind::GlobalAvgpool => 1,
        OpKind::Transpose | OpKind::Concat => 1,
        OpKind::Reshape | OpKind::Flatten => 0,
        OpKind::Matmul | OpKind::Conv2d => 0,
    }
}

/// True when the op's element count is its input's (reductions) rather than its output's.
pub fn counts_input(kind: OpKind) -> bool {
    matches!(
        kind,
        OpKind::Softmax | OpKind::Layernorm | OpKind::GlobalAvgpool
    )
}

/// Cycles for `element_ops` on a vector unit of `lanes` × `ops_per_lane_per_cycle`.
pub fn cycles(element_ops: u64, lanes: u64, ops_per_lane_per_cycle: f64) -> u64 {
    if element_ops == 0 {
        return 0;
    }
    let per_cycle = lanes as f64 * ops_per_lane_per_cycle;
    (element_ops as f64 / per_cycle).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_round_up() {
        assert_eq!(cycles(1000, 64, 1.0), 16);
        assert_eq!(cycles(1024, 64, 2.0), 8);
        assert_eq!(cycles(0, 64, 1.0), 0);
    }
}
