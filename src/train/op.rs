//! The candidate activation as a dfdx operation: the forward pass applies the compiled forward
//! program, the backward pass multiplies the upstream gradient by the compiled backward
//! multiplier, `dL/dx = g(x) * dL/dy`, whatever the forward's true derivative is.
//!
//! With a tape, one pass of the joint program computes `y` and `g` together; `g` is kept for the
//! backward closure. Without a tape (inference) only the forward program runs.
//!
//! The op can also standardise the activation (see [`Standardization`]): `y' = (f(x) - m) / s`
//! and `g' = g / s`, with `m` and `s` the mean and standard deviation of `f` under `N(0, 1)`.
//!
//! A layer's bias is fused in ([`ActivationOp::apply_with_bias`], `y = f(z + b)`, and
//! [`add_bias`] for the output layer): dfdx's broadcast of a bias over the batch, forward and
//! backward, goes through per-element strided index arithmetic and is slow.
//!
//! Trainable constants: the network passes each layer's current values to the op (which then
//! also writes `df/dc_k` for every element); the dfdx operation uses their initial values and
//! records no gradient for them. A standardised op keeps the mean and scale of the initial
//! values.
//!
//! This file and `network.rs` are the only ones that touch dfdx.

use crate::activation::CompiledActivation;
use crate::expr::Program;
use dfdx::prelude::{Cpu, HasShape, Shape, SplitTape, Tape, Tensor, TensorFromVec};
use dfdx::tensor::{CpuError, PutTape};
use dfdx::tensor_ops::ReshapeTo;
use serde::{Deserialize, Serialize};

/// Half-width of the quadrature interval for the `N(0, 1)` statistics.
const QUADRATURE_RANGE: f64 = 8.0;
/// Number of quadrature points.
const QUADRATURE_POINTS: usize = 32_001;
/// Below this standard deviation an activation counts as constant and cannot be standardised.
const MIN_STD: f64 = 1e-6;

/// Mean and standard deviation of an activation's output for standard normal inputs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// `E[f(x)]` for `x ~ N(0, 1)`.
    pub mean: f32,
    /// `sqrt(Var[f(x)])` for `x ~ N(0, 1)`.
    pub std: f32,
}

/// Why an activation could not be standardised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StandardizationError {
    /// `f` is NaN somewhere in the bulk of `N(0, 1)`.
    #[error("cannot standardise the activation: it is NaN at x = {x}")]
    NotANumber {
        /// A point where `f(x)` is NaN.
        x: f32,
    },
    /// `f` is (nearly) constant, so there is no scale to divide by.
    #[error("cannot standardise the activation: its standard deviation under N(0, 1) is {std:e}")]
    Constant {
        /// The standard deviation found.
        std: f64,
    },
    /// `f` is so large that its variance overflows.
    #[error("cannot standardise the activation: its variance under N(0, 1) is not finite")]
    Infinite,
}

impl Standardization {
    /// Computes the mean and standard deviation of `forward` under `N(0, 1)` by quadrature on a
    /// fine grid over `[-8, 8]` (deterministic; exact to about 1e-4 even for step functions).
    pub fn of(forward: &Program) -> Result<Self, StandardizationError> {
        let step = 2.0 * QUADRATURE_RANGE / (QUADRATURE_POINTS - 1) as f64;
        let xs: Vec<f32> = (0..QUADRATURE_POINTS)
            .map(|i| (-QUADRATURE_RANGE + i as f64 * step) as f32)
            .collect();
        let mut ys = vec![0.0f32; xs.len()];
        forward.eval(&xs, &mut ys);
        if let Some(i) = ys.iter().position(|y| y.is_nan()) {
            return Err(StandardizationError::NotANumber { x: xs[i] });
        }
        let weights: Vec<f64> = xs
            .iter()
            .map(|&x| (-0.5 * f64::from(x) * f64::from(x)).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        let mean = weights
            .iter()
            .zip(&ys)
            .map(|(w, &y)| w * f64::from(y))
            .sum::<f64>()
            / total;
        let var = weights
            .iter()
            .zip(&ys)
            .map(|(w, &y)| w * (f64::from(y) - mean).powi(2))
            .sum::<f64>()
            / total;
        let std = var.sqrt();
        if !std.is_finite() || !mean.is_finite() || std as f32 > f32::MAX {
            return Err(StandardizationError::Infinite);
        }
        if std < MIN_STD {
            return Err(StandardizationError::Constant { std });
        }
        Ok(Standardization {
            mean: mean as f32,
            std: std as f32,
        })
    }
}

/// A compiled activation ready to be applied to dfdx tensors.
#[derive(Clone, Debug)]
pub struct ActivationOp {
    forward: Program,
    joint: Program,
    /// The mean subtracted from `f` (0 unless standardised).
    shift: f32,
    /// The factor applied to `f - shift` and to `g` (1 unless standardised).
    inv_scale: f32,
}

impl ActivationOp {
    /// The activation as compiled, without standardisation.
    pub fn new(compiled: &CompiledActivation) -> Self {
        ActivationOp {
            forward: compiled.forward.clone(),
            joint: compiled.joint.clone(),
            shift: 0.0,
            inv_scale: 1.0,
        }
    }

