//! Gradient-descent optimisers over flat parameter buffers, updated in place: SGD with
//! momentum, Adam and AdamW, with optional weight decay and clipping by global gradient norm.
//!
//! The update rules follow PyTorch's `torch.optim` (SGD: `v = mu v + g; p -= lr v`; Adam with
//! bias correction and `eps` outside the square root; AdamW with decoupled decay
//! `p -= lr wd p`). For SGD and Adam, weight decay is L2 added to the gradient. Decay applies to
//! every parameter, biases included.
//!
//! Momentum and moment buffers smaller than [`FLUSH_BELOW`] in magnitude are set to zero. For a
//! parameter whose gradient stays zero (a weight from an always-zero input pixel, or into a dead
//! unit) they would otherwise decay geometrically into subnormal numbers, whose arithmetic is
//! about a hundred times slower on x86 and made whole training steps markedly slower.

use serde::{Deserialize, Serialize};

/// Optimiser state below this magnitude is flushed to zero (see the module documentation); far
/// above `f32::MIN_POSITIVE`, so that decaying it once more never yields a subnormal.
pub(crate) const FLUSH_BELOW: f32 = 1e-30;

/// `v`, or zero if it is smaller than [`FLUSH_BELOW`] in magnitude.
#[inline(always)]
fn flush(v: f32) -> f32 {
    if v.abs() < FLUSH_BELOW {
        0.0
    } else {
        v
    }
}

/// The update rule and its own hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Stochastic gradient descent with (heavy-ball) momentum; `momentum = 0` is plain SGD.
    Sgd {
        /// Momentum coefficient in `[0, 1)`.
        momentum: f32,
    },
    /// Adam with L2 weight decay added to the gradient.
    Adam {
        /// Decay of the first-moment estimate, in `[0, 1)`.
        beta1: f32,
        /// Decay of the second-moment estimate, in `[0, 1)`.
        beta2: f32,
        /// Added to the root of the second moment, `> 0`.
        eps: f32,
    },
    /// Adam with decoupled weight decay.
    AdamW {
        /// Decay of the first-moment estimate, in `[0, 1)`.
        beta1: f32,
        /// Decay of the second-moment estimate, in `[0, 1)`.
        beta2: f32,
        /// Added to the root of the second moment, `> 0`.
        eps: f32,
    },
}

impl OptimizerKind {
    /// SGD with the given momentum.
    pub fn sgd(momentum: f32) -> Self {
        OptimizerKind::Sgd { momentum }
    }

    /// Adam with the usual `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    pub fn adam() -> Self {
        OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// AdamW with the usual `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    pub fn adamw() -> Self {
        OptimizerKind::AdamW {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Everything that defines an optimiser's updates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// The rule.
    pub kind: OptimizerKind,
    /// Step size, `> 0`.
    pub learning_rate: f32,
    /// Weight decay coefficient, `>= 0` (L2 for SGD and Adam, decoupled for AdamW).
    pub weight_decay: f32,
    /// If set, gradients are scaled so that their global L2 norm is at most this (`> 0`).
    pub clip_norm: Option<f32>,
}

impl Default for OptimizerConfig {
    /// SGD with learning rate 0.05 and momentum 0.9, no decay, no clipping.
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::sgd(0.9),
            learning_rate: 0.05,
            weight_decay: 0.0,
            clip_norm: None,
        }
    }
}

/// A hyper-parameter outside its range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{name} must be {allowed}, got {value}")]
pub struct HyperParameterError {
    /// The hyper-parameter (`learning rate`, `beta1`, ...).
    pub name: &'static str,
    /// Its value.
    pub value: f32,
    /// What is allowed, in words (`positive and finite`, `in [0, 1)`).
    pub allowed: &'static str,
}

