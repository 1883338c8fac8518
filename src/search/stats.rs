//! The paired sign test, for comparing candidates across seeds (their medians are
//! [`crate::train::median`]).

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
}
