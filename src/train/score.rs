//! What training an activation yields: a [`Score`] per seed, a [`Summary`] over seeds (median,
//! minimum and maximum of every metric), and the [`Evaluation`] holding both. All of it is
//! serde-serialisable, for run journals and `radact train --json`.

use serde::{Deserialize, Serialize};

/// Counting distinct hidden activation values stops here; more are reported as
/// `DISTINCT_VALUES_CAP + 1` (read: "more than 1000").
pub const DISTINCT_VALUES_CAP: usize = 1000;

/// How a training run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Trained for the whole budget and was scored.
    Completed,
    /// Stopped early: the loss or the weights stopped being finite, the weights exploded, or
    /// the activation could not be set up (for example standardised).
    Failed {
        /// What happened, and at which step.
        reason: String,
    },
}

/// The metrics of one trained network, generic over the value type so that the same field list
/// serves one seed (`Metrics<f64>`) and the summary over seeds (`Metrics<Spread>`).
///
/// A classifier's test split is always measured; the training split, the validation split and
/// the noise robustness only when the trainer's [`Measurements`](super::Measurements) ask for
/// them (a search measures what its objectives need). A GAN task (`gan-ring`) has no splits:
/// its generator's samples are scored instead (modes, high quality, reverse KL), and the
/// accuracies and losses are `None`. A metric that was not measured is `None` and left out of
/// the JSON form; so is, in a summary, one without a finite value on any seed. Sparsity and
/// distinct values are always measured (of the discriminator, for a GAN).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Metrics<T> {
    /// Accuracy on the training set after training, in `[0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_accuracy: Option<T>,
    /// Mean softmax cross-entropy on the training set after training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_loss: Option<T>,
    /// Accuracy on the validation set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_accuracy: Option<T>,
    /// Mean cross-entropy on the validation set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_loss: Option<T>,
    /// Accuracy on the test set (always measured for a classification task; `None` for a GAN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<T>,
    /// Mean cross-entropy on the test set (always measured for a classification task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<T>,
    /// Share of hidden activation values (all hidden layers; the test set, or for a GAN the
    /// discriminator on the scored generated samples) that are exactly zero.
    pub sparsity: T,
    /// Number of distinct hidden activation values on the same inputs, counted up to
    /// [`DISTINCT_VALUES_CAP`]; `DISTINCT_VALUES_CAP + 1` means "more".
    pub distinct_values: T,
    /// Test accuracy with Gaussian noise of standard deviation 0.1 added to the (scaled) inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noisy_accuracy_0_1: Option<T>,
    /// Test accuracy with Gaussian noise of standard deviation 0.3 added to the inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noisy_accuracy_0_3: Option<T>,
    /// GAN tasks: modes of the ring covered by the generator's samples, `0..=8`
    /// ([`RingScores`](super::RingScores)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modes: Option<T>,
    /// GAN tasks: share of generated samples within 3 standard deviations of a centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_quality: Option<T>,
    /// GAN tasks: reverse KL divergence between the generated samples' mode histogram and the
    /// uniform distribution over the modes, in `[0, ln 8]` (lower is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_kl: Option<T>,
}

/// Number of fields of [`Metrics`].
const METRIC_COUNT: usize = 13;

impl<T> Metrics<T> {
    /// The fields in declaration order (the always measured ones as `Some`).
    fn into_array(self) -> [Option<T>; METRIC_COUNT] {
        [
            self.train_accuracy,
            self.train_loss,
            self.validation_accuracy,
            self.validation_loss,
            self.test_accuracy,
            self.test_loss,
            Some(self.sparsity),
            Some(self.distinct_values),
            self.noisy_accuracy_0_1,
            self.noisy_accuracy_0_3,
            self.modes,
            self.high_quality,
            self.reverse_kl,
        ]
    }

    /// Builds metrics from fields in declaration order; `None` if one that is always measured
    /// (sparsity, distinct values) is missing.
    fn from_array(a: [Option<T>; METRIC_COUNT]) -> Option<Self> {
        let [train_accuracy, train_loss, validation_accuracy, validation_loss, test_accuracy, test_loss, sparsity, distinct_values, noisy_accuracy_0_1, noisy_accuracy_0_3, modes, high_quality, reverse_kl] =
            a;
        Some(Metrics {
            train_accuracy,
            train_loss,
            validation_accuracy,
            validation_loss,
            test_accuracy,
            test_loss,
            sparsity: sparsity?,
            distinct_values: distinct_values?,
            noisy_accuracy_0_1,
            noisy_accuracy_0_3,
            modes,
            high_quality,
            reverse_kl,
        })
    }
}

