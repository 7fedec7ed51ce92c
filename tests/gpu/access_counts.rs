//! Access counts of a GPU GEMM kernel (`layers[].access_counts`, issue #14 item 2): every
//! count of one GEMM on the toy GPU derived by hand from its CTA tiling, and the levels'
//! energies equal the layer's `dram`, `l2` and `sram` buckets.

use accelsim::arch::Arch;
use accelsim::power::levels::LayerLevels;
use accelsim::sim::Engine;
use accelsim::workload::Workload;

/// The toy GPU (4 SMs, one 128×128 CTA tile, 64-element fp16 K slices, 8×8×8 tensor-core
/// blocks) with DRAM at 1 pJ/bit, a 1 MiB L2 at 4 pJ and shared memory at 2 pJ per 64-bit
/// access.
fn arch() -> Arch {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gpu/toy_gpu.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mem = &mut v["memory"];
    mem["dram"]["energy_pj_per_bit"] = 1.0.into();
    mem["global_buffer"] = serde_json::json!({
        "capacity_kib": 1024, "bytes_per_cycle": 1000000, "energy_pj_per_64b": 4.0 });
    mem["core_buffers"]["buffer"]["energy_pj_per_64b"] = 2.0.into();
    Arch::from_json(&v.to_string()).unwrap()
}

/// `[reads, fills, updates]` and energy per tensor at `level`.
fn counts(l: &LayerLevels, level: &str) -> Vec<(&'static str, [f64; 3], f64)> {
    l.level(level)
        .unwrap_or_else(|| panic!("no {level}"))
        .tensors
        .iter()
        .map(|t| (t.tensor, [t.reads, t.fills, t.updates], t.energy_pj))
        .collect()
}

#[test]
fn hand_derived_gemm_kernel_counts() {
    // C[256×256] = A[256×512] · B[512×256] in fp16 (fp32 accumulators): 2 × 2 CTAs of
    // 128×128 on 4 SMs, no split-K, each over the whole K = 512.
    let w = Workload::from_json(
        r#"{ "name": "g", "inputs": [{ "name": "a", "shape": [256, 512], "format": "fp16" }],
  "ops": [{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": 256, "precision": "fp16" }] }"#,
    )
    .unwrap();
    let r = accelsim::run(&w, &arch(), Engine::Event).unwrap();
    let l = &r.layers[0];
    let a = l.access_counts.as_ref().unwrap();
    // HBM: A, B (256 KiB each) and C (128 KiB) fit the 1 MiB L2 together, so each crosses
    // HBM once: 32768, 32768 and 16384 64-bit accesses at 64 pJ.
    assert_eq!(
        counts(a, "dram"),
        vec![
            ("inputs", [32768.0, 0.0, 0.0], 2097152.0),
            ("weights", [32768.0, 0.0, 0.0], 2097152.0),
            ("outputs", [0.0, 0.0, 16384.0], 1048576.0),
        ]
    );
    // L2: filled with what HBM sends; each A row panel (128 × 512 × 2 B = 128 KiB) is read
    // by the 2 CTAs of its row, each B column panel by the 2 of its column: 4 × 128 KiB =
    // 65536 accesses each. C: the 4 CTAs write 128 KiB of outputs (16384), drained to HBM
    // (16384). At 4 pJ.
    assert_eq!(
        counts(a, "l2"),
        vec![
            ("inputs", [65536.0, 32768.0, 0.0], 393216.0),
            ("weights", [65536.0, 32768.0, 0.0], 393216.0),
            ("outputs", [16384.0, 0.0, 16384.0], 131072.0),
        ]
    );
    // Shared memory: every CTA's operand tiles written by the copies and read by the tensor
    // cores (65536 each way per operand), the outputs staged once (16384). At 2 pJ.
    assert_eq!(
        counts(a, "shared_memory"),
        vec![
            ("inputs", [65536.0, 65536.0, 0.0], 262144.0),
            ("weights", [65536.0, 65536.0, 0.0], 262144.0),
            ("outputs", [0.0, 0.0, 16384.0], 32768.0),
        ]
    );
    // Register file, 32-bit accesses: 4 CTAs × 128 × 128 × 512 = 2^25 MAC slots. Filled with
    // the fragments read from shared memory (512 KiB per operand = 131072). On 8×8×8
    // blocks each MAC reads 1/8 A and 1/8 B element (2^22 × 2 B) and reads and updates
    // 1/8 accumulator (2^22 × 4 B); the epilogue reads the 4 × 128 × 128 accumulators once
    // more (65536). Its energy is in the SM overhead.
    assert_eq!(
        counts(a, "register_file"),
        vec![
            ("inputs", [2097152.0, 131072.0, 0.0], 0.0),
            ("weights", [2097152.0, 131072.0, 0.0], 0.0),
            ("outputs", [4194304.0 + 65536.0, 0.0, 4194304.0], 0.0),
        ]
    );
    let e = l.energy_breakdown_pj;
    assert_eq!((e.dram, e.l2, e.sram), (5242880.0, 917504.0, 557056.0));
    assert_eq!(a.dram_bytes, 655360.0);
    assert_eq!(l.dram_bytes, 655360.0);
}
