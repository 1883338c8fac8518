//! A multilayer perceptron with layer widths chosen at run time:
//! `Linear -> activation -> ... -> Linear -> softmax cross-entropy`, trained by hand-written
//! backpropagation over flat buffers.
//!
//! The parameters are one plain row-major `Vec<f32>` per weight matrix (`fan_in x fan_out`) and
//! per bias, which [`Optimizer`] updates in place. A step runs on buffers the network keeps
//! across steps ([`Scratch`]: pre-activations, activations, backward multipliers, gradients),
//! so it allocates nothing once the first batch has sized them:
//!
//! - forward, per layer: `z = a W` (a matrix product, `matmul.rs`), then in one pass over `z`
//!   the bias and the activation's joint program, which writes `f(z + b)` and the backward
//!   multiplier `g(z + b)` together (`op.rs`); the output layer adds its bias only;
//! - loss: softmax cross-entropy (mean over rows) whose gradient `(softmax - onehot) / rows`
//!   overwrites the logits;
//! - backward, per layer: `dW = a^T dz`, `db` the column sums of `dz`, and (except for the
//!   first layer, whose input needs no gradient) `da = dz W^T` multiplied by the layer below's
//!   multiplier in the same pass that sums that layer's bias gradient.
//!
//! `train_step` is those passes with the softmax cross-entropy between them; the passes are
//! also offered separately (`forward_for_training`, `backward`, `update`), with any gradient
//! of the outputs and, on request, the gradient with respect to the input `dL/dx = dz W^T` of
//! the first layer: the GAN task (`gan.rs`) trains its generator through its discriminator's
//! input gradient.
//!
//! An activation with trainable constants (`param(c)`) gets one buffer of them per hidden layer,
//! after the weights and biases (so the optimiser updates them with the weights): the forward
//! pass also writes `df/dc_k` for every unit, and the backward pass sums
//! `dL/dc_k = sum(dL/dy * df/dc_k)` over the batch and the layer's units, once it has `dL/dy`.
//!
//! The products go through the `gemm` crate on the calling thread, with the strides dfdx 0.13
//! used when this network was built on dfdx's tape: a trained network is bit for bit the one
//! the dfdx version trained (the `dfdx_relu` variant of `benches/train_step.rs` keeps a plain
//! dfdx network for comparison). The tests below check a step against a straightforward f64
//! implementation of the same mathematics.

use super::matmul::{multiply, View};
use super::op::ActivationOp;
use super::optimizer::Optimizer;
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

/// What [`Mlp::infer`] shows the hidden activation values to, a layer of a chunk at a time.
pub(crate) type HiddenSink<'a> = dyn FnMut(&[f32]) + 'a;

/// Rows per chunk when running inference on a large set (bounds temporary memory).
pub(crate) const INFERENCE_CHUNK: usize = 1024;

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
    /// Parameters read back do not fit the layer widths.
    #[error("parameter lengths {found:?} do not fit the layer widths, which need {expected:?}")]
    Parameters {
        /// The lengths the widths need: weight then bias of each layer, then the constants of
        /// each hidden layer.
        expected: Vec<usize>,
        /// The lengths given.
        found: Vec<usize>,
    },
    /// The tensor backend failed (out of memory).
    #[error("tensor backend: {0}")]
    Backend(String),
}

/// The buffers of a training step, kept across steps and grown (never shrunk) to the largest
/// batch seen.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// Per layer: its pre-activation `z = a W + b` (`rows x fan_out`), overwritten by `dL/dz`
    /// during the backward pass.
    pre: Vec<Vec<f32>>,
    /// Per hidden layer: its activation `f(z)`, the next layer's input.
    act: Vec<Vec<f32>>,
    /// Per hidden layer: the backward multiplier `g(z)`.
    mult: Vec<Vec<f32>>,
    /// Per hidden layer: `df/dc_k` for each trainable constant `c_k`, one run of
    /// `rows x fan_out` values after another (empty without trainable constants).
    constant_grads: Vec<Vec<f32>>,
    /// `dL/da` for the hidden activation being back-propagated into (`rows x` widest hidden).
    upstream: Vec<f32>,
    /// The gradient of each parameter buffer, shaped like the parameters.
    grads: Vec<Vec<f32>>,
}

