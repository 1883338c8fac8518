//! The GAN of the `gan-ring` task: a generator with a fixed relu learns the ring of Gaussians
//! (`ring.rs`) against a discriminator whose hidden layers use the candidate activation, so
//! that the activation (and its backward rule) decides whether adversarial training works.
//!
//! Both are the [`Mlp`] of `network.rs`, trained by its forward and backward passes with the
//! task's optimiser, one [`Optimizer`] each. One [`Gan::step`] is
//!
//! 1. the discriminator's update: `batch` ring samples (label 1) and `batch` generated ones
//!    (label 0) in one pass of `2 batch` rows; the loss is the sum of the two halves' mean
//!    binary cross-entropies with logits (`softplus(-l)` for a real row, `softplus(l)` for a
//!    generated one);
//! 2. the generator's update with the non-saturating loss `mean softplus(-D(G(z)))`
//!    (Goodfellow et al. 2014): its gradient with respect to the generated samples is the
//!    discriminator's input gradient ([`Mlp::backward`] with an input gradient), which then
//!    back-propagates through the generator. The discriminator is not updated by it.
//!
//! The latent code is [`LATENT`] standard normal values. A step whose loss is not finite
//! updates nothing further, and the trainer records the seed as failed.

use super::network::{Mlp, NetworkConfig, NetworkError};
use super::op::ActivationOp;
use super::optimizer::{Optimizer, OptimizerConfig};
use super::ring::sample_ring;
use crate::activation::Activation;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Dimensions of the `gan-ring` generator's latent code (standard normal values).
pub const LATENT: usize = 2;

/// A generator and a discriminator in training, with their optimisers, the random stream of
/// training (latent codes and real samples) and the buffers of a step.
pub(crate) struct Gan {
    generator: Mlp,
    discriminator: Mlp,
    generator_optimizer: Optimizer,
    discriminator_optimizer: Optimizer,
    batch: usize,
    noise: ChaCha8Rng,
    /// Latent codes, `batch x LATENT`.
    latent: Vec<f32>,
    /// The discriminator's input of a step: real rows, then generated ones.
    input: Vec<f32>,
    /// `dL/d(generated sample)` of the generator's update.
    sample_grad: Vec<f32>,
}

/// The losses of one [`Gan::step`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Losses {
    /// The discriminator's binary cross-entropy (real plus generated).
    pub(crate) discriminator: f32,
    /// The generator's non-saturating loss; NaN when the step stopped before it.
    pub(crate) generator: f32,
}

impl Gan {
    /// A freshly initialised pair: the generator (relu, `LATENT -> hidden -> 2`) draws its
    /// weights from `init` first, then the discriminator (`activation`, `2 -> hidden -> 1`);
    /// `noise` is the stream of training.
    pub(crate) fn new(
        network: &NetworkConfig,
        optimizer: &OptimizerConfig,
        batch: usize,
        activation: ActivationOp,
        init: &mut ChaCha8Rng,
        noise: ChaCha8Rng,
    ) -> Result<Gan, NetworkError> {
        let relu = Activation::parse("relu(x)", "exact")
            .expect("relu parses")
            .compile();
        let generator_network = NetworkConfig {
            normalize: false,
            ..network.clone()
        };
        let generator = Mlp::new(
            &generator_network,
            LATENT,
            2,
            ActivationOp::new(&relu),
            init,
        )?;
        let discriminator = Mlp::new(network, 2, 1, activation, init)?;
        Ok(Gan {
            generator_optimizer: Optimizer::new(optimizer, generator.parameters()),
            discriminator_optimizer: Optimizer::new(optimizer, discriminator.parameters()),
            generator,
            discriminator,
            batch,
            noise,
            latent: Vec::with_capacity(batch * LATENT),
            input: Vec::with_capacity(4 * batch),
            sample_grad: vec![0.0; 2 * batch],
        })
    }

    /// The generator.
    pub(crate) fn generator(&self) -> &Mlp {
        &self.generator
    }

    /// The discriminator.
    pub(crate) fn discriminator(&self) -> &Mlp {
        &self.discriminator
    }

    /// One update of the discriminator, then one of the generator (see the module
    /// documentation). When a loss is not finite the step stops there.
    pub(crate) fn step(&mut self) -> Result<Losses, NetworkError> {
        let discriminator = self.discriminator_step()?;
        if !discriminator.is_finite() {
            return Ok(Losses {
                discriminator,
                generator: f32::NAN,
            });
        }
        Ok(Losses {
            discriminator,
            generator: self.generator_step()?,
        })
    }

    /// The discriminator's update: real rows (label 1), then generated ones (label 0). Returns
    /// its loss; nothing is updated when it is not finite.
    fn discriminator_step(&mut self) -> Result<f32, NetworkError> {
        let b = self.batch;
        self.input.clear();
        sample_ring(&mut self.noise, b, &mut self.input);
        draw_latent(&mut self.noise, b, &mut self.latent);
        let generated = self.generator.infer(&self.latent, None)?;
        self.input.extend_from_slice(&generated);
        let logits = self
            .discriminator
            .forward_for_training(&self.input, 2 * b)?;
        let mut loss = 0.0f64;
        for (i, l) in logits.iter_mut().enumerate() {
            let real = i < b;
            let t = f64::from(*l);
            loss += if real { softplus(-t) } else { softplus(t) };
            *l = (sigmoid(*l) - f32::from(u8::from(real))) / b as f32;
        }
        let loss = (loss / b as f64) as f32;
        if loss.is_finite() {
            self.discriminator.backward(&self.input, 2 * b, None);
            self.discriminator.update(&mut self.discriminator_optimizer);
        }
        Ok(loss)
    }

