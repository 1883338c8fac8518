//! # radact
//!
//! radact searches for neural-network activation functions, including "radical" ones that
//! ordinary autograd cannot train (steps, signs, quantisers, dead zones). Every candidate is an
//! expression graph ([`expr::Graph`]) over the primitive catalogue ([`expr::primitive`]); its
//! backward multiplier `g(x)` (with `dL/dx = g(x) * dL/dy`) is derived automatically by
//! [`grad`], either exactly, through surrogate derivatives, as a direction only, or from a named
//! straight-through rule. Both are compiled to fast batch evaluators ([`expr::Program`]).
//!
//! ```
//! use radact::activation::Activation;
//! let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)").unwrap();
//! let compiled = act.compile();
//! let x = [-1.0, -0.25, 0.0, 0.25, 1.0];
//! let (mut y, mut g) = ([0.0; 5], [0.0; 5]);
//! compiled.forward.eval(&x, &mut y);
//! compiled.backward.eval(&x, &mut g);
//! assert_eq!(y, [0.0, 0.0, 1.0, 1.0, 1.0]);
//! assert_eq!(g, [0.0, 1.0, 1.0, 1.0, 0.0]);
//! ```

pub mod activation;
pub mod expr;
pub mod grad;

pub mod export;
pub mod run;
pub mod search;
pub mod train;
