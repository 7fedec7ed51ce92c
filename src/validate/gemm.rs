//! Workloads for validation: one GEMM of a given shape and precision, and any workload
//! re-typed to another precision.

use crate::error::InputResult;
use crate::numerics::Format;
use crate::workload::{
    OpKind, OpSpec, PrecisionBlock, PrecisionSpec, TensorSpec, Workload, WorkloadSpec,
};

/// A workload of one matmul `C[M,N] = A[M,K]·B[K,N]` with operands in `operand` and the
/// output in `output` (B is an implicit weight).
pub fn gemm_workload(
    m: u64,
    n: u64,
    k: u64,
    operand: Format,
    output: Format,
) -> InputResult<Workload> {
    let mut op = OpSpec::new("gemm", OpKind::Matmul, vec!["a".into()], "c");
    op.out_features = Some(n);
    op.precision = Some(PrecisionSpec::Block(PrecisionBlock {
        weights: Some(operand),
        activations: Some(operand),
        accumulator: None,
        output: Some(output),
        mac: None,
    }));
    Workload::from_spec(WorkloadSpec {
        name: format!("gemm_{m}x{n}x{k}_{operand}"),
        description: None,
        inputs: vec![TensorSpec::new("a", vec![m, k], operand)],
        weights: Vec::new(),
        ops: vec![op],
        outputs: Vec::new(),
        numerics: None,
        batch: None,
    })
}

/// `spec` with every input and weight stored in `format` and every op computing in it
/// (weights, activations and output; the accumulator stays the arch's).
pub fn with_precision(spec: &WorkloadSpec, format: Format) -> WorkloadSpec {
    with_precision_and_output(spec, format, format)
}

/// `spec` with every input and weight stored in `format`, every op computing in it and
/// writing its result in `output` — the GEMM epilogue's format (e.g. int32 or fp32 as
/// CUTLASS kernels with int32/fp32 C/D write it; `format` itself for a requantizing
/// epilogue). The accumulator stays the arch's. With a wider `output`, ops without a
/// precision of their own (activations such as ReLU) read the wide values and write
/// `format` (the requantization fused into them), so the next GEMM reads `format`.
pub fn with_precision_and_output(
    spec: &WorkloadSpec,
    format: Format,
    output: Format,
) -> WorkloadSpec {
    let mut s = spec.clone();
    s.name = if output == format {
        format!("{}_{}", spec.name, format)
    } else {
        format!("{}_{}_out_{}", spec.name, format, output)
    };
    for t in s.inputs.iter_mut().chain(s.weights.iter_mut()) {
        t.format = format;
    }
    for op in &mut s.ops {
        let is_view = matches!(op.op, OpKind::Reshape | OpKind::Flatten);
        if op.precision.is_none() && output != format && !is_view {
            op.precision = Some(PrecisionSpec::Block(PrecisionBlock {
                weights: None,
                activations: None,
                accumulator: None,
                output: Some(format),
                mac: None,
            }));
        } else if op.precision.is_some() {
            op.precision = Some(if output == format {
                PrecisionSpec::Uniform(format)
            } else {
                PrecisionSpec::Block(PrecisionBlock {
                    weights: Some(format),
                    activations: Some(format),
                    accumulator: None,
                    output: Some(output),
                    mac: None,
                })
            });
        }
    }
    s
}
