//! Taking activations home: the RON export record ([`ExportedActivation`]) that
//! `radact train --act-file` reads back, and code generation for Rust ([`rust`]), PyTorch
//! ([`pytorch`]), NumPy ([`numpy`]) and JAX ([`jax`]) with the same forward and backward as
//! radact.
//!
//! Every generator lowers the forward graph and the derived backward multiplier with one
//! traversal (`listing.rs`) and spells each primitive with the body its row of the primitive
//! table declares ([`crate::expr::primitive::Code`], read through `kernel.rs`; the three Python
//! generators share one body per primitive and the module layout, `python.rs`), which mirrors
//! radact's kernels operation for operation, so generated code computes what radact computes:
//! protection constants, saturation of ±inf to ±`f32::MAX`, `heaviside(0) = 1`, `sign(0) = 0`,
//! round half to even, NaN handling.
//!
//! ```
//! use radact::activation::Activation;
//! use radact::export::{pytorch, rust, ExportedActivation};
//! let act = Activation::parse("x * sigmoid(1.702 * x)", "exact").unwrap();
//! let record = ExportedActivation::new("swish-1702", act).with_origin("runs/demo", Some(17));
//! let text = record.to_ron();
//! let back = ExportedActivation::from_ron_str(&text, "swish.ron").unwrap();
//! assert_eq!(back, record);
//! assert!(rust::generate(&record).contains("pub fn swish_1702_backward(x: f32) -> f32"));
//! assert!(pytorch::generate(&record).contains("class Swish1702(torch.nn.Module):"));
//! ```

pub mod c;
mod candidate;
mod error;
mod format;
mod helper;
pub mod jax;
mod kernel;
pub(crate) mod listing;
mod name;
pub mod numpy;
mod python;
pub mod pytorch;
mod record;
pub mod rust;
mod rust_support;

pub use candidate::candidate_name;
pub use error::ExportError;
pub use format::Format;
pub use name::Identifiers;
pub use record::{
    ConstantsMismatch, ExportedActivation, Provenance, TrainedConstants, RADACT_VERSION,
};