impl Scratch {
    /// Makes every buffer large enough for a batch of `rows` through layers of `widths`, with
    /// `constants` trainable constants per hidden layer.
    fn reserve(&mut self, rows: usize, widths: &[usize], constants: usize) {
        let layers = widths.len() - 1;
        let grow = |v: &mut Vec<f32>, n: usize| {
            if v.len() < n {
                v.resize(n, 0.0);
            }
        };
        self.pre.resize_with(layers, Vec::new);
        self.act.resize_with(layers - 1, Vec::new);
        self.mult.resize_with(layers - 1, Vec::new);
        self.constant_grads.resize_with(layers - 1, Vec::new);
        for (l, &fan_out) in widths[1..].iter().enumerate() {
            grow(&mut self.pre[l], rows * fan_out);
            if l + 1 < layers {
                grow(&mut self.act[l], rows * fan_out);
                grow(&mut self.mult[l], rows * fan_out);
                grow(&mut self.constant_grads[l], constants * rows * fan_out);
            }
        }
        let widest_hidden = widths[1..layers].iter().copied().max().unwrap_or(0);
        grow(&mut self.upstream, rows * widest_hidden);
        if self.grads.is_empty() {
            for pair in widths.windows(2) {
                self.grads.push(vec![0.0; pair[0] * pair[1]]);
                self.grads.push(vec![0.0; pair[1]]);
            }
            if constants > 0 {
                for _ in 1..layers {
                    self.grads.push(vec![0.0; constants]);
                }
            }
        }
    }
}

