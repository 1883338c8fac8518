//! The kernels generated code calls: for a primitive, the name and the Rust and Python bodies of
//! its kernel, as its row of the primitive table declares them
//! ([`crate::expr::primitive::Code`] says what a body may contain and which semantics it
//! keeps), and the named [`CONSTANTS`] of radact's kernels that bodies read (`PI`; `_PI` in
//! Python). The Python body is one for PyTorch, NumPy and JAX, written with neutral `xp.` names
//! that `python.rs` spells per library.

use crate::expr::kernels::{
    LEAKY_SLOPE, LOG_EPS, MOD_EPS, RECIPROCAL_EPS, SELU_ALPHA, SELU_SCALE, WAVE_PERIOD,
};
use crate::expr::primitive::{self, ParamSpec};
use crate::expr::{Arity, Op};
use std::f32::consts::{FRAC_1_SQRT_2, PI};

/// The generated code of one primitive's kernel.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// Helper name (`_` prefixed in Python). n-ary primitives fold the binary kernel named
    /// after them, as the evaluator does: `sum_n` uses `add`.
    pub name: &'static str,
    /// The primitive whose signature and formula the kernel has (`add` for `sum_n`).
    pub op: Op,
    /// Rust body over `f32`.
    pub rust: &'static str,
    /// Python body over arrays, in the neutral dialect of [`crate::export::python`]
    /// (`xp.where`, `xp.clip`, `xp.erf`, ...) that PyTorch, NumPy and JAX each spell in their
    /// own way; a binary kernel's operands are both arrays.
    pub python: &'static str,
    /// C99 body over `float` (see [`crate::expr::primitive::Code::c`]).
    pub c: &'static str,
}

impl Kernel {
    /// The argument names: `x`, or `a` and `b`.
    pub fn args(&self) -> &'static [&'static str] {
        match self.op.primitive().arity {
            Arity::Unary => &["x"],
            Arity::Binary | Arity::Nary => &["a", "b"],
        }
    }

    /// The constant parameters, passed after the arguments.
    pub fn params(&self) -> &'static [ParamSpec] {
        self.op.primitive().params
    }

    /// Whether the kernel takes two operands.
    pub(crate) fn is_binary(&self) -> bool {
        self.args().len() == 2
    }

    /// The parameter list of the helper: the arguments, then the constant parameters.
    pub fn signature(&self) -> Vec<&'static str> {
        let params = self.params().iter().map(|p| p.name);
        self.args().iter().copied().chain(params).collect()
    }
}

/// A body's statements and its value (the last line), trimmed.
pub(crate) fn statements_and_value(body: &str) -> (Vec<&str>, &str) {
    let mut lines: Vec<&str> = body.lines().map(str::trim).collect();
    let value = lines.pop().unwrap_or("0.0");
    (lines, value)
}

/// A named constant of radact's kernels that bodies refer to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Constant {
    /// Name in Rust (`_`-prefixed in Python).
    pub name: &'static str,
    /// Its value in radact.
    pub value: f32,
    /// How Rust spells it when a literal would trip a lint (`std::f32::consts::PI`).
    pub rust: Option<&'static str>,
}

/// The constants bodies may name.
pub(crate) const CONSTANTS: &[Constant] = &[
    Constant {
        name: "RECIPROCAL_EPS",
        value: RECIPROCAL_EPS,
        rust: None,
    },
    Constant {
        name: "LOG_EPS",
        value: LOG_EPS,
        rust: None,
    },
    Constant {
        name: "MOD_EPS",
        value: MOD_EPS,
        rust: None,
    },
    Constant {
        name: "PI",
        value: PI,
        rust: Some("std::f32::consts::PI"),
    },
    Constant {
        name: "WAVE_PERIOD",
        value: WAVE_PERIOD,
        rust: Some("2.0 * std::f32::consts::PI"),
    },
    Constant {
        name: "FRAC_1_SQRT_2",
        value: FRAC_1_SQRT_2,
        rust: Some("std::f32::consts::FRAC_1_SQRT_2"),
    },
    Constant {
        name: "LEAKY_SLOPE",
        value: LEAKY_SLOPE,
        rust: None,
    },
    Constant {
        name: "SELU_SCALE",
        value: SELU_SCALE,
        rust: None,
    },
    Constant {
        name: "SELU_ALPHA",
        value: SELU_ALPHA,
        rust: None,
    },
];

/// The kernel of `op`, from its row of the primitive table; an n-ary primitive folds the
/// binary kernel named after it, as the evaluator does (`sum_n` calls `add`).
pub fn kernel(op: Op) -> Kernel {
    match op.primitive().kernel {
        primitive::Kernel::Own(code) => Kernel {
            name: code.name,
            op,
            rust: code.rust,
            python: code.python,
            c: code.c,
        },
        primitive::Kernel::Fold(binary) => kernel(binary),
    }
}
