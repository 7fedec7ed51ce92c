//! Sparsity of imported weights, measured from the initializers' values: every weight that
//! a matmul or conv2d consumes gets its density and the finest N:M pattern along its
//! reduction axis, so a 2:4-pruned model is recognised with no flag.

use std::collections::BTreeMap;

use crate::tensor::{Tensor, TensorData};
use crate::workload::sparsity::{measure, ReductionLayout, SparsityDetail, SparsitySpec};
use crate::workload::{OpKind, OpSpec, TensorSpec};

/// Non-zero flags of a tensor's values (floats by value, −0 counts as zero; integer codes
/// as stored, i.e. quantized weights are measured against code 0).
fn nonzero_flags(t: &Tensor) -> Vec<u8> {
    match t.data() {
        TensorData::F32(v) => v.iter().map(|&x| u8::from(x != 0.0)).collect(),
        TensorData::F64(v) => v.iter().map(|&x| u8::from(x != 0.0)).collect(),
        // f16 / bf16 bits: zero when every bit but the sign is clear.
        TensorData::U16(v) if t.dtype().is_float() => {
            v.iter().map(|&b| u8::from(b & 0x7fff != 0)).collect()
        }
        // fp8 / fp4 codes: zero when every bit but the sign is clear.
        TensorData::U8(v) if t.dtype().is_float() => {
            let sign = 1u8 << (t.dtype().bits().clamp(1, 8) - 1);
            v.iter().map(|&b| u8::from(b & !sign != 0)).collect()
        }
        _ => t
            .to_i64_vec()
            .map(|v| v.iter().map(|&x| u8::from(x != 0)).collect())
            .unwrap_or_default(),
    }
}

/// The reduction axis of a compute op's weight of `shape`.
fn reduction_axis(op: &OpSpec, shape: &[u64]) -> Option<usize> {
    match op.op {
        OpKind::Conv2d if shape.len() == 4 => Some(1),
        OpKind::Matmul if shape.len() >= 2 => Some(if op.transpose_b.unwrap_or(false) {
            shape.len() - 1
        } else {
            shape.len() - 2
        }),
        _ => None,
    }
}

/// Sets `sparsity` on every consumed weight that is not fully dense.
pub(super) fn annotate_weights(
    ops: &[OpSpec],
    weights: &mut [TensorSpec],
    values: &BTreeMap<String, Tensor>,
) {
    for op in ops.iter().filter(|o| o.op.is_compute()) {
        let name = match (&op.weight, op.op, op.inputs.get(1)) {
            (Some(w), _, _) => w,
            (None, OpKind::Matmul, Some(b)) => b,
            _ => continue,
        };
        let (Some(spec), Some(value)) = (
            weights.iter_mut().find(|w| &w.name == name),
            values.get(name),
        ) else {
            continue;
        };
        if spec.sparsity.is_some() {
            continue;
        }
        let Some(axis) = reduction_axis(op, &spec.shape) else {
            continue;
        };
        let flags = nonzero_flags(value);
        if flags.len() as u64 != spec.shape.iter().product::<u64>() {
            continue;
        }
        let m = measure(&flags, ReductionLayout::along_axis(&spec.shape, axis));
        if m.density < 1.0 {
            spec.sparsity = Some(SparsitySpec::Detailed(SparsityDetail {
                density: Some(m.density),
                pattern: m.pattern,
                measured: true,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::Format;

    #[test]
    fn a_2_4_pruned_matmul_weight_is_recognised() {
        // B is K×N = 8×2; along K every group of 4 keeps 2 values.
        let b: Vec<f32> = vec![
            1.0, 0.0, //
            0.0, 2.0, //
            3.0, 0.0, //
            0.0, 4.0, //
            0.0, 5.0, //
            6.0, 0.0, //
            7.0, 6.0, //
            0.0, 0.0, //
        ];
        let t = Tensor::from_f32(vec![8, 2], b).unwrap();
        let mut op = OpSpec::new("mm", OpKind::Matmul, vec!["a".into()], "y");
        op.weight = Some("B".into());
        let mut weights = vec![TensorSpec::new("B", vec![8, 2], Format::FP32)];
        let values = BTreeMap::from([("B".to_string(), t)]);
        annotate_weights(&[op], &mut weights, &values);
        match &weights[0].sparsity {
            Some(SparsitySpec::Detailed(d)) => {
                assert_eq!(d.density, Some(0.5));
                assert!(d.measured);
                let p = d.pattern.expect("an N:M pattern");
                assert!(p.n * 2 <= p.m, "pattern {p:?} keeps at most half");
            }
            other => panic!("expected a measured sparsity, got {other:?}"),
        }
    }

    #[test]
    fn dense_weights_stay_unannotated() {
        let t = Tensor::from_f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let mut op = OpSpec::new("mm", OpKind::Matmul, vec!["a".into()], "y");
        op.weight = Some("B".into());
        let mut weights = vec![TensorSpec::new("B", vec![2, 2], Format::FP32)];
        annotate_weights(&[op], &mut weights, &BTreeMap::from([("B".to_string(), t)]));
        assert!(weights[0].sparsity.is_none());
    }
}
