//! Per-level access counts (issue #14 item 2, `layers[].access_counts`): every count of
//! one GEMM on a small systolic arch derived by hand from its loop nest (with and without
//! a global buffer), and on every preset × workload the levels' energies add up to the
//! layer's `dram`, `global_buffer`, `sram`, `register_file` and `noc` buckets and the DRAM entries to the layer's DRAM bytes.

use accelsim::arch::Arch;
use accelsim::power::levels::{LayerLevels, LevelEnergy};
use accelsim::report::LayerReport;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A 4×4 weight-stationary int8 array with round per-access energies: DRAM 1 pJ/bit
/// (64 pJ per 64-bit access), ifmap / filter / ofmap buffers 1 / 2 / 3 pJ per 64-bit
/// access, an 8-bit register file at 0.5 pJ and an array network at 1 pJ per word, and
/// core buffers of `kib` KiB each.
fn hand_arch(kib: f64) -> Arch {
    hand_arch_with(kib, "")
}

/// [`hand_arch`] with `extra` JSON members in `memory` (e.g. a global buffer).
fn hand_arch_with(kib: f64, extra: &str) -> Arch {
    let buf = |e: f64| {
        format!(r#"{{ "capacity_kib": {kib}, "bytes_per_cycle": 32, "energy_pj_per_64b": {e} }}"#)
    };
    Arch::from_json(&format!(
        r#"{{ "name": "hand_ws_4x4", "clock_ghz": 1.0, "cores": 1,
  "array": {{ "kind": "systolic", "rows": 4, "cols": 4, "dataflow": "ws" }},
  "precisions": [{{ "format": "int8", "macs_per_pe_per_cycle": 1, "accumulator": "int32" }}],
  "vector_unit": {{ "lanes": 4, "ops_per_lane_per_cycle": 1 }},
  "memory": {{
    "dram": {{ "bandwidth_gbps": 10, "latency_ns": 0, "energy_pj_per_bit": 1.0 }},
    "core_buffers": {{ "kind": "split", "ifmap": {}, "filter": {}, "ofmap": {} }},{extra}
    "double_buffering": false }},
  "pe_level": {{ "register_file_bytes": 16, "access_bits": 8,
                 "rf_energy_pj_per_access": 0.5, "noc_energy_pj_per_access": 1.0 }},
  "static_power_w": 0.0 }}"#,
        buf(1.0),
        buf(2.0),
        buf(3.0)
    ))
    .unwrap()
}

