//! The ring of Gaussians that the `gan-ring` task's generator learns, and how generated samples
//! are scored against it: the setting and metrics of VEEGAN (Srivastava et al. 2017) and
//! PacGAN (Lin et al. 2018).
//!
//! The distribution is a mixture of [`RING_MODES`] equally likely Gaussians with standard
//! deviation [`RING_STD`] in each coordinate, centred on a circle of radius [`RING_RADIUS`]
//! ([`ring_centres`]). Generated samples are scored by [`RingScores::of`]:
//!
//! - a sample is of *high quality* when it lies within [`QUALITY_STDS`] standard deviations
//!   (Euclidean distance `3 * 0.02`) of a centre, and then belongs to that mode;
//! - a mode is *covered* when at least [`MODE_SHARE`] of all samples belong to it;
//! - the *reverse KL divergence* is `KL(p || u) = sum_k p_k ln(p_k / u_k)` between the
//!   histogram `p` of the high-quality samples over the modes (normalised over those samples)
//!   and the uniform distribution `u_k = 1/8`; an empty mode adds `0 ln 0 = 0`. It is 0 when the
//!   high-quality samples spread evenly over the modes and `ln 8` (about 2.079) when they all
//!   fall in one. With no high-quality sample at all the histogram is undefined, and the
//!   divergence is taken as `ln 8`, as bad as a single mode.
//!
//! ```
//! use radact::train::{ring_centres, RingScores};
//! // 10 samples on every centre: all 8 modes, all of high quality, no divergence.
//! let samples: Vec<f32> = ring_centres().iter().flat_map(|c| c.repeat(10)).collect();
//! let s = RingScores::of(&samples);
//! assert_eq!((s.modes, s.high_quality), (8, 1.0));
//! assert!(s.reverse_kl.abs() < 1e-12);
//! ```

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Number of Gaussians on the ring.
pub const RING_MODES: usize = 8;
/// Radius of the circle the centres lie on.
pub const RING_RADIUS: f32 = 2.0;
/// Standard deviation of each Gaussian, in each coordinate.
pub const RING_STD: f32 = 0.02;
/// A sample within this many standard deviations of a centre is of high quality.
pub const QUALITY_STDS: f32 = 3.0;
/// A mode is covered when at least this share of the samples lies within
/// [`QUALITY_STDS`] standard deviations of its centre.
pub const MODE_SHARE: f64 = 0.01;
/// Generated samples scored per trained generator.
pub const SCORED_SAMPLES: usize = 2500;

/// The centres of the ring's Gaussians: `RING_RADIUS * (cos, sin)` of `2 pi k / 8`.
pub fn ring_centres() -> [[f32; 2]; RING_MODES] {
    std::array::from_fn(|k| {
        let angle = 2.0 * std::f64::consts::PI * k as f64 / RING_MODES as f64;
        let r = f64::from(RING_RADIUS);
        [(r * angle.cos()) as f32, (r * angle.sin()) as f32]
    })
}

/// Appends `n` samples of the ring distribution to `out` (row-major `x, y` pairs): a mode drawn
/// uniformly, then its centre plus Gaussian noise of [`RING_STD`] in each coordinate.
pub fn sample_ring(rng: &mut impl Rng, n: usize, out: &mut Vec<f32>) {
    let centres = ring_centres();
    out.reserve(2 * n);
    for _ in 0..n {
        let c = centres[rng.gen_range(0..RING_MODES)];
        for v in c {
            let noise: f32 = StandardNormal.sample(rng);
            out.push(v + RING_STD * noise);
        }
    }
}

/// How well a set of generated samples covers the ring (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingScores {
    /// Modes covered, `0..=8`.
    pub modes: usize,
    /// Share of the samples that are of high quality, in `[0, 1]`.
    pub high_quality: f64,
    /// `KL(p || uniform)` of the high-quality samples' mode histogram `p`, in `[0, ln 8]`.
    pub reverse_kl: f64,
    /// High-quality samples per mode, in the order of [`ring_centres`].
    pub histogram: [usize; RING_MODES],
}