impl OptimizerConfig {
    /// Checks the hyper-parameters' ranges; the error names the offending one.
    pub fn validate(&self) -> Result<(), HyperParameterError> {
        let check = |name, value: f32, allowed, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(HyperParameterError {
                    name,
                    value,
                    allowed,
                })
            }
        };
        let unit = |name, v: f32| check(name, v, "in [0, 1)", (0.0..1.0).contains(&v));
        let positive =
            |name, v: f32| check(name, v, "positive and finite", v.is_finite() && v > 0.0);
        positive("learning rate", self.learning_rate)?;
        check(
            "weight decay",
            self.weight_decay,
            ">= 0 and finite",
            self.weight_decay.is_finite() && self.weight_decay >= 0.0,
        )?;
        if let Some(c) = self.clip_norm {
            positive("clip norm", c)?;
        }
        match self.kind {
            OptimizerKind::Sgd { momentum } => unit("momentum", momentum),
            OptimizerKind::Adam { beta1, beta2, eps }
            | OptimizerKind::AdamW { beta1, beta2, eps } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("eps", eps)
            }
        }
    }
}

/// An optimiser's state: the moment buffers, one per parameter buffer, and the step count.
#[derive(Clone, Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// Momentum (SGD) or first moment (Adam); empty for plain SGD.
    first: Vec<Vec<f32>>,
    /// Second moment (Adam); empty for SGD.
    second: Vec<Vec<f32>>,
    steps: u64,
}

impl Optimizer {
    /// A fresh optimiser for parameter buffers shaped like `params`.
    pub fn new(config: &OptimizerConfig, params: &[Vec<f32>]) -> Self {
        let zeros = || params.iter().map(|p| vec![0.0f32; p.len()]).collect();
        let (first, second) = match config.kind {
            OptimizerKind::Sgd { momentum: 0.0 } => (Vec::new(), Vec::new()),
            OptimizerKind::Sgd { .. } => (zeros(), Vec::new()),
            OptimizerKind::Adam { .. } | OptimizerKind::AdamW { .. } => (zeros(), zeros()),
        };
        Optimizer {
            config: *config,
            first,
            second,
            steps: 0,
        }
    }

    /// Number of updates applied so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Applies one update to `params` from `grads` (same shapes, same order). `grads` is used
    /// as scratch: clipping and L2 decay modify it.
    pub fn step(&mut self, params: &mut [Vec<f32>], grads: &mut [Vec<f32>]) {
        debug_assert_eq!(params.len(), grads.len());
        self.steps += 1;
        let c = self.config;
        if let Some(max_norm) = c.clip_norm {
            let norm = squared_norm(grads).sqrt();
            if norm > f64::from(max_norm) {
                let scale = (f64::from(max_norm) / norm) as f32;
                for g in grads.iter_mut() {
                    g.iter_mut().for_each(|g| *g *= scale);
                }
            }
        }
        let lr = c.learning_rate;
        let wd = c.weight_decay;
        match c.kind {
            OptimizerKind::Sgd { momentum } => {
                for (i, (p, g)) in params.iter_mut().zip(grads.iter()).enumerate() {
                    if momentum == 0.0 {
                        for (p, &g) in p.iter_mut().zip(g) {
                            *p -= lr * (g + wd * *p);
                        }
                    } else {
                        for ((p, &g), v) in p.iter_mut().zip(g).zip(self.first[i].iter_mut()) {
                            *v = flush(momentum * *v + g + wd * *p);
                            *p -= lr * *v;
                        }
                    }
                }
            }
            OptimizerKind::Adam { beta1, beta2, eps }
            | OptimizerKind::AdamW { beta1, beta2, eps } => {
                // L2 decay enters the gradient (Adam); decoupled decay shrinks p (AdamW).
                let (l2, shrink) = match c.kind {
                    OptimizerKind::AdamW { .. } => (0.0, 1.0 - lr * wd),
                    _ => (wd, 1.0),
                };
                let t = self.steps.min(i32::MAX as u64) as i32;
                let h = AdamStep {
                    beta1,
                    beta2,
                    eps,
                    l2,
                    shrink,
                    step: lr / (1.0 - beta1.powi(t)),
                    correct2: 1.0 / (1.0 - beta2.powi(t)),
                };
                for (i, (p, g)) in params.iter_mut().zip(grads.iter()).enumerate() {
                    adam_update(p, g, &mut self.first[i], &mut self.second[i], &h);
                }
            }
        }
    }
}

