//! A multilayer perceptron with layer widths chosen at run time, trained with dfdx's tape:
//! `Linear -> activation -> ... -> Linear -> softmax cross-entropy`.
//!
//! dfdx's `Linear<I, O>` and its optimisers need compile-time shapes, so the weights here are
//! `Tensor<(usize, usize), f32, Cpu>` and the parameters' authoritative copy is a plain
//! `Vec<f32>` per tensor that [`Optimizer`] updates in place; the tensors are refreshed from it
//! after each step. A layer is dfdx's matrix product followed by the fused bias-and-activation
//! op of `op.rs`; the first layer's product records only the weight gradient (the input needs
//! none), and the loss is one fused softmax cross-entropy op equal to dfdx's
//! `cross_entropy_with_logits_loss`. With these three custom tape operations a step takes about
//! two thirds of the time of the plain dfdx formulation (see `benches/train_step.rs`).
//! Together with `op.rs` this is the whole dfdx boundary: the trainer sees slices and losses
//! only.

use super::op::{add_bias, ActivationOp};
use super::optimizer::Optimizer;
use dfdx::prelude::{
    Axes2, Backward, Cpu, HasShape, OwnedTape, PermuteTo, PutTape, Rank0, ReshapeTo, SplitTape,
    Tape, Tensor, TensorFrom, TensorFromVec, TryMatMul,
};
use dfdx::tensor::AsArray;
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

/// Rows per chunk when running inference on a large set (bounds temporary memory).
const INFERENCE_CHUNK: usize = 1024;

/// How the weights and biases are initialised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// He (Kaiming) normal: `N(0, 2 / fan_in)`, for rectifier-like activations.
    #[default]
    He,
    /// Xavier (Glorot) uniform: `U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`.
    Xavier,
    /// PyTorch's default for `nn.Linear`: weights and biases `U(-a, a)` with
    /// `a = 1 / sqrt(fan_in)` (Kaiming uniform with `a = sqrt(5)`, as `reset_parameters` does).
    /// He and Xavier start the biases at zero; this one draws them too.
    Torch,
}

/// The shape and set-up of the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// Widths of the hidden layers; the activation follows each. Empty: a linear model.
    pub hidden: Vec<usize>,
    /// Weight initialisation.
    pub init: Init,
    /// Standardise the activation to zero mean and unit variance under `N(0, 1)` inputs
    /// (`y' = (f(x) - m) / s`, `g' = g / s`, computed once per candidate).
    pub normalize: bool,
}

impl Default for NetworkConfig {
    /// One hidden layer of 64, He initialisation, no standardisation.
    fn default() -> Self {
        NetworkConfig {
            hidden: vec![64],
            init: Init::He,
            normalize: false,
        }
    }
}

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A batch's size does not match the network's inputs or its labels.
    #[error("batch of {values} values does not hold {rows} rows of {features} features")]
    BatchShape {
        /// Number of feature values passed.
        values: usize,
        /// Number of rows expected (labels, or values / features).
        rows: usize,
        /// Features per row the network takes.
        features: usize,
    },
    /// A label is not a class of the network.
    #[error("label {label} is out of range for {classes} classes")]
    Label {
        /// The label.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// A layer (input, hidden or output) has no units.
    #[error("every layer needs at least one unit, got widths {0:?}")]
    ZeroWidth(Vec<usize>),
    /// The tensor backend failed (out of memory).
    #[error("tensor backend: {0}")]
    Backend(String),
}

impl From<dfdx::tensor::CpuError> for NetworkError {
    fn from(e: dfdx::tensor::CpuError) -> Self {
        NetworkError::Backend(e.to_string())
    }
}

/// The weights and bias of one fully connected layer.
#[derive(Clone)]
struct Layer {
    /// `(fan_in, fan_out)`, row-major.
    weight: Tensor<(usize, usize), f32, Cpu>,
    /// `(fan_out,)`.
    bias: Tensor<(usize,), f32, Cpu>,
}

