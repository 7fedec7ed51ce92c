//! Hand-checkable tests of the systolic-array model through one-op workloads: a single
//! fold, a GEMM that exactly fills the array, one that needs many folds, for each of
//! os/ws/is, and precision scaling. Expected cycles are worked out in the comments from
//! SCALE-Sim's closed form (R × C array, GEMM M × N × K):
//!
//! | dataflow | folds                     | cycles per fold |
//! |----------|---------------------------|-----------------|
//! | os       | ceil(M/R) · ceil(N/C)     | R + C + K − 2   |
//! | ws       | ceil(K/R) · ceil(N/C)     | 2R + C + M − 2  |
//! | is       | ceil(K/R) · ceil(M/C)     | 2R + C + N − 2  |
//!
//! total = folds × cycles per fold − 1.

use accelsim::arch::Arch;
use accelsim::model::{self, ArrayMapping, OpCost};
use accelsim::workload::Workload;

/// A one-core systolic arch with int8 at 1 MAC/PE/cycle and int4 at 2.
fn arch(rows: u64, cols: u64, dataflow: &str) -> Arch {
    Arch::from_json(&format!(
        r#"{{
  "name": "t", "clock_ghz": 1.0,
  "array": {{ "kind": "systolic", "rows": {rows}, "cols": {cols}, "dataflow": "{dataflow}" }},
  "precisions": [
    {{ "format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32" }},
    {{ "format": "int4", "macs_per_pe_per_cycle": 2, "accumulator": "int32" }}
  ],
  "vector_unit": {{ "lanes": 8 }},
  "memory": {{
    "dram": {{ "bandwidth_gbps": 100 }},
    "core_buffers": {{ "kind": "unified", "buffer": {{ "capacity_kib": 1024, "bytes_per_cycle": 64 }} }}
  }},
  "static_power_w": 0
}}"#
    ))
    .unwrap()
}

/// One matmul: input [M, K] by an implicit weight [K, N], in `format`.
fn matmul(m: u64, n: u64, k: u64, format: &str) -> Workload {
    Workload::from_json(&format!(
        r#"{{
  "name": "one_matmul",
  "inputs": [{{ "name": "a", "shape": [{m}, {k}], "format": "{format}" }}],
  "ops": [{{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": {n}, "precision": "{format}" }}]
}}"#
    ))
    .unwrap()
}

fn cost(arch: &Arch, wl: &Workload) -> OpCost {
    let mut c = model::plan(wl, arch).unwrap();
    assert_eq!(c.len(), 1);
    c.remove(0)
}

/// (row folds, col folds, cycles per fold, total cycles) of a one-op run.
fn folds(arch: &Arch, wl: &Workload) -> (u64, u64, u64, u64) {
    let c = cost(arch, wl);
    match c.mapping {
        Some(ArrayMapping::Systolic(s)) => {
            assert_eq!(s.cycles, c.compute_cycles);
            (
                s.row_folds,
                s.col_folds,
                s.cycles_per_fold,
                c.compute_cycles,
            )
        }
        other => panic!("expected a systolic mapping, got {other:?}"),
    }
}

#[test]
fn os_single_fold_exact_fill_and_many_folds() {
    let a = arch(8, 8, "os");
    // Single fold: M = 5 ≤ 8, N = 6 ≤ 8; per fold 8 + 8 + 10 − 2 = 24; total 24 − 1 = 23.
    assert_eq!(folds(&a, &matmul(5, 6, 10, "int8")), (1, 1, 24, 23));
    // Exact fill: M = N = 8; per fold 8 + 8 + 8 − 2 = 22; total 21; every PE used.
    assert_eq!(folds(&a, &matmul(8, 8, 8, "int8")), (1, 1, 22, 21));
    let c = cost(&a, &matmul(8, 8, 8, "int8"));
    assert_eq!(c.mapping.unwrap().mapping_efficiency(), 1.0);
    // Many folds: M = 20 → ceil(20/8) = 3, N = 17 → 3; 9 folds of 8 + 8 + 30 − 2 = 44;
    // total 9 · 44 − 1 = 395.
    assert_eq!(folds(&a, &matmul(20, 17, 30, "int8")), (3, 3, 44, 395));
}

#[test]
fn ws_single_fold_exact_fill_and_many_folds() {
    let a = arch(8, 4, "ws");
    // Single fold: K = 6 ≤ R = 8, N = 3 ≤ C = 4; per fold 2·8 + 4 + 10 − 2 = 28; total 27.
    assert_eq!(folds(&a, &matmul(10, 3, 6, "int8")), (1, 1, 28, 27));
    // Exact fill: K = 8 = R, N = 4 = C, M = 8; per fold 16 + 4 + 8 − 2 = 26; total 25.
    assert_eq!(folds(&a, &matmul(8, 4, 8, "int8")), (1, 1, 26, 25));
    // Many folds: K = 20 → ceil(20/8) = 3, N = 10 → ceil(10/4) = 3; M = 7;
    // per fold 16 + 4 + 7 − 2 = 25; total 9 · 25 − 1 = 224.
    assert_eq!(folds(&a, &matmul(7, 10, 20, "int8")), (3, 3, 25, 224));
}

#[test]
fn is_single_fold_exact_fill_and_many_folds() {
    let a = arch(8, 4, "is");
    // Single fold: K = 5 ≤ R = 8, M = 3 ≤ C = 4; per fold 16 + 4 + 9 − 2 = 27 (N = 9); total 26.
    assert_eq!(folds(&a, &matmul(3, 9, 5, "int8")), (1, 1, 27, 26));
    // Exact fill: K = 8 = R, M = 4 = C, N = 4; per fold 16 + 4 + 4 − 2 = 22; total 21.
    assert_eq!(folds(&a, &matmul(4, 4, 8, "int8")), (1, 1, 22, 21));
    // Many folds: K = 17 → 3, M = 9 → ceil(9/4) = 3; N = 5; per fold 16 + 4 + 5 − 2 = 23;
    // total 9 · 23 − 1 = 206.
    assert_eq!(folds(&a, &matmul(9, 5, 17, "int8")), (3, 3, 23, 206));
}

#[test]
fn conv_uses_the_scalesim_gemm_view() {
    // Conv 1×3×5×5, 3×3 kernel, 2 filters, stride 1: output 3×3 → M = 9, N = 2,
    // K = 3·3·3 = 27. On 8×8 os: ceil(9/8) · ceil(2/8) = 2 folds of 8 + 8 + 27 − 2 = 41;
    // total 2 · 41 − 1 = 81.
    let wl = Workload::from_json(
        r#"{ "name": "one_conv",
  "inputs": [{ "name": "x", "shape": [1, 3, 5, 5], "format": "int8" }],
  "ops": [{ "name": "c", "op": "conv2d", "inputs": ["x"], "output": "y",
            "out_channels": 2, "kernel": [3, 3], "precision": "int8" }] }"#,
    )
    .unwrap();
    let g = wl.ops[0].gemm.unwrap();
    assert_eq!((g.count, g.m, g.n, g.k), (1, 9, 2, 27));
    assert_eq!(folds(&arch(8, 8, "os"), &wl), (2, 1, 41, 81));
}

