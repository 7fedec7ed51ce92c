//! Scaling of graph handling with graph size (issue 16): chains (each op reads the previous
//! op's output) and wide graphs (every op reads the same input) of 10k, 100k and 1M relu
//! ops, generated in-process. For each: parsing + name resolution + DAG + shape inference
//! (`Workload::from_json`), then the whole pipeline (`accelsim::run`: plan, schedule,
//! report) with the event engine and with the analytic engine. Near-linear handling shows
//! as a flat time per op across sizes.
//!
//! ONNX: a chain of Relu nodes, encoded in-process as protobuf, decoded and imported
//! (`OnnxModel::from_bytes` + `import::onnx::to_workload`).
//!
//! A timing harness rather than criterion: one 1M-op run takes seconds, so each figure is
//! the best of a few runs (3 up to 100k ops, 1 at 1M).
//!
//! cargo bench --bench graphs            (all sizes)
//! cargo bench --bench graphs -- 100000  (only graphs of that size)

use std::time::{Duration, Instant};

use std::path::Path;

use accelsim::arch::Arch;
use accelsim::import::onnx::{to_workload, ImportOptions, OnnxModel};
use accelsim::sim::Engine;
use accelsim::workload::Workload;

/// The graph as workload JSON: `n` relu ops on a [1, 64] int8 input.
fn graph_json(n: usize, wide: bool) -> String {
    let mut s = String::with_capacity(n * 80);
    s.push_str(r#"{"name":"g","inputs":[{"name":"x","shape":[1,64],"format":"int8"}],"ops":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let input = if wide || i == 0 {
            "x".to_string()
        } else {
            format!("t{}", i - 1)
        };
        s.push_str(&format!(
            r#"{{"name":"r{i}","op":"relu","inputs":["{input}"],"output":"t{i}"}}"#
        ));
    }
    s.push_str("]}");
    s
}

/// Protobuf writer for the few ONNX fields a Relu chain needs.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    varint(out, u64::from(tag) << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn field_int(out: &mut Vec<u8>, tag: u32, v: u64) {
    varint(out, u64::from(tag) << 3);
    varint(out, v);
}

/// ValueInfoProto: a float tensor of shape [1, 64].
fn value_info(name: &str) -> Vec<u8> {
    let mut shape = Vec::new();
    for d in [1u64, 64] {
        let mut dim = Vec::new();
        field_int(&mut dim, 1, d);
        field_bytes(&mut shape, 1, &dim);
    }
    let mut tensor = Vec::new();
    field_int(&mut tensor, 1, 1); // FLOAT
    field_bytes(&mut tensor, 2, &shape);
    let mut ty = Vec::new();
    field_bytes(&mut ty, 1, &tensor);
    let mut v = Vec::new();
    field_bytes(&mut v, 1, name.as_bytes());
    field_bytes(&mut v, 2, &ty);
    v
}

/// ModelProto of a chain of `n` Relu nodes (opset 17).
fn onnx_chain(n: usize) -> Vec<u8> {
    let mut graph = Vec::with_capacity(n * 32);
    for i in 0..n {
        let mut node = Vec::new();
        let input = if i == 0 {
            "x".to_string()
        } else {
            format!("t{}", i - 1)
        };
        field_bytes(&mut node, 1, input.as_bytes());
        field_bytes(&mut node, 2, format!("t{i}").as_bytes());
        field_bytes(&mut node, 3, format!("r{i}").as_bytes());
        field_bytes(&mut node, 4, b"Relu");
        field_bytes(&mut graph, 1, &node);
    }
    field_bytes(&mut graph, 2, b"chain");
    field_bytes(&mut graph, 11, &value_info("x"));
    field_bytes(&mut graph, 12, &value_info(&format!("t{}", n - 1)));
    let mut opset = Vec::new();
    field_int(&mut opset, 2, 17);
    let mut model = Vec::new();
    field_int(&mut model, 1, 8);
    field_bytes(&mut model, 8, &opset);
    field_bytes(&mut model, 7, &graph);
    model
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let filter: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    let arch_path = format!(
        "{}/arch_configs/edge_npu_32x32.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let arch = Arch::load(arch_path.as_ref()).expect("arch");
    println!(
        "| graph | ops | load (s) | run, event (s) | run, analytic (s) | total event, µs/op |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut onnx_rows = Vec::new();
    for n in [10_000usize, 100_000, 1_000_000] {
        if filter.is_some_and(|f| f != n) {
            continue;
        }
        let runs = if n >= 1_000_000 { 1 } else { 3 };
        for wide in [false, true] {
            let text = graph_json(n, wide);
            let (load, w) = best_of(runs, || Workload::from_json(&text).expect("workload"));
            let (event, r) = best_of(runs, || accelsim::run(&w, &arch, Engine::Event).unwrap());
            assert_eq!(r.layers.len(), n);
            let (analytic, _) =
                best_of(runs, || accelsim::run(&w, &arch, Engine::Analytic).unwrap());
            println!(
                "| {} | {n} | {:.3} | {:.3} | {:.3} | {:.2} |",
                if wide { "wide" } else { "chain" },
                load.as_secs_f64(),
                event.as_secs_f64(),
                analytic.as_secs_f64(),
                (load + event).as_secs_f64() * 1e6 / n as f64
            );
        }
        let bytes = onnx_chain(n);
        let (import, imported) = best_of(runs, || {
            let m = OnnxModel::from_bytes(&bytes, Path::new("chain.onnx")).expect("model");
            to_workload(&m, &ImportOptions::default()).expect("import")
        });
        assert_eq!(imported.spec.ops.len(), n);
        onnx_rows.push(format!(
            "| ONNX Relu chain | {n} | {:.3} | {:.2} |",
            import.as_secs_f64(),
            import.as_secs_f64() * 1e6 / n as f64
        ));
    }
    println!();
    println!("| graph | nodes | decode + import (s) | µs/node |");
    println!("|---|---:|---:|---:|");
    for r in onnx_rows {
        println!("{r}");
    }
}
