//! What the event engine records for a trace when asked ([`super::SimOptions`]): spans on
//! tracks (ops and tiles on each core's array or vector unit, transfers on each DMA
//! engine) and counter samples (DRAM streams and bandwidth, on-chip bytes). Rendering to
//! the Chrome trace-event / Perfetto format lives in `report::trace`.

use crate::workload::OpId;

/// A horizontal track of the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Track {
    /// The MAC array of a core.
    Array(u32),
    /// The vector unit of a core.
    Vector(u32),
    /// A DMA engine of a core.
    Dma {
        /// Core.
        core: u32,
        /// Engine index within the core.
        engine: u32,
    },
}

/// What a span shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A whole op on one core (first load to last store).
    Op,
    /// One step (tile) computing; the index within the op's steps on that core.
    Tile(u32),
    /// A DRAM → buffer transfer (data phase).
    Load,
    /// A buffer → DRAM transfer (data phase).
    Store,
}

/// One span: `[start, end)` in cycles (fractional for transfers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Where it is drawn.
    pub track: Track,
    /// What it is.
    pub kind: SpanKind,
    /// The op it belongs to.
    pub op: OpId,
    /// Start, cycles.
    pub start: f64,
    /// End, cycles.
    pub end: f64,
    /// Bytes moved (transfers) or 0.
    pub bytes: f64,
}

/// A sampled quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// Transfers sharing the DRAM channel.
    DramStreams,
    /// DRAM bandwidth in use, bytes per cycle.
    DramBytesPerCycle,
    /// On-chip bytes in use: running ops' tile working sets plus resident activations.
    OnChipBytes,
    /// Activations kept on chip between layers, bytes.
    ResidentBytes,
}

/// A counter's value from `time` on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CounterSample {
    /// Which counter.
    pub counter: Counter,
    /// Cycles.
    pub time: f64,
    /// Value.
    pub value: f64,
}

/// Everything recorded for a trace.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceLog {
    /// Cores of the arch.
    pub cores: u32,
    /// DMA engines per core.
    pub dma_engines_per_core: u32,
    /// Spans in the order they were recorded.
    pub spans: Vec<Span>,
    /// Counter samples in time order.
    pub counters: Vec<CounterSample>,
}