impl RingScores {
    /// Scores `samples` (row-major `x, y` pairs; a non-finite one is of low quality).
    pub fn of(samples: &[f32]) -> RingScores {
        let centres = ring_centres();
        let radius = f64::from(QUALITY_STDS * RING_STD);
        let mut histogram = [0usize; RING_MODES];
        let n = samples.len() / 2;
        for p in samples.chunks_exact(2) {
            let (x, y) = (f64::from(p[0]), f64::from(p[1]));
            // The modes are 1.53 apart and the radius 0.06: at most one centre is that close.
            let near = centres.iter().position(|c| {
                let (dx, dy) = (x - f64::from(c[0]), y - f64::from(c[1]));
                (dx * dx + dy * dy).sqrt() <= radius
            });
            if let Some(k) = near {
                histogram[k] += 1;
            }
        }
        let good: usize = histogram.iter().sum();
        let needed = MODE_SHARE * n as f64;
        let modes = histogram
            .iter()
            .filter(|&&c| c > 0 && c as f64 >= needed)
            .count();
        let uniform = 1.0 / RING_MODES as f64;
        let reverse_kl = match good {
            0 => (RING_MODES as f64).ln(),
            _ => histogram
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| {
                    let p = c as f64 / good as f64;
                    p * (p / uniform).ln()
                })
                .sum::<f64>()
                .max(0.0),
        };
        RingScores {
            modes,
            high_quality: if n == 0 { 0.0 } else { good as f64 / n as f64 },
            reverse_kl,
            histogram,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_sampler_draws_every_mode_equally_with_the_set_spread() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 40_000;
        let mut samples = Vec::new();
        sample_ring(&mut rng, n, &mut samples);
        assert_eq!(samples.len(), 2 * n);
        let centres = ring_centres();
        let mut counts = [0usize; RING_MODES];
        let (mut sum_sq, mut sum) = (0.0f64, 0.0f64);
        for p in samples.chunks_exact(2) {
            let radius = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!((radius - RING_RADIUS).abs() < 0.15, "{p:?}");
            let k = (0..RING_MODES)
                .min_by(|&a, &b| {
                    let d = |k: usize| (p[0] - centres[k][0]).hypot(p[1] - centres[k][1]);
                    d(a).total_cmp(&d(b))
                })
                .unwrap();
            counts[k] += 1;
            for (v, c) in p.iter().zip(centres[k]) {
                sum += f64::from(v - c);
                sum_sq += f64::from(v - c).powi(2);
            }
        }
        // Each mode 1/8 of the draws (standard error 0.0017 at this n).
        for c in counts {
            assert!((c as f64 / n as f64 - 0.125).abs() < 0.008, "{counts:?}");
        }
        let values = 2.0 * n as f64;
        let std = (sum_sq / values).sqrt();
        assert!((std - f64::from(RING_STD)).abs() < 0.0005, "std {std}");
        assert!((sum / values).abs() < 0.0005);
        // Within 3 std in distance: P(chi_2 <= 3) = 1 - e^(-4.5) = 98.89 %.
        let s = RingScores::of(&samples);
        assert_eq!(s.modes, 8);
        assert!(
            (s.high_quality - 0.9889).abs() < 0.003,
            "{}",
            s.high_quality
        );
        assert!(s.reverse_kl < 0.002, "{}", s.reverse_kl);
        // The same seed draws the same samples.
        let mut again = Vec::new();
        sample_ring(&mut ChaCha8Rng::seed_from_u64(7), n, &mut again);
        assert_eq!(again, samples);
    }

    #[test]
    fn all_samples_at_one_centre_cover_one_mode_with_the_largest_divergence() {
        let c = ring_centres()[3];
        let samples: Vec<f32> = (0..2500).flat_map(|_| c).collect();
        let s = RingScores::of(&samples);
        assert_eq!((s.modes, s.high_quality), (1, 1.0));
        assert!((s.reverse_kl - 8f64.ln()).abs() < 1e-12);
        assert_eq!(s.histogram[3], 2500);
    }

    #[test]
    fn samples_spread_evenly_over_the_centres_cover_all_modes_without_divergence() {
        // 2496 = 8 * 312 samples, each a little off its centre (0.05 < 0.06 away).
        let samples: Vec<f32> = ring_centres()
            .iter()
            .flat_map(|c| (0..312).flat_map(move |i| [c[0] + 0.05 * (i % 2) as f32, c[1]]))
            .collect();
        let s = RingScores::of(&samples);
        assert_eq!((s.modes, s.high_quality), (8, 1.0));
        assert!(s.reverse_kl.abs() < 1e-12);
        // Two modes, evenly: ln 4.
        let two: Vec<f32> = samples[..2 * 624].to_vec();
        let s = RingScores::of(&two);
        assert_eq!(s.modes, 2);
        assert!((s.reverse_kl - 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn far_samples_are_of_no_quality_and_cover_nothing() {
        // The origin, the circle between two centres, just outside 3 std, and NaN.
        let c = ring_centres()[0];
        let mut samples = vec![0.0, 0.0, 1.848, 0.765, c[0] + 0.061, c[1], f32::NAN, 1.0];
        samples.extend((0..96).flat_map(|i| [5.0 + i as f32, -3.0]));
        let s = RingScores::of(&samples);
        assert_eq!((s.modes, s.high_quality), (0, 0.0));
        assert_eq!(s.reverse_kl, 8f64.ln());
        assert_eq!(RingScores::of(&[]).modes, 0);
    }

    #[test]
    fn a_mode_needs_one_percent_of_the_samples() {
        // 2500 samples: 2476 at centre 0, 24 (below 1 %) at centre 1, then 25 (exactly 1 %).
        let c = ring_centres();
        let mut samples: Vec<f32> = (0..2476).flat_map(|_| c[0]).collect();
        samples.extend((0..24).flat_map(|_| c[1]));
        assert_eq!(RingScores::of(&samples).modes, 1);
        samples.truncate(2 * 2475);
        samples.extend((0..25).flat_map(|_| c[1]));
        let s = RingScores::of(&samples);
        assert_eq!((s.modes, s.histogram[1]), (2, 25));
        let p = [2475.0 / 2500.0, 25.0 / 2500.0];
        let want: f64 = p.iter().map(|p: &f64| p * (p * 8.0).ln()).sum();
        assert!((s.reverse_kl - want).abs() < 1e-12);
    }
}
