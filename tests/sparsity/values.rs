//! Pure value-level sparsity helpers (what ONNX import and functional mode call):
//! density, N:M detection and validation along the reduction axis, magnitude pruning, and
//! "sparsity changes cost, never results": a structured-sparse GEMM over the compressed
//! form (kept values + 2-bit indices) gives exactly the dense GEMM with the zeros.
//! Storage formulas are cross-checked against encoding random data.

use accelsim::arch::sparsity::StorageFormat;
use accelsim::model::sparsity::storage;
use accelsim::workload::sparsity::{
    detect_nm, measure, prune_density, prune_nm, validate_nm, NmPattern, ReductionLayout,
};
use proptest::prelude::*;

/// Deterministic pseudo-random values (64-bit LCG, Knuth's constants).
fn lcg(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn random_f32(n: usize, seed: u64) -> Vec<f32> {
    let mut r = lcg(seed);
    // Uniform in [-1, 1) without exact zeros.
    (0..n).map(|_| (r() * 2.0 - 1.0) as f32 + 1e-7).collect()
}

fn p(n: u32, m: u32) -> NmPattern {
    NmPattern::new(n, m).unwrap()
}

#[test]
fn a_two_four_pruned_weight_is_recognised_without_a_flag() {
    // A [K = 64, N = 32] matmul weight: groups run down axis 0.
    let layout = ReductionLayout::along_axis(&[64, 32], 0);
    let mut w = random_f32(64 * 32, 1);
    assert_eq!(
        detect_nm(&w, layout),
        None,
        "random dense values have no pattern"
    );
    let zeroed = prune_nm(&mut w, layout, p(2, 4));
    assert_eq!(zeroed, 64 * 32 / 2);
    let m = measure(&w, layout);
    assert_eq!(m.density, 0.5);
    assert_eq!(m.pattern, Some(p(2, 4)));
    assert!(validate_nm("fc.weight", &w, layout, p(2, 4)).is_ok());
    // Along the other axis it is not 2:4.
    let wrong = ReductionLayout::along_axis(&[64, 32], 1);
    assert!(validate_nm("fc.weight", &w, wrong, p(2, 4)).is_err());
}

#[test]
fn conv_weights_are_grouped_over_input_channels() {
    // [O = 4, C = 8, 3, 3]: groups of 4 channels at each kernel position.
    let shape = [4u64, 8, 3, 3];
    let layout = ReductionLayout::along_axis(&shape, 1);
    assert_eq!((layout.outer, layout.k, layout.inner), (4, 8, 9));
    let mut w = random_f32(4 * 8 * 9, 2);
    prune_nm(&mut w, layout, p(2, 4));
    assert_eq!(detect_nm(&w, layout), Some(p(2, 4)));
    // Every (o, group, kh·kw) keeps exactly 2 of 4.
    for o in 0..4 {
        for g in 0..2 {
            for i in 0..9 {
                let kept = (0..4)
                    .filter(|c| w[(o * 8 + g * 4 + c) * 9 + i] != 0.0)
                    .count();
                assert_eq!(kept, 2);
            }
        }
    }
}

#[test]
fn validation_names_the_tensor_and_the_first_offending_group() {
    // Groups along k = 8 with inner 2: group 1 of inner index 1 holds 3 non-zeros.
    #[rustfmt::skip]
    let v: [i8; 16] = [
        1, 1,   0, 1,   0, 0,   2, 0,   // k 0..4 (inner 0: 1,0,0,2 → 2; inner 1: 1,1,0,0 → 2)
        0, 5,   3, 6,   0, 7,   4, 0,   // k 4..8 (inner 0: 0,3,0,4 → 2; inner 1: 5,6,7,0 → 3)
    ];
    let layout = ReductionLayout {
        outer: 1,
        k: 8,
        inner: 2,
    };
    let err = validate_nm("blk.weight", &v, layout, p(2, 4)).unwrap_err();
    assert_eq!(
        (err.k_start, err.k_end, err.inner, err.nonzeros),
        (4, 8, 1, 3)
    );
    assert_eq!(err.flat_index, 9);
    let msg = err.to_string();
    assert!(msg.contains("'blk.weight'") && msg.contains("2:4") && msg.contains("4..8"));
    assert!(msg.contains("3 non-zeros"), "{msg}");
    let ie = err.into_input_error("weights[0]");
    assert_eq!(ie.json_path, "weights[0]");
    assert!(validate_nm("blk.weight", &v, layout, p(3, 4)).is_ok());
}

#[test]
fn detection_prefers_the_finest_pattern_and_handles_zeros() {
    // One non-zero per group of 4 is also at most one per pair: the finest pattern found is
    // 1:2, which implies the 2:4 that hardware checks against.
    let v = [3.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0];
    assert_eq!(detect_nm(&v, ReductionLayout::flat(8)), Some(p(1, 2)));
    assert!(p(1, 2).implies(&p(2, 4)));
    // −0.0 counts as zero, NaN as a value.
    let z = [-0.0f32, f32::NAN, 0.0, 0.0];
    let m = measure(&z, ReductionLayout::flat(4));
    assert_eq!((m.nonzeros, m.density), (1, 0.25));
    // A reduction axis shorter than 2 cannot carry a pattern.
    assert_eq!(detect_nm(&[1.0f32], ReductionLayout::flat(1)), None);
}

#[test]
fn density_pruning_keeps_exactly_the_largest() {
    let mut v = random_f32(1000, 3);
    let mut sorted: Vec<f32> = v.iter().map(|x| x.abs()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    prune_density(&mut v, 0.3);
    let kept: Vec<f32> = v.iter().filter(|x| **x != 0.0).map(|x| x.abs()).collect();
    assert_eq!(kept.len(), 300);
    let min_kept = kept.iter().copied().fold(f32::INFINITY, f32::min);
    assert_eq!(min_kept, sorted[299]);
}

/// Kept values and 2-bit in-group indices of a [K, N] weight pruned 2:4 along K.
fn compress_2_4(w: &[i8], k: usize, n: usize) -> (Vec<i8>, Vec<u8>) {
    let (mut vals, mut idx) = (Vec::new(), Vec::new());
    for col in 0..n {
        for g in 0..k / 4 {
            let mut kept = 0;
            for j in 0..4 {
                let v = w[(g * 4 + j) * n + col];
                if v != 0 {
                    vals.push(v);
                    idx.push(j as u8);
                    kept += 1;
                }
            }
            // Pad to exactly 2 kept slots (a zero value at an unused index).
            while kept < 2 {
                vals.push(0);
                idx.push(0);
                kept += 1;
            }
        }
    }
    (vals, idx)
}

#[test]
fn structured_sparse_gemm_gives_the_dense_result_with_zeros() {
    let (m, k, n) = (5usize, 16usize, 6usize);
    let mut r = lcg(7);
    let a: Vec<i8> = (0..m * k).map(|_| (r() * 255.0 - 127.0) as i8).collect();
    let mut w: Vec<i8> = (0..k * n).map(|_| (r() * 255.0 - 127.0) as i8).collect();
    prune_nm(
        &mut w,
        ReductionLayout::along_axis(&[k as u64, n as u64], 0),
        p(2, 4),
    );
    // Dense GEMM over the pruned weight (zeros included).
    let dense: Vec<i32> = (0..m * n)
        .map(|i| {
            let (row, col) = (i / n, i % n);
            (0..k)
                .map(|kk| a[row * k + kk] as i32 * w[kk * n + col] as i32)
                .sum()
        })
        .collect();
    // Sparse-tensor-core style: per column, per group, 2 kept values select their
    // activations by index; half the MACs.
    let (vals, idx) = compress_2_4(&w, k, n);
    assert_eq!(vals.len(), k * n / 2);
    let sparse: Vec<i32> = (0..m * n)
        .map(|i| {
            let (row, col) = (i / n, i % n);
            let base = col * (k / 2);
            (0..k / 2)
                .map(|s| {
                    let kk = (s / 2) * 4 + idx[base + s] as usize;
                    a[row * k + kk] as i32 * vals[base + s] as i32
                })
                .sum()
        })
        .collect();
    assert_eq!(sparse, dense);
}

/// Bits of a run-length encoding (Eyeriss-style) of a 0/1 mask: an entry per non-zero with
/// the zeros before it in `run_bits`; longer runs emit a zero-valued entry per 2^run_bits
/// positions. Returns entries.
fn rlc_entries(mask: &[bool], run_bits: u32) -> u64 {
    let t = 1u64 << run_bits;
    let (mut entries, mut run) = (0u64, 0u64);
    for &nz in mask {
        if nz {
            entries += 1 + run / t;
            run = 0;
        } else {
            run += 1;
        }
    }
    entries + run / t
}

#[test]
fn storage_formulas_match_encoding_random_data() {
    let n = 400_000;
    for (d, run_bits) in [(0.5, 2u32), (0.25, 4), (0.05, 3)] {
        let mut r = lcg(11 + run_bits as u64);
        let mask: Vec<bool> = (0..n).map(|_| r() < d).collect();
        let d_real = mask.iter().filter(|b| **b).count() as f64 / n as f64;
        let measured = rlc_entries(&mask, run_bits) as f64 * (8 + run_bits) as f64 / n as f64;
        let model =
            storage::bits_per_element(&StorageFormat::RunLength { run_bits }, d_real, 8.0, 1);
        assert!(
            (measured / model - 1.0).abs() < 0.01,
            "d {d}, r {run_bits}: encoded {measured} bits/element, model {model}"
        );
        // Bitmap: values + 1 mask bit per element, exactly.
        let bitmap_bits = d_real * 8.0 + 1.0;
        assert!(
            (storage::bits_per_element(&StorageFormat::Bitmap, d_real, 8.0, 1) - bitmap_bits).abs()
                < 1e-12
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pruned_tensors_validate_and_detect(
        values in prop::collection::vec(-100i32..100, 1..200),
        pat in prop::sample::select(vec![(1u32, 2u32), (2, 4), (1, 4), (4, 8), (3, 8), (2, 16)]),
        inner in 1usize..4,
    ) {
        let pattern = p(pat.0, pat.1);
        let k = values.len().div_ceil(inner);
        let mut v = values.clone();
        v.resize(k * inner, 1);
        let layout = ReductionLayout { outer: 1, k, inner };
        let before = v.clone();
        prune_nm(&mut v, layout, pattern);
        prop_assert!(validate_nm("t", &v, layout, pattern).is_ok());
        // Idempotent, and only zeroes values.
        let mut again = v.clone();
        prop_assert_eq!(prune_nm(&mut again, layout, pattern), 0);
        for (a, b) in v.iter().zip(&before) {
            prop_assert!(*a == 0 || a == b);
        }
        // Whatever pattern is detected, the values satisfy it.
        if let Some(d) = detect_nm(&v, layout) {
            prop_assert!(validate_nm("t", &v, layout, d).is_ok());
        }
    }
}
