//! The discrete-event engine.
//!
//! Components, all driven by one time-ordered [`EventQueue`](super::queue):
//!
//! - a **list scheduler** issuing ready DAG ops by critical-path priority
//!   ([`super::sched`]); an op takes `cores_used` free units of its kind (MAC arrays or
//!   vector units, lowest-numbered first) and holds them from its first load to its last
//!   store; reshape/flatten views take no time;
//! - per core, each op's share is a sequence of **steps** (tiles, [`super::tiles`]):
//!   load operands → compute → store results. With double buffering the loads of step
//!   i + 1 (and i + 2 once step i has computed) overlap the compute of step i, and a step
//!   may compute while the store of the step before drains; without it, every step loads,
//!   computes and stores in turn. A step computes for its ideal-memory cycles, stretched
//!   when its buffer traffic needs more cycles at the buffers' bytes per cycle;
//! - per core, `dma_engines_per_core` **DMA engines**, each streaming one transfer at a
//!   time in issue order; a transfer's request takes the DRAM latency from its issue
//!   (requests are pipelined: latencies overlap earlier transfers), then its data streams
//!   on the **DRAM channel**, shared
//!   equally by all streaming transfers of all cores ([`super::channel`]; capped by the
//!   global buffer's bytes per cycle when there is one);
//! - **layer-to-layer pipelining**: an op's output stays on chip when it fits in the spare
//!   on-chip capacity (the global buffer, or else half of each core's activation buffer),
//!   so neither the producer's store nor the consumers' loads touch DRAM;
//! - **GPU kernels** (arrays with a `gpu` block): every op is one kernel whose DRAM (HBM)
//!   reads and writes stream beside its compute from its start, as the kernel model's
//!   max(device, HBM) assumes, instead of load → compute → store steps;
//! - **the host**: an op with `host_overhead_cycles` takes the host for that long from its
//!   start (one dispatch at a time, so host-bound calls serialize) and lasts at least that
//!   long (stall reason `host_bound`), as in the analytic engine.
//!
//! Compute happens at whole cycles; transfers finish at fractional times on the fluid
//! channel and are seen by their step from the next whole cycle.

use std::collections::VecDeque;

use petgraph::visit::EdgeRef;
use petgraph::Direction;

use super::channel::{Channel, Stream};
use super::queue::EventQueue;
use super::residency::{is_view, op_dram, Residency};
use super::sched::{bottom_levels, ReadyClass, ReadyKey, ReadySet};
use super::steps::{load_triggers, op_plan, step_work, Buffers, StepWork};
use super::trace::{Counter, CounterSample, Span, SpanKind, TraceLog, Track};
use super::{ceil_cycles, static_energy, OpTiming, SimOptions, StallReason, Timeline};
use crate::arch::Arch;
use crate::model::{OpCost, Unit};
use crate::workload::{OpId, Workload};

/// Runs the event engine.
pub fn run(workload: &Workload, arch: &Arch, costs: &[OpCost], options: &SimOptions) -> Timeline {
    let mut sim = Sim::new(workload, arch, costs, options);
    sim.start();
    sim.run_loop();
    sim.finish()
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// A transfer's DRAM latency has elapsed.
    LatencyDone(usize),
    /// Check the channel for finished streams (stale unless the version matches).
    ChannelCheck(u64),
    /// A finished transfer becomes visible to its step.
    Delivered(usize),
    /// A step finished computing.
    ComputeDone(usize),
    /// The host dispatch time of an op whose device work finished earlier has elapsed.
    HostFloor(OpId),
    /// The host finished dispatching and can take the next kernel.
    HostFree,
}

/// One DMA transfer.
struct Flow {
    job: usize,
    step: usize,
    store: bool,
    /// Operand of a load (0: A and bias, 1: B).
    operand: u8,
    bytes: f64,
    dma: usize,
    t_data: f64,
    /// The request latency has elapsed.
    ready: bool,
}

