//! `accelsim import scalesim` and `accelsim::import::scalesim`: the files it writes, the
//! mapping of each SCALE-Sim setting, and its errors on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accelsim::arch::{Arch, ArrayConfig, CoreBuffers, Dataflow};
use accelsim::import::scalesim;
use accelsim::numerics::Format;
use accelsim::workload::{OpAttrs, OpKind, Workload};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scalesim")
        .join(rel)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_accelsim"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "accelsim_scalesim_import_{}_{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn import(cfg: &Path, topo: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .args(["import", "scalesim", "--config"])
        .arg(cfg)
        .arg("--topology")
        .arg(topo)
        .arg("--out-dir")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn cli_writes_loadable_arch_and_workload() {
    let out = scratch("cli");
    let o = import(
        &data("configs/calc_32x32_os.cfg"),
        &data("topologies/Resnet18.csv"),
        &out,
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let arch = Arch::load(&out.join("arch.json")).unwrap();
    let wl = Workload::load(&out.join("workload.json")).unwrap();
    assert_eq!(arch.name, "calc_32x32_os");
    assert_eq!(wl.name, "Resnet18");
    assert_eq!(wl.ops.len(), 21);

    // The written files give SCALE-Sim's cycles: Conv1 on 32×32 os is M = 110·110 = 12100,
    // N = 64, K = 7·7·3 = 147: ceil(12100/32) · ceil(64/32) = 379 · 2 = 758 folds of
    // 32 + 32 + 147 − 2 = 209 cycles → 758 · 209 − 1 = 158421.
    let r = bin()
        .arg("run")
        .arg(out.join("arch.json"))
        .arg(out.join("workload.json"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["layers"][0]["name"], "Conv1");
    assert_eq!(v["layers"][0]["compute_cycles"], 158421);
    assert_eq!(
        v["layers"][0]["gemm"],
        serde_json::json!([1, 12100, 64, 147])
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn config_settings_map_onto_the_arch() {
    let cfg = scalesim::load_config(&data("configs/calc_128x128_is.cfg")).unwrap();
    let arch = scalesim::to_arch(&cfg, "calc_128x128_is.cfg");
    arch.validate().unwrap();
    assert_eq!(
        arch.array,
        ArrayConfig::Systolic {
            rows: 128,
            cols: 128,
            dataflow: Dataflow::Is
        }
    );
    assert_eq!(arch.clock_ghz, 1.0);
    assert_eq!(arch.cores, 1);
    // Only int8, at 1 MAC per PE per cycle.
    assert_eq!(arch.precisions.len(), 1);
    assert_eq!(arch.precisions[0].format, Format::INT8);
    assert_eq!(arch.precisions[0].macs_per_pe_per_cycle, 1.0);
    assert!(!arch.precision_fallback);
    // Bandwidth 10 words/cycle × 1 byte × 1 GHz = 10 GB/s.
    assert_eq!(arch.memory.dram.bandwidth_gbps, 10.0);
    assert!(arch.memory.double_buffering);
    match &arch.memory.core_buffers {
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => {
            assert_eq!(
                (ifmap.capacity_kib, filter.capacity_kib, ofmap.capacity_kib),
                (64.0, 64.0, 64.0)
            );
        }
        other => panic!("expected split buffers, got {other:?}"),
    }
}

#[test]
fn bundled_config_matches_the_scalesim_preset() {
    // arch_configs/scalesim_32x32.json describes the same bundled config by hand.
    let cfg = scalesim::load_config(&data("configs/bundled_scale.cfg")).unwrap();
    let imported = scalesim::to_arch(&cfg, "bundled_scale.cfg");
    let preset = Arch::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("arch_configs/scalesim_32x32.json"),
    )
    .unwrap();
    assert_eq!(imported.array, preset.array);
    assert_eq!(imported.clock_ghz, preset.clock_ghz);
    assert_eq!(
        imported.memory.dram.bandwidth_gbps,
        preset.memory.dram.bandwidth_gbps
    );
    let caps = |a: &Arch| match &a.memory.core_buffers {
        CoreBuffers::Split {
            ifmap,
            filter,
            ofmap,
        } => [ifmap.capacity_kib, filter.capacity_kib, ofmap.capacity_kib],
        CoreBuffers::Unified { buffer } => [buffer.capacity_kib; 3],
    };
    assert_eq!(caps(&imported), caps(&preset));
}

#[test]
fn conv_layers_use_scalesim_output_sizes() {
    let topo = scalesim::load_topology(&data("topologies/Resnet18.csv"), None).unwrap();
    assert_eq!(topo.kind, scalesim::TopologyKind::Conv);
    let wl = scalesim::to_workload(&topo, "Resnet18.csv").unwrap();
    let conv1 = &wl.ops[0];
    assert_eq!(conv1.kind, OpKind::Conv2d);
    assert_eq!(wl.tensors[conv1.inputs[0]].shape, vec![1, 3, 224, 224]);
    // ceil((224 − 7 + 2) / 2) = 110; floor((224 − 7) / 2) + 1 = 109 without the extra row.
    assert_eq!(wl.tensors[conv1.output].shape, vec![1, 64, 110, 110]);
    match &conv1.attrs {
        OpAttrs::Conv2d(c) => {
            assert_eq!(c.padding, [0, 0, 1, 1]);
            assert_eq!(c.stride, [2, 2]);
            assert_eq!(c.kernel, [7, 7]);
        }
        other => panic!("expected conv attrs, got {other:?}"),
    }
    // Conv2_1a: 56, 3, stride 1 → 54 with no padding at all.
    let c21 = wl.ops.iter().find(|o| o.name == "Conv2_1a").unwrap();
    assert_eq!(wl.tensors[c21.output].shape, vec![1, 64, 54, 54]);
    assert_eq!(wl.spec.ops[1].padding, None);
    // Every layer has its own graph input (SCALE-Sim layers are independent).
    assert_eq!(wl.inputs.len(), 21);
    assert!(wl.graph.edge_count() == 0);
}

#[test]
fn gemm_layers_become_matmuls() {
    let topo = scalesim::load_topology(&data("topologies/gemm_shapes.csv"), None).unwrap();
    assert_eq!(topo.kind, scalesim::TopologyKind::Gemm);
    let wl = scalesim::to_workload(&topo, "gemm_shapes.csv").unwrap();
    let op = wl.ops.iter().find(|o| o.name == "g128_256_512").unwrap();
    assert_eq!(op.kind, OpKind::Matmul);
    assert_eq!(wl.tensors[op.inputs[0]].shape, vec![128, 512]); // M × K
    assert_eq!(wl.tensors[op.weight.unwrap()].shape, vec![512, 256]); // K × N
    assert_eq!(wl.tensors[op.output].shape, vec![128, 256]);
    assert_eq!(op.precision.activations, Format::INT8);
    assert_eq!(op.precision.weights, Format::INT8);
}

#[test]
fn imported_srams_never_limit_the_array() {
    // SCALE-Sim's SRAMs have no port limit; the imported ports must keep up with every
    // layer's buffer traffic within its compute cycles.
    let configs = [
        "bundled_scale.cfg",
        "calc_32x32_os.cfg",
        "calc_32x32_ws.cfg",
        "calc_32x32_is.cfg",
        "calc_128x128_os.cfg",
        "calc_128x128_ws.cfg",
        "calc_128x128_is.cfg",
    ];
    for c in configs {
        let cfg = scalesim::load_config(&data(&format!("configs/{c}"))).unwrap();
        let arch = scalesim::to_arch(&cfg, c);
        let bpc = scalesim::buffer_bytes_per_cycle(cfg.array_height, cfg.array_width);
        for t in ["Resnet18.csv", "gemm_shapes.csv"] {
            let topo = scalesim::load_topology(&data(&format!("topologies/{t}")), None).unwrap();
            let wl = scalesim::to_workload(&topo, t).unwrap();
            for (op, cost) in wl
                .ops
                .iter()
                .zip(accelsim::model::plan(&wl, &arch).unwrap())
            {
                let tr = cost.traffic;
                let need = [
                    tr.ifmap_sram_bytes / bpc[0],
                    tr.filter_sram_bytes / bpc[1],
                    tr.ofmap_sram_bytes / bpc[2],
                ];
                for (buf, cycles) in ["ifmap", "filter", "ofmap"].iter().zip(need) {
                    assert!(
                        cycles <= cost.compute_cycles as f64,
                        "{c} {t} {}: {buf} buffer needs {cycles} cycles > compute {}",
                        op.name,
                        cost.compute_cycles
                    );
                }
            }
        }
    }
}

#[test]
fn kind_flag_overrides_header_detection() {
    let dir = scratch("kind");
    let topo = dir.join("odd_header.csv");
    std::fs::write(&topo, "name,rows,cols,depth,\nl0,4,8,16,\n").unwrap();
    let o = import(&data("configs/calc_32x32_ws.cfg"), &topo, &dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unrecognised header"), "{}", stderr(&o));
    let o = import(
        &data("configs/calc_32x32_ws.cfg"),
        &topo,
        &dir,
        &["--kind", "gemm"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let wl = Workload::load(&dir.join("workload.json")).unwrap();
    assert_eq!(wl.ops[0].gemm.map(|g| [g.m, g.n, g.k]), Some([4, 8, 16]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the import on a broken file and checks: exit code 2, the file named, the location,
/// the expectation, no panic, and nothing written.
fn bad_input(name: &str, cfg_text: Option<&str>, topo_text: Option<&str>, wants: &[&str]) {
    let dir = scratch(name);
    let cfg = match cfg_text {
        Some(t) => {
            let p = dir.join("bad.cfg");
            std::fs::write(&p, t).unwrap();
            p
        }
        None => data("configs/calc_32x32_os.cfg"),
    };
    let topo = match topo_text {
        Some(t) => {
            let p = dir.join("bad.csv");
            std::fs::write(&p, t).unwrap();
            p
        }
        None => data("topologies/Resnet18.csv"),
    };
    let out = dir.join("out");
    let o = import(&cfg, &topo, &out, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: {err}");
    let file = if cfg_text.is_some() {
        "bad.cfg"
    } else {
        "bad.csv"
    };
    assert!(err.contains(file), "{name}: file not named: {err}");
    for w in wants {
        assert!(err.contains(w), "{name}: missing '{w}' in: {err}");
    }
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(!out.join("arch.json").exists(), "{name}: wrote output");
    let _ = std::fs::remove_dir_all(&dir);
}

fn good_cfg() -> String {
    std::fs::read_to_string(data("configs/calc_32x32_os.cfg")).unwrap()
}

#[test]
fn bad_config_files() {
    bad_input(
        "unknown_key",
        Some(&good_cfg().replace("ArrayWidth:", "ArrayWidht:")),
        None,
        &["line 6", "ArrayWidht", "expected one of", "ArrayWidth"],
    );
    bad_input(
        "bad_number",
        Some(&good_cfg().replace("ArrayHeight:    32", "ArrayHeight: 3x2")),
        None,
        &[
            "line 5",
            "ArrayHeight",
            "expected a positive integer",
            "3x2",
        ],
    );
    bad_input(
        "zero_rows",
        Some(&good_cfg().replace("ArrayHeight:    32", "ArrayHeight: 0")),
        None,
        &["line 5", "expected a positive integer"],
    );
    bad_input(
        "bad_dataflow",
        Some(&good_cfg().replace("Dataflow : os", "Dataflow : rs")),
        None,
        &["Dataflow", "expected one of os, ws, is", "'rs'"],
    );
    bad_input(
        "unknown_section",
        Some(&good_cfg().replace("[layout]", "[layouts]")),
        None,
        &["unknown section [layouts]", "expected one of"],
    );
    bad_input(
        "missing_key",
        Some(&good_cfg().replace("Dataflow : os\n", "")),
        None,
        &["missing key Dataflow"],
    );
    bad_input(
        "no_delimiter",
        Some(&good_cfg().replace("Dataflow : os", "Dataflow os")),
        None,
        &["expected 'key = value' or 'key: value'"],
    );
    bad_input(
        "sparse",
        Some(&good_cfg().replace("SparsitySupport : false", "SparsitySupport : true")),
        None,
        &["SparsitySupport", "not imported"],
    );
}

#[test]
fn bad_topology_files() {
    const HEADER: &str = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
    bad_input(
        "short_row",
        None,
        Some(&format!("{HEADER}Conv1,224,224,7,7,3,64,\n")),
        &["line 2", "expected 8 columns"],
    );
    bad_input(
        "negative",
        None,
        Some(&format!("{HEADER}Conv1,224,224,7,7,-3,64,2,\n")),
        &[
            "line 2, column 6 (Channels)",
            "expected a positive integer",
            "-3",
        ],
    );
    bad_input(
        "zero_stride",
        None,
        Some(&format!("{HEADER}Conv1,224,224,7,7,3,64,0,\n")),
        &["line 2, column 8 (Strides)", "expected a positive integer"],
    );
    bad_input(
        "filter_too_big",
        None,
        Some(&format!("{HEADER}Conv1,4,224,7,7,3,64,1,\n")),
        &["line 2", "larger than the IFMAP height"],
    );
    bad_input(
        "gemm_overflow",
        None,
        Some("Layer,M,N,K,\nhuge,4294967296,4294967296,4294967296,\n"),
        &["line 2", "overflows u64"],
    );
    bad_input("header_only", None, Some(HEADER), &["no layers"]);
    bad_input(
        "duplicate",
        None,
        Some("Layer,M,N,K,\na,1,2,3,\na,4,5,6,\n"),
        &["line 3", "used twice (also line 2)"],
    );
}

#[test]
fn missing_files_are_bad_input() {
    let dir = scratch("missing");
    let o = import(
        &dir.join("nope.cfg"),
        &data("topologies/Resnet18.csv"),
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.cfg"), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot read file"), "{}", stderr(&o));
    let o = import(
        &data("configs/calc_32x32_os.cfg"),
        &dir.join("nope.csv"),
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.csv"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