/// A multilayer perceptron classifier with the candidate activation after each hidden layer.
/// Cloning is cheap (tensors share their buffers until one is written).
#[derive(Clone)]
pub struct Mlp {
    device: Cpu,
    activation: ActivationOp,
    layers: Vec<Layer>,
    /// Weight then bias of each layer, as flat row-major buffers; the tensors mirror these.
    params: Vec<Vec<f32>>,
    /// Widths from input to output: `[n_inputs, hidden..., n_classes]`.
    widths: Vec<usize>,
}

impl Mlp {
    /// A freshly initialised network drawing its weights from `rng`.
    pub fn new(
        config: &NetworkConfig,
        n_inputs: usize,
        n_classes: usize,
        activation: ActivationOp,
        rng: &mut impl Rng,
    ) -> Result<Self, NetworkError> {
        let device = Cpu::default();
        let mut widths = vec![n_inputs];
        widths.extend_from_slice(&config.hidden);
        widths.push(n_classes);
        if widths.contains(&0) {
            return Err(NetworkError::ZeroWidth(widths));
        }
        let mut params = Vec::new();
        let mut layers = Vec::new();
        for pair in widths.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let weight = initial_weights(config.init, fan_in, fan_out, rng);
            let bias = initial_biases(config.init, fan_in, fan_out, rng);
            layers.push(Layer {
                weight: device.try_tensor_from_vec(weight.clone(), (fan_in, fan_out))?,
                bias: device.try_tensor_from_vec(bias.clone(), (fan_out,))?,
            });
            params.push(weight);
            params.push(bias);
        }
        Ok(Mlp {
            device,
            activation,
            layers,
            params,
            widths,
        })
    }

    /// The parameters: weight (`fan_in x fan_out`, row-major) then bias of each layer.
    pub fn parameters(&self) -> &[Vec<f32>] {
        &self.params
    }

    /// Number of input features.
    pub(crate) fn n_inputs(&self) -> usize {
        self.widths[0]
    }

    /// Number of classes (outputs).
    pub fn n_classes(&self) -> usize {
        *self
            .widths
            .last()
            .expect("at least input and output widths")
    }

    /// Checks that `x` holds whole rows of inputs, `rows` of them.
    fn check_batch(&self, x: &[f32], rows: usize) -> Result<(), NetworkError> {
        if x.len() != rows * self.n_inputs() {
            return Err(NetworkError::BatchShape {
                values: x.len(),
                rows,
                features: self.n_inputs(),
            });
        }
        Ok(())
    }

    /// One step of training on a batch: forward with the tape, softmax cross-entropy loss
    /// (mean over rows), backward, and the optimiser's update. Returns the batch loss. If the
    /// loss is not finite, nothing is updated (the caller decides to stop).
    pub fn train_step(
        &mut self,
        x: &[f32],
        labels: &[u8],
        optimizer: &mut Optimizer,
    ) -> Result<f32, NetworkError> {
        let rows = labels.len();
        self.check_batch(x, rows)?;
        let classes = self.n_classes();
        if let Some(&label) = labels.iter().find(|&&l| usize::from(l) >= classes) {
            return Err(NetworkError::Label { label, classes });
        }
        let input = self
            .device
            .try_tensor_from_vec(x.to_vec(), (rows, self.n_inputs()))?;
        let mut h = input_product(input, &self.layers[0].weight)?;
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            if i > 0 {
                h = h.try_matmul(layer.weight.retaped::<OwnedTape<f32, Cpu>>())?;
            }
            h = if i < last {
                self.activation.apply_with_bias(h, &layer.bias)?
            } else {
                add_bias(h, &layer.bias)?
            };
        }
        let loss = softmax_cross_entropy(h, labels)?;
        let value = loss.array();
        if !value.is_finite() {
            return Ok(value);
        }
        let mut grads = loss.try_backward()?;
        let mut param_grads = Vec::with_capacity(self.params.len());
        for layer in &self.layers {
            param_grads.push(std::mem::take(
                &mut **grads.get_or_alloc_mut(&layer.weight)?,
            ));
            param_grads.push(std::mem::take(&mut **grads.get_or_alloc_mut(&layer.bias)?));
        }
        drop(grads);
        optimizer.step(&mut self.params, &mut param_grads);
        self.sync_tensors();
        Ok(value)
    }

    /// Copies the parameter buffers into the tensors.
    fn sync_tensors(&mut self) {
        for (layer, wb) in self.layers.iter_mut().zip(self.params.chunks_exact(2)) {
            layer.weight.copy_from(&wb[0]);
            layer.bias.copy_from(&wb[1]);
        }
    }

    /// Runs the network without a tape on `x` (whole rows) and returns the logits, row-major
    /// (`rows x n_classes`). If `hidden` is given, every hidden activation value is appended
    /// to it (in no particular order), for sparsity and value statistics.
    pub(crate) fn infer(
        &self,
        x: &[f32],
        mut hidden: Option<&mut Vec<f32>>,
    ) -> Result<Vec<f32>, NetworkError> {
        let n_in = self.n_inputs();
        let rows = x.len() / n_in;
        self.check_batch(x, rows)?;
        let mut logits = Vec::with_capacity(rows * self.n_classes());
        for chunk in x.chunks(INFERENCE_CHUNK * n_in) {
            let rows = chunk.len() / n_in;
            let mut h = self
                .device
                .try_tensor_from_vec(chunk.to_vec(), (rows, n_in))?;
            let last = self.layers.len() - 1;
            for (i, layer) in self.layers.iter().enumerate() {
                let z = h.try_matmul(layer.weight.clone())?;
                if i == last {
                    logits.extend_from_slice(&add_bias(z, &layer.bias)?.as_vec());
                    break;
                }
                h = self.activation.apply_with_bias(z, &layer.bias)?;
                if let Some(sink) = hidden.as_deref_mut() {
                    sink.extend_from_slice(&h.as_vec());
                }
            }
        }
        Ok(logits)
    }
}