#[derive(Default)]
struct Dma {
    /// Transfers not yet streaming, in issue order.
    queue: VecDeque<usize>,
    active: Option<usize>,
    /// Transfers queued or in flight.
    load: usize,
}

/// A step's A (and bias) operand is loaded.
const LOADED_A: u8 = 1;
/// Its results are stored.
const STORED: u8 = 2;
/// Its B operand is loaded.
const LOADED_B: u8 = 4;
/// Both operands are loaded.
const LOADED: u8 = LOADED_A | LOADED_B;

/// One op's share on one core.
struct Job {
    op: OpId,
    /// The core it runs on (the first of them when `weight` > 1).
    core: u32,
    /// Cores it stands for: a GPU kernel's identical per-SM shares run as one job whose
    /// transfers count `weight` times on the DRAM channel (the op's cores in order).
    weight: u32,
    state: Vec<u8>,
    next: usize,
    computing: bool,
    idle_since: u64,
    stall_dram: u64,
    stall_sram: u64,
    pending_stores: usize,
    done: bool,
}

#[derive(Default)]
struct OpRun {
    preds_left: usize,
    ready: u64,
    start: u64,
    end: u64,
    jobs_left: usize,
    cores: Vec<u32>,
    steps: Vec<StepWork>,
    /// Per step: the loads `(step, operand)` its compute completion issues.
    issue_after: Vec<Vec<(u32, u8)>>,
    output_on_chip: bool,
    dram_read: f64,
    dram_write: f64,
    kept: f64,
    stall_dram: u64,
    stall_sram: u64,
    last_job_end: Option<u64>,
    working_set: f64,
    buffer_peak: f64,
    /// GPU kernel: transfers stream beside compute rather than before/after it.
    overlap: bool,
    /// The op ends no earlier than this (start + host dispatch cycles).
    host_floor: u64,
    /// The host dispatch time, not the device, set the op's end.
    host_bound: bool,
}

struct Sim<'a> {
    w: &'a Workload,
    arch: &'a Arch,
    costs: &'a [OpCost],
    options: SimOptions,
    q: EventQueue<Ev>,
    now: f64,
    // Hardware.
    array_busy: Vec<bool>,
    vector_busy: Vec<bool>,
    /// Cores whose array / vector unit is idle (counts of `false` in the `_busy` vectors).
    array_free: usize,
    vector_free: usize,
    dmas: Vec<Dma>,
    channel: Channel,
    streams: Vec<Stream>,
    flows: Vec<Flow>,
    latency_cycles: f64,
    depth: usize,
    bufs: Buffers,
    // Scheduling.
    ready: ReadySet,
    runs: Vec<OpRun>,
    jobs: Vec<Job>,
    ops_done: usize,
    // Residency (layer-to-layer pipelining).
    residency: Residency,
    working_total: f64,
    onchip_peak: f64,
    trace: Option<TraceLog>,
    done_buf: Vec<usize>,
    // The host (GPU-style arrays): busy dispatching until this cycle.
    host_free: u64,
    /// Time of the pending `HostFree` wake-up, if any.
    host_wake: Option<u64>,
}

