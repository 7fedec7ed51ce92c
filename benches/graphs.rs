//! Scaling of graph handling with graph size (issue 16): chains (each op reads the previous
//! op's output) and wide graphs (every op reads the same input) of 10k, 100k and 1M relu
//! ops, generated in-process. For each: parsing + name resolution + DAG + shape inference
//! (`Workload::from_json`), then the whole pipeline (`accelsim::run`: plan, schedule,
//! report) with the event engine and with the analytic engine. Near-linear handling shows
//! as a flat time per op across sizes.
//!
//! A timing harness rather than criterion: one 1M-op run takes seconds, so each figure is
//! the best of a few runs (3 up to 100k ops, 1 at 1M).
//!
//! cargo bench --bench graphs            (all sizes)
//! cargo bench --bench graphs -- 100000  (only graphs of that size)

use std::time::{Duration, Instant};

use accelsim::arch::Arch;
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
    }
}
