//! The time-ordered event queue: a binary heap keyed by (time, sequence number), so
//! events at the same time pop in the order they were pushed (deterministic ties).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// `f64::to_bits` of a non-negative time: orders like the time itself.
    time_bits: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time_bits == other.time_bits && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, the earliest (time, seq) must pop first.
        (other.time_bits, other.seq).cmp(&(self.time_bits, self.seq))
    }
}

/// A min-queue of events at cycle times (fractional for fluid DRAM transfers).
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    /// Events popped so far.
    pub processed: u64,
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
            processed: 0,
        }
    }

    /// Schedules `event` at `time` (cycles, ≥ 0).
    pub fn push(&mut self, time: f64, event: E) {
        debug_assert!(time.is_finite() && time >= 0.0, "bad event time {time}");
        // `+ 0.0` turns -0.0 into +0.0 so the bit pattern orders correctly.
        let time = time.max(0.0) + 0.0;
        self.heap.push(Entry {
            time_bits: time.to_bits(),
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    /// The earliest event and its time.
    pub fn pop(&mut self) -> Option<(f64, E)> {
        let e = self.heap.pop()?;
        self.processed += 1;
        Some((f64::from_bits(e.time_bits), e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_push_order() {
        let mut q = EventQueue::new();
        q.push(5.0, 'a');
        q.push(1.5, 'b');
        q.push(5.0, 'c');
        q.push(0.0, 'd');
        q.push(1.5, 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['d', 'b', 'e', 'a', 'c']);
        assert_eq!(q.processed, 5);
    }
}