    /// The activation standardised to zero mean and unit variance under `N(0, 1)` inputs.
    pub(crate) fn standardized(
        compiled: &CompiledActivation,
    ) -> Result<Self, StandardizationError> {
        let s = Standardization::of(&compiled.forward)?;
        Ok(ActivationOp {
            shift: s.mean,
            inv_scale: 1.0 / s.std,
            ..ActivationOp::new(compiled)
        })
    }

    /// The standardisation `y = (f - shift) * scale` as `(shift, scale)`, if there is one.
    pub fn affine(&self) -> Option<(f32, f32)> {
        self.is_affine().then_some((self.shift, self.inv_scale))
    }

    /// The same activation with the standardisation `y = (f - shift) * scale` (a saved model's).
    pub fn with_affine(self, shift: f32, scale: f32) -> Self {
        ActivationOp {
            shift,
            inv_scale: scale,
            ..self
        }
    }

    /// Whether the op subtracts a mean and divides by a scale.
    fn is_affine(&self) -> bool {
        self.shift != 0.0 || self.inv_scale != 1.0
    }

    /// Evaluates the (possibly standardised) activation on a slice: `y = f(x)`.
    pub(crate) fn forward_values(&self, x: &[f32], y: &mut [f32]) {
        self.forward.eval(x, y);
        if self.is_affine() {
            y.iter_mut()
                .for_each(|v| *v = (*v - self.shift) * self.inv_scale);
        }
    }

    /// Number of trainable constants of the activation.
    pub fn constants(&self) -> usize {
        self.joint.params().len()
    }

    /// The initial values of the trainable constants.
    pub(crate) fn initial_constants(&self) -> &[f32] {
        self.joint.params()
    }

    /// Evaluates the (possibly standardised) activation with the trainable constants at
    /// `constants`: `y = f(x; c)`.
    pub(crate) fn forward_values_with(&self, x: &[f32], constants: &[f32], y: &mut [f32]) {
        self.forward.eval_many_with(x, constants, &mut [y]);
        if self.is_affine() {
            y.iter_mut()
                .for_each(|v| *v = (*v - self.shift) * self.inv_scale);
        }
    }

    /// Evaluates, with the trainable constants at `constants`, `y = f(x; c)`, the backward
    /// multiplier `g` and, in `grads` (`constants.len()` runs of `x.len()` values), `df/dc_k`.
    pub(crate) fn forward_multiplier_and_constant_grads(
        &self,
        x: &[f32],
        constants: &[f32],
        y: &mut [f32],
        g: &mut [f32],
        grads: &mut [f32],
    ) {
        let mut outs: Vec<&mut [f32]> = vec![y, g];
        outs.extend(grads.chunks_exact_mut(x.len().max(1)).take(constants.len()));
        self.joint.eval_many_with(x, constants, &mut outs);
        if self.is_affine() {
            let [y, rest @ ..] = &mut outs[..] else {
                unreachable!("y and g are there");
            };
            y.iter_mut()
                .for_each(|v| *v = (*v - self.shift) * self.inv_scale);
            for out in rest {
                out.iter_mut().for_each(|v| *v *= self.inv_scale);
            }
        }
    }

    /// Evaluates `y = f(x)` and the backward multiplier `g(x)` on a slice in one pass.
    pub(crate) fn forward_and_multiplier(&self, x: &[f32], y: &mut [f32], g: &mut [f32]) {
        self.joint.eval_many(x, &mut [y, g]);
        if self.is_affine() {
            y.iter_mut()
                .for_each(|v| *v = (*v - self.shift) * self.inv_scale);
            g.iter_mut().for_each(|v| *v *= self.inv_scale);
        }
    }

