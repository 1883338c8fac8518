//! One training step (forward, backward, Adam update) on one thread, for two networks:
//!
//! - `train_step` (dispatch-bound): MLP 64 -> 64 -> 64 -> 10 on DIGITS batches of 64;
//! - `train_step_784` (matrix-bound): MLP 784 -> 128 -> 10 on batches of 128 of
//!   Fashion-MNIST-shaped data (synthetic: 784 pixels in `[0, 1]`, 10 classes, 8192 images,
//!   labels a fixed function of the pixels so that the network has something to learn).
//!
//! Each group measures:
//!
//! - `dfdx_relu`: the plain dfdx way, for reference: broadcast bias, dfdx's built-in `relu()`,
//!   `cross_entropy_with_logits_loss`, the same in-place Adam; it also anchors comparisons
//!   between runs on a noisy machine (compare ratios to it, not raw times);
//! - `expr_relu`: radact's network with the activation op running the expression `relu(x)`;
//! - `heaviside_surrogate`: the same with `heaviside(x)` and its surrogate backward.
//!
//! Every 100 epochs the network and optimiser restart from their initial state, so that the
//! measurement stays in the regime of a real training run: a network trained for thousands of
//! epochs fits DIGITS so exactly that its gradients turn subnormal and every product slows down.
//!
//! Run with `cargo bench --bench train_step`.

use criterion::{criterion_group, criterion_main, Criterion};
use dfdx::prelude::*;
use radact::activation::Activation;
use radact::train::{
    ActivationOp, DatasetSpec, Examples, Mlp, NetworkConfig, Optimizer, OptimizerConfig,
    OptimizerKind,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Images in the synthetic Fashion-MNIST-shaped set.
const SYNTHETIC_IMAGES: usize = 8192;
/// Pixels per synthetic image (28 x 28).
const PIXELS: usize = 784;

fn adam() -> OptimizerConfig {
    OptimizerConfig {
        kind: OptimizerKind::adam(),
        learning_rate: 1e-3,
        ..OptimizerConfig::default()
    }
}

/// Cycles through a training set in batches of `batch`.
struct Batches {
    data: Examples,
    batch: usize,
    next: usize,
}

impl Batches {
    /// Steps in 100 epochs: when a benchmarked network restarts from its initial state.
    fn restart_every(&self) -> usize {
        100 * (self.data.len() / self.batch)
    }

    fn next(&mut self) -> (&[f32], &[u8]) {
        if self.next + self.batch > self.data.len() {
            self.next = 0;
        }
        let (start, end) = (self.next, self.next + self.batch);
        self.next = end;
        let f = self.data.n_features;
        (
            &self.data.features[start * f..end * f],
            &self.data.labels[start..end],
        )
    }
}

/// The reference: an MLP written the usual dfdx way, trained by the same optimiser.
#[derive(Clone)]
struct DfdxMlp {
    dev: Cpu,
    weights: Vec<Tensor<(usize, usize), f32, Cpu>>,
    biases: Vec<Tensor<(usize,), f32, Cpu>>,
    params: Vec<Vec<f32>>,
}

impl DfdxMlp {
    /// The same initial parameters as `net`.
    fn new(net: &Mlp) -> Self {
        let dev = Cpu::default();
        let params = net.parameters().to_vec();
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for wb in params.chunks_exact(2) {
            let n_out = wb[1].len();
            let n_in = wb[0].len() / n_out;
            weights.push(dev.tensor_from_vec(wb[0].clone(), (n_in, n_out)));
            biases.push(dev.tensor_from_vec(wb[1].clone(), (n_out,)));
        }
        DfdxMlp {
            dev,
            weights,
            biases,
            params,
        }
    }

    fn train_step(&mut self, x: &[f32], labels: &[u8], opt: &mut Optimizer) -> f32 {
        let rows = labels.len();
        let mut onehot = vec![0.0f32; rows * 10];
        for (r, &l) in labels.iter().enumerate() {
            onehot[r * 10 + usize::from(l)] = 1.0;
        }
        let targets = self.dev.tensor_from_vec(onehot, (rows, 10));
        let mut h = self
            .dev
            .tensor_from_vec(x.to_vec(), (rows, x.len() / rows))
            .retaped::<OwnedTape<f32, Cpu>>();
        let last = self.weights.len() - 1;
        for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let n = b.shape().0;
            let b = b
                .retaped::<OwnedTape<f32, Cpu>>()
                .broadcast_like::<_, Axis<0>>(&(rows, n));
            let z = h.matmul(w.retaped::<OwnedTape<f32, Cpu>>()) + b;
            h = if i < last { z.relu() } else { z };
        }
        let loss = cross_entropy_with_logits_loss(h, targets);
        let value = loss.array();
        let mut grads = loss.backward();
        let mut g = Vec::new();
        for (w, b) in self.weights.iter().zip(&self.biases) {
            g.push(std::mem::take(&mut **grads.get_or_alloc_mut(w).unwrap()));
            g.push(std::mem::take(&mut **grads.get_or_alloc_mut(b).unwrap()));
        }
        drop(grads);
        opt.step(&mut self.params, &mut g);
        let layers = self.weights.iter_mut().zip(&mut self.biases);
        for ((w, b), wb) in layers.zip(self.params.chunks_exact(2)) {
            w.copy_from(&wb[0]);
            b.copy_from(&wb[1]);
        }
        value
    }
}

