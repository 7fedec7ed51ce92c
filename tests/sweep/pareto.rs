//! Pareto fronts against the O(n²) brute-force definition on random point sets: 2 and 3
//! objectives, every min/max combination, values drawn from small sets so ties and
//! duplicate points are common, plus NaNs and signed zeros.

use accelsim::dse::{dominates, pareto_front, pareto_front_brute_force, Goal};
use proptest::prelude::*;

fn goal() -> impl Strategy<Value = Goal> {
    prop_oneof![Just(Goal::Min), Just(Goal::Max)]
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => (0u8..6).prop_map(|v| v as f64),
        2 => -1e3f64..1e3,
        1 => Just(f64::NAN),
        1 => Just(-0.0),
    ]
}

fn points(dims: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(value(), dims), 0..120)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn two_objectives_match_brute_force(pts in points(2), g in prop::collection::vec(goal(), 2)) {
        prop_assert_eq!(pareto_front(&pts, &g), pareto_front_brute_force(&pts, &g));
    }

    #[test]
    fn three_objectives_match_brute_force(pts in points(3), g in prop::collection::vec(goal(), 3)) {
        prop_assert_eq!(pareto_front(&pts, &g), pareto_front_brute_force(&pts, &g));
    }

    #[test]
    fn front_is_mutually_non_dominated_and_covers_the_rest(pts in points(3), g in prop::collection::vec(goal(), 3)) {
        let front = pareto_front(&pts, &g);
        for &a in &front {
            for &b in &front {
                prop_assert!(!dominates(&pts[a], &pts[b], &g));
            }
        }
        for i in 0..pts.len() {
            if pts[i].iter().any(|v| v.is_nan()) || front.contains(&i) {
                continue;
            }
            prop_assert!(front.iter().any(|&f| dominates(&pts[f], &pts[i], &g)));
        }
    }
}

/// A seeded larger set (5,000 points) against brute force, both directions.
#[test]
fn seeded_large_set_matches_brute_force() {
    let mut s: u64 = 12345;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) % 1000) as f64
    };
    let pts: Vec<Vec<f64>> = (0..5000).map(|_| vec![next(), next(), next()]).collect();
    for g in [
        [Goal::Min, Goal::Min, Goal::Min],
        [Goal::Min, Goal::Max, Goal::Min],
        [Goal::Max, Goal::Max, Goal::Max],
    ] {
        let fast = pareto_front(&pts, &g);
        assert_eq!(fast, pareto_front_brute_force(&pts, &g));
        println!("{g:?}: {} of {} points on the front", fast.len(), pts.len());
    }
}