    /// Applies the activation element-wise to a tensor of any shape. With a tape, records a
    /// backward operation that adds `g(x) * dL/dy` to the gradient of `x`.
    pub fn apply<S: Shape, T: Tape<f32, Cpu>>(
        &self,
        x: Tensor<S, f32, Cpu, T>,
    ) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
        biased(x, None, Some(self))
    }

    /// `y = f(z + b)` for a `(rows, cols)` tensor `z` and a bias `b` of `cols` values added to
    /// every row: the bias and the activation of a layer as one operation, which saves dfdx's
    /// (slow, strided) broadcast. With a tape, the gradients of `z` and of `b` are recorded.
    ///
    /// # Panics
    /// If `b` does not have one value per column of `z`.
    pub fn apply_with_bias<T: Tape<f32, Cpu>>(
        &self,
        z: Tensor<(usize, usize), f32, Cpu, T>,
        bias: &Tensor<(usize,), f32, Cpu>,
    ) -> Result<Tensor<(usize, usize), f32, Cpu, T>, CpuError> {
        biased(z, Some(bias), Some(self))
    }
}

/// `y = z + b` for a `(rows, cols)` tensor `z` and a bias of `cols` values added to every row
/// (the output layer's bias), recording the gradients of `z` and `b`.
///
/// # Panics
/// If `b` does not have one value per column of `z`.
pub fn add_bias<T: Tape<f32, Cpu>>(
    z: Tensor<(usize, usize), f32, Cpu, T>,
    bias: &Tensor<(usize,), f32, Cpu>,
) -> Result<Tensor<(usize, usize), f32, Cpu, T>, CpuError> {
    biased(z, Some(bias), None)
}

