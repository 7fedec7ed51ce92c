//! One core's share of an op alone on the machine, scheduled step by step under the rules
//! the event engine applies to a job ([`super::event`]), on a fixed share of the DRAM
//! channel. The analytic engine times every tiled op with it.
//!
//! Rules (the step pipeline, [`super::steps`]):
//! - a load streams once its request latency has elapsed and the buffer slot it fills is
//!   free ([`load_triggers`]: with `depth` slots per operand, the slot of load `j − depth`,
//!   freed when the last step that used it has computed); its request goes out when that
//!   step starts computing;
//! - step `i` computes once both its operands are in, step `i − 1` has computed and, from
//!   `i = depth` on, the results of step `i − depth` have been stored (they share an output
//!   slot); it computes for its busy cycles, at whole cycles;
//! - a step's store is requested when it has computed;
//! - the core's DMA engines each stream one transfer at a time, the oldest ready one first
//!   (a transfer waiting for its slot does not hold up those behind it), and share the
//!   channel share equally; a transfer is seen by its step from the next whole cycle.
//!
//! A closed form of the first loads, the busy cycles and the last store (or every byte at
//! the bandwidth) is only a lower bound of this pipeline: it ignores that a step waits for
//! its output slot and that a prefetch cannot stream before its slot is free, so it was up
//! to 10 % below the event engine on coarse plans (a 4-step GEMM on `tpu_v1`).

use super::ceil_cycles;
use super::channel::{Channel, Stream};
use super::queue::EventQueue;
use super::steps::{load_triggers, StepWork};
use std::collections::VecDeque;

/// One core's view of the memory system when its op runs alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pipeline {
    /// Bytes per cycle of this core's share of the DRAM channel.
    pub bw: f64,
    /// DRAM request latency, cycles.
    pub latency: f64,
    /// Buffer slots per operand (2 when double buffered).
    pub depth: usize,
    /// DMA engines of the core.
    pub dma_engines: usize,
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// A transfer's request latency has elapsed and its slot is free.
    Ready(usize),
    /// The channel's next completion (stale unless the version matches).
    Check(u64),
    /// A finished transfer becomes visible to its step.
    Delivered(usize),
    /// A step finished computing.
    Computed,
}

struct Xfer {
    step: usize,
    /// `None`: a store; else the operand of a load.
    operand: Option<usize>,
    engine: usize,
    ready: bool,
}

/// A DMA engine: transfers not yet streaming in issue order, whether one streams, and
/// how many it holds (queued or streaming).
#[derive(Default)]
struct Engine {
    queue: VecDeque<usize>,
    active: bool,
    load: usize,
}

impl Engine {
    fn enqueue(&mut self, id: usize) {
        self.queue.push_back(id);
        self.load += 1;
    }
}

/// The state of one core's run.
struct Run<'a> {
    p: Pipeline,
    steps: &'a [StepWork],
    issue_after: Vec<Vec<(usize, usize)>>,
    q: EventQueue<Ev>,
    channel: Channel,
    streams: Vec<Stream>,
    xfers: Vec<Xfer>,
    engines: Vec<Engine>,
    loaded: Vec<[bool; 2]>,
    stored: Vec<bool>,
    next: usize,
    computing: bool,
    pending_stores: usize,
    end: Option<u64>,
}

impl Pipeline {
    /// Cycles from the op's start until its last step has computed and its last store is
    /// delivered.
    pub fn run(&self, steps: &[StepWork]) -> u64 {
        if steps.is_empty() {
            return 0;
        }
        let n = steps.len();
        let mut issue_after = vec![Vec::new(); n];
        let triggers = load_triggers(steps, self.depth);
        for (i, tr) in triggers.iter().enumerate() {
            for (x, t) in tr.iter().enumerate() {
                if let Some(t) = t {
                    issue_after[*t as usize].push((i, x));
                }
            }
        }
        let mut r = Run {
            p: *self,
            steps,
            issue_after,
            q: EventQueue::new(),
            channel: Channel::new(self.bw),
            streams: Vec::new(),
            xfers: Vec::new(),
            engines: (0..self.dma_engines.max(1))
                .map(|_| Engine::default())
                .collect(),
            loaded: vec![[false; 2]; n],
            stored: vec![false; n],
            next: 0,
            computing: false,
            pending_stores: 0,
            end: None,
        };
        for (i, tr) in triggers.iter().enumerate() {
            for (x, t) in tr.iter().enumerate() {
                if t.is_none() {
                    r.load(i, x, 0.0, 0.0);
                }
            }
        }
        r.try_compute(0);
        r.check_done(0);
        r.rearm(0.0);
        while let Some((t, ev)) = r.q.pop() {
            match ev {
                Ev::Ready(f) => {
                    r.xfers[f].ready = true;
                    r.pump(r.xfers[f].engine, t);
                }
                Ev::Check(v) if v == r.channel.version => r.check(t),
                Ev::Check(_) => {}
                Ev::Delivered(f) => r.delivered(f, t as u64),
                Ev::Computed => r.computed(t as u64),
            }
            r.rearm(t);
        }
        r.end.expect("the pipeline ran every step")
    }
}

