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
//!   `cross_entropy_with_logits_loss`, the same in-place Adam;
//! - `dfdx_tape_relu`: radact's network as it was on dfdx's tape before it moved to flat
//!   buffers (issue 12): dfdx's matrix product, the first layer's product recording only the
//!   weight gradient, the fused bias-and-activation op of `op.rs` running `relu(x)`, a fused
//!   softmax cross-entropy, parameters copied into the tensors after each update;
//! - `expr_relu`: radact's network (flat buffers, gemm) with the expression `relu(x)`;
//! - `expr_relu_clipped`: the same with the gradient clipped to global norm 5, as the shipped
//!   `fashion` and `deep` spaces train;
//! - `heaviside_surrogate`: the same with `heaviside(x)` and its surrogate backward;
//! - `swish` and `swish_learnable_beta`: `x * sigmoid(x)`, and with a trainable beta per layer
//!   (`x * sigmoid(param(1) * x)`), which also computes and reduces `df/dbeta`.
//!
//! Group `core_peak` measures what one core can do at best: `fma` runs independent chains of
//! 8-lane fused multiply-adds (AVX2 and FMA, where the CPU has them; otherwise the group is
//! skipped with a message) and counts 16 floating-point operations per instruction, so that its
//! throughput in elements per second is the core's peak in FLOP/s. A step's arithmetic floor is
//! its FLOP count (`benches/peers/run` prints it) divided by that peak.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`, wall-clock time where
//! the system lacks it), so that other processes on a shared machine inflate them less.
//!
//! Every 100 epochs the network and optimiser restart from their initial state, so that the
//! measurement stays in the regime of a real training run: a network trained for thousands of
//! epochs fits DIGITS so exactly that its gradients turn subnormal and every product slows down.
//!
//! Run with `cargo bench --bench train_step`.

mod common;