/// The constants of one Adam step.
struct AdamStep {
    beta1: f32,
    beta2: f32,
    eps: f32,
    /// L2 coefficient added to the gradient (Adam).
    l2: f32,
    /// Factor applied to the parameter before the step (AdamW: `1 - lr wd`).
    shrink: f32,
    /// `lr / (1 - beta1^t)`: step size with the first moment's bias correction.
    step: f32,
    /// `1 / (1 - beta2^t)`: the second moment's bias correction.
    correct2: f32,
}

/// The sum of the squares of every gradient, in `f64`: a running sum per lane of chunks of
/// [`NORM_LANES`] values, added together at the end, so that the loop vectorises (one running
/// sum would chain every addition to the one before: on a 100 000-weight network that made
/// clipping cost a tenth of a training step).
fn squared_norm(grads: &[Vec<f32>]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, just checked.
        return unsafe { squared_norm_avx2(grads) };
    }
    squared_norm_portable(grads)
}

/// Running sums in [`squared_norm`].
const NORM_LANES: usize = 8;

/// [`squared_norm_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn squared_norm_avx2(grads: &[Vec<f32>]) -> f64 {
    squared_norm_portable(grads)
}

/// [`squared_norm`], lane by lane.
#[inline(always)]
fn squared_norm_portable(grads: &[Vec<f32>]) -> f64 {
    let mut lanes = [0.0f64; NORM_LANES];
    for g in grads {
        let chunks = g.chunks_exact(NORM_LANES);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (sum, &v) in lanes.iter_mut().zip(chunk) {
                *sum += f64::from(v) * f64::from(v);
            }
        }
        for (sum, &v) in lanes.iter_mut().zip(rest) {
            *sum += f64::from(v) * f64::from(v);
        }
    }
    lanes.iter().sum()
}

/// One Adam update of a buffer; uses AVX2 where the CPU has it (the square root and division
/// per parameter dominate). Results are bit-identical either way: no operation is fused.
fn adam_update(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: &AdamStep) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, just checked.
        unsafe { adam_update_avx2(p, g, m, v, h) };
        return;
    }
    adam_update_portable(p, g, m, v, h);
}

/// [`adam_update_portable`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn adam_update_avx2(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: &AdamStep) {
    adam_update_portable(p, g, m, v, h);
}

