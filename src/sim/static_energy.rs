//! Attribution of static energy (static power × makespan) to ops, so per-op values add up
//! to the whole run's:
//!
//! - the run is cut at every op start and end; each interval's static energy is split
//!   equally among the ops running during it (ops with `start ≤ t < end`);
//! - an interval where no op runs (idle: e.g. before the first op, or while only a
//!   zero-length view is ready) is charged to the op that starts when it ends (the
//!   lowest-numbered one that takes time if several start together).

/// Static energy per op for ops running over `[start, end)` cycles, at `pj_per_cycle`.
pub fn attribute(spans: &[(u64, u64)], pj_per_cycle: f64) -> Vec<f64> {
    let mut out = vec![0.0; spans.len()];
    if spans.is_empty() {
        return out;
    }
    let mut times: Vec<u64> = spans.iter().flat_map(|&(s, e)| [s, e]).collect();
    times.push(0);
    times.sort_unstable();
    times.dedup();
    let index = |t: u64| times.binary_search(&t).unwrap_or(0);
    let mut starts: Vec<Vec<usize>> = vec![Vec::new(); times.len()];
    let mut ends: Vec<Vec<usize>> = vec![Vec::new(); times.len()];
    for (op, &(s, e)) in spans.iter().enumerate() {
        starts[index(s)].push(op);
        if e > s {
            ends[index(e)].push(op);
        }
    }
    let mut active: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    let mut pending = 0.0;
    for j in 0..times.len() {
        for op in &ends[j] {
            active.remove(op);
        }
        if pending > 0.0 {
            let running = starts[j].iter().find(|&&op| spans[op].1 > spans[op].0);
            if let Some(&first) = running.or(starts[j].first()) {
                out[first] += pending;
                pending = 0.0;
            }
        }
        for &op in &starts[j] {
            if spans[op].1 > spans[op].0 {
                active.insert(op);
            }
        }
        if j + 1 < times.len() {
            let e = (times[j + 1] - times[j]) as f64 * pj_per_cycle;
            if active.is_empty() {
                pending += e;
            } else {
                let share = e / active.len() as f64;
                for &op in &active {
                    out[op] += share;
                }
            }
        }
    }
    if pending > 0.0 {
        // Idle time after the last start (only possible with zero-length ops at the end).
        let last = (0..spans.len())
            .max_by_key(|&i| (spans[i].1, std::cmp::Reverse(i)))
            .unwrap_or(0);
        out[last] += pending;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_and_idle() {
        // Op 0 runs 0..10, op 1 runs 5..15, idle 15..20, op 2 runs 20..30; 1 pJ/cycle.
        // 0..5: op 0 alone (5); 5..10: shared (2.5 each); 10..15: op 1 (5);
        // 15..20 idle → op 2; 20..30: op 2 (10).
        let e = attribute(&[(0, 10), (5, 15), (20, 30)], 1.0);
        assert_eq!(e, vec![7.5, 7.5, 15.0]);
        assert_eq!(e.iter().sum::<f64>(), 30.0);
    }

    #[test]
    fn zero_length_ops() {
        // A view at 3 (zero length) gets nothing; idle 0..3 goes to op 1, which runs.
        let e = attribute(&[(3, 3), (3, 8)], 2.0);
        assert_eq!(e, vec![0.0, 16.0]);
    }
}
