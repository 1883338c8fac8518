//! What is measured of a trained network and an activation: the scoring passes over a
//! dataset's splits ([`measure`], as few as the [`Measurements`] ask for), a trained GAN's
//! generated samples against the ring (`measure_gan`), accuracy and loss of logits, the number
//! of distinct values an activation takes, and the forward program's cost.

use super::dataset::{Dataset, Examples};
use super::gan::Gan;
use super::network::{argmax, Mlp, NetworkError, INFERENCE_CHUNK};
use super::ring::{RingScores, SCORED_SAMPLES};
use super::score::{Metrics, DISTINCT_VALUES_CAP};
use crate::expr::Program;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::time::Instant;

/// Standard deviations of the input noise for the robustness scores.
pub const NOISE_LEVELS: [f32; 2] = [0.1, 0.3];

/// Which scoring passes a trained network gets, beyond the test split's, which it always gets
/// (test accuracy and loss, sparsity and distinct values: the hall of fame, the final check
/// and every front end show them). Each pass costs a forward pass over its split; on
/// Fashion-MNIST the training split is 50 000 images, the others 10 000 each, and robustness
/// also draws one Gaussian value per test pixel for each of the [`NOISE_LEVELS`].
///
/// A metric computed in one set of measurements has the same value in any other: each pass
/// reads the trained network only, and the noise has a random stream of its own per seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Measurements {
    /// Accuracy and loss on the training split.
    pub training: bool,
    /// Accuracy and loss on the validation split.
    pub validation: bool,
    /// Test accuracy under Gaussian input noise at each of the [`NOISE_LEVELS`].
    pub robustness: bool,
}

impl Measurements {
    /// Every metric: what `radact train` prints, and a [`Trainer`](super::Trainer)'s default.
    pub const ALL: Measurements = Measurements {
        training: true,
        validation: true,
        robustness: true,
    };

    /// The test split only (what the final check compares).
    pub const TEST: Measurements = Measurements {
        training: false,
        validation: false,
        robustness: false,
    };

    /// What either `self` or `other` measures.
    pub fn union(self, other: Measurements) -> Measurements {
        Measurements {
            training: self.training || other.training,
            validation: self.validation || other.validation,
            robustness: self.robustness || other.robustness,
        }
    }
}

impl Default for Measurements {
    /// [`Measurements::ALL`].
    fn default() -> Self {
        Measurements::ALL
    }
}

/// Scores a trained network on `data`'s splits, the ones `measurements` asks for. The inner
/// error is the reason for a failed status: the network's outputs on a measured split (training,
/// validation, test, checked in that order) are not finite. `noise` is the seed's random stream
/// for the robustness passes (drawn from only when they run).
pub(crate) fn measure(
    net: &Mlp,
    data: &Dataset,
    measurements: Measurements,
    noise: &mut ChaCha8Rng,
) -> Result<Result<Metrics<f64>, String>, NetworkError> {
    let split = |examples: &Examples, asked: bool| -> Result<_, NetworkError> {
        Ok(match asked {
            true => Some(accuracy_and_loss(
                &net.infer(&examples.features, None)?,
                examples,
            )),
            false => None,
        })
    };
    let training = split(&data.train, measurements.training)?;
    let validation = split(&data.validation, measurements.validation)?;
    let mut hidden = HiddenValues::default();
    let test = accuracy_and_loss(
        &net.infer(&data.test.features, Some(&mut |h: &[f32]| hidden.add(h)))?,
        &data.test,
    );
    for (name, pass) in [
        ("training", training),
        ("validation", validation),
        ("test", Some(test)),
    ] {
        if pass.is_some_and(|(_, loss)| !loss.is_finite()) {
            return Ok(Err(format!(
                "the network's outputs on the {name} set are not finite"
            )));
        }
    }
    let noisy = match measurements.robustness {
        true => {
            let mut accuracy = [0.0f64; NOISE_LEVELS.len()];
            for (acc, sigma) in accuracy.iter_mut().zip(NOISE_LEVELS) {
                *acc = noisy_accuracy(net, &data.test, sigma, noise)?;
            }
            Some(accuracy)
        }
        false => None,
    };
    Ok(Ok(Metrics {
        train_accuracy: training.map(|(a, _)| a),
        train_loss: training.map(|(_, l)| l),
        validation_accuracy: validation.map(|(a, _)| a),
        validation_loss: validation.map(|(_, l)| l),
        test_accuracy: Some(test.0),
        test_loss: Some(test.1),
        sparsity: hidden.sparsity(),
        distinct_values: hidden.distinct.count() as f64,
        noisy_accuracy_0_1: noisy.map(|n| n[0]),
        noisy_accuracy_0_3: noisy.map(|n| n[1]),
        modes: None,
        high_quality: None,
        reverse_kl: None,
    }))
}