/// The result of training with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The seed of weight initialisation, batch order and input noise.
    pub seed: u64,
    /// How the run ended (flattened: `"status": "completed"` or `"failed"` with `"reason"`).
    #[serde(flatten)]
    pub status: Status,
    /// Optimiser steps taken.
    pub steps: u64,
    /// Wall-clock seconds for training and scoring this seed.
    pub wall_time_s: f64,
    /// The metrics; `None` for a failed run.
    pub metrics: Option<Metrics<f64>>,
    /// The trained values of the activation's trainable constants (`param(c)`) in each hidden
    /// layer, first layer first, in the order the formula names them; empty when it has none
    /// (and then left out of the serialised form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constants: Vec<Vec<f32>>,
    /// GAN tasks: a few of the trained generator's samples (`x, y`, rounded to 3 decimals),
    /// for plots; empty otherwise (and then left out of the serialised form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generated: Vec<[f32; 2]>,
}

impl Score {
    /// The trained constants as text, `layer 1 [0.5877]  layer 2 [0.8137, -1.2000]` (four
    /// decimals); `None` when there are none.
    pub fn constants_text(&self) -> Option<String> {
        if self.constants.is_empty() {
            return None;
        }
        let layers: Vec<String> = self
            .constants
            .iter()
            .enumerate()
            .map(|(l, values)| {
                let values: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
                format!("layer {} [{}]", l + 1, values.join(", "))
            })
            .collect();
        Some(layers.join("  "))
    }
}

impl Evaluation {
    /// The completed seed with the best validation accuracy among those that trained constants
    /// (the one whose values an export carries; the first completed one when the validation
    /// split was not measured); `None` when no seed has trained constants.
    pub fn best_constants(&self) -> Option<&Score> {
        self.seeds
            .iter()
            .filter(|s| !s.constants.is_empty())
            .filter_map(|s| {
                let m = s.metrics.as_ref()?;
                Some((m.validation_accuracy.unwrap_or(f64::NEG_INFINITY), s))
            })
            // The first of equals (max_by would keep the last).
            .fold(None, |best: Option<(f64, &Score)>, (v, s)| match best {
                Some((b, _)) if b >= v => best,
                _ => Some((v, s)),
            })
            .map(|(_, s)| s)
    }
}

/// Median and range of one metric over the completed seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of the finite values of `values`; `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        Some(Spread {
            median: median(values)?,
            min: finite.clone().min_by(f64::total_cmp)?,
            max: finite.max_by(f64::total_cmp)?,
        })
    }
}

/// The median of the finite values of `values` (the mean of the two middle ones for an even
/// count); `None` when there are none. The one median of radact: seeds' metrics, the final
/// check and the desktop app's moving median all use it.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// The scores of all seeds, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of seeds run.
    pub seeds: usize,
    /// Number of seeds that completed.
    pub completed: usize,
    /// Number of seeds that failed.
    pub failed: usize,
    /// Cost of the activation's compiled forward program, nanoseconds per element (measured once
    /// per evaluation on a fixed buffer; machine-dependent).
    pub forward_ns_per_element: f64,
    /// Wall-clock seconds per seed.
    pub wall_time_s: Spread,
    /// Every metric over the completed seeds; `None` when every seed failed.
    pub metrics: Option<Metrics<Spread>>,
}

impl Summary {
    /// Summarises per-seed scores; `forward_ns_per_element` is measured by the caller.
    pub fn of(scores: &[Score], forward_ns_per_element: f64) -> Summary {
        let completed: Vec<[Option<f64>; METRIC_COUNT]> = scores
            .iter()
            .filter_map(|s| s.metrics.map(Metrics::into_array))
            .collect();
        // A completed seed's sparsity and distinct values are always measured, so a summary
        // has metrics exactly when a seed completed.
        let metrics = Metrics::from_array(std::array::from_fn(|i| {
            let column: Vec<f64> = completed.iter().filter_map(|m| m[i]).collect();
            Spread::of(&column)
        }));
        let times: Vec<f64> = scores.iter().map(|s| s.wall_time_s).collect();
        Summary {
            seeds: scores.len(),
            completed: completed.len(),
            failed: scores.len() - completed.len(),
            forward_ns_per_element,
            wall_time_s: Spread::of(&times).unwrap_or(Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            }),
            metrics,
        }
    }

    /// The median test accuracy over completed seeds, the headline number of a classification
    /// task (`None` for a GAN task).
    pub fn median_test_accuracy(&self) -> Option<f64> {
        self.metrics?.test_accuracy.map(|s| s.median)
    }
}

