//! Operator fusion (docs/fusion.md): elementwise ops run in their producer's epilogue on
//! archs that declare one, moving no DRAM bytes and launching nothing of their own; the
//! report still lists them, marked `fused_into`; `Fusion::Off` keeps the unfused costs.

use crate::engine_util::*;
use accelsim::arch::Arch;
use accelsim::model::fusion::{class_of, kernels};
use accelsim::model::options::Fusion;
use accelsim::model::RunOptions;
use accelsim::report::Report;
use accelsim::sim::Engine;
use accelsim::workload::Workload;
use serde_json::json;

fn preset(name: &str) -> Arch {
    let p = format!("{}/arch_configs/{name}.json", env!("CARGO_MANIFEST_DIR"));
    Arch::load(p.as_ref()).expect("preset")
}

fn run_opt(w: &Workload, a: &Arch, engine: Engine, fusion: Fusion) -> Report {
    accelsim::run_with(w, a, engine, &RunOptions::default().with_fusion(fusion)).expect("runs")
}

/// The acceptance check: on the presets whose post-processing path applies every class,
/// no elementwise op of ResNet-50 or the BERT encoder moves DRAM bytes of its own, with
/// either engine; each is listed as fused into a compute op.
#[test]
fn no_elementwise_op_moves_dram_bytes_on_presets_with_an_epilogue() {
    for p in ["edge_npu_32x32", "h100_sxm", "a100_sxm", "tensor_core_edge"] {
        let a = preset(p);
        for wl in ["resnet50", "bert_base_encoder"] {
            let w = workload(wl);
            for engine in [Engine::Event, Engine::Analytic] {
                let r = run_opt(&w, &a, engine, Fusion::On);
                let mut n = 0;
                for (op, l) in r.layers.iter().enumerate() {
                    if class_of(&w, op).is_none() {
                        continue;
                    }
                    n += 1;
                    assert_eq!(l.dram_bytes, 0.0, "{p} {wl} {engine:?}: {}", l.name);
                    let host = l.fused_into.as_deref().expect("fused");
                    let h = r.layers.iter().find(|x| x.name == host).unwrap();
                    assert!(h.macs > 0, "{p} {wl}: host {host} is a compute op");
                    assert!(l.energy_breakdown_pj.vector > 0.0, "{}", l.name);
                    assert_eq!(l.energy_breakdown_pj.dram, 0.0, "{}", l.name);
                }
                assert!(n >= 3, "{wl} has elementwise ops");
            }
        }
    }
}

/// Unfused, the same ops each make a memory round trip (DRAM, or kept on chip by the
/// event engine's layer pipelining); fused, the run moves fewer bytes and
/// is no slower, on both engines.
#[test]
fn fusion_off_keeps_the_unfused_costs() {
    let a = preset("edge_npu_32x32");
    let w = workload("resnet50");
    for engine in [Engine::Event, Engine::Analytic] {
        let on = run_opt(&w, &a, engine, Fusion::On);
        let off = run_opt(&w, &a, engine, Fusion::Off);
        assert!(off.layers.iter().all(|l| l.fused_into.is_none()));
        for (op, l) in off.layers.iter().enumerate() {
            if class_of(&w, op).is_some() {
                assert!(l.dram_bytes + l.kept_on_chip_bytes > 0.0, "{}", l.name);
            }
        }
        assert!(on.summary.dram_bytes < 0.8 * off.summary.dram_bytes);
        assert!(on.summary.latency_s < off.summary.latency_s);
        assert_eq!(on.summary.macs, off.summary.macs);
    }
}

