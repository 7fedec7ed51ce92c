//! The mapper comparison of `docs/mapping.md` (ZigZag and Timeloop side by side): its raw outputs
//! in `docs/compare/` stay true to the code.
//!
//! - On ZigZag's bundled TPU-like example (`docs/compare/zigzag_tpu_like.json`), every
//!   ResNet-18 layer's planned DRAM bytes equal those ZigZag 3.9.1's LOMA mapper reported
//!   for the same layer (`docs/compare/zigzag_resnet18.csv`, an independent reference).
//! - Timeloop's GEMM mappings (`docs/compare/timeloop_gemm.csv`) move no fewer bytes than
//!   accelsim's search once their spilled partial sums are priced at 32 bits.
//! - accelsim's rows (`docs/compare/accelsim_{resnet18,gemm}.csv`, the tables' accelsim
//!   columns) match a fresh analytic run: a model change that moves them must regenerate
//!   them (`scripts/compare/README.md`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use accelsim::arch::Arch;
use accelsim::import::scalesim;
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::Workload;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rows of a comma-separated file with a header and no quoted fields, by `layer`.
fn read_csv(rel: &str) -> HashMap<String, HashMap<String, String>> {
    let path: PathBuf = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{rel}: {l}");
            let row: HashMap<String, String> = header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect();
            (row["layer"].clone(), row)
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col}: {}", row[col]))
}

fn resnet18_on_tpu_like() -> Report {
    let arch = Arch::load(&root().join("docs/compare/zigzag_tpu_like.json")).unwrap();
    let w = Workload::load(&root().join("workloads/resnet18.json")).unwrap();
    accelsim::run(&w, &arch, Engine::Analytic).unwrap()
}

fn gemms_on_user_bw10_os() -> Report {
    let data = root().join("tests/data/scalesim");
    let c = scalesim::load_config(&data.join("configs/user_bw10_128x128_os.cfg")).unwrap();
    let arch = scalesim::to_arch(&c, "user_bw10_128x128_os.cfg");
    let text = std::fs::read_to_string(data.join("topologies/gemm_shapes.csv")).unwrap();
    let topo = scalesim::parse_topology(&text, "gemm_shapes.csv", None).unwrap();
    let w = scalesim::to_workload(&topo, "gemm_shapes.csv").unwrap();
    accelsim::run(&w, &arch, Engine::Analytic).unwrap()
}

/// Planned DRAM bytes of every compute layer, by name.
fn planned_dram(r: &Report) -> HashMap<String, f64> {
    r.layers
        .iter()
        .filter_map(|l| Some((l.name.clone(), l.temporal_mapping.as_ref()?.dram_bytes)))
        .collect()
}

#[test]
fn resnet18_dram_bytes_equal_zigzags_on_its_tpu_like_example() {
    let zz = read_csv("docs/compare/zigzag_resnet18.csv");
    let ours = planned_dram(&resnet18_on_tpu_like());
    assert_eq!(zz.len(), 21, "ZigZag costs ResNet-18's 20 convs and its fc");
    let mut equal = 0;
    for (name, row) in &zz {
        let theirs = num(row, "dram_bytes");
        let mine = ours[name.as_str()];
        assert_eq!(mine, theirs, "{name}: accelsim {mine} B, ZigZag {theirs} B");
        equal += 1;
    }
    eprintln!(
        "{equal}/{} ResNet-18 layers: DRAM bytes equal ZigZag's",
        zz.len()
    );
}

fn assert_rows_match(rel: &str, r: &Report) {
    let rows = read_csv(rel);
    let mut checked = 0;
    for l in r.layers.iter().filter(|l| l.temporal_mapping.is_some()) {
        let row = rows
            .get(&l.name)
            .unwrap_or_else(|| panic!("{rel}: no row for {}", l.name));
        let tm = l.temporal_mapping.as_ref().unwrap();
        let fresh = [
            ("dram_bytes", tm.dram_bytes),
            ("latency_cycles", l.cycles as f64),
            ("compute_cycles", l.compute_cycles as f64),
            ("energy_pj", l.energy_pj),
        ];
        for (col, v) in fresh {
            let quoted = num(row, col);
            assert!(
                (quoted - v).abs() <= 1e-9 * v.abs().max(1.0),
                "{rel} {} {col}: quoted {quoted}, fresh run {v}; regenerate with \
                 scripts/compare/accelsim_run.py and tables.py --write",
                l.name
            );
        }
        checked += 1;
    }
    assert_eq!(checked, rows.len(), "{rel}: rows without a layer");
}

#[test]
fn quoted_accelsim_rows_match_a_fresh_run() {
    assert_rows_match(
        "docs/compare/accelsim_resnet18.csv",
        &resnet18_on_tpu_like(),
    );
    assert_rows_match("docs/compare/accelsim_gemm.csv", &gemms_on_user_bw10_os());
}

