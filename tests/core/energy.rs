//! Energy checked against values computed by hand from the Horowitz (ISSCC 2014, 45 nm)
//! table, on tiny one-op workloads whose traffic is countable by hand:
//!
//! - int8 MAC with an int32 accumulator: 0.2 (mult) + 0.1 (add) = 0.3 pJ;
//!   fp16 MAC with an fp32 accumulator: 1.1 + 0.9 = 2.0 pJ;
//! - SRAM per 64-bit access, linear in log2(capacity) through 8 KiB = 10 pJ,
//!   32 KiB = 20 pJ, 1 MiB = 100 pJ (16 KiB → 15 pJ, 256 KiB → 20 + 80 · 3/5 = 68 pJ);
//! - DRAM 1.3 nJ per 64 bits = 20.3125 pJ/bit = 162.5 pJ/byte;
//! - static = W × s.
//!
//! Traffic by the model's documented conventions: each buffer counts its array-side
//! accesses (per dataflow) plus the bytes filled from / drained to DRAM; with everything
//! fitting on chip DRAM moves A, B and C once.

use accelsim::arch::Arch;
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use approx::assert_relative_eq;

const DRAM_PJ_PER_BYTE: f64 = 1300.0 / 64.0 * 8.0; // 162.5

fn arch(dataflow: &str, buffers: &str) -> Arch {
    Arch::from_json(&format!(
        r#"{{
  "name": "energy_test", "clock_ghz": 1.0,
  "array": {{ "kind": "systolic", "rows": 8, "cols": 8, "dataflow": "{dataflow}" }},
  "precisions": [
    {{ "format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32" }},
    {{ "format": "fp16", "macs_per_pe_per_cycle": 1, "accumulator": "fp32" }}
  ],
  "vector_unit": {{ "lanes": 8 }},
  "memory": {{ "dram": {{ "bandwidth_gbps": 1000 }}, "core_buffers": {buffers} }},
  "static_power_w": 0.5
}}"#
    ))
    .unwrap()
}

fn split(ifmap_kib: u32, filter_kib: u32, ofmap_kib: u32) -> String {
    format!(
        r#"{{ "kind": "split",
  "ifmap": {{ "capacity_kib": {ifmap_kib}, "bytes_per_cycle": 64 }},
  "filter": {{ "capacity_kib": {filter_kib}, "bytes_per_cycle": 64 }},
  "ofmap": {{ "capacity_kib": {ofmap_kib}, "bytes_per_cycle": 64 }} }}"#
    )
}