impl<'a> Sim<'a> {
    fn new(w: &'a Workload, arch: &'a Arch, costs: &'a [OpCost], options: &SimOptions) -> Self {
        let cores = arch.cores as usize;
        let dram_bpc = arch.dram_bytes_per_cycle();
        let channel_bpc = match &arch.memory.global_buffer {
            Some(g) => dram_bpc.min(g.bytes_per_cycle),
            None => dram_bpc,
        };
        // Priorities from per-op roofline estimates.
        let estimate: Vec<u64> = costs
            .iter()
            .map(|c| {
                c.compute_cycles
                    .max(ceil_cycles(c.traffic.dram_bytes() / dram_bpc))
                    .max(c.host_overhead_cycles)
            })
            .collect();
        let class = costs
            .iter()
            .zip(&w.ops)
            .map(|(c, o)| {
                let host = c.host_overhead_cycles > 0;
                match c.unit {
                    _ if c.unit == Unit::None || is_view(o.kind) => ReadyClass::Instant,
                    Unit::Array if host => ReadyClass::ArrayHost,
                    Unit::Array => ReadyClass::Array,
                    _ if host => ReadyClass::VectorHost,
                    _ => ReadyClass::Vector,
                }
            })
            .collect();
        let ready = ReadySet::new(w, bottom_levels(w, &estimate), class);
        let mut runs: Vec<OpRun> = (0..w.ops.len()).map(|_| OpRun::default()).collect();
        for e in w.graph.edge_references() {
            runs[e.target().index()].preds_left += 1;
        }
        let dma_per_core = arch.memory.dma_engines_per_core.max(1) as usize;
        Sim {
            w,
            arch,
            costs,
            options: *options,
            q: EventQueue::new(),
            now: 0.0,
            array_busy: vec![false; cores],
            vector_busy: vec![false; cores],
            array_free: cores,
            vector_free: cores,
            dmas: (0..cores * dma_per_core).map(|_| Dma::default()).collect(),
            channel: Channel::new(channel_bpc),
            streams: Vec::new(),
            flows: Vec::new(),
            latency_cycles: arch.memory.dram.latency_ns * arch.clock_ghz,
            depth: if arch.memory.double_buffering { 2 } else { 1 },
            bufs: Buffers::of(arch),
            ready,
            runs,
            jobs: Vec::new(),
            ops_done: 0,
            residency: Residency::new(w, arch, costs),
            working_total: 0.0,
            onchip_peak: 0.0,
            trace: options.record_trace.then(|| TraceLog {
                cores: arch.cores,
                dma_engines_per_core: dma_per_core as u32,
                ..TraceLog::default()
            }),
            done_buf: Vec::new(),
            host_free: 0,
            host_wake: None,
        }
    }

    fn start(&mut self) {
        for op in 0..self.w.ops.len() {
            if self.runs[op].preds_left == 0 {
                self.ready.insert(op);
            }
        }
        self.dispatch(0);
        self.after_event();
    }

    fn run_loop(&mut self) {
        while let Some((t, ev)) = self.q.pop() {
            self.now = t;
            tracing::trace!(cycle = t, event = ?ev, "engine event");
            match ev {
                Ev::LatencyDone(f) => self.latency_done(f, t),
                Ev::ChannelCheck(v) => {
                    if v == self.channel.version {
                        self.channel_check(t);
                    }
                }
                Ev::Delivered(f) => self.delivered(f, t as u64),
                Ev::ComputeDone(j) => self.compute_done(j, t as u64),
                Ev::HostFloor(op) => self.complete_op(op, t as u64),
                Ev::HostFree => {
                    self.host_wake = None;
                    self.dispatch(t as u64);
                }
            }
            self.after_event();
        }
    }

    /// Reschedules the channel's completion check if its set of streams changed.
    fn after_event(&mut self) {
        if self.channel.dirty {
            self.channel.dirty = false;
            self.channel.version += 1;
            if let Some(tn) = self.channel.next_completion(&self.streams) {
                self.q
                    .push(tn.max(self.now), Ev::ChannelCheck(self.channel.version));
            }
            if let Some(tr) = &mut self.trace {
                let n = self.channel.active();
                let bw = self.channel.share() * n as f64;
                tr.counters.push(CounterSample {
                    counter: Counter::DramStreams,
                    time: self.now,
                    value: n as f64,
                });
                tr.counters.push(CounterSample {
                    counter: Counter::DramBytesPerCycle,
                    time: self.now,
                    value: bw,
                });
            }
        }
    }

    // ---- Scheduling ------------------------------------------------------------------

