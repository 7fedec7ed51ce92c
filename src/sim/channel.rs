//! The shared DRAM channel as a fluid, processor-sharing server: every active transfer
//! gets an equal share of the bandwidth, so a transfer's rate is bandwidth / active
//! transfers and changes whenever one joins or leaves. Times are fractional cycles.
//!
//! A stream may stand for `weight` identical transfers moving in lockstep (one per core
//! of a GPU kernel): it counts as that many transfers, and `remaining` is the bytes of
//! each.

/// A transfer's progress on the channel.
pub(crate) struct Stream {
    /// Bytes still to move (of each of the `weight` transfers).
    pub remaining: f64,
    /// Identical transfers this stream stands for (≥ 1).
    pub weight: u32,
}

/// The channel: bandwidth in bytes per cycle and its active streams.
pub(crate) struct Channel {
    bytes_per_cycle: f64,
    /// Active stream ids, in the order they joined.
    active: Vec<usize>,
    /// Transfers the active streams stand for (sum of their weights).
    weight: u64,
    /// Time up to which `remaining` of the active streams is accounted.
    last: f64,
    /// Bumped on every change; a scheduled completion check with an older version is stale.
    pub version: u64,
    /// The active set changed since the last completion check was scheduled.
    pub dirty: bool,
}

/// Completion tolerance: a stream whose remaining time at its current rate is below this
/// many cycles is complete.
const DONE_CYCLES: f64 = 1e-6;

impl Channel {
    pub fn new(bytes_per_cycle: f64) -> Self {
        Channel {
            bytes_per_cycle,
            active: Vec::new(),
            weight: 0,
            last: 0.0,
            version: 0,
            dirty: false,
        }
    }

    /// Number of active transfers (streams counted by their weight).
    pub fn active(&self) -> usize {
        self.weight as usize
    }

    /// Bytes per cycle each active transfer currently gets.
    pub fn share(&self) -> f64 {
        if self.weight == 0 {
            0.0
        } else {
            self.bytes_per_cycle / self.weight as f64
        }
    }

    fn advance(&mut self, t: f64, streams: &mut [Stream]) {
        if t > self.last && !self.active.is_empty() {
            let moved = (t - self.last) * self.share();
            for &id in &self.active {
                streams[id].remaining -= moved;
            }
        }
        if t > self.last {
            self.last = t;
        }
    }

    /// Adds stream `id` at time `t`.
    pub fn join(&mut self, t: f64, id: usize, streams: &mut [Stream]) {
        self.advance(t, streams);
        self.active.push(id);
        self.weight += streams[id].weight.max(1) as u64;
        self.dirty = true;
    }

    /// Time of the next completion at the current shares, if any stream is active.
    pub fn next_completion(&self, streams: &[Stream]) -> Option<f64> {
        let min = self
            .active
            .iter()
            .map(|&id| streams[id].remaining)
            .fold(f64::INFINITY, f64::min);
        if min.is_finite() {
            Some(self.last + (min.max(0.0) / self.share()))
        } else {
            None
        }
    }

    /// Advances to `t` and moves every stream that has finished into `done` (join order).
    /// "Finished" allows for rounding: less than [`DONE_CYCLES`] (or a 10⁻¹² fraction of
    /// `t`, above the resolution of `f64` times) left at the current share; if rounding
    /// leaves the earliest stream unfinished with no representable time ahead, it finishes.
    pub fn take_done(&mut self, t: f64, streams: &mut [Stream], done: &mut Vec<usize>) {
        self.advance(t, streams);
        let share = self.share();
        let tol = DONE_CYCLES.max(t * 1e-12);
        let stuck = self
            .next_completion(streams)
            .is_some_and(|tn| tn <= t || tn - t <= tol);
        let min = self
            .active
            .iter()
            .map(|&id| streams[id].remaining)
            .fold(f64::INFINITY, f64::min);
        let before = done.len();
        let mut left = 0;
        self.active.retain(|&id| {
            let rem = streams[id].remaining;
            let finished = rem / share <= tol || (stuck && rem <= min);
            if finished {
                done.push(id);
                left += streams[id].weight.max(1) as u64;
            }
            !finished
        });
        self.weight -= left;
        if done.len() > before {
            self.dirty = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_shares_then_full_rate() {
        // 10 B/cycle; A = 100 B and B = 300 B join at 0: both get 5 B/cycle until A ends
        // at 20 (B has 200 left), then B alone at 10 B/cycle ends at 40.
        let mut s = vec![
            Stream {
                remaining: 100.0,
                weight: 1,
            },
            Stream {
                remaining: 300.0,
                weight: 1,
            },
        ];
        let mut c = Channel::new(10.0);
        c.join(0.0, 0, &mut s);
        c.join(0.0, 1, &mut s);
        let t1 = c.next_completion(&s).unwrap();
        assert_eq!(t1, 20.0);
        let mut done = Vec::new();
        c.take_done(t1, &mut s, &mut done);
        assert_eq!(done, vec![0]);
        let t2 = c.next_completion(&s).unwrap();
        assert_eq!(t2, 40.0);
        c.take_done(t2, &mut s, &mut done);
        assert_eq!(done, vec![0, 1]);
        assert_eq!(c.active(), 0);
    }
}