fn matmul(m: u64, n: u64, k: u64, format: &str) -> Workload {
    Workload::from_json(&format!(
        r#"{{ "name": "one_matmul",
  "inputs": [{{ "name": "a", "shape": [{m}, {k}], "format": "{format}" }}],
  "ops": [{{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": {n}, "precision": "{format}" }}] }}"#
    ))
    .unwrap()
}

fn check(r: &Report, mac: f64, sram: f64, dram: f64, static_: f64) {
    let e = &r.summary.energy_breakdown_pj;
    assert_relative_eq!(e.mac, mac, max_relative = 1e-12);
    assert_eq!(e.vector, 0.0);
    assert_relative_eq!(e.sram, sram, max_relative = 1e-12);
    assert_relative_eq!(e.dram, dram, max_relative = 1e-12);
    assert_relative_eq!(e.static_, static_, max_relative = 1e-12);
    assert_relative_eq!(
        r.summary.energy_pj,
        mac + sram + dram + static_,
        max_relative = 1e-12
    );
}

#[test]
fn int8_os_gemm_on_split_buffers() {
    // 8×8×8 int8 on 8×8 os, ifmap 8 KiB (10 pJ), filter 32 KiB (20 pJ), ofmap 1 MiB (100 pJ).
    let r = accelsim::run(
        &matmul(8, 8, 8, "int8"),
        &arch("os", &split(8, 32, 1024)),
        Engine::Analytic,
    )
    .unwrap();
    // MAC: 8·8·8 = 512 MACs × 0.3 pJ = 153.6 pJ.
    let mac = 512.0 * 0.3;
    // ifmap: array reads M·K·ceil(N/C) = 64 B + 64 B filled from DRAM = 128 B = 16 words × 10.
    // filter: N·K·ceil(M/R) = 64 B + 64 B fill = 16 words × 20.
    // ofmap: M·N = 64 B written by the array + 64 B drained to DRAM = 16 words × 100.
    let sram = 16.0 * 10.0 + 16.0 * 20.0 + 16.0 * 100.0;
    // DRAM: A 64 B + B 64 B read, C 64 B written = 192 B × 162.5 pJ/B = 31200 pJ.
    let dram = 192.0 * DRAM_PJ_PER_BYTE;
    assert_eq!(dram, 31200.0);
    // Time: 8 + 8 + 8 − 2 − 1 = 21 compute cycles (buffers 2 cycles overlap); the op is one
    // step, so its loads (A + B, 1 cycle) precede it and its store (C, 1 cycle) follows:
    // 23 ns at 1 GHz; static 0.5 W × 23 ns = 11.5 nJ.
    assert_eq!(r.summary.cycles, 23);
    let static_ = 0.5 * 23e-9 * 1e12;
    check(&r, mac, sram, dram, static_);
    assert_relative_eq!(r.summary.dram_bytes, 192.0);
}

#[test]
fn fp16_os_gemm_on_an_interpolated_unified_buffer() {
    // Same GEMM in fp16 (2-byte words), one 16 KiB buffer: log2 16 KiB is halfway between
    // 8 KiB and 32 KiB → 15 pJ per 64-bit access.
    let unified =
        r#"{ "kind": "unified", "buffer": { "capacity_kib": 16, "bytes_per_cycle": 64 } }"#;
    let r = accelsim::run(
        &matmul(8, 8, 8, "fp16"),
        &arch("os", unified),
        Engine::Analytic,
    )
    .unwrap();
    // MAC: 512 × (1.1 + 0.9) = 1024 pJ.
    let mac = 512.0 * 2.0;
    // ifmap 64·2 + 128 fill = 256 B; filter 256 B; ofmap 128 written + 128 drained = 256 B;
    // 768 B = 96 words × 15 pJ = 1440 pJ.
    let sram = 96.0 * 15.0;
    // DRAM: (128 + 128 + 128) B × 162.5 = 62400 pJ.
    let dram = 384.0 * DRAM_PJ_PER_BYTE;
    // 21 compute cycles (buffer 768/64 = 12 cycles overlap) + 1 cycle loading A + B before
    // the single step + 1 cycle storing C after it.
    assert_eq!(r.summary.cycles, 23);
    check(&r, mac, sram, dram, 0.5 * 23e-9 * 1e12);
}

#[test]
fn int8_ws_gemm_with_partial_sums() {
    // 8×8×16 int8 on 8×8 ws: K = 16 needs ceil(16/8) = 2 row folds, so each of the
    // M·N = 64 outputs is written as a partial sum after fold 1 and read back in fold 2:
    // 64 · (2·2 − 2) = 128 int32 accesses = 512 B in the ofmap buffer.
    // Buffers: ifmap 8 KiB (10 pJ), filter 256 KiB (20 + 80·(18 − 15)/5 = 68 pJ), ofmap 1 MiB.
    let r = accelsim::run(
        &matmul(8, 8, 16, "int8"),
        &arch("ws", &split(8, 256, 1024)),
        Engine::Analytic,
    )
    .unwrap();
    let mac = 1024.0 * 0.3;
    // ifmap: M·K·ceil(N/C) = 128 B + 128 B fill = 256 B = 32 words × 10 = 320.
    // filter: N·K = 128 B + 128 B fill = 32 words × 68 = 2176.
    // ofmap: 512 B psums + 64 B outputs + 64 B drain = 640 B = 80 words × 100 = 8000.
    let sram = 32.0 * 10.0 + 32.0 * 68.0 + 80.0 * 100.0;
    // DRAM: 128 + 128 read, 64 written = 320 B × 162.5 = 52000.
    let dram = 320.0 * DRAM_PJ_PER_BYTE;
    // Folds: 2 · ceil(8/8) = 2 of 2·8 + 8 + 8 − 2 = 30 cycles → 59 cycles, + 1 cycle of
    // loads before the single step and 1 of store after it = 61; 0.5 W × 61 ns.
    assert_eq!(r.summary.cycles, 61);
    check(&r, mac, sram, dram, 0.5 * 61e-9 * 1e12);
}

#[test]
fn report_lists_the_table_figures_it_used() {
    let r = accelsim::run(
        &matmul(8, 8, 8, "int8"),
        &arch("os", &split(8, 32, 1024)),
        Engine::Analytic,
    )
    .unwrap();
    let fig = |k: &str| r.energy_figures_pj[k];
    assert_relative_eq!(fig("mac.int8xint32"), 0.3, max_relative = 1e-12);
    assert_relative_eq!(fig("sram.ifmap.per_64b"), 10.0, max_relative = 1e-12);
    assert_relative_eq!(fig("sram.filter.per_64b"), 20.0, max_relative = 1e-12);
    assert_relative_eq!(fig("sram.ofmap.per_64b"), 100.0, max_relative = 1e-12);
    assert_relative_eq!(fig("dram.per_byte"), 162.5, max_relative = 1e-12);
}
