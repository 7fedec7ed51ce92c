//! The trace of a run is valid Chrome trace-event JSON: every event has the fields its
//! phase needs, spans on one track nest, every track is named, op spans match the
//! report's cycles; the committed example in `traces/` passes the same checks, and
//! `accelsim run --trace FILE` writes one.

use crate::engine_util;

use std::collections::{BTreeMap, BTreeSet};

use accelsim::sim::Engine;
use engine_util::*;
use serde_json::{json, Value};

/// Checks a trace-event document; returns (complete events, counter samples).
fn validate(text: &str) -> (usize, usize) {
    let doc: Value = serde_json::from_str(text).expect("trace is JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents array");
    let mut named: BTreeSet<u64> = BTreeSet::new();
    let mut spans: BTreeMap<u64, Vec<(f64, f64, String)>> = BTreeMap::new();
    let mut counters = 0;
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        assert!(e["pid"].is_u64(), "pid: {e}");
        match ph {
            "M" => {
                let name = e["name"].as_str().expect("metadata name");
                assert!(
                    ["process_name", "thread_name", "thread_sort_index"].contains(&name),
                    "{e}"
                );
                assert!(e["args"].is_object(), "{e}");
                if name == "thread_name" {
                    named.insert(e["tid"].as_u64().expect("tid"));
                    assert!(e["args"]["name"].is_string(), "{e}");
                }
            }
            "X" => {
                let tid = e["tid"].as_u64().expect("tid");
                let ts = e["ts"].as_f64().expect("ts");
                let dur = e["dur"].as_f64().expect("dur");
                assert!(ts >= 0.0 && dur >= 0.0, "{e}");
                let name = e["name"].as_str().expect("name").to_string();
                assert!(e["cat"].is_string() && e["args"].is_object(), "{e}");
                spans.entry(tid).or_default().push((ts, ts + dur, name));
            }
            "C" => {
                assert!(e["name"].is_string() && e["ts"].as_f64().is_some(), "{e}");
                assert!(e["args"]["value"].as_f64().is_some(), "{e}");
                counters += 1;
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    let mut complete = 0;
    for (tid, mut list) in spans {
        assert!(named.contains(&tid), "track {tid} has no thread_name");
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        // Spans on one track are disjoint or nested.
        let mut stack: Vec<(f64, f64, String)> = Vec::new();
        for s in list {
            let eps = 1e-9 * s.1.abs().max(1.0);
            while stack.last().is_some_and(|top| s.0 >= top.1 - eps) {
                stack.pop();
            }
            if let Some(top) = stack.last() {
                assert!(
                    s.1 <= top.1 + eps,
                    "track {tid}: '{}' [{}, {}] overlaps '{}' [{}, {}]",
                    s.2,
                    s.0,
                    s.1,
                    top.2,
                    top.0,
                    top.1
                );
            }
            stack.push(s);
            complete += 1;
        }
    }
    (complete, counters)
}

#[test]
fn trace_of_a_run_is_valid_trace_event_json() {
    let mut spec = base_arch();
    set(&mut spec, "cores", json!(2));
    set(&mut spec, "memory.dma_engines_per_core", json!(2));
    let a = arch(&spec);
    for wl in ["tiny_cnn", "resnet18", "bert_base_encoder"] {
        let w = workload(wl);
        let (report, trace) = accelsim::run_with_trace(&w, &a, Engine::Event).unwrap();
        let (complete, counters) = validate(&trace);
        assert!(complete > w.ops.len() && counters > 0, "{wl}");
        // Op spans carry the report's cycles.
        let doc: Value = serde_json::from_str(&trace).unwrap();
        let mut ops = 0;
        for e in doc["traceEvents"].as_array().unwrap() {
            if e["cat"] == "op" {
                let l = report
                    .layers
                    .iter()
                    .find(|l| l.name == e["name"].as_str().unwrap())
                    .expect("op span names a layer");
                assert_eq!(e["args"]["start_cycle"], json!(l.start_cycle));
                assert_eq!(e["args"]["end_cycle"], json!(l.end_cycle));
                let us = 1.0 / (a.clock_ghz * 1e3);
                let ts = e["ts"].as_f64().unwrap();
                assert!((ts - l.start_cycle as f64 * us).abs() < 1e-9 * ts.max(1.0));
                ops += 1;
            }
        }
        let busy = report.layers.iter().filter(|l| l.cycles > 0).count();
        assert!(
            ops >= busy,
            "{wl}: {ops} op spans for {busy} ops that take time"
        );
        println!("{wl}: {complete} spans, {counters} counter samples valid");
    }
    // The analytic engine's trace has op spans only and is valid too.
    let (_, t) = accelsim::run_with_trace(&workload("tiny_cnn"), &a, Engine::Analytic).unwrap();
    validate(&t);
}

#[test]
fn committed_example_traces_are_valid() {
    let dir = format!("{}/traces", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("traces/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let (complete, counters) = validate(&std::fs::read_to_string(&path).unwrap());
            assert!(complete > 0 && counters > 0, "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 1, "no example trace in traces/");
}

#[test]
fn cli_writes_the_trace_file() {
    let dir = std::env::temp_dir().join(format!("accelsim_trace_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("tiny.json");
    let root = env!("CARGO_MANIFEST_DIR");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args([
            "run",
            &format!("{root}/arch_configs/edge_npu_32x32.json"),
            &format!("{root}/workloads/tiny_cnn.json"),
            "--json",
            "--trace",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["summary"]["engine"], "event");
    validate(&std::fs::read_to_string(&out).unwrap());
    // An unwritable trace path is an I/O failure (exit 1), not a panic.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_accelsim"))
        .args([
            "run",
            &format!("{root}/arch_configs/edge_npu_32x32.json"),
            &format!("{root}/workloads/tiny_cnn.json"),
            "--trace",
            "/nonexistent_dir/x/trace.json",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot write"));
    let _ = std::fs::remove_dir_all(&dir);
}