/// A multilayer perceptron classifier with the candidate activation after each hidden layer.
#[derive(Clone, Debug)]
pub struct Mlp {
    activation: ActivationOp,
    /// Weight (`fan_in x fan_out`, row-major) then bias of each layer; then, if the activation
    /// has trainable constants, their values in each hidden layer.
    params: Vec<Vec<f32>>,
    /// Widths from input to output: `[n_inputs, hidden..., n_classes]`.
    widths: Vec<usize>,
    /// The training step's buffers.
    scratch: Scratch,
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
        let mut widths = vec![n_inputs];
        widths.extend_from_slice(&config.hidden);
        widths.push(n_classes);
        if widths.contains(&0) {
            return Err(NetworkError::ZeroWidth(widths));
        }
        let mut params = Vec::new();
        for pair in widths.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            params.push(initial_weights(config.init, fan_in, fan_out, rng));
            params.push(initial_biases(config.init, fan_in, fan_out, rng));
        }
        if activation.constants() > 0 {
            for _ in &config.hidden {
                params.push(activation.initial_constants().to_vec());
            }
        }
        Ok(Mlp {
            activation,
            params,
            widths,
            scratch: Scratch::default(),
        })
    }

    /// A network with the given parameters (as [`Mlp::parameters`] returns them: weight then
    /// bias of each layer, then the activation's trainable constants per hidden layer if it
    /// has any) for layer widths `widths` (`[n_inputs, hidden..., n_classes]`): a trained
    /// network read back. Refused when a width is zero or a parameter's length does not fit.
    pub fn from_parameters(
        widths: Vec<usize>,
        activation: ActivationOp,
        params: Vec<Vec<f32>>,
    ) -> Result<Self, NetworkError> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(NetworkError::ZeroWidth(widths));
        }
        let hidden = widths.len() - 2;
        let k = activation.constants();
        let mut expected: Vec<usize> = widths
            .windows(2)
            .flat_map(|p| [p[0] * p[1], p[1]])
            .collect();
        if k > 0 {
            expected.extend(std::iter::repeat_n(k, hidden));
        }
        let lengths: Vec<usize> = params.iter().map(Vec::len).collect();
        if lengths != expected {
            return Err(NetworkError::Parameters {
                expected,
                found: lengths,
            });
        }
        Ok(Mlp {
            activation,
            params,
            widths,
            scratch: Scratch::default(),
        })
    }

    /// The activation after each hidden layer.
    pub(crate) fn activation(&self) -> &ActivationOp {
        &self.activation
    }

    /// The layer widths from input to output: `[n_inputs, hidden..., n_classes]`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The logits of rows `x` (row-major, `rows x n_classes`), as the scoring passes compute
    /// them.
    pub fn logits(&self, x: &[f32]) -> Result<Vec<f32>, NetworkError> {
        self.infer(x, None)
    }

    /// The class of each row of `x`: the index of its largest logit (the first one on a tie;
    /// a row whose logits are all NaN gets class 0).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<u8>, NetworkError> {
        let logits = self.logits(x)?;
        Ok(logits
            .chunks_exact(self.n_classes())
            .map(|row| argmax(row) as u8)
            .collect())
    }

    /// The parameters: weight (`fan_in x fan_out`, row-major) then bias of each layer, then
    /// (if the activation has trainable constants) the constants of each hidden layer.
    pub fn parameters(&self) -> &[Vec<f32>] {
        &self.params
    }

    /// The current values of the activation's trainable constants in each hidden layer, first
    /// layer first; empty when the activation has none.
    pub fn constants(&self) -> &[Vec<f32>] {
        let layers = self.widths.len() - 1;
        &self.params[(2 * layers).min(self.params.len())..]
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

    /// One step of training on a batch: forward, softmax cross-entropy loss (mean over rows),
    /// backward, and the optimiser's update. Returns the batch loss. If the loss is not finite,
    /// nothing is updated (the caller decides to stop).
    pub fn train_step(
        &mut self,
        x: &[f32],
        labels: &[u8],
        optimizer: &mut Optimizer,
    ) -> Result<f32, NetworkError> {
        let rows = labels.len();
        let classes = self.n_classes();
        if let Some(&label) = labels.iter().find(|&&l| usize::from(l) >= classes) {
            return Err(NetworkError::Label { label, classes });
        }
        let logits = self.forward_for_training(x, rows)?;
        let value = softmax_cross_entropy(logits, labels);
        if !value.is_finite() {
            return Ok(value);
        }
        self.backward(x, rows, None);
        self.update(optimizer);
        Ok(value)
    }

    /// The forward pass of a training step on `rows` rows of `x`, keeping what the backward
    /// pass needs. Returns the outputs (`rows x outputs`, row-major, before any loss), which the
    /// caller overwrites with the loss's gradient with respect to them before calling
    /// [`Mlp::backward`] with the same `x`.
    pub(crate) fn forward_for_training(
        &mut self,
        x: &[f32],
        rows: usize,
    ) -> Result<&mut [f32], NetworkError> {
        self.check_batch(x, rows)?;
        let Mlp {
            activation,
            params,
            widths,
            scratch,
        } = self;
        let constants = activation.constants();
        scratch.reserve(rows, widths, constants);
        let last = widths.len() - 2;
        // The buffers of the trainable constants, one per hidden layer, follow the layers'.
        let first_constants = 2 * (last + 1);
        // Forward: z = a W + b, then the activation and its multiplier for hidden layers.
        for l in 0..=last {
            let (fan_in, fan_out) = (widths[l], widths[l + 1]);
            let (below, above) = scratch.act.split_at_mut(l);
            let a = match l {
                0 => x,
                _ => &below[l - 1][..rows * fan_in],
            };
            let z = &mut scratch.pre[l][..rows * fan_out];
            multiply(
                z,
                View::new(a, rows, fan_in),
                View::new(&params[2 * l], fan_in, fan_out),
            );
            add_rows(z, &params[2 * l + 1]);
            if l < last && constants == 0 {
                activation.forward_and_multiplier(
                    z,
                    &mut above[0][..rows * fan_out],
                    &mut scratch.mult[l][..rows * fan_out],
                );
            } else if l < last {
                activation.forward_multiplier_and_constant_grads(
                    z,
                    &params[first_constants + l],
                    &mut above[0][..rows * fan_out],
                    &mut scratch.mult[l][..rows * fan_out],
                    &mut scratch.constant_grads[l][..constants * rows * fan_out],
                );
            }
        }
        Ok(&mut scratch.pre[last][..rows * widths[last + 1]])
    }

    /// The backward pass after [`Mlp::forward_for_training`] on the same `x` and `rows`, whose
    /// outputs the caller has overwritten with `dL/d(output)`: computes the gradient of every
    /// parameter (applied by [`Mlp::update`]) and, when `input_grad` is given
    /// (`rows x n_inputs`), writes `dL/dx` there: a generator is trained through a
    /// discriminator's input gradient.
    pub(crate) fn backward(&mut self, x: &[f32], rows: usize, mut input_grad: Option<&mut [f32]>) {
        let Mlp {
            activation,
            params,
            widths,
            scratch,
        } = self;
        let constants = activation.constants();
        let last = widths.len() - 2;
        let first_constants = 2 * (last + 1);
        // The outputs now hold dL/dz of the output layer.
        let (mut_grads, pre) = (&mut scratch.grads, &mut scratch.pre);
        column_sums(
            &pre[last][..rows * widths[last + 1]],
            &mut mut_grads[2 * last + 1],
        );
        for l in (0..=last).rev() {
            let (fan_in, fan_out) = (widths[l], widths[l + 1]);
            let (lower, upper) = pre.split_at_mut(l);
            let dz = &upper[0][..rows * fan_out];
            let a = match l {
                0 => x,
                _ => &scratch.act[l - 1][..rows * fan_in],
            };
            multiply(
                &mut mut_grads[2 * l],
                View::new(a, rows, fan_in).t(),
                View::new(dz, rows, fan_out),
            );
            let weights = View::new(&params[2 * l], fan_in, fan_out).t();
            if l == 0 {
                if let Some(dx) = input_grad.take() {
                    multiply(
                        &mut dx[..rows * fan_in],
                        View::new(dz, rows, fan_out),
                        weights,
                    );
                }
                break;
            }
            let da = &mut scratch.upstream[..rows * fan_in];
            multiply(da, View::new(dz, rows, fan_out), weights);
            multiply_and_sum_columns(
                da,
                &scratch.mult[l - 1][..rows * fan_in],
                &mut lower[l - 1][..rows * fan_in],
                &mut mut_grads[2 * (l - 1) + 1],
            );
            if constants > 0 {
                // dL/dc_k = sum over the batch and the layer's units of dL/dy * df/dc_k.
                let runs = scratch.constant_grads[l - 1].chunks_exact(rows * fan_in);
                for (grad, run) in mut_grads[first_constants + l - 1].iter_mut().zip(runs) {
                    *grad = dot(da, run);
                }
            }
        }
    }

    /// The outputs of the latest [`Mlp::forward_for_training`] on `rows` rows, for the caller
    /// to overwrite with `dL/d(output)` before [`Mlp::backward`] (when that gradient comes from
    /// elsewhere: a discriminator's input gradient for a generator).
    pub(crate) fn outputs_mut(&mut self, rows: usize) -> &mut [f32] {
        let last = self.widths.len() - 2;
        &mut self.scratch.pre[last][..rows * self.widths[last + 1]]
    }

    /// Applies the gradients of the latest [`Mlp::backward`] with `optimizer`.
    pub(crate) fn update(&mut self, optimizer: &mut Optimizer) {
        optimizer.step(&mut self.params, &mut self.scratch.grads);
    }

    /// Runs the network on `x` (whole rows) and returns the logits, row-major
    /// (`rows x n_classes`). If `hidden` is given, it is shown every hidden activation value, a
    /// layer of a chunk of rows at a time (in no particular order), for sparsity and value
    /// statistics; nothing is kept.
    pub(crate) fn infer(
        &self,
        x: &[f32],
        mut hidden: Option<&mut HiddenSink<'_>>,
    ) -> Result<Vec<f32>, NetworkError> {
        let n_in = self.n_inputs();
        let rows = x.len() / n_in;
        self.check_batch(x, rows)?;
        let widths = &self.widths;
        let last = widths.len() - 2;
        let widest = widths[1..].iter().copied().max().unwrap_or(0);
        let chunk_rows = INFERENCE_CHUNK.min(rows);
        let (mut z, mut h) = (
            vec![0.0f32; chunk_rows * widest],
            vec![0.0f32; chunk_rows * widest],
        );
        let mut logits = vec![0.0f32; rows * self.n_classes()];
        let out_chunks = logits.chunks_mut(INFERENCE_CHUNK * self.n_classes());
        for (chunk, out) in x.chunks(INFERENCE_CHUNK * n_in).zip(out_chunks) {
            let rows = chunk.len() / n_in;
            for l in 0..=last {
                let (fan_in, fan_out) = (widths[l], widths[l + 1]);
                let a = View::new(
                    if l == 0 { chunk } else { &h[..rows * fan_in] },
                    rows,
                    fan_in,
                );
                let w = View::new(&self.params[2 * l], fan_in, fan_out);
                let bias = &self.params[2 * l + 1];
                if l == last {
                    multiply(out, a, w);
                    add_rows(out, bias);
                    break;
                }
                let z = &mut z[..rows * fan_out];
                multiply(z, a, w);
                add_rows(z, bias);
                match self.constants().get(l) {
                    Some(c) => self
                        .activation
                        .forward_values_with(z, c, &mut h[..rows * fan_out]),
                    None => self.activation.forward_values(z, &mut h[..rows * fan_out]),
                }
                if let Some(sink) = hidden.as_deref_mut() {
                    sink(&h[..rows * fan_out]);
                }
            }
        }
        Ok(logits)
    }
}

