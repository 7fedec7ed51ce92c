//! The energy model's accounting (issue #14): per-sample figures, honest buckets on every
//! preset × workload (they add up to the total exactly), GPU datapath vs SM overhead, and
//! the PE level's register-file and network counts on one GEMM derived by hand.

use accelsim::arch::Arch;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn arch(name: &str) -> Arch {
    Arch::load(&root().join(format!("arch_configs/{name}.json"))).unwrap()
}

fn workload(name: &str) -> Workload {
    Workload::load(&root().join(format!("workloads/{name}.json"))).unwrap()
}

#[test]
fn per_sample_figures_divide_by_the_batch() {
    let a = arch("edge_npu_32x32");
    // resnet50: leading input dimension 1, so per-sample equals per-run.
    let r = accelsim::run(&workload("resnet50"), &a, Engine::Event).unwrap();
    let s = &r.summary;
    assert_eq!(s.batch, 1);
    assert_eq!(s.energy_per_sample_pj, s.energy_pj);
    assert_eq!(s.latency_per_sample_s, s.latency_s);
    assert_eq!(s.inferences_per_joule, 1e12 / s.energy_pj);
    // tiny_cnn with its input's batch set to 4: a quarter per sample.
    let mut spec = workload("tiny_cnn").spec;
    spec.inputs[0].shape[0] = 4;
    let w = Workload::from_spec(spec.clone()).unwrap();
    let r = accelsim::run(&w, &a, Engine::Event).unwrap();
    let s = &r.summary;
    assert_eq!(s.batch, 4);
    assert_eq!(s.energy_per_sample_pj, s.energy_pj / 4.0);
    assert_eq!(s.latency_per_sample_s, s.latency_s / 4.0);
    assert_eq!(s.inferences_per_joule, 1e12 / (s.energy_pj / 4.0));
    // A declared batch wins over the leading dimension; 0 is an error.
    spec.batch = Some(2);
    assert_eq!(Workload::from_spec(spec.clone()).unwrap().batch(), 2);
    spec.batch = Some(0);
    let e = Workload::from_spec(spec).unwrap_err().to_string();
    assert!(e.contains("batch"), "{e}");
    // Sequence workloads declare one sample.
    assert_eq!(workload("bert_base_encoder").batch(), 1);
    assert_eq!(workload("mlp6").batch(), 2048);
}

#[test]
fn breakdown_adds_up_on_every_preset_and_workload() {
    let workloads = ["tiny_cnn", "resnet18", "bert_base_encoder", "alexnet_conv"];
    for entry in std::fs::read_dir(root().join("arch_configs")).unwrap() {
        let a = Arch::load(&entry.unwrap().path()).unwrap();
        for wl in workloads {
            let r = match accelsim::run(&workload(wl), &a, Engine::Event) {
                Ok(r) => r,
                // A format the preset lacks (e.g. int8 on nothing but fp tensor cores).
                Err(_) => continue,
            };
            let e = &r.summary.energy_breakdown_pj;
            assert_eq!(e.total(), r.summary.energy_pj, "{} {wl}", a.name);
            let layers: f64 = r.layers.iter().map(|l| l.energy_pj).sum();
            assert!((layers - r.summary.energy_pj).abs() <= 1e-9 * r.summary.energy_pj);
            for l in &r.layers {
                assert_eq!(l.energy_breakdown_pj.total(), l.energy_pj);
            }
        }
    }
}