impl Run<'_> {
    /// Reschedules the channel's completion check after a change.
    fn rearm(&mut self, now: f64) {
        if self.channel.dirty {
            self.channel.dirty = false;
            self.channel.version += 1;
            if let Some(tn) = self.channel.next_completion(&self.streams) {
                self.q.push(tn.max(now), Ev::Check(self.channel.version));
            }
        }
    }

    fn load(&mut self, i: usize, x: usize, t: f64, slot_free: f64) {
        let bytes = self.steps[i].load[x];
        if bytes > 0.0 {
            let ready = (t + self.p.latency).max(slot_free);
            self.issue(i, Some(x), bytes, t, ready);
        } else {
            self.loaded[i][x] = true;
        }
    }

    fn store(&mut self, i: usize, t: u64) {
        let bytes = self.steps[i].store;
        if bytes > 0.0 {
            self.pending_stores += 1;
            let t = t as f64;
            self.issue(i, None, bytes, t, t + self.p.latency);
        } else {
            self.stored[i] = true;
        }
    }

    /// Queues a transfer on the least-loaded DMA engine.
    fn issue(&mut self, step: usize, operand: Option<usize>, bytes: f64, t: f64, ready: f64) {
        let engine = (0..self.engines.len())
            .min_by_key(|&d| (self.engines[d].load, d))
            .unwrap_or(0);
        let id = self.xfers.len();
        self.xfers.push(Xfer {
            step,
            operand,
            engine,
            ready: ready <= t,
        });
        self.streams.push(Stream {
            remaining: bytes,
            weight: 1,
        });
        self.engines[engine].enqueue(id);
        if ready > t {
            self.q.push(ready, Ev::Ready(id));
        }
        self.pump(engine, t);
    }

    /// Starts the engine's oldest ready transfer when the engine is idle.
    fn pump(&mut self, d: usize, t: f64) {
        if self.engines[d].active {
            return;
        }
        let xfers = &self.xfers;
        let e = &mut self.engines[d];
        if let Some(pos) = e.queue.iter().position(|&f| xfers[f].ready) {
            let f = e.queue.remove(pos).expect("position in queue");
            e.active = true;
            self.channel.join(t, f, &mut self.streams);
        }
    }

    fn check(&mut self, t: f64) {
        let mut done = Vec::new();
        self.channel.take_done(t, &mut self.streams, &mut done);
        for f in done {
            let d = self.xfers[f].engine;
            self.engines[d].active = false;
            self.engines[d].load -= 1;
            self.pump(d, t);
            self.q.push(ceil_cycles(t) as f64, Ev::Delivered(f));
        }
        self.channel.dirty = true;
    }

    fn delivered(&mut self, f: usize, t: u64) {
        let x = &self.xfers[f];
        match x.operand {
            Some(o) => self.loaded[x.step][o] = true,
            None => {
                self.stored[x.step] = true;
                self.pending_stores -= 1;
            }
        }
        self.try_compute(t);
        self.check_done(t);
    }

    fn try_compute(&mut self, t: u64) {
        let (i, depth) = (self.next, self.p.depth.max(1));
        if self.computing
            || i >= self.steps.len()
            || self.loaded[i] != [true; 2]
            || (i >= depth && !self.stored[i - depth])
        {
            return;
        }
        self.computing = true;
        let busy = self.steps[i].busy;
        self.q.push((t + busy) as f64, Ev::Computed);
        for k in 0..self.issue_after[i].len() {
            let (s, x) = self.issue_after[i][k];
            self.load(s, x, t as f64, (t + busy) as f64);
        }
    }

    fn computed(&mut self, t: u64) {
        self.computing = false;
        self.next += 1;
        self.store(self.next - 1, t);
        self.try_compute(t);
        self.check_done(t);
    }

    fn check_done(&mut self, t: u64) {
        if self.end.is_none()
            && !self.computing
            && self.next == self.steps.len()
            && self.pending_stores == 0
            && self.loaded.iter().all(|l| *l == [true; 2])
        {
            self.end = Some(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(load: f64, busy: u64, store: f64) -> StepWork {
        StepWork {
            load: [load, 0.0],
            store,
            cycles: busy,
            busy,
        }
    }

    const P: Pipeline = Pipeline {
        bw: 1.0,
        latency: 0.0,
        depth: 2,
        dma_engines: 1,
    };

    #[test]
    fn stores_wait_for_their_step_and_steps_for_their_output_slot() {
        // 1 B/cycle, no latency, double buffered. Step 0 loads 10 B; three steps of 10
        // cycles each store 100 B. By hand: the load streams 0–10, step 0 computes 10–20
        // (the channel idles: nothing else to move), its store streams 20–120; step 1
        // computes 20–30 and its store queues behind; step 2 reuses step 0's output slot,
        // so it computes 120–130, while step 1's store streams 120–220; step 2's store
        // streams 220–320. 320 cycles. The old closed form (every byte back to back from
        // the start, 10 + 300 = 310) let a store stream before its step had computed.
        let steps = [
            step(10.0, 10, 100.0),
            step(0.0, 10, 100.0),
            step(0.0, 10, 100.0),
        ];
        assert_eq!(P.run(&steps), 320);
    }

    #[test]
    fn compute_bound_steps_hide_their_prefetches() {
        // Four 100 B loads, 150-cycle steps, nothing stored. Loads 0 and 1 stream 0–100 and
        // 100–200; load 2 goes into load 0's slot, free when step 0 (100–250) has
        // computed: 250–350; load 3 after step 1 (250–400): 400–500. Steps 2 and 3 compute
        // 400–550 and 550–700: the first load plus every step, 100 + 600.
        let steps = [step(100.0, 150, 0.0); 4];
        assert_eq!(P.run(&steps), 700);
        // Single buffered: load, compute, load, ... 4 × (100 + 150).
        let single = Pipeline { depth: 1, ..P };
        assert_eq!(single.run(&steps), 1000);
    }
}
