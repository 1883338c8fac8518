//! An activation candidate: a forward expression graph plus the backward mode that says how its
//! backward multiplier is derived. This is the unit radact searches, trains and exports.
//!
//! A forward graph may hold trainable constants (`param(1.0)`): training makes each a
//! parameter of every hidden layer, updated with the weights, and compiling derives the
//! derivative of `f` with respect to each alongside `g`.
//!
//! ```
//! use radact::Activation;
//! let swish = Activation::parse("x * sigmoid(param(1.0) * x)", "exact").unwrap();
//! assert_eq!(swish.constants(), vec![1.0]);
//! let c = swish.compile();
//! // y, g = dy/dx and dy/dbeta at x = 2 with beta = 0.5.
//! let (mut y, mut g, mut db) = ([0.0], [0.0], [0.0]);
//! c.joint.eval_many_with(&[2.0], &[0.5], &mut [&mut y, &mut g, &mut db]);
//! let s = 1.0 / (1.0 + (-1.0f32).exp());
//! assert!((y[0] - 2.0 * s).abs() < 1e-6);
//! assert!((db[0] - 4.0 * s * (1.0 - s)).abs() < 1e-6);
//! ```

use crate::expr::{self, Graph, Program};
use crate::grad::{self, BackwardMode};
use serde::{Deserialize, Serialize};

/// A forward graph `f` and the mode that derives its backward multiplier `g`
/// (`dL/dx = g(x) * dL/dy`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// The forward function `y = f(x)`.
    pub forward: Graph,
    /// How the backward multiplier is obtained.
    pub backward: BackwardMode,
}

/// Why an activation could not be built from text.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The forward formula did not parse.
    #[error("in the activation formula: {0}")]
    Forward(#[from] expr::ParseError),
    /// The backward mode or rule did not parse.
    #[error("in the backward mode: {0}")]
    Backward(#[from] grad::RuleError),
}

/// The compiled forward and backward evaluators of an [`Activation`].
#[derive(Clone, Debug)]
pub struct CompiledActivation {
    /// `f(x)`: one output.
    pub forward: Program,
    /// `g(x)`: one output.
    pub backward: Program,
    /// `f(x)`, `g(x)` and then `df/dc_k` for each trainable constant `c_k` (in the order of
    /// [`Activation::constants`]) in one pass, sharing sub-expressions. Each program reads the
    /// constants' current values from [`Program::eval_many_with`].
    pub joint: Program,
}

impl CompiledActivation {
    /// The initial values of the trainable constants, in order (empty when there are none).
    pub fn constants(&self) -> &[f32] {
        self.joint.params()
    }
}

impl Activation {
    /// Pairs a forward graph with a backward mode.
    pub fn new(forward: Graph, backward: BackwardMode) -> Self {
        Activation { forward, backward }
    }

    /// Parses a forward formula and a backward mode (`exact`, `surrogate`, `direction`, a named
    /// rule such as `rect(-0.5, 0.5)`, or `expr(<formula in x>)`).
    pub fn parse(forward: &str, backward: &str) -> Result<Self, ActivationError> {
        Ok(Activation {
            forward: expr::parse(forward)?,
            backward: backward.parse()?,
        })
    }

    /// The backward multiplier `g(x)` as a simplified graph in `x`.
    pub fn backward_graph(&self) -> Graph {
        grad::derive(&self.forward, &self.backward)
    }

    /// The initial values of the forward graph's trainable constants (`param(v)`), in the
    /// order in which the formula names them.
    pub fn constants(&self) -> Vec<f32> {
        self.forward.param_values()
    }

    /// Compiles forward, backward and the joint program.
    pub fn compile(&self) -> CompiledActivation {
        let joint = grad::derive_all(&self.forward, &self.backward);
        let mut outputs = vec![joint.y, joint.g];
        outputs.extend(&joint.param_grads);
        let compile =
            |outputs: &[_]| Program::compile_with_params(&joint.graph, outputs, &joint.params);
        CompiledActivation {
            forward: Program::compile(&self.forward),
            backward: compile(&[joint.g]),
            joint: compile(&outputs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_round_trip_through_ron_exactly() {
        for (f, b) in [
            ("x * sigmoid(1.702 * x)", "exact"),
            ("heaviside(x)", "rect(-0.5, 0.5)"),
            ("quantize(x, 5) + 0.1 * x", "surrogate"),
            ("sign(x)", "direction"),
            ("deadzone(x, 0.25)", "atan(3)"),
            ("floor(4 * x) / 4", "expr(1 - tanh(x)^2)"),
        ] {
            let act = Activation::parse(f, b).unwrap();
            let text = ron::ser::to_string_pretty(&act, Default::default()).unwrap();
            assert!(
                text.contains("formula:") && text.contains("nodes:"),
                "{text}"
            );
            let back: Activation = ron::from_str(&text).unwrap();
            assert_eq!(back, act, "{text}");
            assert_eq!(back.backward.to_string(), b);
        }
    }

    #[test]
    fn compiled_programs_agree() {
        let act = Activation::parse("tanh(x) * heaviside(x)", "surrogate").unwrap();
        let c = act.compile();
        let x: Vec<f32> = (-30..30).map(|i| i as f32 * 0.1).collect();
        let (mut y1, mut g1, mut y2, mut g2) =
            (vec![0.0; 60], vec![0.0; 60], vec![0.0; 60], vec![0.0; 60]);
        c.forward.eval(&x, &mut y1);
        c.backward.eval(&x, &mut g1);
        c.joint.eval_many(&x, &mut [&mut y2, &mut g2]);
        assert_eq!(y1, y2);
        assert_eq!(g1, g2);
    }

    #[test]
    fn bad_text_names_the_part() {
        let e = Activation::parse("tanh(", "exact").unwrap_err().to_string();
        assert!(e.starts_with("in the activation formula"), "{e}");
        let e = Activation::parse("x", "nope").unwrap_err().to_string();
        assert!(e.starts_with("in the backward mode"), "{e}");
    }
}