#[test]
fn gpu_breakdown_separates_the_datapath_from_sm_overhead() {
    let a = Arch::from_json(accelsim::validate::H100_ARCH_JSON).unwrap();
    let w = Workload::from_json(
        r#"{ "name": "gemm", "inputs": [{ "name": "a", "shape": [1024, 1024], "format": "fp16" }],
  "ops": [{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": 1024, "precision": "fp16" }] }"#,
    )
    .unwrap();
    let r = accelsim::run(&w, &a, Engine::Event).unwrap();
    let e = &r.summary.energy_breakdown_pj;
    // Datapath: MACs × the 7 nm fp16×fp32 MAC energy, nothing else.
    let mac_pj = a.energy_table().mac(
        accelsim::numerics::Format::FP16,
        accelsim::numerics::Format::FP32,
    );
    // Below the power cap: the table at the nominal voltage applies.
    assert_eq!(r.power.clock_ghz, a.clock_ghz);
    let macs = 1024f64.powi(3);
    assert!((e.mac - macs * mac_pj.pj).abs() <= 1e-9 * e.mac);
    assert!(e.sm_overhead > e.mac, "{e:?}");
    assert!(e.l2 > 0.0 && e.sram > 0.0 && e.dram > 0.0);
}

#[test]
fn pe_level_counts_on_one_gemm() {
    // One 64×48×96 GEMM on eyeriss (int16, no zeros): every MAC reads its activation,
    // weight and partial sum from the PE register file and writes the partial sum back;
    // 1 RF access = 1.5788 pJ (1× the 65 nm MAC, ISCA 2016).
    let a = arch("eyeriss");
    let w = Workload::from_json(
        r#"{ "name": "gemm", "inputs": [{ "name": "a", "shape": [64, 96], "format": "int16" }],
  "ops": [{ "name": "mm", "op": "matmul", "inputs": ["a"], "output": "c",
            "out_features": 48, "precision": "int16" }] }"#,
    )
    .unwrap();
    let r = accelsim::run(&w, &a, Engine::Event).unwrap();
    let l = &r.layers[0];
    let p = l.pe_accesses.expect("eyeriss has a PE level");
    let macs = 64.0 * 48.0 * 96.0;
    assert_eq!(p.rf_reads, [macs, macs, macs]);
    assert_eq!(p.rf_updates, macs);
    assert!((p.rf_pj - 4.0 * macs * 1.5788).abs() < 1e-6 * p.rf_pj);
    // Network words: the core buffer's array-side traffic in 16-bit words, 3.1576 pJ each.
    assert!((p.noc_pj - p.noc_words * 3.1576).abs() < 1e-6 * p.noc_pj);
    assert!(p.noc_words > 0.0);
    assert_eq!(l.energy_breakdown_pj.register_file, p.rf_pj);
    assert_eq!(l.energy_breakdown_pj.noc, p.noc_pj);
}

/// Eyeriss on AlexNet CONV1–5 (batch 4) against the chip's published measurements
/// (Chen et al., ISSCC 2016 / JSSC 2017: 34.7 frames/s and 278 mW at 200 MHz, 1 V). The
/// preset takes its architecture and unit energies from the papers; these figures are the
/// check, never fitted (VALIDATION.md, "Eyeriss").
#[test]
fn eyeriss_alexnet_within_25_percent_of_the_chip() {
    let r = accelsim::run(&workload("alexnet_conv"), &arch("eyeriss"), Engine::Event).unwrap();
    let s = &r.summary;
    assert_eq!(s.batch, 4);
    let fps = 1.0 / s.latency_per_sample_s;
    let chip_w = (s.energy_pj - s.energy_breakdown_pj.dram) * 1e-12 / s.latency_s;
    assert!((fps / 34.7 - 1.0).abs() <= 0.25, "{fps} frames/s");
    assert!((chip_w / 0.278 - 1.0).abs() <= 0.25, "{chip_w} W");
}

#[test]
fn energy_table_command_prints_sources_and_nodes() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_accelsim"))
            .args(args)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let o = run(&["energy-table", "arch_configs/eyeriss.json", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let find = |c: &str, item: &str| {
        rows.iter()
            .find(|r| r["component"] == c && r["item"].as_str().unwrap().contains(item))
            .unwrap_or_else(|| panic!("no {c} {item}"))
    };
    // Accelergy's LPDDR4 figure (ICCAD 2019 DRAM table), src/arch/dram.rs.
    assert_eq!(find("dram", "lpddr4x")["value"], 8.0);
    assert_eq!(find("register_file", "eyeriss")["value"], 1.5788);
    assert_eq!(find("mac", "int16")["node_nm"], 65);
    assert!(rows
        .iter()
        .all(|r| !r["source"].as_str().unwrap().is_empty()));
    let o = run(&["energy-table"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("horowitz_isscc2014_45nm"));
    let o = run(&["energy-table", "no_such_arch.json"]);
    assert_eq!(o.status.code(), Some(2));
}