    /// The generator's update with the non-saturating loss, through the discriminator's input
    /// gradient (the discriminator is not updated). Returns the loss; nothing is updated when
    /// it is not finite.
    fn generator_step(&mut self) -> Result<f32, NetworkError> {
        let b = self.batch;
        draw_latent(&mut self.noise, b, &mut self.latent);
        let samples = self.generator.forward_for_training(&self.latent, b)?;
        self.input.clear();
        self.input.extend_from_slice(samples);
        let logits = self.discriminator.forward_for_training(&self.input, b)?;
        let mut loss = 0.0f64;
        for l in logits.iter_mut() {
            loss += softplus(-f64::from(*l));
            *l = (sigmoid(*l) - 1.0) / b as f32;
        }
        let loss = (loss / b as f64) as f32;
        if loss.is_finite() {
            self.discriminator
                .backward(&self.input, b, Some(&mut self.sample_grad));
            self.generator
                .outputs_mut(b)
                .copy_from_slice(&self.sample_grad[..LATENT * b]);
            self.generator.backward(&self.latent, b, None);
            self.generator.update(&mut self.generator_optimizer);
        }
        Ok(loss)
    }

    /// `n` samples of the generator (row-major `x, y`), their latent codes drawn from `rng`.
    pub(crate) fn generate(
        &self,
        n: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<f32>, NetworkError> {
        let mut latent = Vec::new();
        draw_latent(rng, n, &mut latent);
        self.generator.infer(&latent, None)
    }
}

/// Replaces `out` by `rows` latent codes of [`LATENT`] standard normal values.
fn draw_latent(rng: &mut impl Rng, rows: usize, out: &mut Vec<f32>) {
    out.clear();
    out.extend((0..rows * LATENT).map(|_| -> f32 { StandardNormal.sample(rng) }));
}

/// `1 / (1 + e^-t)`.
fn sigmoid(t: f32) -> f32 {
    1.0 / (1.0 + (-t).exp())
}

/// `ln(1 + e^t)`, without overflow.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::optimizer::OptimizerKind;
    use rand::SeedableRng;

    fn gan(formula: &str, backward: &str, seed: u64) -> Gan {
        let act = Activation::parse(formula, backward).unwrap().compile();
        let task = crate::train::Task::gan_ring();
        Gan::new(
            &task.network,
            &task.optimizer,
            16,
            ActivationOp::new(&act),
            &mut ChaCha8Rng::seed_from_u64(seed),
            ChaCha8Rng::seed_from_u64(seed + 1),
        )
        .unwrap()
    }

    #[test]
    fn softplus_and_sigmoid_are_stable() {
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert_eq!((sigmoid(-1000.0), sigmoid(1000.0)), (0.0, 1.0));
    }

    #[test]
    fn a_step_is_deterministic_and_the_first_losses_are_near_ln_2() {
        let (mut a, mut b) = (gan("tanh(x)", "exact", 3), gan("tanh(x)", "exact", 3));
        let first = a.step().unwrap();
        assert_eq!(first, b.step().unwrap());
        // An untrained discriminator says about 1/2 to everything: each half's loss ln 2.
        assert!(
            (first.discriminator - 2.0 * 2f32.ln()).abs() < 0.3,
            "{first:?}"
        );
        assert!((first.generator - 2f32.ln()).abs() < 0.3, "{first:?}");
        for _ in 0..20 {
            assert_eq!(a.step().unwrap(), b.step().unwrap());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let samples = a.generate(10, &mut rng).unwrap();
        assert_eq!(samples.len(), 20);
    }

    #[test]
    fn the_generator_update_descends_its_loss() {
        // With plain SGD and a small rate, the generator's update lowers its own loss on the
        // latent codes it was computed on: the discriminator's input gradient points the
        // right way.
        let mut g = gan("tanh(x)", "exact", 5);
        let sgd = OptimizerConfig {
            kind: OptimizerKind::sgd(0.0),
            learning_rate: 0.05,
            ..OptimizerConfig::default()
        };
        g.generator_optimizer = Optimizer::new(&sgd, g.generator.parameters());
        g.discriminator_optimizer = Optimizer::new(&sgd, g.discriminator.parameters());
        for _ in 0..5 {
            g.step().unwrap();
        }
        // The latent codes the generator's step draws next.
        let mut latent = Vec::new();
        draw_latent(&mut g.noise.clone(), 16, &mut latent);
        let loss = |g: &Gan| {
            let samples = g.generator.infer(&latent, None).unwrap();
            let logits = g.discriminator.infer(&samples, None).unwrap();
            logits.iter().map(|&l| softplus(-f64::from(l))).sum::<f64>()
        };
        let before = loss(&g);
        let saved = g.discriminator.clone();
        g.generator_step().unwrap();
        assert_eq!(g.latent, latent, "the codes the step drew");
        assert_eq!(g.discriminator.parameters(), saved.parameters());
        let after = loss(&g);
        assert!(after < before, "{before} -> {after}");
    }
}
