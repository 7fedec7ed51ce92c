//! Chrome trace-event / Perfetto JSON of an event-engine run (open it in
//! <https://ui.perfetto.dev> or `chrome://tracing`).
//!
//! One process (the chip) with one thread track per core's MAC array, per core's vector
//! unit and per DMA engine: ops are complete (`"X"`) events with their tiles nested inside,
//! transfers are `"X"` events on their DMA engine. Memory levels are counter (`"C"`) tracks:
//! DRAM bandwidth in use (GB/s) and streaming transfers, on-chip bytes in use and
//! activations kept on chip. Timestamps are microseconds (`ts`, `dur`), from cycles at
//! the arch's clock; each event's `args` carry the cycle figures.

use serde_json::{json, Value};

use crate::arch::Arch;
use crate::sim::trace::{Counter, SpanKind, Track};
use crate::sim::Timeline;
use crate::workload::Workload;

/// Renders the trace recorded in `timeline` (see `sim::SimOptions::record_trace`); a
/// timeline without a record gives a trace with op spans only, one track per core.
pub fn chrome_trace(workload: &Workload, arch: &Arch, timeline: &Timeline) -> String {
    let us_per_cycle = 1.0 / (arch.clock_ghz * 1e3);
    let dma_per_core = arch.memory.dma_engines_per_core.max(1);
    let stride = 2 + dma_per_core;
    let tid = |t: Track| -> u32 {
        match t {
            Track::Array(c) => c * stride + 1,
            Track::Vector(c) => c * stride + 2,
            Track::Dma { core, engine } => core * stride + 3 + engine,
        }
    };
    let mut events: Vec<Value> = Vec::new();
    events.push(json!({
        "ph": "M", "pid": 0, "name": "process_name",
        "args": { "name": format!("accelsim: {} on {}", workload.name, arch.name) }
    }));
    for c in 0..arch.cores {
        let mut tracks = vec![
            (Track::Array(c), format!("core {c} array")),
            (Track::Vector(c), format!("core {c} vector")),
        ];
        for e in 0..dma_per_core {
            tracks.push((
                Track::Dma { core: c, engine: e },
                format!("core {c} DMA {e}"),
            ));
        }
        for (t, name) in tracks {
            events.push(json!({
                "ph": "M", "pid": 0, "tid": tid(t), "name": "thread_name",
                "args": { "name": name }
            }));
            events.push(json!({
                "ph": "M", "pid": 0, "tid": tid(t), "name": "thread_sort_index",
                "args": { "sort_index": tid(t) }
            }));
        }
    }
    let op_name = |op: usize| workload.ops[op].name.as_str();
    let op_args = |op: usize| {
        let t = &timeline.ops[op];
        json!({
            "kind": workload.ops[op].kind.name(),
            "start_cycle": t.start_cycle,
            "end_cycle": t.end_cycle,
            "compute_cycles": t.compute_cycles,
            "stall_dram_cycles": t.stall_dram_cycles,
            "stall_sram_cycles": t.stall_sram_cycles,
            "wait_cycles": t.wait_cycles,
            "tiles": t.tiles,
            "dram_read_bytes": t.dram_read_bytes,
            "dram_write_bytes": t.dram_write_bytes,
            "output_on_chip": t.output_on_chip,
        })
    };
    match &timeline.trace {
        Some(log) => {
            let mut spans = log.spans.clone();
            // Per track, parents (longer) before the children that start with them.
            spans.sort_by(|a, b| {
                tid(a.track)
                    .cmp(&tid(b.track))
                    .then(a.start.total_cmp(&b.start))
                    .then(b.end.total_cmp(&a.end))
            });
            for s in &spans {
                let (name, cat, args) = match s.kind {
                    SpanKind::Op => (op_name(s.op).to_string(), "op", op_args(s.op)),
                    SpanKind::Tile(i) => (
                        format!("{} #{i}", op_name(s.op)),
                        "tile",
                        json!({ "step": i, "cycles": s.end - s.start }),
                    ),
                    SpanKind::Load => (
                        format!("load {}", op_name(s.op)),
                        "dma",
                        json!({ "bytes": s.bytes, "start_cycle": s.start, "end_cycle": s.end }),
                    ),
                    SpanKind::Store => (
                        format!("store {}", op_name(s.op)),
                        "dma",
                        json!({ "bytes": s.bytes, "start_cycle": s.start, "end_cycle": s.end }),
                    ),
                };
                events.push(json!({
                    "ph": "X", "pid": 0, "tid": tid(s.track), "name": name, "cat": cat,
                    "ts": s.start * us_per_cycle, "dur": (s.end - s.start) * us_per_cycle,
                    "args": args
                }));
            }
            let gbps_per_bpc = arch.clock_ghz;
            for c in &log.counters {
                let (name, value) = match c.counter {
                    Counter::DramBytesPerCycle => ("DRAM bandwidth (GB/s)", c.value * gbps_per_bpc),
                    Counter::DramStreams => ("DRAM streams", c.value),
                    Counter::OnChipBytes => ("on-chip bytes in use", c.value),
                    Counter::ResidentBytes => ("activations kept on chip (bytes)", c.value),
                };
                events.push(json!({
                    "ph": "C", "pid": 0, "name": name, "ts": c.time * us_per_cycle,
                    "args": { "value": value }
                }));
            }
        }
        None => {
            for (op, t) in timeline.ops.iter().enumerate() {
                if t.end_cycle == t.start_cycle {
                    continue;
                }
                for &c in &t.cores {
                    let track = if workload.ops[op].gemm.is_some() {
                        Track::Array(c)
                    } else {
                        Track::Vector(c)
                    };
                    events.push(json!({
                        "ph": "X", "pid": 0, "tid": tid(track), "name": op_name(op), "cat": "op",
                        "ts": t.start_cycle as f64 * us_per_cycle,
                        "dur": (t.end_cycle - t.start_cycle) as f64 * us_per_cycle,
                        "args": op_args(op)
                    }));
                }
            }
        }
    }
    let mut out = String::from("{\"displayTimeUnit\": \"ns\",\n\"otherData\": ");
    out.push_str(
        &json!({
            "arch": arch.name,
            "workload": workload.name,
            "engine": timeline.engine,
            "clock_ghz": arch.clock_ghz,
            "cycles": timeline.cycles,
            "events": timeline.events,
        })
        .to_string(),
    );
    out.push_str(",\n\"traceEvents\": [\n");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&e.to_string());
    }
    out.push_str("\n]}\n");
    out
}
