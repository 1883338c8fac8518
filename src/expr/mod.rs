//! Activation expressions: the graph type, the primitive catalogue, text syntax (parser and
//! printer), canonical form and fingerprint, and the compiled batch evaluator [`Program`].
//!
//! ```
//! use radact::expr::{parse, Program};
//! let g = parse("x * sigmoid(1.702 * x)").unwrap();
//! let p = Program::compile(&g);
//! let mut y = [0.0f32; 2];
//! p.eval(&[0.0, 10.0], &mut y);
//! assert_eq!(y[0], 0.0);
//! assert!((y[1] - 10.0).abs() < 1e-4);
//! ```

pub(crate) mod canon;
mod catalogue;
pub(crate) mod fingerprint;
pub(crate) mod graph;
pub mod kernels;
pub mod parse;
pub mod primitive;
pub mod print;
pub(crate) mod program;
pub(crate) mod serial;

pub use canon::simplify;
pub use fingerprint::{fingerprint, Fingerprint};
pub use graph::{Graph, Node, NodeId, Params};
pub use parse::{parse, ParseError};
pub use primitive::{Arity, Op, Primitive};
pub use print::structure;
pub use program::Program;