/// docs/mapping.md's account of the GEMM gap: ZigZag's mapping of g1024 and
/// g2048_16384_32768 (a 128×128 output block kept in the output-stationary array's
/// accumulators, K innermost), written as accelsim's one-level mapping
/// `for m for n for k → [m128 n128 k64]` with its partial sums in the PEs and costed by
/// accelsim's own nest analysis, moves exactly ZigZag's DRAM bytes; the capacity rule
/// admits it (the ofmap buffer holds the 16 KiB int8 output tile, not 64 KiB of int32
/// sums; today's rule alone still does not), and accelsim's search now finds mappings at
/// least as good on the imported config.
#[test]
fn zigzags_gemm_mappings_cost_the_same_under_accelsims_nest_analysis() {
    use accelsim::model::mapping::{Dim, LevelNest, Mapping, MemLevel};
    use accelsim::model::mapspace::{self, PeAccumulators};
    use accelsim::model::nest::{analyze, ArraySide, ElemBytes};
    use accelsim::model::tiling::Capacity;
    let zz = read_csv("docs/compare/zigzag_gemm.csv");
    let ours = planned_dram(&gemms_on_user_bw10_os());
    let eb = ElemBytes {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        acc: 4.0,
    };
    let acc = Some(PeAccumulators {
        rows: 128,
        cols: 128,
    });
    for (name, dims) in [
        ("g1024", [1024, 1024, 1024]),
        ("g2048_16384_32768", [2048, 16384, 32768]),
    ] {
        let tile = [128, 128, 64];
        let mapping = Mapping {
            dims,
            levels: vec![LevelNest {
                level: MemLevel::CoreBuffer,
                tile,
                order: [Dim::M, Dim::N, Dim::K],
            }],
            psums_in_array: true,
        };
        let zigzags = analyze(&mapping, eb, ArraySide::default()).dram_bytes();
        let theirs = num(&zz[name], "dram_bytes");
        assert_eq!(zigzags, theirs, "{name}");
        let half64k = Capacity::Split {
            a: 65536.0,
            b: 65536.0,
            c: 65536.0,
        };
        // Partial sums in the ofmap buffer (K outside, or a weight-stationary array): the
        // 128×128 int32 tile is 64 KiB, twice the buffer's half.
        assert!(!mapspace::fits(half64k, eb, true, tile), "{name}");
        assert!(
            !mapspace::fits_core(half64k, eb, true, acc, tile, 2),
            "{name}"
        );
        assert!(
            !mapspace::fits_core(half64k, eb, true, None, tile, 1),
            "{name}"
        );
        // K innermost on the 128×128 output-stationary array: the sums stay in the PEs.
        assert!(
            mapspace::fits_core(half64k, eb, true, acc, tile, 1),
            "{name}"
        );
        let searched = ours[name];
        assert!(
            searched <= theirs,
            "{name}: accelsim {searched} B, ZigZag {theirs} B"
        );
    }
}

/// Timeloop's mapper (v3.0.3, `random-pruned`, `scripts/compare/timeloop_run.py`) on the
/// same GEMMs and config, an independent search over an independent nest analysis: its
/// best mapping, with the partial sums it spills priced at their 32-bit width
/// (`dram_bytes_psum32`; Timeloop v3 prices them at DRAM's 1-byte word), never moves fewer
/// DRAM bytes than accelsim's search, and never less than the compulsory traffic (each
/// operand read once, each output written once).
#[test]
fn timeloops_gemm_mappings_move_no_fewer_bytes_than_accelsims_search() {
    let tl = read_csv("docs/compare/timeloop_gemm.csv");
    let ours = planned_dram(&gemms_on_user_bw10_os());
    assert_eq!(tl.len(), ours.len(), "one Timeloop row per GEMM");
    for (name, searched) in &ours {
        let row = tl
            .get(name)
            .unwrap_or_else(|| panic!("{name}: no Timeloop row"));
        let dims: Vec<f64> = row["gemm_mnk"]
            .split('x')
            .map(|d| d.parse().unwrap())
            .collect();
        let (m, n, k) = (dims[0], dims[1], dims[2]);
        let compulsory = m * k + k * n + m * n;
        let theirs = num(row, "dram_bytes_psum32");
        assert!(theirs >= compulsory, "{name}: {theirs} < {compulsory}");
        assert!(
            *searched <= theirs,
            "{name}: accelsim {searched} B, Timeloop {theirs} B"
        );
    }
}

/// Timeloop's mapping of g2048_16384_32768 (`DRAM: P16 K128 C2048 | FilterSRAM: C4 |
/// PEAcc: C4`, `docs/compare/timeloop_gemm_inputs/`), written as accelsim's one-level
/// mapping `for m<16 for n<128 for k<2048 → [m128 n128 k16]` with its partial sums in the
/// PEs, costs exactly Timeloop's DRAM bytes per tensor under accelsim's nest analysis: two
/// independent nest analyses agree on A read 128×, B 16×, C once.
#[test]
fn timeloops_large_gemm_mapping_costs_the_same_under_accelsims_nest_analysis() {
    use accelsim::model::mapping::{Dim, LevelNest, Mapping, MemLevel, Operand};
    use accelsim::model::nest::{analyze, ArraySide, ElemBytes};
    let row = &read_csv("docs/compare/timeloop_gemm.csv")["g2048_16384_32768"];
    assert_eq!(
        row["temporal_mapping"],
        "DRAM: P16 K128 C2048 | IfmapSRAM: - | FilterSRAM: C4 K8Y P8X | PEAcc: C4 K16Y P16X"
    );
    let mapping = Mapping {
        dims: [2048, 16384, 32768],
        levels: vec![LevelNest {
            level: MemLevel::CoreBuffer,
            tile: [128, 128, 16],
            order: [Dim::M, Dim::N, Dim::K],
        }],
        psums_in_array: true,
    };
    let eb = ElemBytes {
        a: 1.0,
        b: 1.0,
        c: 1.0,
        acc: 4.0,
    };
    let nest = analyze(&mapping, eb, ArraySide::default());
    for (t, col) in [
        (Operand::A, "dram_bytes_A"),
        (Operand::B, "dram_bytes_B"),
        (Operand::C, "dram_bytes_C"),
    ] {
        assert_eq!(nest.dram_bytes_of(t), num(row, col), "{col}");
    }
    assert_eq!(nest.dram_bytes(), num(row, "dram_bytes"));
    assert_eq!(nest.dram_bytes(), num(row, "dram_bytes_psum32"));
}
