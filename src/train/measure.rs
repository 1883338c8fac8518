//! What is measured of a trained network and an activation: accuracy and loss of logits,
//! the number of distinct values an activation takes, and the forward program's cost.

use super::dataset::Examples;
use super::score::DISTINCT_VALUES_CAP;
use crate::expr::Program;
use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

/// Elements in the buffer used to time the forward program.
const COST_ELEMENTS: usize = 4096;

/// Accuracy and mean softmax cross-entropy (in f64) of row-major `logits` on `examples`.
/// The loss is NaN if any logit is not finite.
pub(crate) fn accuracy_and_loss(logits: &[f32], examples: &Examples) -> (f64, f64) {
    let classes = logits.len() / examples.len().max(1);
    let mut correct = 0usize;
    let mut loss = 0.0f64;
    for (row, &label) in logits.chunks_exact(classes).zip(&examples.labels) {
        if row.iter().any(|v| !v.is_finite()) {
            return (f64::NAN, f64::NAN);
        }
        let (best, _) = row
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                if v > bv {
                    (i, v)
                } else {
                    (bi, bv)
                }
            });
        correct += usize::from(best == usize::from(label));
        let max = f64::from(row[best]);
        let sum: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
        loss += max + sum.ln() - f64::from(row[usize::from(label)]);
    }
    let n = examples.len().max(1) as f64;
    (correct as f64 / n, loss / n)
}

/// Number of distinct values (`-0` counted as `0`), counted up to [`DISTINCT_VALUES_CAP`];
/// more are reported as `DISTINCT_VALUES_CAP + 1`.
pub fn distinct_values(values: &[f32]) -> usize {
    let mut seen = HashSet::new();
    for &v in values {
        seen.insert(if v == 0.0 { 0 } else { v.to_bits() });
        if seen.len() > DISTINCT_VALUES_CAP {
            return DISTINCT_VALUES_CAP + 1;
        }
    }
    seen.len()
}

/// Nanoseconds per element of `program` on a fixed buffer of 4096 points spread over
/// `[-4, 4]`: the best of 5 timings of 8 evaluations each (machine-dependent).
pub fn forward_cost_ns(program: &Program) -> f64 {
    let x: Vec<f32> = (0..COST_ELEMENTS)
        .map(|i| -4.0 + 8.0 * i as f32 / (COST_ELEMENTS - 1) as f32)
        .collect();
    let mut y = vec![0.0f32; COST_ELEMENTS];
    program.eval(&x, &mut y);
    const REPS: usize = 8;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..REPS {
            program.eval(black_box(&x), black_box(&mut y));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / (REPS * COST_ELEMENTS) as f64);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(labels: Vec<u8>) -> Examples {
        Examples {
            features: vec![0.0; labels.len()],
            labels,
            n_features: 1,
        }
    }

    #[test]
    fn accuracy_and_loss_by_hand() {
        let logits = [2.0, 0.0, 0.0, 1.0];
        let (acc, loss) = accuracy_and_loss(&logits, &examples(vec![0, 0]));
        assert_eq!(acc, 0.5);
        let want = ((1.0 + (-2.0f64).exp()).ln() + (1.0 + 1f64.exp()).ln()) / 2.0;
        assert!((loss - want).abs() < 1e-9, "{loss} vs {want}");
        assert!(accuracy_and_loss(&[f32::NAN, 0.0], &examples(vec![0]))
            .1
            .is_nan());
    }

    #[test]
    fn distinct_values_are_capped_and_merge_signed_zeros() {
        assert_eq!(distinct_values(&[0.0, -0.0, 1.0, 1.0]), 2);
        let many: Vec<f32> = (0..5000).map(|i| i as f32).collect();
        assert_eq!(distinct_values(&many), DISTINCT_VALUES_CAP + 1);
    }
}