    /// Starts ready ops at time `t` in priority order until none can start. Each pass visits
    /// the ops that were ready when it began (ops made ready during the pass wait for the
    /// next one) and stops early once no ready op could start (no idle unit of the kind any
    /// ready op needs, or the host busy for host-launched ones), so a dispatch costs the ops
    /// it starts, not the size of the ready set: wide graphs schedule in near-linear time.
    fn dispatch(&mut self, t: u64) {
        loop {
            let mut progressed = false;
            let pass_start = self.ready.insertions();
            let mut cursor: Option<ReadyKey> = None;
            while let Some(key) = self.ready.next_after(cursor) {
                cursor = Some(key);
                if self.nothing_can_start(t) {
                    break;
                }
                let op = key.2;
                if self.ready.inserted_at(op) > pass_start {
                    continue; // became ready during this pass
                }
                let cost = &self.costs[op];
                if cost.unit == Unit::None || is_view(self.w.ops[op].kind) {
                    self.ready.remove(op);
                    self.runs[op].start = t;
                    self.complete_op(op, t);
                    progressed = true;
                    continue;
                }
                if cost.host_overhead_cycles > 0 && t < self.host_free {
                    // The host is still dispatching an earlier kernel.
                    self.wake_when_host_free();
                    continue;
                }
                let need = cost.cores_used.max(1) as usize;
                let (busy, free_count) = if cost.unit == Unit::Array {
                    (&self.array_busy, self.array_free)
                } else {
                    (&self.vector_busy, self.vector_free)
                };
                if free_count < need {
                    continue;
                }
                let free: Vec<u32> = busy
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| !**b)
                    .map(|(i, _)| i as u32)
                    .take(need)
                    .collect();
                self.ready.remove(op);
                self.start_op(op, free, t);
                progressed = true;
            }
            if !progressed || self.ready.is_empty() {
                break;
            }
        }
    }

    /// True when no ready op can start at `t`: none needs no unit, and every kind of unit
    /// a ready op needs is taken (or, for host-launched ops, the host is busy). A host-launched
    /// op that waits for the host still books the host-free wake-up, as visiting it would.
    fn nothing_can_start(&mut self, t: u64) -> bool {
        let r = &self.ready;
        let host_busy = t < self.host_free;
        let blocked = r.count(ReadyClass::Instant) == 0
            && (r.count(ReadyClass::Array) == 0 || self.array_free == 0)
            && (r.count(ReadyClass::ArrayHost) == 0 || self.array_free == 0 || host_busy)
            && (r.count(ReadyClass::Vector) == 0 || self.vector_free == 0)
            && (r.count(ReadyClass::VectorHost) == 0 || self.vector_free == 0 || host_busy);
        if blocked
            && host_busy
            && r.count(ReadyClass::ArrayHost) + r.count(ReadyClass::VectorHost) > 0
        {
            self.wake_when_host_free();
        }
        blocked
    }

    /// Schedules a dispatch for when the host becomes free (once per host-free time).
    fn wake_when_host_free(&mut self) {
        if self.host_wake != Some(self.host_free) {
            self.host_wake = Some(self.host_free);
            self.q.push(self.host_free as f64, Ev::HostFree);
        }
    }

    fn start_op(&mut self, op: OpId, cores: Vec<u32>, t: u64) {
        let cost = &self.costs[op];
        let overlap = self.arch.gpu().is_some();
        if cost.host_overhead_cycles > 0 {
            self.host_free = t + cost.host_overhead_cycles;
        }
        for &c in &cores {
            if cost.unit == Unit::Array {
                self.array_busy[c as usize] = true;
                self.array_free -= 1;
            } else {
                self.vector_busy[c as usize] = true;
                self.vector_free -= 1;
            }
        }
        let k = cores.len() as f64;
        let on_chip = self.residency.admit_output(self.w, op);
        let dram = op_dram(self.w, cost, op, &self.residency, on_chip);
        let plan = op_plan(self.arch, cost, k, self.options.steps, overlap, &self.bufs);
        let stores = dram.stores;
        let mut steps = step_work(cost, &plan, &dram, k, &self.bufs);
        if overlap {
            // A kernel's reads stream as one transfer.
            for s in &mut steps {
                s.load = [s.load[0] + s.load[1], 0.0];
            }
        }
        let triggers = load_triggers(&steps, self.depth);
        let mut issue_after: Vec<Vec<(u32, u8)>> = vec![Vec::new(); steps.len()];
        for (i, tr) in triggers.iter().enumerate() {
            for (x, t) in tr.iter().enumerate() {
                if let Some(t) = t {
                    issue_after[*t as usize].push((i as u32, x as u8));
                }
            }
        }
        let buffer_peak = match cost.unit {
            Unit::Array => cost.tiling.map(|t| t.peak_buffer_bytes).unwrap_or(0.0),
            _ => {
                let per_step = cost.traffic.dram_bytes() / k / steps.len().max(1) as f64;
                per_step * self.depth as f64
            }
        };
        let run = &mut self.runs[op];
        run.start = t;
        run.cores = cores.clone();
        run.output_on_chip = on_chip;
        run.dram_read = dram.read();
        run.dram_write = stores;
        run.kept = dram.kept();
        // A GPU kernel's shares are identical and start together: one job for all.
        let groups: Vec<(u32, u32)> = if overlap && !cores.is_empty() {
            vec![(cores[0], cores.len() as u32)]
        } else {
            cores.iter().map(|&c| (c, 1)).collect()
        };
        run.jobs_left = groups.len();
        run.steps = steps;
        run.issue_after = issue_after;
        run.buffer_peak = buffer_peak;
        run.overlap = overlap;
        run.host_floor = t + cost.host_overhead_cycles;
        run.working_set = buffer_peak * k;
        self.working_total += run.working_set;
        self.note_onchip(t as f64);
        for (c, weight) in groups {
            let j = self.jobs.len();
            let n = self.runs[op].steps.len();
            self.jobs.push(Job {
                op,
                core: c,
                weight,
                state: vec![0; n],
                next: 0,
                computing: false,
                idle_since: t,
                stall_dram: 0,
                stall_sram: 0,
                pending_stores: 0,
                done: false,
            });
            for (i, tr) in triggers.iter().enumerate() {
                for (x, trig) in tr.iter().enumerate() {
                    if trig.is_none() {
                        self.issue_load(j, i, x, t, t);
                    }
                }
            }
            if overlap {
                // A kernel's reads and writes stream while it computes.
                for i in 0..n {
                    self.issue_store(j, i, t);
                }
            }
            self.try_compute(j, t);
            self.check_job_done(j, t);
        }
    }

    fn complete_op(&mut self, op: OpId, t: u64) {
        let o = &self.w.ops[op];
        let view = is_view(o.kind) || self.costs[op].unit == Unit::None;
        {
            let run = &mut self.runs[op];
            run.end = t;
            for &c in &run.cores {
                if self.costs[op].unit == Unit::Array {
                    self.array_busy[c as usize] = false;
                    self.array_free += 1;
                } else {
                    self.vector_busy[c as usize] = false;
                    self.vector_free += 1;
                }
            }
            self.working_total -= run.working_set;
        }
        if !view {
            self.residency.release_inputs(self.w, op);
            self.note_onchip(t as f64);
        }
        self.ops_done += 1;
        let mut newly = Vec::new();
        for e in self
            .w
            .graph
            .edges_directed(petgraph::graph::NodeIndex::new(op), Direction::Outgoing)
        {
            let s = e.target().index();
            self.runs[s].preds_left -= 1;
            if self.runs[s].preds_left == 0 {
                newly.push(s);
            }
        }
        for s in newly {
            self.runs[s].ready = t;
            self.ready.insert(s);
        }
        if !view {
            self.dispatch(t);
        }
    }

    fn note_onchip(&mut self, t: f64) {
        let resident = self.residency.resident_bytes();
        let total = resident + self.working_total;
        if total > self.onchip_peak {
            self.onchip_peak = total;
        }
        if let Some(tr) = &mut self.trace {
            tr.counters.push(CounterSample {
                counter: Counter::OnChipBytes,
                time: t,
                value: total,
            });
            tr.counters.push(CounterSample {
                counter: Counter::ResidentBytes,
                time: t,
                value: resident,
            });
        }
    }

    // ---- Steps -----------------------------------------------------------------------

    /// Issues step `i`'s load of operand `x` at `t`; its data streams no earlier than
    /// `slot_free` (when the buffer slot it fills is released).
    fn issue_load(&mut self, j: usize, i: usize, x: usize, t: u64, slot_free: u64) {
        let bytes = self.runs[self.jobs[j].op].steps[i].load[x];
        if bytes > 0.0 {
            let ready = (t as f64 + self.latency_cycles).max(slot_free as f64);
            self.issue_flow(j, i, false, x as u8, bytes, t as f64, ready);
        } else {
            self.jobs[j].state[i] |= if x == 0 { LOADED_A } else { LOADED_B };
        }
    }

    fn issue_store(&mut self, j: usize, i: usize, t: u64) {
        let bytes = self.runs[self.jobs[j].op].steps[i].store;
        if bytes > 0.0 {
            self.jobs[j].pending_stores += 1;
            let ready = t as f64 + self.latency_cycles;
            self.issue_flow(j, i, true, 0, bytes, t as f64, ready);
        } else {
            self.jobs[j].state[i] |= STORED;
        }
    }

    fn try_compute(&mut self, j: usize, t: u64) {
        let depth = self.depth;
        let job = &self.jobs[j];
        let i = job.next;
        if job.computing || i >= job.state.len() {
            return;
        }
        let overlap = self.runs[job.op].overlap;
        if !overlap
            && (job.state[i] & LOADED != LOADED
                || (i >= depth && job.state[i - depth] & STORED == 0))
        {
            return;
        }
        let step = self.runs[job.op].steps[i];
        let job = &mut self.jobs[j];
        job.stall_dram += t - job.idle_since;
        job.stall_sram += step.busy - step.cycles;
        job.computing = true;
        if self.trace.is_some() {
            let (op, unit) = (job.op, self.costs[job.op].unit);
            for c in self.job_cores(j) {
                self.span(Span {
                    track: unit_track(unit, c),
                    kind: SpanKind::Tile(i as u32),
                    op,
                    start: t as f64,
                    end: (t + step.busy) as f64,
                    bytes: 0.0,
                });
            }
        }
        self.q.push((t + step.busy) as f64, Ev::ComputeDone(j));
        // Prefetches into the slots this step frees: their requests go out now, so the
        // latency passes while the step computes; their data streams once it is done.
        let op = self.jobs[j].op;
        for k in 0..self.runs[op].issue_after[i].len() {
            let (s, x) = self.runs[op].issue_after[i][k];
            self.issue_load(j, s as usize, x as usize, t, t + step.busy);
        }
    }

    fn compute_done(&mut self, j: usize, t: u64) {
        let i = {
            let job = &mut self.jobs[j];
            job.computing = false;
            job.idle_since = t;
            job.next += 1;
            job.next - 1
        };
        if !self.runs[self.jobs[j].op].overlap {
            self.issue_store(j, i, t);
        }
        self.try_compute(j, t);
        self.check_job_done(j, t);
    }

    fn check_job_done(&mut self, j: usize, t: u64) {
        let job = &mut self.jobs[j];
        if job.done
            || job.computing
            || job.next < job.state.len()
            || job.pending_stores > 0
            || job.state.iter().any(|s| s & LOADED != LOADED)
        {
            return;
        }
        job.done = true;
        job.stall_dram += t - job.idle_since;
        let (op, dram, sram) = (job.op, job.stall_dram, job.stall_sram);
        if self.trace.is_some() {
            let (start, end) = (self.runs[op].start, t.max(self.runs[op].host_floor));
            for c in self.job_cores(j) {
                self.span(Span {
                    track: unit_track(self.costs[op].unit, c),
                    kind: SpanKind::Op,
                    op,
                    start: start as f64,
                    end: end as f64,
                    bytes: 0.0,
                });
            }
        }
        let run = &mut self.runs[op];
        if run.last_job_end.is_none_or(|e| t > e) {
            run.last_job_end = Some(t);
            run.stall_dram = dram;
            run.stall_sram = sram;
        }
        run.jobs_left -= 1;
        if run.jobs_left == 0 {
            if t < run.host_floor {
                // The device is done but the host is still dispatching the kernel.
                run.host_bound = true;
                let floor = run.host_floor;
                self.q.push(floor as f64, Ev::HostFloor(op));
            } else {
                self.complete_op(op, t);
            }
        }
    }

    // ---- DMA and the DRAM channel ----------------------------------------------------

    /// Queues a transfer on the job's least-loaded DMA engine at `t`; its data may stream
    /// from `ready_at` (its request latency elapsed, and for a prefetch its buffer slot
    /// free).
    #[allow(clippy::too_many_arguments)]
    fn issue_flow(
        &mut self,
        job: usize,
        step: usize,
        store: bool,
        operand: u8,
        bytes: f64,
        t: f64,
        ready_at: f64,
    ) {
        let core = self.jobs[job].core as usize;
        let per = self.arch.memory.dma_engines_per_core.max(1) as usize;
        let dma = (core * per..core * per + per)
            .min_by_key(|&d| (self.dmas[d].load, d))
            .unwrap_or(core * per);
        let id = self.flows.len();
        self.flows.push(Flow {
            job,
            step,
            store,
            operand,
            bytes,
            dma,
            t_data: t,
            ready: ready_at <= t,
        });
        self.streams.push(Stream {
            remaining: bytes,
            weight: self.jobs[job].weight,
        });
        self.dmas[dma].queue.push_back(id);
        self.dmas[dma].load += 1;
        if ready_at > t {
            self.q.push(ready_at, Ev::LatencyDone(id));
        }
        self.pump(dma, t);
    }

    /// Starts streaming the engine's oldest ready transfer when the engine is idle.
    fn pump(&mut self, d: usize, t: f64) {
        let dma = &mut self.dmas[d];
        if dma.active.is_some() {
            return;
        }
        // The oldest transfer whose data may stream: a prefetch waiting for its buffer
        // slot does not hold up transfers queued behind it.
        let flows = &self.flows;
        if let Some(pos) = dma.queue.iter().position(|&f| flows[f].ready) {
            let f = dma.queue.remove(pos).expect("position in queue");
            self.activate(d, f, t);
        }
    }

    fn latency_done(&mut self, f: usize, t: f64) {
        self.flows[f].ready = true;
        self.pump(self.flows[f].dma, t);
    }

    fn activate(&mut self, d: usize, f: usize, t: f64) {
        self.dmas[d].active = Some(f);
        self.flows[f].t_data = t;
        self.channel.join(t, f, &mut self.streams);
    }

    fn channel_check(&mut self, t: f64) {
        let mut done = std::mem::take(&mut self.done_buf);
        done.clear();
        self.channel.take_done(t, &mut self.streams, &mut done);
        for &f in &done {
            let d = self.flows[f].dma;
            self.dmas[d].active = None;
            self.dmas[d].load -= 1;
            self.pump(d, t);
            if self.trace.is_some() {
                let fl = &self.flows[f];
                let per = self.arch.memory.dma_engines_per_core.max(1) as usize;
                let (kind, op, start, bytes) = (
                    if fl.store {
                        SpanKind::Store
                    } else {
                        SpanKind::Load
                    },
                    self.jobs[fl.job].op,
                    fl.t_data,
                    fl.bytes,
                );
                for c in self.job_cores(fl.job) {
                    self.span(Span {
                        track: Track::Dma {
                            core: c,
                            engine: (d % per) as u32,
                        },
                        kind,
                        op,
                        start,
                        end: t,
                        bytes,
                    });
                }
            }
            self.q.push(ceil_cycles(t) as f64, Ev::Delivered(f));
        }
        self.done_buf = done;
        // Always re-arm: streams not finished by rounding get a fresh check.
        self.channel.dirty = true;
    }

    fn delivered(&mut self, f: usize, t: u64) {
        let fl = &self.flows[f];
        let (j, i, store, x) = (fl.job, fl.step, fl.store, fl.operand);
        if store {
            self.jobs[j].state[i] |= STORED;
            self.jobs[j].pending_stores -= 1;
        } else {
            self.jobs[j].state[i] |= if x == 0 { LOADED_A } else { LOADED_B };
        }
        self.try_compute(j, t);
        self.check_job_done(j, t);
    }

    /// The cores job `j` stands for.
    fn job_cores(&self, j: usize) -> Vec<u32> {
        let job = &self.jobs[j];
        if job.weight > 1 {
            self.runs[job.op].cores.clone()
        } else {
            vec![job.core]
        }
    }

    /// Records a trace span (when tracing).
    fn span(&mut self, s: Span) {
        if let Some(tr) = &mut self.trace {
            tr.spans.push(s);
        }
    }

    // ---- Result ----------------------------------------------------------------------

    fn finish(mut self) -> Timeline {
        assert_eq!(
            self.ops_done,
            self.w.ops.len(),
            "event engine bug: the queue ran dry before every op completed"
        );
        let makespan = self.runs.iter().map(|r| r.end).max().unwrap_or(0);
        let spans: Vec<(u64, u64)> = self.runs.iter().map(|r| (r.start, r.end)).collect();
        let static_pj_per_cycle = self.arch.static_power().total_w() / self.arch.clock_hz() * 1e12;
        let static_pj = static_energy::attribute(&spans, static_pj_per_cycle);
        let ops = self
            .runs
            .iter()
            .zip(self.costs)
            .zip(static_pj)
            .map(|((r, c), static_pj)| {
                let duration = r.end - r.start;
                let compute = if r.steps.is_empty() && r.cores.is_empty() {
                    c.compute_cycles.min(duration)
                } else {
                    c.compute_cycles
                };
                let wait = r.start - r.ready;
                // As in the analytic engine, a host-bound op's device stalls are hidden
                // under the host time.
                let (reason, stall_dram, stall_sram) = if r.host_bound {
                    (StallReason::HostBound, 0, 0)
                } else {
                    // The reason explains the op's own stall cycles (DRAM or buffer
                    // bandwidth); waiting for a busy core before it starts is not a
                    // dependency (its inputs were ready) and is reported apart.
                    let reason = match StallReason::dominant(r.stall_dram, r.stall_sram, 0) {
                        StallReason::None if wait > 0 => StallReason::CoreBusy,
                        x => x,
                    };
                    (reason, r.stall_dram, r.stall_sram)
                };
                OpTiming {
                    start_cycle: r.start,
                    end_cycle: r.end,
                    compute_cycles: compute,
                    stall_cycles: duration.saturating_sub(compute),
                    stall_reason: reason,
                    static_pj,
                    ready_cycle: r.ready,
                    wait_cycles: wait,
                    stall_dram_cycles: stall_dram,
                    stall_sram_cycles: stall_sram,
                    cores: r.cores.clone(),
                    tiles: r.steps.len() as u64,
                    dram_read_bytes: r.dram_read,
                    dram_write_bytes: r.dram_write,
                    kept_on_chip_bytes: r.kept,
                    output_on_chip: r.output_on_chip,
                    buffer_peak_bytes: r.buffer_peak,
                }
            })
            .collect();
        if let Some(tr) = &mut self.trace {
            tr.counters.sort_by(|a, b| a.time.total_cmp(&b.time));
        }
        Timeline {
            ops,
            cycles: makespan,
            engine: "event",
            events: self.q.processed,
            onchip_peak_bytes: self.onchip_peak,
            trace: self.trace.take(),
        }
    }
}

fn unit_track(unit: Unit, core: u32) -> Track {
    if unit == Unit::Array {
        Track::Array(core)
    } else {
        Track::Vector(core)
    }
}