/// The outcome of evaluating one activation on a task: the summary and every seed's score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Median and range over seeds.
    pub summary: Summary,
    /// One score per seed, in the task's seed order.
    pub seeds: Vec<Score>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(acc: f64) -> Metrics<f64> {
        Metrics::from_array(std::array::from_fn(|i| Some(acc + i as f64))).unwrap()
    }

    fn score(seed: u64, metrics: Option<Metrics<f64>>) -> Score {
        let status = match metrics {
            Some(_) => Status::Completed,
            None => Status::Failed {
                reason: "loss became NaN at step 3".into(),
            },
        };
        Score {
            seed,
            status,
            steps: 10,
            wall_time_s: seed as f64,
            metrics,
            constants: Vec::new(),
            generated: Vec::new(),
        }
    }

    #[test]
    fn spread_median_for_odd_and_even_counts() {
        let s = Spread::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Spread::of(&[]).is_none());
        let s = Spread::of(&[f64::NAN, 5.0, f64::INFINITY, 1.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
    }

    #[test]
    fn median_of_the_finite_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 7.0, f64::NEG_INFINITY]), Some(7.0));
        assert_eq!(median(&[f64::NAN]), None);
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn summary_skips_failed_seeds() {
        let scores = vec![
            score(1, Some(metrics(0.5))),
            score(2, None),
            score(3, Some(metrics(0.7))),
        ];
        let s = Summary::of(&scores, 1.5);
        assert_eq!((s.seeds, s.completed, s.failed), (3, 2, 1));
        let m = s.metrics.unwrap();
        assert!((m.train_accuracy.unwrap().median - 0.6).abs() < 1e-12);
        assert_eq!(m.noisy_accuracy_0_3.unwrap().max, 9.7);
        assert_eq!(s.wall_time_s.max, 3.0);
        let all_failed = Summary::of(&[score(1, None)], 1.0);
        assert!(all_failed.metrics.is_none() && all_failed.median_test_accuracy().is_none());
    }

    #[test]
    fn json_round_trip_with_flattened_status() {
        let e = Evaluation {
            summary: Summary::of(&[score(1, Some(metrics(0.5))), score(2, None)], 2.0),
            seeds: vec![score(1, Some(metrics(0.5))), score(2, None)],
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(r#""status":"failed","reason":"loss became NaN at step 3""#));
        assert!(text.contains(r#""status":"completed""#));
        let back: Evaluation = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn unmeasured_metrics_are_left_out_and_old_records_still_read() {
        let mut m = metrics(0.5);
        (m.train_accuracy, m.train_loss) = (None, None);
        (m.noisy_accuracy_0_1, m.noisy_accuracy_0_3) = (None, None);
        let text = serde_json::to_string(&m).unwrap();
        assert!(
            !text.contains("train_") && !text.contains("noisy_"),
            "{text}"
        );
        assert!(text.contains("validation_accuracy") && text.contains("test_accuracy"));
        assert_eq!(serde_json::from_str::<Metrics<f64>>(&text).unwrap(), m);
        let s = Summary::of(&[score(1, Some(m))], 1.0).metrics.unwrap();
        assert!(s.train_loss.is_none() && s.noisy_accuracy_0_3.is_none());
        assert_eq!(s.validation_accuracy.unwrap().median, 2.5);
        // A record written when every metric was always measured (before GAN tasks).
        let mut all = metrics(0.5);
        (all.modes, all.high_quality, all.reverse_kl) = (None, None, None);
        let old = format!(
            "{{\"train_accuracy\":{},\"train_loss\":{},\"validation_accuracy\":{},\
             \"validation_loss\":{},\"test_accuracy\":{},\"test_loss\":{},\"sparsity\":{},\
             \"distinct_values\":{},\"noisy_accuracy_0_1\":{},\"noisy_accuracy_0_3\":{}}}",
            0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5
        );
        assert_eq!(serde_json::from_str::<Metrics<f64>>(&old).unwrap(), all);
    }

    #[test]
    fn a_metric_without_a_finite_value_on_any_seed_is_none_in_the_summary() {
        // Noise can push a network's outputs past f32's range where the clean test set does not.
        let mut m = metrics(0.5);
        m.noisy_accuracy_0_3 = Some(f64::NAN);
        let s = Summary::of(&[score(1, Some(m)), score(2, Some(m))], 1.0);
        let s = s.metrics.unwrap();
        assert!(s.noisy_accuracy_0_3.is_none());
        assert_eq!(s.noisy_accuracy_0_1.unwrap().median, 8.5);
    }
}