/// The index of the largest value (the first of equal ones; NaN never wins, 0 if all are NaN).
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || (row[best].is_nan() && !v.is_nan()) {
            best = i;
        }
    }
    best
}

/// `sum(a * b)`, accumulated in f64 (a layer's constant gradient sums a whole batch of units).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&u, &v)| f64::from(u) * f64::from(v))
        .sum::<f64>() as f32
}

/// Adds `bias` to every row of the row-major `m` (rows of `bias.len()` values).
fn add_rows(m: &mut [f32], bias: &[f32]) {
    for row in m.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
    }
}

/// Writes the column sums of the row-major `m` (rows of `sums.len()` values) into `sums`,
/// adding row after row.
fn column_sums(m: &[f32], sums: &mut [f32]) {
    sums.fill(0.0);
    for row in m.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
}

/// `out = upstream * multiplier` element-wise, and `sums` the column sums of `out` (rows of
/// `sums.len()` values, added row after row): a hidden layer's `dL/dz` and its bias gradient in
/// one pass.
fn multiply_and_sum_columns(
    upstream: &[f32],
    multiplier: &[f32],
    out: &mut [f32],
    sums: &mut [f32],
) {
    sums.fill(0.0);
    let cols = sums.len();
    let rows = out
        .chunks_exact_mut(cols)
        .zip(upstream.chunks_exact(cols))
        .zip(multiplier.chunks_exact(cols));
    for ((out, up), d) in rows {
        let cells = out.iter_mut().zip(up).zip(d).zip(sums.iter_mut());
        for (((o, u), d), sum) in cells {
            let t = u * d;
            *o = t;
            *sum += t;
        }
    }
}