/// C[8×8] = A[8×16] · B[16×8], int8 with int32 partial sums.
fn gemm() -> Workload {
    Workload::from_json(
        r#"{ "name": "gemm", "inputs": [{ "name": "a", "shape": [8, 16], "format": "int8" }],
  "ops": [{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": 8, "precision": "int8" }] }"#,
    )
    .unwrap()
}

/// `[reads, fills, updates]` accesses and the energy of each tensor present at `level`.
fn counts(l: &LayerLevels, level: &str) -> Vec<(&'static str, [f64; 3], f64)> {
    let lv: &LevelEnergy = l.level(level).unwrap_or_else(|| panic!("no {level}"));
    lv.tensors
        .iter()
        .map(|t| (t.tensor, [t.reads, t.fills, t.updates], t.energy_pj))
        .collect()
}

/// DRAM when each tensor crosses it once: A 128 B and B 128 B read (16 + 16 64-bit
/// accesses at 64 pJ), C 64 B written (8).
fn dram_once() -> Vec<(&'static str, [f64; 3], f64)> {
    vec![
        ("inputs", [16.0, 0.0, 0.0], 1024.0),
        ("weights", [16.0, 0.0, 0.0], 1024.0),
        ("outputs", [0.0, 0.0, 8.0], 512.0),
    ]
}

fn run_hand(kib: f64) -> LayerReport {
    let r = accelsim::run(&gemm(), &hand_arch(kib), Engine::Event).unwrap();
    r.layers.into_iter().next().unwrap()
}

/// Checks the levels common to both buffer sizes: the array side follows the WS
/// dataflow whatever the tiling. M = 8, N = 8, K = 16 on 4×4, MACs = 1024.
/// - A read toward the array once per column fold: M·K·⌈N/4⌉ = 256 B = 32 accesses;
///   B once: N·K = 128 B = 16 accesses.
/// - K folds ⌈16/4⌉ = 4: partial sums read and written M·N·(4 − 1) = 192 times each at
///   4 B = 768 B = 96 accesses each way; the finished outputs are written once, 64 B =
///   8 accesses, and read once on their way to DRAM (8 accesses): C 104 / 0 / 104.
/// - Register file: each MAC reads A, B and its partial sum and writes it back: 1024 each.
/// - Array network, 8-bit words: A 256, B 128 toward the array; C 768 read back toward
///   the array, 768 + 64 = 832 written from it.
fn check_common(l: &LayerLevels) {
    let core = counts(l, "core_buffer");
    assert_eq!(core[2], ("outputs", [104.0, 0.0, 104.0], 208.0 * 3.0));
    assert_eq!(core[0].1[0], 32.0);
    assert_eq!(core[1].1[0], 16.0);
    assert_eq!(
        counts(l, "register_file"),
        vec![
            ("inputs", [1024.0, 0.0, 0.0], 512.0),
            ("weights", [1024.0, 0.0, 0.0], 512.0),
            ("outputs", [1024.0, 0.0, 1024.0], 1024.0),
        ]
    );
    assert_eq!(
        counts(l, "array_network"),
        vec![
            ("inputs", [256.0, 0.0, 0.0], 256.0),
            ("weights", [128.0, 0.0, 0.0], 128.0),
            ("outputs", [768.0, 0.0, 832.0], 1600.0),
        ]
    );
}

#[test]
fn hand_derived_counts_with_everything_on_chip() {
    // 1 KiB buffers hold A (128 B), B (128 B) and C's partial sums (256 B): every loop
    // has one trip, each tensor crosses DRAM once: A 128 B, B 128 B read (16 + 16
    // accesses), C 64 B written (8).
    let l = run_hand(1.0);
    let tm = l.temporal_mapping.as_ref().unwrap();
    assert_eq!(tm.loop_nest, vec!["dram: once → core_buffer[m8 n8 k16]"]);
    let a = l.access_counts.as_ref().unwrap();
    assert_eq!(counts(a, "dram"), dram_once());
    // Buffers are filled with what DRAM sends: A 16, B 16 accesses.
    let core = counts(a, "core_buffer");
    assert_eq!(core[0], ("inputs", [32.0, 16.0, 0.0], 48.0));
    assert_eq!(core[1], ("weights", [16.0, 16.0, 0.0], 64.0));
    check_common(a);
    assert_eq!(a.dram_bytes, 320.0);
    let e = l.energy_breakdown_pj;
    assert_eq!(
        (e.dram, e.sram, e.register_file, e.noc),
        (2560.0, 736.0, 2048.0, 1984.0)
    );
}

#[test]
fn hand_derived_counts_with_tiny_buffers() {
    // 64 B buffers: A tiles m×16 and B tiles 16×n of ≤ 64 B and a C tile of m·n·4 ≤ 64 B
    // give m4 n4 k16 walked m outer, n inner. A is relevant to the outer m loop only:
    // read once (16 accesses). B is relevant to n, inside m: refetched per m tile, 2 ×
    // 128 B = 32 accesses. No K loop: C leaves once (8 accesses), no partial sums spill.
    let l = run_hand(0.0625);
    let tm = l.temporal_mapping.as_ref().unwrap();
    assert_eq!(
        tm.loop_nest,
        vec!["dram: for m<2 for n<2 → core_buffer[m4 n4 k16]"]
    );
    let a = l.access_counts.as_ref().unwrap();
    assert_eq!(
        counts(a, "dram"),
        vec![
            ("inputs", [16.0, 0.0, 0.0], 1024.0),
            ("weights", [32.0, 0.0, 0.0], 2048.0),
            ("outputs", [0.0, 0.0, 8.0], 512.0),
        ]
    );
    let core = counts(a, "core_buffer");
    assert_eq!(core[0], ("inputs", [32.0, 16.0, 0.0], 48.0));
    assert_eq!(core[1], ("weights", [16.0, 32.0, 0.0], 96.0));
    check_common(a);
    assert_eq!(a.dram_bytes, 448.0);
    assert_eq!(l.dram_bytes, 448.0);
}

#[test]
fn hand_derived_global_buffer_counts_and_energy() {
    // The tiny 64 B core buffers of the previous test under a 1 KiB global buffer at
    // 4 pJ per 64-bit access. The global buffer holds the whole GEMM (A 128 B, B 128 B,
    // C's partial sums 256 B), so DRAM moves each tensor once (320 B, as with large core
    // buffers) and the core tiles m4 n4 k16 are walked inside it, m outer, n inner.
    let l = {
        let gb = r#" "global_buffer": { "capacity_kib": 1, "bytes_per_cycle": 64, "energy_pj_per_64b": 4.0 },"#;
        let r = accelsim::run(&gemm(), &hand_arch_with(0.0625, gb), Engine::Event).unwrap();
        r.layers.into_iter().next().unwrap()
    };
    let tm = l.temporal_mapping.as_ref().unwrap();
    assert_eq!(
        tm.loop_nest,
        vec![
            "dram: once → global_buffer[m8 n8 k16]",
            "global_buffer: for m<2 for n<2 → core_buffer[m4 n4 k16]"
        ]
    );
    let a = l.access_counts.as_ref().unwrap();
    assert_eq!(counts(a, "dram"), dram_once());
    // Global buffer, 64-bit accesses: filled once with A and B from DRAM (16 + 16). A is
    // relevant to the outer m loop, so it is read toward the core buffers once (16); B is
    // relevant to n, inside m, so it is read once per m tile (2 × 16). C: the core buffer
    // drains 8 finished outputs into it (no K loop: no partial sums), which it reads out
    // to DRAM (8). Energy = accesses × 4 pJ.
    assert_eq!(
        counts(a, "global_buffer"),
        vec![
            ("inputs", [16.0, 16.0, 0.0], 128.0),
            ("weights", [32.0, 16.0, 0.0], 192.0),
            ("outputs", [8.0, 0.0, 8.0], 64.0),
        ]
    );
    // The core buffers are filled from the global buffer: A 16, B 32 accesses; C drains
    // its 8 outputs there.
    let core = counts(a, "core_buffer");
    assert_eq!(core[0], ("inputs", [32.0, 16.0, 0.0], 48.0));
    assert_eq!(core[1], ("weights", [16.0, 32.0, 0.0], 96.0));
    check_common(a);
    assert_eq!(a.dram_bytes, 320.0);
    let e = l.energy_breakdown_pj;
    assert_eq!(e.global_buffer, 384.0);
    assert_eq!((e.dram, e.sram), (2560.0, 768.0));
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn check_layer(arch: &str, wl: &str, l: &LayerReport) {
    let e = l.energy_breakdown_pj;
    let Some(a) = &l.access_counts else {
        // Views and fused ops move nothing.
        assert!(
            e.sram == 0.0 && e.dram == 0.0 && e.l2 == 0.0,
            "{arch} {wl} {}",
            l.name
        );
        return;
    };
    for (bucket, want) in [
        ("dram", e.dram),
        ("global_buffer", e.global_buffer),
        ("l2", e.l2),
        ("sram", e.sram),
        ("register_file", e.register_file),
        ("noc", e.noc),
    ] {
        let got: f64 = a
            .levels
            .iter()
            .filter(|x| x.bucket == bucket)
            .map(|x| x.energy_pj)
            .sum();
        assert!(
            close(got, want),
            "{arch} {wl} {} {bucket}: {got} vs {want}",
            l.name
        );
    }
    let dram = a.level("dram").unwrap();
    let bytes: f64 = dram.tensors.iter().map(|t| t.bytes.total()).sum();
    assert!(
        close(bytes, l.dram_bytes),
        "{arch} {wl} {}: {bytes} vs {}",
        l.name,
        l.dram_bytes
    );
    assert!(close(a.dram_bytes, l.dram_bytes));
    for lv in &a.levels {
        for t in &lv.tensors {
            let b = t.bytes;
            assert!(
                b.reads >= -1e-6 && b.fills >= -1e-6 && b.updates >= -1e-6,
                "{t:?}"
            );
        }
    }
}

#[test]
fn levels_add_up_to_the_buckets_and_dram_bytes_on_every_preset() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("arch_configs")).unwrap() {
        let path = entry.unwrap().path();
        let arch = Arch::load(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        for (wl, engine) in [
            ("tiny_cnn", Engine::Event),
            ("resnet18", Engine::Event),
            ("tiny_cnn", Engine::Analytic),
        ] {
            let w = Workload::load(&root().join(format!("workloads/{wl}.json"))).unwrap();
            let Ok(r) = accelsim::run(&w, &arch, engine) else {
                continue;
            };
            for l in &r.layers {
                check_layer(&name, wl, l);
                checked += usize::from(l.access_counts.is_some());
            }
        }
    }
    assert!(checked > 50, "{checked} layers with counts");
}

#[test]
fn json_layers_carry_the_counts() {
    let r = accelsim::run(&gemm(), &hand_arch(1.0), Engine::Event).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    let lv = &v["layers"][0]["access_counts"]["levels"];
    assert_eq!(lv[0]["level"], "dram");
    assert_eq!(lv[0]["tensors"][1]["tensor"], "weights");
    assert_eq!(lv[0]["tensors"][1]["bytes"]["reads"], 128.0);
    assert_eq!(lv[1]["bucket"], "sram");
}
