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
    })
}

/// `spec` with every input and weight stored in `format` and every op computing in it
/// (weights, activations and output; the accumulator stays the arch's).
pub fn with_precision(spec: &WorkloadSpec, format: Format) -> WorkloadSpec {
    let mut s = spec.clone();
    s.name = format!("{}_{}", spec.name, format);
    for t in s.inputs.iter_mut().chain(s.weights.iter_mut()) {
        t.format = format;
    }
    for op in &mut s.ops {
        if op.precision.is_some() {
            op.precision = Some(PrecisionSpec::Uniform(format));
        }
    }
    s
}
