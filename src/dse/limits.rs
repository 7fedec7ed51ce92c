//! Resource limits of a sweep, stated and enforced before anything is allocated.
//!
//! - Points evaluated in one run: at most [`DEFAULT_MAX_POINTS`] (a million) unless raised
//!   (`accelsim sweep --max-points N`, [`check_points`]); every point's row is held in memory
//!   until the results are written. Larger spaces take a `"sample"`, shards or a higher limit.
//! - Sampled points: at most [`MAX_SAMPLE_POINTS`] ids (they are held in memory while the
//!   sweep is built).
//! - Worker threads: at most [`MAX_THREADS`]; results never depend on the thread count.
//!
//! Counting is free: `accelsim sweep --dry-run` reports the product, the selection and a
//! shard's size without allocating per point ([`super::space::PointSet::shard_len`]).

/// Points one sweep run evaluates unless raised.
pub const DEFAULT_MAX_POINTS: u64 = 1_000_000;

/// Largest `sample.count`: the sampled ids are held in memory (8 bytes each plus the set).
pub const MAX_SAMPLE_POINTS: u64 = 1 << 26;

/// Largest worker-thread count (`--threads`).
pub const MAX_THREADS: usize = 1024;

/// Refuses a run of `points` points over `max`, saying how to raise the limit.
pub fn check_points(points: u64, max: u64) -> Result<(), String> {
    if points <= max {
        Ok(())
    } else {
        Err(format!(
            "the sweep would evaluate {points} points, over the limit of {max} points per run \
             (each point's row is held in memory); add \"sample\": {{\"count\": N, \"seed\": S}}, \
             split it with --shard K/N, or raise the limit with --max-points {points}"
        ))
    }
}

/// Refuses a thread count of 0 or over [`MAX_THREADS`].
pub fn check_threads(threads: usize) -> Result<(), String> {
    if (1..=MAX_THREADS).contains(&threads) {
        Ok(())
    } else {
        Err(format!(
            "--threads {threads}: expected 1 to {MAX_THREADS} worker threads (a fixed limit: \
             results do not depend on the thread count, and threads beyond the cores only cost \
             memory)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_over_and_accept_at_the_limit() {
        assert!(check_points(DEFAULT_MAX_POINTS, DEFAULT_MAX_POINTS).is_ok());
        let e = check_points(DEFAULT_MAX_POINTS + 1, DEFAULT_MAX_POINTS).unwrap_err();
        assert!(e.contains("--max-points") && e.contains("sample"), "{e}");
        assert!(check_threads(MAX_THREADS).is_ok());
        assert!(check_threads(0).is_err());
        assert!(check_threads(100_000).unwrap_err().contains("1024"));
    }
}