fn network(forward: &str, backward: &str, inputs: usize, hidden: &[usize]) -> Mlp {
    let act = Activation::parse(forward, backward).unwrap().compile();
    let config = NetworkConfig {
        hidden: hidden.to_vec(),
        ..NetworkConfig::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    Mlp::new(&config, inputs, 10, ActivationOp::new(&act), &mut rng).unwrap()
}

/// Fashion-MNIST-shaped examples: [`SYNTHETIC_IMAGES`] images of [`PIXELS`] values in `[0, 1]`,
/// the label of each the band (of 10) its mean brightness over the first 100 pixels falls in.
fn synthetic_fashion() -> Examples {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let features: Vec<f32> = (0..SYNTHETIC_IMAGES * PIXELS)
        .map(|_| rng.gen_range(0.0f32..1.0))
        .collect();
    let labels = features
        .chunks_exact(PIXELS)
        .map(|row| {
            let mean = row[..100].iter().sum::<f32>() / 100.0;
            ((mean - 0.4) * 50.0).clamp(0.0, 9.0) as u8
        })
        .collect();
    Examples {
        features,
        labels,
        n_features: PIXELS,
    }
}

fn train_step(c: &mut Criterion) {
    // gemm splits products over `rayon::current_num_threads()`: one global thread keeps the
    // whole step on this thread.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("the global pool is configured once, here");
    assert_eq!(rayon::current_num_threads(), 1);
    let digits = DatasetSpec::Digits.load(0).unwrap().train;
    bench_network(c, "train_step", digits, 64, &[64, 64]);
    bench_network(c, "train_step_784", synthetic_fashion(), 128, &[128]);
}

/// The three variants of one network, in one benchmark group.
fn bench_network(c: &mut Criterion, group: &str, data: Examples, batch: usize, hidden: &[usize]) {
    let inputs = data.n_features;
    let mut batches = Batches {
        data,
        batch,
        next: 0,
    };
    let restart_every = batches.restart_every();
    let mut group = c.benchmark_group(group);

    let reference = DfdxMlp::new(&network("relu(x)", "exact", inputs, hidden));
    let opt = Optimizer::new(&adam(), &reference.params);
    let (mut net, mut state, mut steps) = (reference.clone(), opt.clone(), 0);
    group.bench_function("dfdx_relu", |b| {
        b.iter(|| {
            steps += 1;
            if steps % restart_every == 0 {
                (net, state) = (reference.clone(), opt.clone());
            }
            let (x, y) = batches.next();
            net.train_step(x, y, &mut state)
        })
    });

    for (name, forward, backward) in [
        ("expr_relu", "relu(x)", "exact"),
        ("heaviside_surrogate", "heaviside(x)", "surrogate"),
    ] {
        let initial = network(forward, backward, inputs, hidden);
        let opt = Optimizer::new(&adam(), initial.parameters());
        let (mut net, mut state, mut steps) = (initial.clone(), opt.clone(), 0);
        group.bench_function(name, |b| {
            b.iter(|| {
                steps += 1;
                if steps % restart_every == 0 {
                    (net, state) = (initial.clone(), opt.clone());
                }
                let (x, y) = batches.next();
                net.train_step(x, y, &mut state).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