/// The operation behind [`ActivationOp::apply`], [`ActivationOp::apply_with_bias`] and
/// [`add_bias`]: `y = act(x + b)`, with the bias (if any) added to each row of `x`, read as rows
/// of `b.len()` values, and `act` the identity when `None`.
fn biased<S: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    bias: Option<&Tensor<(usize,), f32, Cpu>>,
    act: Option<&ActivationOp>,
) -> Result<Tensor<S, f32, Cpu, T>, CpuError> {
    let shape = *x.shape();
    // A no-op for contiguous tensors; copies a broadcast or permuted one into a fresh buffer,
    // so that physical order (copy_into, gradient buffers) equals logical order below.
    let x = x.try_reshape_like(&shape)?;
    let (x, mut tape) = x.split_tape();
    let n = shape.num_elements();
    let mut xs = vec![0.0f32; n];
    x.copy_into(&mut xs);
    let bias = bias.map(|b| (b.as_vec(), b.ghost()));
    let cols = match &bias {
        Some((b, _)) => {
            assert!(
                n.checked_rem(b.len()) == Some(0),
                "a bias of {} values does not fit rows of {shape:?}",
                b.len()
            );
            for row in xs.chunks_exact_mut(b.len()) {
                row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
            }
            b.len()
        }
        None => n.max(1),
    };
    let (y, g) = match act {
        None => (xs, None),
        Some(act) if T::OWNS_TAPE => {
            let (mut y, mut g) = (vec![0.0f32; n], vec![0.0f32; n]);
            act.forward_and_multiplier(&xs, &mut y, &mut g);
            (y, Some(g))
        }
        Some(act) => {
            let mut y = vec![0.0f32; n];
            act.forward_values(&xs, &mut y);
            (y, None)
        }
    };
    let out = x.device().try_tensor_from_vec(y, shape)?;
    if !T::OWNS_TAPE {
        return Ok(out.put_tape(tape));
    }
    let out_ghost = out.ghost();
    let x_ghost = x.ghost();
    tape.add_backward_op(move |grads| {
        // Borrow the upstream gradient by moving it out, then put it back: no copy.
        let upstream = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        // Column sums of dL/d(x + b), for the bias.
        let mut sums = vec![0.0f32; cols];
        let gx = grads.get_or_alloc_mut(&x_ghost)?;
        let rows = gx.chunks_exact_mut(cols).zip(upstream.chunks_exact(cols));
        match &g {
            Some(g) => {
                for ((gx, up), d) in rows.zip(g.chunks_exact(cols)) {
                    let cells = gx.iter_mut().zip(up).zip(d).zip(sums.iter_mut());
                    for (((acc, u), d), sum) in cells {
                        let t = u * d;
                        *acc += t;
                        *sum += t;
                    }
                }
            }
            None => {
                for (gx, up) in rows {
                    for ((acc, u), sum) in gx.iter_mut().zip(up).zip(sums.iter_mut()) {
                        *acc += u;
                        *sum += u;
                    }
                }
            }
        }
        if let Some((_, b_ghost)) = &bias {
            let gb = grads.get_or_alloc_mut(b_ghost)?;
            gb.iter_mut().zip(&sums).for_each(|(acc, s)| *acc += s);
        }
        **grads.get_or_alloc_mut(&out_ghost)? = upstream;
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use dfdx::prelude::{
        AsArray, Axes2, Axis, Backward, BroadcastTo, OwnedTape, PermuteTo, SumTo, Trace, TryMatMul,
    };

    fn compiled(f: &str, g: &str) -> CompiledActivation {
        Activation::parse(f, g).unwrap().compile()
    }

    #[test]
    fn standardization_of_tanh_and_heaviside() {
        let s = Standardization::of(&compiled("heaviside(x)", "exact").forward).unwrap();
        assert!(
            (s.mean - 0.5).abs() < 1e-3 && (s.std - 0.5).abs() < 1e-3,
            "{s:?}"
        );
        let s = Standardization::of(&compiled("tanh(x)", "exact").forward).unwrap();
        assert!(s.mean.abs() < 1e-6, "{s:?}");
        // E[tanh(x)^2] under N(0,1) is about 0.3943.
        assert!((s.std * s.std - 0.3943).abs() < 1e-3, "{s:?}");
    }

    #[test]
    fn standardization_rejects_constants() {
        assert!(matches!(
            Standardization::of(&compiled("0", "exact").forward),
            Err(StandardizationError::Constant { .. })
        ));
    }

    /// Inputs, a weight matrix and output weights for `L(w) = sum(c * act(x w))`.
    fn problem() -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let x: Vec<f32> = (0..6 * 4)
            .map(|i| ((i * 7) % 11) as f32 / 5.0 - 1.0)
            .collect();
        let w: Vec<f32> = (0..4 * 5)
            .map(|i| ((i * 5) % 9) as f32 / 6.0 - 0.6)
            .collect();
        let c: Vec<f32> = (0..6 * 5)
            .map(|i| ((i * 3) % 7) as f32 / 3.0 - 1.0)
            .collect();
        (x, w, c)
    }

    /// `L(w)` and `dL/dw` with `act` applied by `apply`.
    fn loss_and_grad(
        w: &[f32],
        apply: impl Fn(
            Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
        ) -> Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
    ) -> (f32, Vec<f32>) {
        let dev = Cpu::default();
        let (x, _, c) = problem();
        let x = dev.tensor_from_vec(x, (6, 4));
        let c = dev.tensor_from_vec(c, (6, 5));
        let w = dev.tensor_from_vec(w.to_vec(), (4, 5));
        let y = apply(x.leaky_trace().matmul(w.clone()));
        let loss = (y * c).sum();
        let value = loss.array();
        let grads = loss.backward();
        (value, grads.get(&w).as_vec())
    }

    #[test]
    fn relu_with_its_exact_rule_matches_dfdx_relu() {
        let op = ActivationOp::new(&compiled("relu(x)", "exact"));
        let (_, mut w, _) = problem();
        // Make one pre-activation exactly zero: both must treat relu'(0) as 0.
        w[0] = 0.0;
        w[5] = 0.0;
        w[10] = 0.0;
        w[15] = 0.0;
        let (ours, g_ours) = loss_and_grad(&w, |z| op.apply(z).unwrap());
        let (theirs, g_theirs) = loss_and_grad(&w, |z| z.relu());
        assert_eq!(ours, theirs);
        assert_eq!(g_ours, g_theirs);
        assert!(g_ours.iter().any(|&g| g != 0.0));
    }

    #[test]
    fn smooth_activations_match_finite_differences() {
        for formula in ["tanh(x)", "x * sigmoid(x)"] {
            let op = ActivationOp::new(&compiled(formula, "exact"));
            let (_, w, _) = problem();
            let (_, grad) = loss_and_grad(&w, |z| op.apply(z).unwrap());
            let h = 1e-2f32;
            for i in 0..w.len() {
                let (mut up, mut down) = (w.clone(), w.clone());
                up[i] += h;
                down[i] -= h;
                let numeric = (loss_and_grad(&up, |z| op.apply(z).unwrap()).0
                    - loss_and_grad(&down, |z| op.apply(z).unwrap()).0)
                    / (2.0 * h);
                assert!(
                    (numeric - grad[i]).abs() < 2e-3 * (1.0 + numeric.abs()),
                    "{formula}: dL/dw[{i}] = {} but finite differences give {numeric}",
                    grad[i]
                );
            }
        }
    }

    #[test]
    fn fused_bias_ops_match_dfdx_broadcast() {
        let dev = Cpu::default();
        let op = ActivationOp::new(&compiled("tanh(x)", "exact"));
        let z: Vec<f32> = (0..4 * 3).map(|i| (i as f32 - 5.5) / 4.0).collect();
        let c: Vec<f32> = (0..4 * 3).map(|i| ((i * 5) % 7) as f32 - 3.0).collect();
        let b = dev.tensor_from_vec(vec![0.3f32, -0.2, 0.1], (3usize,));
        let c = dev.tensor_from_vec(c, (4usize, 3usize));
        // Reference: dfdx's broadcast add, tanh and another broadcast add.
        let zt = dev.tensor_from_vec(z.clone(), (4usize, 3usize));
        let bt = b
            .leaky_trace()
            .broadcast_like::<_, Axis<0>>(&(4usize, 3usize));
        let y = (zt.leaky_trace() + bt).tanh() + b.clone().broadcast_like::<_, Axis<0>>(&(4, 3));
        let reference = (y * c.clone()).sum();
        let want: f32 = reference.array();
        let want_grads = reference.backward();
        // Ours: fused bias + activation, then the bias alone.
        let zo = dev.tensor_from_vec(z, (4usize, 3usize));
        let y = add_bias(op.apply_with_bias(zo.leaky_trace(), &b).unwrap(), &b).unwrap();
        let loss = (y * c).sum();
        let got: f32 = loss.array();
        assert!((got - want).abs() < 1e-5);
        let grads = loss.backward();
        let close = |a: Vec<f32>, b: Vec<f32>| a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!(close(grads.get(&zo).as_vec(), want_grads.get(&zt).as_vec()));
        assert!(close(grads.get(&b).as_vec(), want_grads.get(&b).as_vec()));
    }

    #[test]
    fn surrogate_rule_replaces_the_zero_derivative() {
        let op = ActivationOp::new(&compiled("heaviside(x)", "rect(-0.5, 0.5)"));
        let (_, w, _) = problem();
        let (_, grad) = loss_and_grad(&w, |z| op.apply(z).unwrap());
        assert!(grad.iter().any(|&g| g != 0.0));
        let exact = ActivationOp::new(&compiled("heaviside(x)", "exact"));
        let (_, grad) = loss_and_grad(&w, |z| exact.apply(z).unwrap());
        assert!(grad.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn inference_without_tape_and_non_contiguous_inputs() {
        let dev = Cpu::default();
        let op = ActivationOp::new(&compiled("relu(x)", "exact"));
        let t = dev.tensor_from_vec(vec![-1.0f32, 2.0, 3.0, -4.0, 5.0, -6.0], (2usize, 3usize));
        // A transposed view: logical order differs from physical order.
        let y = op.apply(t.clone().permute::<_, Axes2<1, 0>>()).unwrap();
        assert_eq!(y.as_vec(), vec![0.0, 0.0, 2.0, 5.0, 3.0, 0.0]);
        assert_eq!(
            op.apply(t).unwrap().as_vec(),
            vec![0.0, 2.0, 3.0, 0.0, 5.0, 0.0]
        );
    }

    #[test]
    fn standardized_op_scales_values_and_multiplier() {
        let c = compiled("heaviside(x)", "rect(-0.5, 0.5)");
        let op = ActivationOp::standardized(&c).unwrap();
        let (mut y, mut g) = ([0.0; 3], [0.0; 3]);
        op.forward_and_multiplier(&[-1.0, 0.25, 2.0], &mut y, &mut g);
        for (got, want) in y.iter().zip([-1.0, 1.0, 1.0]) {
            assert!((got - want).abs() < 1e-3, "{y:?}");
        }
        for (got, want) in g.iter().zip([0.0, 2.0, 0.0]) {
            assert!((got - want).abs() < 1e-3, "{g:?}");
        }
    }
}