/// A hand count: matmul Y = X·W (int8), Z = relu(Y), S = Z + X2 with X2 another matmul's
/// output of the same size B bytes. Unfused (layer pipelining off: no on-chip retention) relu
/// reads Y and writes Z, add reads Z and X2 and writes S: 5B. Fused into the later matmul,
/// only X2 is read again (B): the difference is exactly 4B. The fused ops' vector energy
/// is unchanged.
#[test]
fn a_fused_chain_saves_exactly_the_round_trips() {
    let w = workload_json(&json!({
        "name": "chain",
        "inputs": [{ "name": "x", "shape": [64, 128], "format": "int8" }],
        "ops": [
            { "name": "mm2", "op": "matmul", "inputs": ["x"], "output": "x2", "out_features": 96, "precision": "int8" },
            { "name": "mm", "op": "matmul", "inputs": ["x"], "output": "y", "out_features": 96, "precision": "int8" },
            { "name": "r", "op": "relu", "inputs": ["y"], "output": "z" },
            { "name": "a", "op": "add", "inputs": ["z", "x2"], "output": "s" }
        ]
    }));
    let mut spec = base_arch();
    set(
        &mut spec,
        "epilogue",
        json!({ "ops": ["relu", "residual"] }),
    );
    // Both engines keep activations on chip when the arch pipelines layers: count DRAM
    // round trips with that off.
    set(&mut spec, "memory.layer_pipelining", json!(false));
    let a = arch(&spec);
    let on = run_opt(&w, &a, Engine::Analytic, Fusion::On);
    let off = run_opt(&w, &a, Engine::Analytic, Fusion::Off);
    let b = 64.0 * 96.0; // int8 activations
    let d = off.summary.dram_bytes - on.summary.dram_bytes;
    assert!(
        (d - 4.0 * b).abs() < 1e-6,
        "saved {d}, expected {}",
        4.0 * b
    );
    let name = |r: &Report, n: &str| r.layers.iter().find(|l| l.name == n).unwrap().clone();
    assert_eq!(name(&on, "r").fused_into.as_deref(), Some("mm"));
    assert_eq!(name(&on, "a").fused_into.as_deref(), Some("mm"));
    assert_eq!(
        name(&on, "mm").dram_read_bytes,
        name(&off, "mm").dram_read_bytes + b
    );
    for n in ["r", "a"] {
        assert_eq!(
            name(&on, n).energy_breakdown_pj.vector,
            name(&off, n).energy_breakdown_pj.vector
        );
        assert_eq!(name(&on, n).cycles, 0);
    }
    // The event engine agrees on the bytes when nothing can stay on chip.
    let mut spec2 = spec.clone();
    set(&mut spec2, "memory.layer_pipelining", json!(false));
    let a2 = arch(&spec2);
    let ev_on = run_opt(&w, &a2, Engine::Event, Fusion::On);
    let ev_off = run_opt(&w, &a2, Engine::Event, Fusion::Off);
    let d = ev_off.summary.dram_bytes - ev_on.summary.dram_bytes;
    assert!((d - 4.0 * b).abs() < 1e-6, "event engine saved {d}");
}

/// The arch decides which classes fuse: TPU v1's activation pipeline has no residual
/// operand path, so ResNet-50's residual adds (and the ReLUs after them) run on their own,
/// while every conv → ReLU fuses; Eyeriss applies only ReLU; the SCALE-Sim preset none.
#[test]
fn presets_fuse_only_what_their_path_applies() {
    let w = workload("resnet50");
    let count = |r: &Report, kind: &str| {
        r.layers
            .iter()
            .filter(|l| l.op == kind && l.fused_into.is_some())
            .count()
    };
    let total = |kind: &str| w.ops.iter().filter(|o| o.kind.name() == kind).count();
    let tpu = run_opt(&w, &preset("tpu_v1"), Engine::Event, Fusion::On);
    assert_eq!(count(&tpu, "add"), 0);
    assert_eq!(count(&tpu, "relu"), total("relu") - total("add"));
    let ey = run_opt(&w, &preset("eyeriss"), Engine::Analytic, Fusion::On);
    assert_eq!(count(&ey, "add"), 0);
    assert_eq!(count(&ey, "relu"), total("relu") - total("add"));
    let ss = run_opt(&w, &preset("scalesim_32x32"), Engine::Analytic, Fusion::On);
    assert!(ss.layers.iter().all(|l| l.fused_into.is_none()));
}

/// On a GPU every unfused elementwise op is a kernel with its launch; fused, ResNet-50 is
/// one kernel per conv/matmul plus the pooling ops.
#[test]
fn fused_ops_launch_no_kernel_on_a_gpu() {
    let a = preset("h100_sxm");
    let w = workload("resnet50");
    let on = accelsim::model::plan_with(&w, &a, &RunOptions::default()).unwrap();
    let off = accelsim::model::plan_with(&w, &a, &RunOptions::default().with_fusion(Fusion::Off))
        .unwrap();
    let compute = w.ops.iter().filter(|o| o.gemm.is_some()).count();
    let pools = w
        .ops
        .iter()
        .filter(|o| matches!(o.kind.name(), "maxpool" | "global_avgpool"))
        .count();
    assert_eq!(kernels(&on), compute + pools);
    let elementwise = (0..w.ops.len())
        .filter(|&i| class_of(&w, i).is_some())
        .count();
    assert_eq!(kernels(&off), compute + pools + elementwise);
    for (c, o) in on.iter().zip(&w.ops) {
        if c.fused.is_some() {
            assert_eq!(c.host_overhead_cycles, 0, "{}", o.name);
            assert_eq!(c.compute_cycles, 0, "{}", o.name);
        }
    }
}

