//! Pareto fronts over 2 or 3 objectives, each minimised or maximised.
//!
//! Point `a` dominates `b` when it is at least as good in every objective and strictly
//! better in one. Points with equal objective vectors do not dominate each other, so all
//! of them stay on the front. Points with a NaN objective are never on the front.

use super::metrics::Goal;

/// Whether `a` dominates `b` under `goals` (NaN never dominates nor is compared).
pub fn dominates(a: &[f64], b: &[f64], goals: &[Goal]) -> bool {
    let mut strict = false;
    for ((&x, &y), g) in a.iter().zip(b).zip(goals) {
        let (x, y) = match g {
            Goal::Min => (x, y),
            Goal::Max => (-x, -y),
        };
        if x > y || x.is_nan() || y.is_nan() {
            return false;
        }
        if x < y {
            strict = true;
        }
    }
    strict
}

/// Indices (ascending) of the non-dominated points. `points[i]` holds one value per goal.
///
/// Sorts lexicographically in minimisation form: a dominator always sorts before the
/// points it dominates, so each point only needs checking against the front found so far
/// (O(n log n + n·f) for a front of f points).
pub fn pareto_front(points: &[Vec<f64>], goals: &[Goal]) -> Vec<usize> {
    let key = |p: &[f64]| -> Vec<f64> {
        p.iter()
            .zip(goals)
            .map(|(&v, g)| match g {
                Goal::Min => v + 0.0,
                Goal::Max => -v + 0.0,
            })
            .collect()
    };
    let mut order: Vec<(Vec<f64>, usize)> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.iter().all(|v| !v.is_nan()))
        .map(|(i, p)| (key(p), i))
        .collect();
    order.sort_by(|(a, i), (b, j)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(i.cmp(j))
    });
    let min_goals = vec![Goal::Min; goals.len()];
    let mut front: Vec<(Vec<f64>, usize)> = Vec::new();
    for (k, i) in order {
        if !front.iter().any(|(f, _)| dominates(f, &k, &min_goals)) {
            front.push((k, i));
        }
    }
    let mut idx: Vec<usize> = front.into_iter().map(|(_, i)| i).collect();
    idx.sort_unstable();
    idx
}

/// The O(n²) reference: every point no other point dominates (NaN points excluded).
pub fn pareto_front_brute_force(points: &[Vec<f64>], goals: &[Goal]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| points[i].iter().all(|v| !v.is_nan()))
        .filter(|&i| !(0..points.len()).any(|j| j != i && dominates(&points[j], &points[i], goals)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_hand_example() {
        // min latency, max capacity.
        let pts = vec![
            vec![1.0, 10.0], // front
            vec![2.0, 10.0], // dominated by 0
            vec![2.0, 20.0], // front
            vec![3.0, 15.0], // dominated by 2
            vec![2.0, 20.0], // equal to 2: front
            vec![f64::NAN, 99.0],
        ];
        let g = [Goal::Min, Goal::Max];
        assert_eq!(pareto_front(&pts, &g), vec![0, 2, 4]);
        assert_eq!(pareto_front_brute_force(&pts, &g), vec![0, 2, 4]);
    }

    #[test]
    fn signed_zero_is_zero() {
        let pts = vec![vec![-0.0, 2.0], vec![0.0, 1.0]];
        assert_eq!(pareto_front(&pts, &[Goal::Min, Goal::Min]), vec![1]);
    }
}