/// The Adam update, element by element.
#[inline(always)]
fn adam_update_portable(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], h: &AdamStep) {
    let moments = m.iter_mut().zip(v.iter_mut());
    for ((p, &g), (m, v)) in p.iter_mut().zip(g).zip(moments) {
        let g = g + h.l2 * *p;
        *m = flush(h.beta1 * *m + (1.0 - h.beta1) * g);
        *v = flush(h.beta2 * *v + (1.0 - h.beta2) * g * g);
        *p = *p * h.shrink - h.step * *m / ((*v * h.correct2).sqrt() + h.eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: OptimizerKind) -> OptimizerConfig {
        OptimizerConfig {
            kind,
            learning_rate: 0.1,
            weight_decay: 0.0,
            clip_norm: None,
        }
    }

    /// Minimises `sum (p - 3)^2` and returns the final parameters.
    fn minimise(config: OptimizerConfig, steps: usize) -> Vec<f32> {
        let mut params = vec![vec![0.0f32, 10.0], vec![-5.0]];
        let mut opt = Optimizer::new(&config, &params);
        for _ in 0..steps {
            let mut grads: Vec<Vec<f32>> = params
                .iter()
                .map(|p| p.iter().map(|v| 2.0 * (v - 3.0)).collect())
                .collect();
            opt.step(&mut params, &mut grads);
        }
        params.concat()
    }

    #[test]
    fn every_rule_converges_on_a_quadratic() {
        for kind in [
            OptimizerKind::sgd(0.0),
            OptimizerKind::sgd(0.9),
            OptimizerKind::adam(),
            OptimizerKind::adamw(),
        ] {
            let p = minimise(config(kind), 500);
            assert!(p.iter().all(|v| (v - 3.0).abs() < 1e-2), "{kind:?}: {p:?}");
        }
    }

    #[test]
    fn first_steps_match_hand_computation() {
        // SGD with momentum 0.5 on grad 2(p-3) from p = 0: v1 = -6, p1 = 0.6;
        // g2 = -4.8, v2 = -3 - 4.8 = -7.8, p2 = 0.6 + 0.78 = 1.38.
        let p = minimise(config(OptimizerKind::sgd(0.5)), 2);
        assert!((p[0] - 1.38).abs() < 1e-5, "{p:?}");
        // Adam's first step moves every parameter by lr (times sign), whatever the gradient scale.
        let p = minimise(config(OptimizerKind::adam()), 1);
        assert!(
            (p[0] - 0.1).abs() < 1e-5 && (p[1] - 9.9).abs() < 1e-5,
            "{p:?}"
        );
    }

    #[test]
    fn squared_norm_is_the_sum_of_squares() {
        // Buffers of lengths around the lanes, and one long one, of values of mixed scales.
        let lengths = [0usize, 1, 7, 8, 9, 17, 100_003];
        let grads: Vec<Vec<f32>> = lengths
            .iter()
            .enumerate()
            .map(|(b, &n)| {
                (0..n)
                    .map(|i| ((i * 7919 + b * 31) % 2001) as f32 / 1000.0 - 1.0)
                    .map(|v| v * 10f32.powi((v * 4.0) as i32))
                    .collect()
            })
            .collect();
        let exact: f64 = grads
            .iter()
            .flatten()
            .map(|&g| f64::from(g) * f64::from(g))
            .sum();
        let got = squared_norm(&grads);
        assert!((got - exact).abs() <= 1e-12 * exact, "{got} vs {exact}");
        assert_eq!(squared_norm_portable(&grads), got);
        assert_eq!(squared_norm(&[]), 0.0);
    }

    #[test]
    fn weight_decay_and_clipping() {
        // With zero gradient, AdamW still shrinks parameters by lr * wd.
        let mut params = vec![vec![1.0f32]];
        let c = OptimizerConfig {
            weight_decay: 0.5,
            ..config(OptimizerKind::adamw())
        };
        let mut opt = Optimizer::new(&c, &params);
        opt.step(&mut params, &mut [vec![0.0]]);
        assert!((params[0][0] - 0.95).abs() < 1e-6, "{params:?}");
        // Clipping to norm 1 of a (3, 4) gradient gives (0.6, 0.8) before the update.
        let mut params = vec![vec![0.0f32, 0.0]];
        let c = OptimizerConfig {
            clip_norm: Some(1.0),
            learning_rate: 1.0,
            ..config(OptimizerKind::sgd(0.0))
        };
        let mut opt = Optimizer::new(&c, &params);
        opt.step(&mut params, &mut [vec![3.0, 4.0]]);
        assert!((params[0][0] + 0.6).abs() < 1e-6 && (params[0][1] + 0.8).abs() < 1e-6);
        assert_eq!(opt.steps(), 1);
    }

    #[test]
    fn state_of_parameters_without_gradient_decays_to_zero_not_to_subnormals() {
        for kind in [OptimizerKind::sgd(0.9), OptimizerKind::adam()] {
            let mut params = vec![vec![0.5f32]];
            let mut opt = Optimizer::new(&config(kind), &params);
            opt.step(&mut params, &mut [vec![1.0]]);
            for _ in 0..100_000 {
                opt.step(&mut params, &mut [vec![0.0]]);
                let state = opt.first[0].iter().chain(opt.second.iter().flatten());
                assert!(state.clone().all(|v| !v.is_subnormal()), "{kind:?}");
            }
            assert_eq!(opt.first[0][0], 0.0, "{kind:?}");
        }
    }

    #[test]
    fn validation_names_the_bad_value() {
        let bad = OptimizerConfig {
            learning_rate: -1.0,
            ..OptimizerConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("learning rate"));
        let bad = config(OptimizerKind::sgd(1.0));
        assert!(bad.validate().unwrap_err().to_string().contains("momentum"));
        let bad = OptimizerConfig {
            clip_norm: Some(0.0),
            ..OptimizerConfig::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("clip"));
        assert!(OptimizerConfig::default().validate().is_ok());
    }
}