/// The arch field is checked like every other: unknown fields and classes are errors that
/// name the path.
#[test]
fn bad_epilogue_fields_are_errors() {
    let mut spec = base_arch();
    set(
        &mut spec,
        "epilogue",
        json!({ "ops": ["relu"], "lanes": 4 }),
    );
    let e = Arch::from_json(&spec.to_string()).unwrap_err().to_string();
    assert!(e.contains("epilogue") && e.contains("lanes"), "{e}");
    set(&mut spec, "epilogue", json!({ "ops": ["softmax"] }));
    let e = Arch::from_json(&spec.to_string()).unwrap_err().to_string();
    assert!(e.contains("epilogue.ops") && e.contains("softmax"), "{e}");
}

/// The issue's measurement design (examples/fusion/npu_64x64_int8.json: 64×64 int8,
/// 3 × 512 KiB buffers, 25.6 GB/s). With layer pipelining off (no on-chip retention) the
/// fused run moves exactly the unfused bytes minus every elementwise op's own bytes plus
/// the residual operands their hosts read instead (ResNet-50's conv outputs and their
/// ReLU / add chains are all int8, so no host writes a different size).
#[test]
fn resnet50_fused_bytes_are_the_unfused_minus_the_elementwise_round_trips() {
    let p = format!(
        "{}/examples/fusion/npu_64x64_int8.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut a = Arch::load(p.as_ref()).unwrap();
    a.memory.layer_pipelining = false;
    let w = workload("resnet50");
    let on = run_opt(&w, &a, Engine::Analytic, Fusion::On);
    let off = run_opt(&w, &a, Engine::Analytic, Fusion::Off);
    let mut elementwise = 0.0;
    let mut residual = 0.0;
    for (i, o) in w.ops.iter().enumerate() {
        if class_of(&w, i).is_none() {
            continue;
        }
        elementwise += off.layers[i].dram_bytes;
        if o.kind.name() == "add" {
            // One operand passes through the host; the other is read again.
            residual += w.tensors[o.inputs[0]].bytes() as f64;
        }
    }
    let expected = off.summary.dram_bytes - elementwise + residual;
    assert!(
        (on.summary.dram_bytes - expected).abs() < 1e-6 * expected,
        "{} vs {expected}",
        on.summary.dram_bytes
    );
    eprintln!(
        "ResNet-50 on npu_64x64_int8 (analytic): elementwise ops {:.1} % of DRAM bytes unfused; \
         DRAM {:.2} MB → {:.2} MB, latency {:.3} ms → {:.3} ms",
        100.0 * elementwise / off.summary.dram_bytes,
        off.summary.dram_bytes / 1e6,
        on.summary.dram_bytes / 1e6,
        off.summary.latency_s * 1e3,
        on.summary.latency_s * 1e3
    );
}

/// docs/fusion.md's ResNet-50 table is a fresh run of both engines, fused and unfused.
#[test]
fn docs_fusion_table_matches_fresh_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/fusion.md")).unwrap();
    let a = Arch::load(format!("{root}/examples/fusion/npu_64x64_int8.json").as_ref()).unwrap();
    let w = workload("resnet50");
    let mut missing = Vec::new();
    for (engine, label) in [(Engine::Event, "event"), (Engine::Analytic, "analytic")] {
        for (fusion, f) in [(Fusion::Off, "off"), (Fusion::On, "on")] {
            let r = run_opt(&w, &a, engine, fusion);
            let s = &r.summary;
            let (mut d, mut c) = (0.0, 0u64);
            for (i, l) in r.layers.iter().enumerate() {
                if class_of(&w, i).is_some() {
                    d += l.dram_bytes;
                    c += l.cycles;
                }
            }
            let share = if fusion == Fusion::On {
                assert_eq!((d, c), (0.0, 0));
                "0 / 0".to_string()
            } else {
                format!(
                    "{:.1} % / {:.1} %",
                    100.0 * d / s.dram_bytes,
                    100.0 * c as f64 / s.cycles as f64
                )
            };
            let row = format!(
                "| {label} | {f} | {:.3} ms | {:.2} MB | {share} | {:.3e} pJ |",
                s.latency_s * 1e3,
                s.dram_bytes / 1e6,
                s.energy_pj
            );
            if !doc.contains(&row) {
                missing.push(row);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/fusion.md lacks the fresh rows:\n{}",
        missing.join("\n")
    );
}

/// The CLI: `--json` lists fused layers with `fused_into`, `--no-fusion` none; `-vv` logs
/// one fusion decision per elementwise op; the table marks fused ops `op → host`.
#[test]
fn cli_marks_fused_layers_and_no_fusion_turns_it_off() {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = |extra: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_accelsim"))
            .current_dir(root)
            .args([
                "run",
                "arch_configs/edge_npu_32x32.json",
                "workloads/tiny_cnn.json",
            ])
            .args(extra)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(o.status.success());
        (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        )
    };
    let w = workload("tiny_cnn");
    let elementwise = (0..w.ops.len())
        .filter(|&i| class_of(&w, i).is_some())
        .count();
    assert!(elementwise > 0);
    let fused_layers = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l.get("fused_into").is_some())
            .count()
    };
    assert!(fused_layers(&run(&["--json"]).0) > 0);
    assert_eq!(fused_layers(&run(&["--json", "--no-fusion"]).0), 0);
    let (table, log) = run(&["-vv"]);
    assert!(table.contains(" → "), "{table}");
    let decisions = log.lines().filter(|l| l.contains("fusion: op '")).count();
    assert_eq!(decisions, elementwise, "{log}");
}

