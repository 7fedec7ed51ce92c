//! Load imbalance of zero skipping across lanes that advance in lockstep.
//!
//! Each of `lanes` lanes walks `block` reduction elements between synchronisations and
//! spends one cycle per non-zero it keeps; the group waits for the busiest lane. With
//! independent zeros (density d) a lane's work is Binomial(block, d), so the cycles per
//! synchronisation are the expected maximum of `lanes` such binomials:
//!
//! E(max) = Σ_{t=0}^{block−1} P(max > t) = Σ_t (1 − F(t)^lanes),
//!
//! with F the binomial CDF. The work fraction is E(max) / block (d for one lane, → 1 as
//! lanes grow). Computed exactly in O(block) with log-space binomial terms.

/// Expected cycles of a lockstep group over dense cycles: E(max of `lanes` iid
/// Binomial(`block`, `density`)) / `block`. Exactly `density` for one lane, 1 for density
/// 1 and 0 for density 0.
pub fn lockstep_work_fraction(density: f64, lanes: u64, block: u64) -> f64 {
    let d = density.clamp(0.0, 1.0);
    if lanes <= 1 || d == 0.0 || d == 1.0 || block == 0 {
        return d;
    }
    let b = block as usize;
    let (ln_d, ln_q) = (d.ln(), (1.0 - d).ln());
    // pmf[j] = C(b, j) d^j (1-d)^(b-j), via ln C(b, j) built incrementally.
    let mut pmf = Vec::with_capacity(b + 1);
    let mut ln_c = 0.0f64;
    for j in 0..=b {
        if j > 0 {
            ln_c += ((b - j + 1) as f64).ln() - (j as f64).ln();
        }
        pmf.push((ln_c + j as f64 * ln_d + (b - j) as f64 * ln_q).exp());
    }
    // tail[t] = P(X > t), summed from the top for accuracy.
    let mut expected_max = 0.0;
    let mut tail = 0.0f64;
    let lanes = lanes as f64;
    for t in (0..b).rev() {
        tail += pmf[t + 1];
        let p_gt = tail.min(1.0);
        // 1 − (1 − p_gt)^lanes, accurate for small p_gt.
        expected_max += -f64::exp_m1(lanes * f64::ln_1p(-p_gt));
    }
    (expected_max / block as f64).clamp(d, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn one_lane_is_the_density() {
        assert_eq!(lockstep_work_fraction(0.3, 1, 16), 0.3);
    }

    #[test]
    fn two_bernoulli_lanes() {
        // block 1: max of two Bernoulli(d) is 1 with probability 1 − (1 − d)^2.
        assert_relative_eq!(
            lockstep_work_fraction(0.3, 2, 1),
            1.0 - 0.7f64 * 0.7,
            epsilon = 1e-12
        );
    }

    #[test]
    fn two_lanes_block_two() {
        // X ~ Bin(2, 0.5): P(X ≤ 0) = 1/4, P(X ≤ 1) = 3/4.
        // E(max of 2) = (1 − 1/16) + (1 − 9/16) = 15/16 + 7/16 = 22/16; / 2 = 11/16.
        assert_relative_eq!(
            lockstep_work_fraction(0.5, 2, 2),
            11.0 / 16.0,
            epsilon = 1e-12
        );
    }

    #[test]
    fn many_lanes_approach_dense() {
        let f = lockstep_work_fraction(0.5, 1024, 4);
        assert!(f > 0.99 && f <= 1.0, "{f}");
        assert_eq!(lockstep_work_fraction(1.0, 64, 16), 1.0);
        assert_eq!(lockstep_work_fraction(0.0, 64, 16), 0.0);
    }
}
