//! The list scheduler's priorities: ready ops are issued in order of their bottom level
//! (the longest path of estimated op durations from the op to the end of the DAG, the op
//! included: critical path first), ties broken by topological position. Deterministic.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::workload::{OpId, Workload};

/// Bottom level of every op given per-op duration estimates.
pub(crate) fn bottom_levels(workload: &Workload, estimate: &[u64]) -> Vec<u64> {
    let mut bl = vec![0u64; workload.ops.len()];
    for &op in workload.topo_order.iter().rev() {
        let below = workload
            .graph
            .edges_directed(petgraph::graph::NodeIndex::new(op), Direction::Outgoing)
            .map(|e| bl[e.target().index()])
            .max()
            .unwrap_or(0);
        bl[op] = estimate[op].saturating_add(below);
    }
    bl
}

/// What an op needs before it can start, for the scheduler's "nothing can start" test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadyClass {
    /// Needs no unit (views, ops with nothing to compute): always starts.
    Instant = 0,
    /// Needs array cores.
    Array = 1,
    /// Needs array cores and a free host (a GPU kernel launch).
    ArrayHost = 2,
    /// Needs vector units.
    Vector = 3,
    /// Needs vector units and a free host.
    VectorHost = 4,
}

/// A ready op's key: priority (bottom level, high first), then topological position.
pub(crate) type ReadyKey = (Reverse<u64>, usize, OpId);

/// Ready ops ordered by priority, with how many of each [`ReadyClass`] are ready and the
/// order in which they became ready (so a dispatch pass can visit exactly the ops that were
/// ready when it began, in priority order, without copying the set).
pub(crate) struct ReadySet {
    set: BTreeSet<ReadyKey>,
    level: Vec<u64>,
    topo_pos: Vec<usize>,
    class: Vec<ReadyClass>,
    counts: [usize; 5],
    inserted_at: Vec<u64>,
    insertions: u64,
}

impl ReadySet {
    pub fn new(workload: &Workload, level: Vec<u64>, class: Vec<ReadyClass>) -> Self {
        let mut topo_pos = vec![0; workload.ops.len()];
        for (i, &op) in workload.topo_order.iter().enumerate() {
            topo_pos[op] = i;
        }
        ReadySet {
            set: BTreeSet::new(),
            level,
            topo_pos,
            class,
            counts: [0; 5],
            inserted_at: vec![0; workload.ops.len()],
            insertions: 0,
        }
    }

    fn key(&self, op: OpId) -> ReadyKey {
        (Reverse(self.level[op]), self.topo_pos[op], op)
    }

    pub fn insert(&mut self, op: OpId) {
        if self.set.insert(self.key(op)) {
            self.counts[self.class[op] as usize] += 1;
            self.insertions += 1;
            self.inserted_at[op] = self.insertions;
        }
    }

    pub fn remove(&mut self, op: OpId) {
        if self.set.remove(&self.key(op)) {
            self.counts[self.class[op] as usize] -= 1;
        }
    }

    /// Insertions so far: an op with [`ReadySet::inserted_at`] above a value read earlier
    /// became ready after that moment.
    pub fn insertions(&self) -> u64 {
        self.insertions
    }

    /// When `op` last became ready (in insertions).
    pub fn inserted_at(&self, op: OpId) -> u64 {
        self.inserted_at[op]
    }

    /// The highest-priority ready op after `cursor` (from the top with `None`).
    pub fn next_after(&self, cursor: Option<ReadyKey>) -> Option<ReadyKey> {
        match cursor {
            None => self.set.first().copied(),
            Some(c) => self
                .set
                .range((std::ops::Bound::Excluded(c), std::ops::Bound::Unbounded))
                .next()
                .copied(),
        }
    }

    /// Ready ops of this class.
    pub fn count(&self, class: ReadyClass) -> usize {
        self.counts[class as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}