/// The mean softmax cross-entropy of `logits` (`rows x classes`, row-major) against integer
/// `labels`; the logits are overwritten by the loss's gradient with respect to them,
/// `(softmax - onehot) / rows`.
fn softmax_cross_entropy(logits: &mut [f32], labels: &[u8]) -> f32 {
    let rows = labels.len().max(1);
    let classes = logits.len() / rows;
    let scale = 1.0 / rows as f32;
    let mut total = 0.0f64;
    for (row, &label) in logits.chunks_exact_mut(classes).zip(labels) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let target = row[usize::from(label)];
        let mut sum = 0.0f32;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        total += f64::from(sum.ln() + max - target);
        for (c, v) in row.iter_mut().enumerate() {
            let p = *v / sum;
            let onehot = if c == usize::from(label) { 1.0 } else { 0.0 };
            *v = scale * (p - onehot);
        }
    }
    (total / rows as f64) as f32
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
    fn the_input_gradient_matches_finite_differences() {
        // L = sum over rows and outputs of c_j * output_j, so dL/d(output) = c per row.
        let act = Activation::parse("tanh(x) + 0.1 * x", "exact")
            .unwrap()
            .compile();
        let config = NetworkConfig {
            hidden: vec![5, 4],
            ..NetworkConfig::default()
        };
        let op = ActivationOp::new(&act);
        let mut net = Mlp::new(&config, 3, 2, op, &mut ChaCha8Rng::seed_from_u64(8)).unwrap();
        let c = [0.7f32, -1.3];
        let x = [0.5f32, -1.0, 0.3, 0.9, 0.2, -0.4];
        let loss = |net: &Mlp, x: &[f32]| -> f64 {
            let out = net.infer(x, None).unwrap();
            out.chunks_exact(2)
                .map(|o| f64::from(o[0] * c[0] + o[1] * c[1]))
                .sum()
        };
        let outputs = net.forward_for_training(&x, 2).unwrap();
        assert_eq!(outputs.len(), 4);
        for o in outputs.chunks_exact_mut(2) {
            o.copy_from_slice(&c);
        }
        let mut dx = [0.0f32; 6];
        net.backward(&x, 2, Some(&mut dx));
        let h = 1e-2f32;
        for i in 0..x.len() {
            let (mut up, mut down) = (x, x);
            up[i] += h;
            down[i] -= h;
            let numeric = (loss(&net, &up) - loss(&net, &down)) / (2.0 * f64::from(h));
            assert!(
                (numeric - f64::from(dx[i])).abs() < 1e-3,
                "x[{i}]: analytic {}, numeric {numeric}",
                dx[i]
            );
        }
    }

    #[test]
    fn training_gradients_match_finite_differences_of_the_loss() {
        for formula in [
            "tanh(x)",
            "x * sigmoid(param(1) * x)",
            "tanh(param(0.8) * x) + param(0.1) * x",
        ] {
            gradients_match_finite_differences(formula);
        }
    }

    #[test]
    fn constants_are_per_layer_parameters_after_the_weights() {
        let act = Activation::parse("x * sigmoid(param(1.5) * x) + param(-1)", "exact").unwrap();
        let op = ActivationOp::new(&act.compile());
        let config = NetworkConfig {
            hidden: vec![5, 4],
            ..NetworkConfig::default()
        };
        let mut net = Mlp::new(&config, 3, 2, op, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        let sizes: Vec<usize> = net.parameters().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![15, 5, 20, 4, 8, 2, 2, 2]);
        assert_eq!(net.constants(), &[vec![1.5, -1.0], vec![1.5, -1.0]]);
        let mut opt = Optimizer::new(&OptimizerConfig::default(), net.parameters());
        let x = [0.5, -1.0, 0.3, 0.9, 0.2, -0.4];
        net.train_step(&x, &[1, 0], &mut opt).unwrap();
        assert_ne!(
            net.constants()[0],
            vec![1.5, -1.0],
            "the constants are trained"
        );
        assert_ne!(
            net.constants()[0],
            net.constants()[1],
            "each layer has its own"
        );
        assert!(relu_net(vec![5, 4], 1).constants().is_empty());
    }

    fn gradients_match_finite_differences(formula: &str) {
        let act = Activation::parse(formula, "exact").unwrap().compile();
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
        // Weights and biases of three layers, then the constants of both hidden layers.
        let constant_buffers = if act.constants().is_empty() { 0 } else { 2 };
        assert_eq!(before.len(), 6 + constant_buffers);
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
                let up = inferred_loss(&probe, &x, &labels);
                probe.params[buffer][i] -= 2.0 * h;
                let down = inferred_loss(&probe, &x, &labels);
                let numeric = (up - down) / (2.0 * f64::from(h));
                assert!(
                    (numeric - analytic).abs() < 1e-3,
                    "{formula}: buffer {buffer}[{i}]: analytic {analytic}, numeric {numeric}"
                );
            }
        }
    }

    #[test]
    fn fused_loss_matches_dfdx_cross_entropy() {
        use dfdx::losses::cross_entropy_with_logits_loss;
        use dfdx::prelude::{AsArray, Backward, Cpu, TensorFromVec, Trace};
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
        let mut logits = values;
        let got = softmax_cross_entropy(&mut logits, &labels);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        for (g, w) in logits.iter().zip(&want_grad) {
            assert!((g - w).abs() < 1e-6, "{logits:?} vs {want_grad:?}");
        }
    }

    /// Loss and gradients of every parameter buffer for one batch, computed the textbook way in
    /// f64 (the activation and its multiplier evaluated element by element in f32, as the
    /// network does).
    fn reference_step(net: &Mlp, x: &[f32], labels: &[u8]) -> (f64, Vec<Vec<f64>>) {
        let rows = labels.len();
        let w = &net.widths;
        let layers = w.len() - 1;
        let mut inputs: Vec<Vec<f64>> = vec![x.iter().map(|&v| f64::from(v)).collect()];
        let mut mults: Vec<Vec<f64>> = Vec::new();
        let mut z = Vec::new();
        for l in 0..layers {
            let (weight, bias) = (&net.params[2 * l], &net.params[2 * l + 1]);
            let a = &inputs[l];
            z = vec![0.0f64; rows * w[l + 1]];
            for r in 0..rows {
                for j in 0..w[l + 1] {
                    let dot: f64 = (0..w[l])
                        .map(|i| a[r * w[l] + i] * f64::from(weight[i * w[l + 1] + j]))
                        .sum();
                    z[r * w[l + 1] + j] = dot + f64::from(bias[j]);
                }
            }
            if l + 1 < layers {
                let (mut y, mut g) = (vec![0.0f32; 1], vec![0.0f32; 1]);
                let (mut ys, mut gs) = (Vec::new(), Vec::new());
                for &v in &z {
                    net.activation
                        .forward_and_multiplier(&[v as f32], &mut y, &mut g);
                    ys.push(f64::from(y[0]));
                    gs.push(f64::from(g[0]));
                }
                inputs.push(ys);
                mults.push(gs);
            }
        }
        let classes = w[layers];
        let mut loss = 0.0;
        let mut dz = vec![0.0f64; rows * classes];
        for r in 0..rows {
            let row = &z[r * classes..(r + 1) * classes];
            let max = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
            let label = usize::from(labels[r]);
            loss += sum.ln() + max - row[label];
            for c in 0..classes {
                let onehot = if c == label { 1.0 } else { 0.0 };
                dz[r * classes + c] = ((row[c] - max).exp() / sum - onehot) / rows as f64;
            }
        }
        let mut grads = vec![Vec::new(); 2 * layers];
        for l in (0..layers).rev() {
            let (n_in, n_out) = (w[l], w[l + 1]);
            let a = &inputs[l];
            grads[2 * l] = (0..n_in * n_out)
                .map(|k| {
                    (0..rows)
                        .map(|r| a[r * n_in + k / n_out] * dz[r * n_out + k % n_out])
                        .sum()
                })
                .collect();
            grads[2 * l + 1] = (0..n_out)
                .map(|j| (0..rows).map(|r| dz[r * n_out + j]).sum())
                .collect();
            if l > 0 {
                let weight = &net.params[2 * l];
                dz = (0..rows * n_in)
                    .map(|k| {
                        let (r, i) = (k / n_in, k % n_in);
                        let da: f64 = (0..n_out)
                            .map(|j| dz[r * n_out + j] * f64::from(weight[i * n_out + j]))
                            .sum();
                        da * mults[l - 1][k]
                    })
                    .collect();
            }
        }
        (loss / rows as f64, grads)
    }

    #[test]
    fn steps_match_a_textbook_reference_on_random_shapes_and_batches() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let sgd = OptimizerConfig {
            kind: OptimizerKind::sgd(0.0),
            learning_rate: 1e-3,
            ..OptimizerConfig::default()
        };
        for case in 0..12 {
            // Widths around the kernels' tiles and odd ones; batch sizes that are not multiples
            // of a tile, and a smaller batch after a larger one (the last batch of an epoch).
            let sizes = [1, 3, 5, 8, 13, 24, 31, 64, 97];
            let depth = rng.gen_range(0..3);
            let hidden: Vec<usize> = (0..depth)
                .map(|_| sizes[rng.gen_range(0..sizes.len())])
                .collect();
            let (n_in, classes) = (rng.gen_range(1..40), rng.gen_range(2..12));
            let formula = ["tanh(x)", "relu(x)", "x * sigmoid(x)"][case % 3];
            let op = ActivationOp::new(&Activation::parse(formula, "exact").unwrap().compile());
            let config = NetworkConfig {
                hidden: hidden.clone(),
                ..NetworkConfig::default()
            };
            let mut net = Mlp::new(&config, n_in, classes, op, &mut rng).unwrap();
            let mut opt = Optimizer::new(&sgd, net.parameters());
            for rows in [rng.gen_range(20..70), rng.gen_range(1..20), 1] {
                let x: Vec<f32> = (0..rows * n_in).map(|_| rng.gen_range(-2.0..2.0)).collect();
                let labels: Vec<u8> = (0..rows).map(|_| rng.gen_range(0..classes as u8)).collect();
                let (want_loss, want) = reference_step(&net, &x, &labels);
                let loss = net.train_step(&x, &labels, &mut opt).unwrap();
                let what = format!("{formula} {n_in}-{hidden:?}-{classes}, batch {rows}");
                assert!(
                    (f64::from(loss) - want_loss).abs() < 1e-4 * (1.0 + want_loss),
                    "{what}: loss {loss} vs {want_loss}"
                );
                for (b, (got, want)) in net.scratch.grads.iter().zip(&want).enumerate() {
                    assert_eq!(got.len(), want.len());
                    for (i, (g, w)) in got.iter().zip(want).enumerate() {
                        assert!(
                            (f64::from(*g) - w).abs() < 1e-4 * (1.0 + w.abs()),
                            "{what}: gradient {b}[{i}] {g} vs {w}"
                        );
                    }
                }
            }
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
        let logits = net
            .infer(&x, Some(&mut |h: &[f32]| hidden.extend_from_slice(h)))
            .unwrap();
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