/// A trained GAN's metrics and the generated samples kept for plots.
pub(crate) type GanScores = (Metrics<f64>, Vec<[f32; 2]>);

/// Generated samples a GAN's score keeps for plots ([`Score::generated`](super::Score)).
pub const KEPT_SAMPLES: usize = 256;

/// Scores a trained GAN: [`SCORED_SAMPLES`] samples of its generator (latent codes from
/// `latent`) against the ring ([`RingScores`]), and the discriminator's sparsity and distinct
/// hidden values on them; also returns the first [`KEPT_SAMPLES`] samples, rounded to 3
/// decimals. The inner error is the reason for a failed status: a generated sample or a
/// discriminator output is not finite.
pub(crate) fn measure_gan(
    gan: &Gan,
    latent: &mut ChaCha8Rng,
) -> Result<Result<GanScores, String>, NetworkError> {
    let samples = gan.generate(SCORED_SAMPLES, latent)?;
    if samples.iter().any(|v| !v.is_finite()) {
        return Ok(Err("the generator's samples are not finite".to_string()));
    }
    let mut hidden = HiddenValues::default();
    let outputs = gan
        .discriminator()
        .infer(&samples, Some(&mut |h: &[f32]| hidden.add(h)))?;
    if outputs.iter().any(|v| !v.is_finite()) {
        return Ok(Err(
            "the discriminator's outputs on generated samples are not finite".to_string(),
        ));
    }
    let ring = RingScores::of(&samples);
    let round = |v: f32| (v * 1000.0).round() / 1000.0;
    let kept = samples
        .chunks_exact(2)
        .take(KEPT_SAMPLES)
        .map(|p| [round(p[0]), round(p[1])])
        .collect();
    let metrics = Metrics {
        train_accuracy: None,
        train_loss: None,
        validation_accuracy: None,
        validation_loss: None,
        test_accuracy: None,
        test_loss: None,
        sparsity: hidden.sparsity(),
        distinct_values: hidden.distinct.count() as f64,
        noisy_accuracy_0_1: None,
        noisy_accuracy_0_3: None,
        modes: Some(ring.modes as f64),
        high_quality: Some(ring.high_quality),
        reverse_kl: Some(ring.reverse_kl),
    };
    Ok(Ok((metrics, kept)))
}

/// Accuracy of `net` on `examples` with Gaussian noise of standard deviation `sigma` drawn from
/// `noise` added to every feature, row after row. The noisy inputs are made and run one
/// inference chunk at a time (the chunks `Mlp::infer` would cut the whole set into, so the
/// logits are the same), in a buffer of one chunk.
fn noisy_accuracy(
    net: &Mlp,
    examples: &Examples,
    sigma: f32,
    noise: &mut ChaCha8Rng,
) -> Result<f64, NetworkError> {
    let normal = Normal::new(0.0f32, sigma).expect("the noise levels are positive");
    let chunk_values = INFERENCE_CHUNK * examples.n_features;
    let mut x = Vec::with_capacity(chunk_values.min(examples.features.len()));
    let mut logits = Vec::with_capacity(examples.len() * net.n_classes());
    for chunk in examples.features.chunks(chunk_values) {
        x.clear();
        x.extend(chunk.iter().map(|&v| v + normal.sample(noise)));
        logits.extend_from_slice(&net.infer(&x, None)?);
    }
    Ok(accuracy_and_loss(&logits, examples).0)
}

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
        let best = argmax(row);
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
///
/// Runs of one value (the zeros of a sparse layer) are looked up once, the first few distinct
/// values are kept in a list, and beyond them a set hashes bit patterns with a cheap integer
/// mixer: a quantised activation's test-set values (a million of them on Fashion-MNIST, in two
/// or a few distinct values) are counted in about a millisecond.
pub fn distinct_values(values: &[f32]) -> usize {
    let mut distinct = DistinctValues::default();
    distinct.add(values);
    distinct.count()
}