/// A matrix that records its operations for the backward pass.
type TapedMatrix = Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>;

/// `x w` for the first layer, recording only `dL/dw = x^T dL/dz`: dfdx's matrix product would
/// also compute the input's gradient, which nothing needs and which costs as much as the
/// forward product (a lot for 784 Fashion-MNIST pixels).
fn input_product(
    x: Tensor<(usize, usize), f32, Cpu>,
    w: &Tensor<(usize, usize), f32, Cpu>,
) -> Result<TapedMatrix, NetworkError> {
    let z = x.clone().try_matmul(w.clone())?;
    let shape = *z.shape();
    let (fan_in, fan_out) = *w.shape();
    let (z_ghost, w_ghost) = (z.ghost(), w.ghost());
    let x_t = x.try_permute::<_, Axes2<1, 0>>()?;
    let mut tape = OwnedTape::<f32, Cpu>::default();
    tape.add_backward_op(move |grads| {
        // dL/dz is not needed after this (z feeds nothing else): move it into a tensor.
        let upstream = std::mem::take(&mut **grads.get_or_alloc_mut(&z_ghost)?);
        let upstream = x_t.device().try_tensor_from_vec(upstream, shape)?;
        let gw = x_t.try_matmul(upstream)?;
        let mut values = vec![0.0f32; fan_in * fan_out];
        gw.copy_into(&mut values);
        let acc = grads.get_or_alloc_mut(&w_ghost)?;
        acc.iter_mut().zip(&values).for_each(|(a, v)| *a += v);
        Ok(())
    });
    Ok(z.put_tape(tape))
}