#[test]
fn int4_at_two_macs_per_pe_halves_the_k_term() {
    // os 8×8, M = N = 8, K = 64. int8: 8 + 8 + 64 − 2 = 78 → 77 cycles.
    // int4 packs 2 reduction elements per PE: 8 + 8 + 32 − 2 = 46 → 45 cycles.
    let a = arch(8, 8, "os");
    assert_eq!(folds(&a, &matmul(8, 8, 64, "int8")), (1, 1, 78, 77));
    assert_eq!(folds(&a, &matmul(8, 8, 64, "int4")), (1, 1, 46, 45));
    // ws 8×4, M = 10, N = 4, K = 32: int8 holds R = 8 reduction rows per fold →
    // ceil(32/8) = 4 folds of 16 + 4 + 10 − 2 = 28 → 4 · 28 − 1 = 111.
    // int4 holds 2·8 = 16 per fold → ceil(32/16) = 2 folds → 2 · 28 − 1 = 55.
    let a = arch(8, 4, "ws");
    assert_eq!(folds(&a, &matmul(10, 4, 32, "int8")), (4, 1, 28, 111));
    assert_eq!(folds(&a, &matmul(10, 4, 32, "int4")), (2, 1, 28, 55));
}

#[test]
fn report_cycles_are_compute_cycles_when_memory_keeps_up() {
    // 8×8 os, 8×8×8 int8: 21 compute cycles (above). DRAM moves A + B + C = 192 bytes at
    // 100 B/cycle = 2 cycles; the buffer 384 bytes at 64 B/cycle = 6 cycles; both overlap
    // compute (double buffering) except the pipeline's ends: the op is one step, so its
    // A + B (128 B, 2 cycles, no latency) arrive before it computes and C (64 B, 1 cycle)
    // leaves after: 2 + 21 + 1 = 24 cycles, 3 of them DRAM stall.
    let r = accelsim::run(
        &matmul(8, 8, 8, "int8"),
        &arch(8, 8, "os"),
        accelsim::sim::Engine::Analytic,
    )
    .unwrap();
    assert_eq!(r.summary.cycles, 24);
    assert_eq!(r.layers[0].compute_cycles, 21);
    assert_eq!(r.layers[0].stall_cycles, 3);
    assert_eq!(r.summary.macs, 512);
}