use common::timed;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use dfdx::prelude::*;
use radact::activation::Activation;
use radact::train::op::add_bias;
use radact::train::{
    ActivationOp, DatasetSpec, Examples, Mlp, NetworkConfig, Optimizer, OptimizerConfig,
    OptimizerKind,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

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

/// The reference: an MLP written the usual dfdx way, trained by the same optimiser; with `op`,
/// the formulation radact's network used on dfdx's tape (see the module documentation).
#[derive(Clone)]
struct DfdxMlp {
    dev: Cpu,
    weights: Vec<Tensor<(usize, usize), f32, Cpu>>,
    biases: Vec<Tensor<(usize,), f32, Cpu>>,
    params: Vec<Vec<f32>>,
    op: Option<ActivationOp>,
}

/// A matrix that records its operations for the backward pass.
type TapedMatrix = Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>;

impl DfdxMlp {
    /// The same initial parameters as `net`.
    fn new(net: &Mlp, op: Option<ActivationOp>) -> Self {
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
            op,
        }
    }

    fn train_step(&mut self, x: &[f32], labels: &[u8], opt: &mut Optimizer) -> f32 {
        let rows = labels.len();
        if let Some(op) = &self.op {
            let input = self.dev.tensor_from_vec(x.to_vec(), (rows, x.len() / rows));
            let mut h = input_product(input, &self.weights[0]);
            let last = self.weights.len() - 1;
            for (i, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
                if i > 0 {
                    h = h.matmul(w.retaped::<OwnedTape<f32, Cpu>>());
                }
                h = if i < last {
                    op.apply_with_bias(h, b).unwrap()
                } else {
                    add_bias(h, b).unwrap()
                };
            }
            let loss = softmax_cross_entropy(h, labels);
            return self.update(loss, opt);
        }
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
        self.update(cross_entropy_with_logits_loss(h, targets), opt)
    }

    /// Back-propagates `loss`, updates the parameters and copies them into the tensors.
    fn update(
        &mut self,
        loss: Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>,
        opt: &mut Optimizer,
    ) -> f32 {
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

/// `x w`, recording only `dL/dw = x^T dL/dz` (the input needs no gradient).
fn input_product(
    x: Tensor<(usize, usize), f32, Cpu>,
    w: &Tensor<(usize, usize), f32, Cpu>,
) -> TapedMatrix {
    let z = x.clone().matmul(w.clone());
    let shape = *z.shape();
    let (fan_in, fan_out) = *w.shape();
    let (z_ghost, w_ghost) = (z.ghost(), w.ghost());
    let x_t = x.permute::<_, Axes2<1, 0>>();
    let mut tape = OwnedTape::<f32, Cpu>::default();
    tape.add_backward_op(move |grads| {
        let upstream = std::mem::take(&mut **grads.get_or_alloc_mut(&z_ghost)?);
        let upstream = x_t.device().try_tensor_from_vec(upstream, shape)?;
        let gw = x_t.try_matmul(upstream)?;
        let mut values = vec![0.0f32; fan_in * fan_out];
        gw.copy_into(&mut values);
        let acc = grads.get_or_alloc_mut(&w_ghost)?;
        acc.iter_mut().zip(&values).for_each(|(a, v)| *a += v);
        Ok(())
    });
    z.put_tape(tape)
}

/// Mean softmax cross-entropy against integer labels as one tape operation.
fn softmax_cross_entropy(
    logits: TapedMatrix,
    labels: &[u8],
) -> Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>> {
    let (rows, classes) = *logits.shape();
    let (logits, mut tape) = logits.split_tape();
    let mut p = vec![0.0f32; rows * classes];
    logits.copy_into(&mut p);
    let mut total = 0.0f64;
    for (row, &label) in p.chunks_exact_mut(classes).zip(labels) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let target = row[usize::from(label)];
        let mut sum = 0.0f32;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        total += f64::from(sum.ln() + max - target);
        row.iter_mut().for_each(|v| *v /= sum);
    }
    let out = logits.device().tensor((total / rows as f64) as f32);
    let (out_ghost, logits_ghost) = (out.ghost(), logits.ghost());
    let labels = labels.to_vec();
    tape.add_backward_op(move |grads| {
        let scale = grads.get_or_alloc_mut(&out_ghost)?[0] / rows as f32;
        let gx = grads.get_or_alloc_mut(&logits_ghost)?;
        let rows = gx.chunks_exact_mut(classes).zip(p.chunks_exact(classes));
        for ((gx, p), &label) in rows.zip(&labels) {
            for (c, (acc, &p)) in gx.iter_mut().zip(p).enumerate() {
                let target = if c == usize::from(label) { 1.0 } else { 0.0 };
                *acc += scale * (p - target);
            }
        }
        Ok(())
    });
    out.put_tape(tape)
}

/// The activation op of `relu(x)` with its exact derivative.
fn relu_op() -> ActivationOp {
    ActivationOp::new(&Activation::parse("relu(x)", "exact").unwrap().compile())
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
    let mut group = c.benchmark_group(group);

    let relu = network("relu(x)", "exact", inputs, hidden);
    for (name, op) in [("dfdx_relu", None), ("dfdx_tape_relu", Some(relu_op()))] {
        let reference = DfdxMlp::new(&relu, op);
        let opt = Optimizer::new(&adam(), &reference.params);
        let step =
            |net: &mut DfdxMlp, x: &[f32], y: &[u8], o: &mut Optimizer| net.train_step(x, y, o);
        bench_variant(&mut group, name, &mut batches, (reference, opt), step);
    }
    let clipped = OptimizerConfig {
        clip_norm: Some(5.0),
        ..adam()
    };
    for (name, forward, backward, optimizer) in [
        ("expr_relu", "relu(x)", "exact", adam()),
        ("expr_relu_clipped", "relu(x)", "exact", clipped),
        ("heaviside_surrogate", "heaviside(x)", "surrogate", adam()),
        ("swish", "x * sigmoid(x)", "exact", adam()),
        (
            "swish_learnable_beta",
            "x * sigmoid(param(1) * x)",
            "exact",
            adam(),
        ),
    ] {
        let initial = network(forward, backward, inputs, hidden);
        let opt = Optimizer::new(&optimizer, initial.parameters());
        let step = |net: &mut Mlp, x: &[f32], y: &[u8], o: &mut Optimizer| {
            net.train_step(x, y, o).unwrap()
        };
        bench_variant(&mut group, name, &mut batches, (initial, opt), step);
    }
    group.finish();
}

/// Benchmarks `step` on a network starting from `initial` (network and optimiser), restarting
/// from it every 100 epochs.
fn bench_variant<N: Clone>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    batches: &mut Batches,
    initial: (N, Optimizer),
    step: impl Fn(&mut N, &[f32], &[u8], &mut Optimizer) -> f32,
) {
    let restart_every = batches.restart_every();
    let (mut net, mut state, mut steps) = (initial.0.clone(), initial.1.clone(), 0);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                steps += 1;
                if steps % restart_every == 0 {
                    (net, state) = initial.clone();
                }
                let (x, y) = batches.next();
                black_box(step(&mut net, x, y, &mut state));
            })
        })
    });
}

/// Fused multiply-add instructions per iteration of [`fma_chains`]: 12 independent chains, so
/// that the instructions' latency never limits their throughput.
const FMA_CHAINS: usize = 12;
/// Iterations of [`fma_chains`] per call.
const FMA_ROUNDS: usize = 10_000;

/// `FMA_ROUNDS` rounds of `FMA_CHAINS` independent 8-lane fused multiply-adds.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_chains(seed: f32) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_set1_ps(seed); FMA_CHAINS];
    let (a, b) = (_mm256_set1_ps(0.999), _mm256_set1_ps(0.001));
    for _ in 0..FMA_ROUNDS {
        for v in acc.iter_mut() {
            *v = _mm256_fmadd_ps(*v, a, b);
        }
    }
    let mut sum = _mm256_setzero_ps();
    for v in acc {
        sum = _mm256_add_ps(sum, v);
    }
    let mut lanes = [0.0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
    lanes.iter().sum()
}

fn core_peak(c: &mut Criterion) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let mut group = c.benchmark_group("core_peak");
        // 8 lanes, a multiplication and an addition each.
        group.throughput(Throughput::Elements((FMA_ROUNDS * FMA_CHAINS * 16) as u64));
        group.bench_function("fma", |b| {
            // SAFETY: the CPU supports AVX2 and FMA, checked above.
            b.iter_custom(|iters| {
                timed(iters, || {
                    _ = black_box(unsafe { fma_chains(black_box(0.5)) })
                })
            })
        });
        group.finish();
        return;
    }
    let _ = c;
    eprintln!("core_peak: no AVX2 and FMA on this CPU (or not x86-64), skipped");
}

criterion_group!(benches, train_step, core_peak);
criterion_main!(benches);