/// The mean softmax cross-entropy of `logits` (`rows x classes`) against integer `labels`, as
/// one operation: the same value and gradient as dfdx's `cross_entropy_with_logits_loss` with
/// one-hot targets (tested below), without its half-dozen intermediate tensors. The gradient
/// with respect to the logits is `(softmax - onehot) / rows`.
fn softmax_cross_entropy(
    logits: TapedMatrix,
    labels: &[u8],
) -> Result<Tensor<Rank0, f32, Cpu, OwnedTape<f32, Cpu>>, NetworkError> {
    let shape = *logits.shape();
    let (rows, classes) = shape;
    let logits = logits.try_reshape_like(&shape)?;
    let (logits, mut tape) = logits.split_tape();
    // Becomes the softmax, row by row.
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
    let out = logits
        .device()
        .try_tensor((total / rows.max(1) as f64) as f32)?;
    let (out_ghost, logits_ghost) = (out.ghost(), logits.ghost());
    let labels = labels.to_vec();
    tape.add_backward_op(move |grads| {
        let scale = grads.get_or_alloc_mut(&out_ghost)?[0] / rows.max(1) as f32;
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
    Ok(out.put_tape(tape))
}

/// Draws a `fan_in x fan_out` weight matrix.
fn initial_weights(init: Init, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> Vec<f32> {
    let n = fan_in * fan_out;
    match init {
        Init::He => {
            let std = (2.0 / fan_in.max(1) as f32).sqrt();
            let normal = Normal::new(0.0, std).expect("finite positive std");
            (0..n).map(|_| normal.sample(rng)).collect()
        }
        Init::Xavier => {
            let a = (6.0 / (fan_in + fan_out).max(1) as f32).sqrt();
            let uniform = Uniform::new_inclusive(-a, a);
            (0..n).map(|_| uniform.sample(rng)).collect()
        }
        Init::Torch => torch_uniform(fan_in, n, rng),
    }
}

/// Draws the `fan_out` biases of a layer: zero, except for [`Init::Torch`].
fn initial_biases(init: Init, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> Vec<f32> {
    match init {
        Init::He | Init::Xavier => vec![0.0; fan_out],
        Init::Torch => torch_uniform(fan_in, fan_out, rng),
    }
}

/// `n` draws from PyTorch's `nn.Linear` default, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
fn torch_uniform(fan_in: usize, n: usize, rng: &mut impl Rng) -> Vec<f32> {
    let a = 1.0 / (fan_in.max(1) as f32).sqrt();
    let uniform = Uniform::new_inclusive(-a, a);
    (0..n).map(|_| uniform.sample(rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::train::optimizer::{OptimizerConfig, OptimizerKind};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn relu_net(hidden: Vec<usize>, seed: u64) -> Mlp {
        let op = ActivationOp::new(&Activation::parse("relu(x)", "exact").unwrap().compile());
        let config = NetworkConfig {
            hidden,
            ..NetworkConfig::default()
        };
        Mlp::new(&config, 3, 2, op, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap()
    }

    #[test]
    fn shapes_and_initialisation_scale() {
        let net = relu_net(vec![5, 4], 1);
        let sizes: Vec<usize> = net.parameters().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![15, 5, 20, 4, 8, 2]);
        assert!(net.parameters()[1].iter().all(|&b| b == 0.0));
        assert!(net.parameters()[0].iter().any(|&w| w != 0.0));
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let he = initial_weights(Init::He, 200, 100, &mut rng);
        let var = he.iter().map(|w| w * w).sum::<f32>() / he.len() as f32;
        assert!((var - 0.01).abs() < 0.001, "He variance {var}");
        let xavier = initial_weights(Init::Xavier, 200, 100, &mut rng);
        let a = (6.0f32 / 300.0).sqrt();
        assert!(xavier.iter().all(|w| w.abs() <= a));
        let var = xavier.iter().map(|w| w * w).sum::<f32>() / xavier.len() as f32;
        assert!((var - a * a / 3.0).abs() < 0.001, "Xavier variance {var}");
    }

    #[test]
    fn torch_initialisation_draws_weights_and_biases_within_one_over_sqrt_fan_in() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (fan_in, fan_out) = (64, 200);
        let w = initial_weights(Init::Torch, fan_in, fan_out, &mut rng);
        let b = initial_biases(Init::Torch, fan_in, fan_out, &mut rng);
        let a = 1.0 / (fan_in as f32).sqrt();
        assert_eq!((w.len(), b.len()), (fan_in * fan_out, fan_out));
        for (what, v, tol) in [("weights", &w, 0.0005f32), ("biases", &b, 0.004)] {
            assert!(v.iter().all(|x| x.abs() <= a), "{what} outside +-{a}");
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / v.len() as f32;
            // U(-a, a) has variance a^2 / 3 (0.00521 for fan_in 64).
            assert!((var - a * a / 3.0).abs() < tol, "{what} variance {var}");
            assert!(
                mean.abs() < 4.0 * (a * a / 3.0 / v.len() as f32).sqrt(),
                "{what} mean {mean}"
            );
            let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(max > 0.95 * a, "{what} do not fill the range: max {max}");
        }
        assert!(initial_biases(Init::He, fan_in, 5, &mut rng)
            .iter()
            .all(|&x| x == 0.0));
        let config = NetworkConfig {
            hidden: vec![16],
            init: Init::Torch,
            normalize: false,
        };
        let op = ActivationOp::new(&Activation::parse("relu(x)", "exact").unwrap().compile());
        let net = Mlp::new(&config, 8, 3, op, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        let bound = |fan_in: usize| 1.0 / (fan_in as f32).sqrt();
        for (i, fan_in) in [(0, 8), (1, 8), (2, 16), (3, 16)] {
            let p = &net.parameters()[i];
            assert!(p.iter().all(|x| x.abs() <= bound(fan_in)), "parameter {i}");
            assert!(p.iter().any(|&x| x != 0.0), "parameter {i} is all zero");
        }
    }

    #[test]
    fn rejects_bad_batches() {
        let mut net = relu_net(vec![4], 0);
        let mut opt = Optimizer::new(&OptimizerConfig::default(), net.parameters());
        assert!(matches!(
            net.train_step(&[0.0; 5], &[0, 1], &mut opt),
            Err(NetworkError::BatchShape { .. })
        ));
        assert!(matches!(
            net.train_step(&[0.0; 6], &[0, 7], &mut opt),
            Err(NetworkError::Label { label: 7, .. })
        ));
        assert!(net.infer(&[0.0; 4], None).is_err());
        let op = ActivationOp::new(&Activation::parse("relu(x)", "exact").unwrap().compile());
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let config = NetworkConfig::default();
        assert!(matches!(
            Mlp::new(&config, 0, 2, op, &mut rng),
            Err(NetworkError::ZeroWidth(_))
        ));
    }

    /// Mean cross-entropy of the network's logits, from inference.
    fn inferred_loss(net: &Mlp, x: &[f32], labels: &[u8]) -> f64 {
        let logits = net.infer(x, None).unwrap();
        let mut total = 0.0f64;
        for (row, &label) in logits.chunks_exact(2).zip(labels) {
            let lse = row.iter().map(|&v| f64::from(v).exp()).sum::<f64>().ln();
            total += lse - f64::from(row[usize::from(label)]);
        }
        total / labels.len() as f64
    }

    #[test]
    fn training_gradients_match_finite_differences_of_the_loss() {
        let act = Activation::parse("tanh(x)", "exact").unwrap().compile();
        let config = NetworkConfig {
            hidden: vec![4, 3],
            ..NetworkConfig::default()
        };
        let new_net = || {
            let op = ActivationOp::new(&act);
            Mlp::new(&config, 3, 2, op, &mut ChaCha8Rng::seed_from_u64(5)).unwrap()
        };
        let x = [0.5, -1.0, 0.3, 0.9, 0.2, -0.4, -0.7, 0.6, 0.1];
        let labels = [1, 0, 1];
        // One plain SGD step with learning rate 1 moves every parameter by minus its gradient.
        let mut net = new_net();
        let before = net.parameters().to_vec();
        let sgd = OptimizerConfig {
            kind: OptimizerKind::sgd(0.0),
            learning_rate: 1.0,
            ..OptimizerConfig::default()
        };
        let loss = net
            .train_step(&x, &labels, &mut Optimizer::new(&sgd, &before))
            .unwrap();
        assert!((f64::from(loss) - inferred_loss(&new_net(), &x, &labels)).abs() < 1e-5);
        let h = 1e-2f32;
        for (buffer, (b, a)) in before.iter().zip(net.parameters()).enumerate() {
            for i in 0..b.len() {
                let analytic = f64::from(b[i] - a[i]);
                let mut probe = new_net();
                probe.params[buffer][i] += h;
                probe.sync_tensors();
                let up = inferred_loss(&probe, &x, &labels);
                probe.params[buffer][i] -= 2.0 * h;
                probe.sync_tensors();
                let down = inferred_loss(&probe, &x, &labels);
                let numeric = (up - down) / (2.0 * f64::from(h));
                assert!(
                    (numeric - analytic).abs() < 1e-3,
                    "buffer {buffer}[{i}]: analytic {analytic}, numeric {numeric}"
                );
            }
        }
    }

    #[test]
    fn fused_loss_matches_dfdx_cross_entropy() {
        use dfdx::losses::cross_entropy_with_logits_loss;
        use dfdx::prelude::{AsArray, Trace};
        let dev = Cpu::default();
        let values: Vec<f32> = (0..4 * 3)
            .map(|i| ((i * 7) % 5) as f32 - 2.5 + i as f32 * 0.1)
            .collect();
        let labels = [2u8, 0, 1, 2];
        let mut onehot = vec![0.0f32; 12];
        for (r, &l) in labels.iter().enumerate() {
            onehot[r * 3 + usize::from(l)] = 1.0;
        }
        let a = dev.tensor_from_vec(values.clone(), (4usize, 3usize));
        let reference = cross_entropy_with_logits_loss(
            a.leaky_trace(),
            dev.tensor_from_vec(onehot, (4usize, 3usize)),
        );
        let want: f32 = reference.array();
        let want_grad = reference.backward().get(&a).as_vec();
        let b = dev.tensor_from_vec(values, (4usize, 3usize));
        let loss = softmax_cross_entropy(b.leaky_trace(), &labels).unwrap();
        let got: f32 = loss.array();
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        let grad = loss.backward().get(&b).as_vec();
        for (g, w) in grad.iter().zip(&want_grad) {
            assert!((g - w).abs() < 1e-6, "{grad:?} vs {want_grad:?}");
        }
    }

    #[test]
    fn training_fits_a_tiny_problem_and_infer_agrees() {
        let mut net = relu_net(vec![8], 2);
        let config = OptimizerConfig {
            kind: OptimizerKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            learning_rate: 0.05,
            ..OptimizerConfig::default()
        };
        let mut opt = Optimizer::new(&config, net.parameters());
        let x = [
            1.0, 0.0, 0.5, -1.0, 0.3, 0.0, 0.9, -0.2, 0.1, -0.8, 0.4, -0.3,
        ];
        let labels = [1, 0, 1, 0];
        let first = net.train_step(&x, &labels, &mut opt).unwrap();
        let mut last = first;
        for _ in 0..100 {
            last = net.train_step(&x, &labels, &mut opt).unwrap();
        }
        assert!(last < 0.05 * first, "loss {first} -> {last}");
        let mut hidden = Vec::new();
        let logits = net.infer(&x, Some(&mut hidden)).unwrap();
        assert_eq!(hidden.len(), 4 * 8);
        assert!(hidden.iter().all(|&h| h >= 0.0));
        for (row, &label) in labels.iter().enumerate() {
            let predicted = if logits[2 * row + 1] > logits[2 * row] {
                1
            } else {
                0
            };
            assert_eq!(predicted, label);
        }
    }
}