/// The hidden activation values of a test pass, seen a chunk at a time: how many, how many
/// exactly zero, and how many distinct.
#[derive(Default)]
struct HiddenValues {
    values: usize,
    zeros: usize,
    distinct: DistinctValues,
}

impl HiddenValues {
    fn add(&mut self, values: &[f32]) {
        self.values += values.len();
        self.zeros += values.iter().filter(|&&v| v == 0.0).count();
        self.distinct.add(values);
    }

    /// The share of values that are exactly zero.
    fn sparsity(&self) -> f64 {
        self.zeros as f64 / self.values.max(1) as f64
    }
}

/// Distinct values kept in a list, looked up by a scan, before they move to a hash set: a
/// quantised activation's few values are found without hashing.
const FEW_DISTINCT: usize = 16;

/// [`distinct_values`] over values seen a slice at a time (the count does not depend on how
/// they are cut).
#[derive(Default)]
struct DistinctValues {
    /// The bit patterns seen while there are at most [`FEW_DISTINCT`] of them.
    few: Vec<u32>,
    /// The bit patterns seen once there are more (then `few` is empty).
    many: HashSet<u32, BuildHasherDefault<BitsHasher>>,
    /// The bit pattern of the last value added (a run of it needs no look-up).
    previous: Option<u32>,
    /// Whether more than [`DISTINCT_VALUES_CAP`] were seen (counting then stops).
    over: bool,
}

impl DistinctValues {
    fn add(&mut self, values: &[f32]) {
        if self.over {
            return;
        }
        for &v in values {
            let bits = if v == 0.0 { 0 } else { v.to_bits() };
            if self.previous == Some(bits) {
                continue;
            }
            self.previous = Some(bits);
            if self.many.is_empty() {
                if self.few.contains(&bits) {
                    continue;
                }
                if self.few.len() < FEW_DISTINCT {
                    self.few.push(bits);
                    continue;
                }
                self.many.extend(self.few.drain(..));
            }
            self.many.insert(bits);
            if self.many.len() > DISTINCT_VALUES_CAP {
                self.over = true;
                return;
            }
        }
    }

    fn count(&self) -> usize {
        if self.over {
            DISTINCT_VALUES_CAP + 1
        } else {
            self.few.len() + self.many.len()
        }
    }
}

/// A hasher for `f32` bit patterns: MurmurHash3's 64-bit finaliser, which spreads every input
/// bit over the whole hash (the bit patterns of round values such as `1.0` or `0.5` differ in
/// their high bits only). Not resistant to chosen inputs, which activation values are not.
#[derive(Default)]
struct BitsHasher(u64);

impl Hasher for BitsHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u32(&mut self, bits: u32) {
        self.0 = u64::from(bits);
    }
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
        assert_eq!(distinct_values(&[1.0, 0.0, 1.0, -0.0, 2.0, 1.0]), 3);
        assert_eq!(distinct_values(&[]), 0);
        let many: Vec<f32> = (0..5000).map(|i| i as f32).collect();
        assert_eq!(distinct_values(&many), DISTINCT_VALUES_CAP + 1);
        // Powers of two differ in their exponent bits only.
        let powers: Vec<f32> = (-60..60).map(|e| 2f32.powi(e)).collect();
        assert_eq!(distinct_values(&powers), 120);
        let cycle: Vec<f32> = (0..400).map(|i| (i % 17) as f32).collect();
        assert_eq!(distinct_values(&cycle), 17);
        assert_eq!(distinct_values(&cycle[..16]), 16);
        assert_eq!(
            distinct_values(&many[..DISTINCT_VALUES_CAP]),
            DISTINCT_VALUES_CAP
        );
        // Seen in slices, the same counts.
        for values in [&many[..], &powers[..], &[1.0, 0.0, 1.0, -0.0, 2.0, 1.0][..]] {
            let mut hidden = HiddenValues::default();
            values.chunks(7).for_each(|c| hidden.add(c));
            assert_eq!(hidden.distinct.count(), distinct_values(values));
            assert_eq!(hidden.values, values.len());
            assert_eq!(hidden.zeros, values.iter().filter(|&&v| v == 0.0).count());
        }
    }
}
