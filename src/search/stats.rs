//! The paired sign test, for comparing candidates across seeds (their medians are
//! [`crate::train::median`]), and Holm's correction when one candidate is compared with several
//! baselines.

use serde::{Deserialize, Serialize};

/// Result of a paired sign test of `a` against `b` over the same seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignTest {
    /// Seeds where `a` was higher.
    pub wins: usize,
    /// Seeds where `a` was lower.
    pub losses: usize,
    /// Seeds where they were equal.
    pub ties: usize,
    /// Two-sided p-value under the null hypothesis that wins and losses are equally likely
    /// (exact binomial; ties are dropped).
    pub p_value: f64,
}

/// The paired sign test of `a[i]` against `b[i]`; pairs with a non-finite value are skipped.
pub(crate) fn sign_test(a: &[f64], b: &[f64]) -> SignTest {
    let (mut wins, mut losses, mut ties) = (0, 0, 0);
    for (x, y) in a.iter().zip(b) {
        if !x.is_finite() || !y.is_finite() {
            continue;
        }
        match x.partial_cmp(y) {
            Some(std::cmp::Ordering::Greater) => wins += 1,
            Some(std::cmp::Ordering::Less) => losses += 1,
            _ => ties += 1,
        }
    }
    let n = wins + losses;
    let k = wins.min(losses);
    // P(X <= k) for X ~ Binomial(n, 1/2), doubled for two sides.
    let mut tail = 0.0;
    let mut coef = 1.0f64; // C(n, 0)
    for i in 0..=k {
        if i > 0 {
            coef = coef * (n - i + 1) as f64 / i as f64;
        }
        tail += coef;
    }
    let p_value = if n == 0 {
        1.0
    } else {
        (2.0 * tail / 2f64.powi(n as i32)).min(1.0)
    };
    SignTest {
        wins,
        losses,
        ties,
        p_value,
    }
}

/// Holm's step-down adjustment of `p_values` (Holm 1979), in their order: the k-th smallest of
/// m values is multiplied by m - k + 1, capped at 1, and made non-decreasing along the sorted
/// order. Rejecting the hypotheses whose adjusted value is below alpha keeps the chance of any
/// false rejection among the m at most alpha, whatever their dependence. NaN counts as 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let p = |i: usize| {
        if p_values[i].is_nan() {
            1.0
        } else {
            p_values[i]
        }
    };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p(a).total_cmp(&p(b)).then(a.cmp(&b)));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(((m - k) as f64 * p(i)).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// The fewest paired seeds with which a candidate that wins on every seed reaches a
/// Holm-adjusted two-sided sign-test p-value below `alpha` against each of `baselines`
/// baselines: the smallest n with baselines x 2^(1-n) < alpha (0 without baselines). With fewer,
/// no candidate can be called better, however it does.
pub fn seeds_to_reach(baselines: usize, alpha: f64) -> usize {
    if baselines == 0 {
        return 0;
    }
    (1..=64)
        .find(|&n| baselines as f64 * 2f64.powi(1 - n as i32) < alpha)
        .unwrap_or(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_test_matches_the_binomial() {
        // 8 wins of 8: p = 2 / 256
        let t = sign_test(&[1.0; 8], &[0.0; 8]);
        assert_eq!((t.wins, t.losses), (8, 0));
        assert!((t.p_value - 2.0 / 256.0).abs() < 1e-12);
        // 5 wins, 3 losses, 1 tie: p = 2 * (1 + 8 + 28 + 56) / 256
        let a = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.5];
        let b = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5];
        let t = sign_test(&a, &b);
        assert_eq!((t.wins, t.losses, t.ties), (5, 3, 1));
        assert!((t.p_value - 2.0 * 93.0 / 256.0).abs() < 1e-12);
        assert_eq!(sign_test(&[1.0], &[1.0]).p_value, 1.0);
    }

    #[test]
    fn ties_and_failed_seeds_are_dropped_from_the_sign_test() {
        // 6 wins, 0 losses, 2 ties, 1 failed seed: as 6 wins of 6, p = 2 / 64.
        let a = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, f64::NAN];
        let b = [0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7];
        let t = sign_test(&a, &b);
        assert_eq!((t.wins, t.losses, t.ties), (6, 0, 2));
        assert!((t.p_value - 2.0 / 64.0).abs() < 1e-12);
        // All ties: no evidence either way.
        let t = sign_test(&[0.5; 8], &[0.5; 8]);
        assert_eq!((t.wins, t.losses, t.ties, t.p_value), (0, 0, 8, 1.0));
    }

    #[test]
    fn holm_steps_down_over_sorted_p_values() {
        // Sorted 0.01, 0.02, 0.03, 0.04 times 4, 3, 2, 1: 0.04, 0.06, 0.06, 0.06 (kept
        // non-decreasing), returned in the input order.
        let adjusted = holm(&[0.03, 0.01, 0.04, 0.02]);
        let want = [0.06, 0.04, 0.06, 0.06];
        for (a, w) in adjusted.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adjusted:?}");
        }
        // Capped at 1; NaN counts as 1; a single test is unchanged.
        assert_eq!(holm(&[0.5, 0.9, f64::NAN]), vec![1.0, 1.0, 1.0]);
        assert_eq!(holm(&[0.02]), vec![0.02]);
        assert!(holm(&[]).is_empty());
        // Equal p-values: each multiplied by m.
        assert_eq!(holm(&[0.01; 3]), vec![0.03; 3]);
    }

    #[test]
    fn seeds_needed_to_reach_significance() {
        // 8 baselines: 8 seeds give at best 8 * 2/256 = 0.0625, 9 seeds 0.03125.
        assert_eq!(seeds_to_reach(8, 0.05), 9);
        // 6 baselines: 6 * 2/256 = 0.047 with 8 seeds.
        assert_eq!(seeds_to_reach(6, 0.05), 8);
        // One baseline: 2/32 = 0.0625 with 5 seeds (the example), 2/64 with 6.
        assert_eq!(seeds_to_reach(1, 0.05), 6);
        assert_eq!(seeds_to_reach(0, 0.05), 0);
    }
}