/// A fused op's element-ops run on its host's output path (docs/fusion.md): where the path
/// is slower than the array, the host computes for the path's cycles. Hand derivation:
/// a 64×8 by 8×64 int8 GEMM on an 8×8 weight-stationary array, then ReLU (1 op per element)
/// and GELU (8 ops per element) on its 4096 outputs, both in the epilogue. The path of a
/// systolic array without a declared rate takes one output row per cycle, 8 elements:
/// (4096 × 1 + 4096 × 8) / 8 = 4608 cycles, above the array's cycles, so the host takes
/// 4608. With a declared `elements_per_cycle` of 10⁶ the path keeps pace and the host
/// computes for its array cycles, as unfused; the fused ops keep their vector energy.
#[test]
fn fused_epilogue_work_paces_its_host_when_the_path_is_slower() {
    let mut spec = base_arch();
    set(&mut spec, "array.rows", json!(8));
    set(&mut spec, "array.cols", json!(8));
    set(&mut spec, "array.dataflow", json!("ws"));
    set(
        &mut spec,
        "epilogue",
        json!({ "ops": ["relu", "activation"] }),
    );
    let w = workload_json(&json!({
        "name": "gemm_relu_gelu",
        "inputs": [ { "name": "x", "shape": [64, 8], "format": "int8" } ],
        "ops": [
            { "name": "g", "op": "matmul", "inputs": ["x"], "output": "y",
              "out_features": 64, "precision": "int8" },
            { "name": "r", "op": "relu", "inputs": ["y"], "output": "z" },
            { "name": "e", "op": "gelu", "inputs": ["z"], "output": "o" }
        ]
    }));
    let plan = |spec: &serde_json::Value, fusion: Fusion| {
        let opts = RunOptions::default().with_fusion(fusion);
        accelsim::model::plan_with(&w, &arch(spec), &opts).expect("plans")
    };
    let unfused = plan(&spec, Fusion::Off);
    let array_cycles = unfused[0].compute_cycles;
    assert!(array_cycles < 4608, "{array_cycles}");
    let slow = plan(&spec, Fusion::On);
    assert_eq!(slow[1].vector_ops + slow[2].vector_ops, 4096 + 8 * 4096);
    assert_eq!(slow[0].compute_cycles, 4608);
    assert_eq!((slow[1].compute_cycles, slow[2].compute_cycles), (0, 0));
    assert!(slow[1].energy.vector_pj > 0.0 && slow[2].energy.vector_pj > 0.0);
    set(
        &mut spec,
        "epilogue",
        json!({ "ops": ["relu", "activation"], "elements_per_cycle": 1e6 }),
    );
    let fast = plan(&spec, Fusion::On);
    assert_eq!(fast[0].compute_cycles, array_cycles);
    // A tensor-core array without a GPU block has no output row to derive the rate from.
    let path = format!(
        "{}/arch_configs/tensor_core_edge.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut tc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    tc["epilogue"] = json!({ "ops": ["relu"] });
    let e = Arch::from_json(&tc.to_string()).unwrap_err().to_string();
    assert!(e.contains("epilogue.elements_per_cycle"), "{e}");
}
