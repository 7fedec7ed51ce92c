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

/// Ready ops ordered by priority.
pub(crate) struct ReadySet {
    set: BTreeSet<(Reverse<u64>, usize, OpId)>,
    level: Vec<u64>,
    topo_pos: Vec<usize>,
}

impl ReadySet {
    pub fn new(workload: &Workload, level: Vec<u64>) -> Self {
        let mut topo_pos = vec![0; workload.ops.len()];
        for (i, &op) in workload.topo_order.iter().enumerate() {
            topo_pos[op] = i;
        }
        ReadySet {
            set: BTreeSet::new(),
            level,
            topo_pos,
        }
    }

    pub fn insert(&mut self, op: OpId) {
        self.set
            .insert((Reverse(self.level[op]), self.topo_pos[op], op));
    }

    pub fn remove(&mut self, op: OpId) {
        self.set
            .remove(&(Reverse(self.level[op]), self.topo_pos[op], op));
    }

    pub fn contains(&self, op: OpId) -> bool {
        self.set
            .contains(&(Reverse(self.level[op]), self.topo_pos[op], op))
    }

    /// Ready ops, highest priority first.
    pub fn ordered(&self) -> impl Iterator<Item = OpId> + '_ {
        self.set.iter().map(|&(_, _, op)| op)
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}
