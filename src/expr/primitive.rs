//! The primitive catalogue's types: a [`Primitive`] is one row of the table in `catalogue.rs`,
//! which declares each primitive once (see there) and from which come the [`Op`] enum, the
//! [`CATALOGUE`], the dispatch to the `f32` kernels of [`super::kernels`], the cost estimate of
//! the search and the bodies of generated code.
//!
//! Derivatives are written as formula templates in the expression syntax, one per argument, over
//! the variables `a` (first argument), `b` (second argument), `y` (the primitive's own output),
//! the parameter names, and for `prod_n` `rest` (the product of the other arguments). The
//! gradient module ([`crate::grad`]) instantiates them into the graph, so the documented formula
//! is the implementation. The exact derivative is what autograd computes: 0 on flat regions and
//! the PyTorch sub-gradient at kinks. A surrogate, where one is given, replaces it in the
//! `surrogate` backward mode; flat or jumping primitives have one.

use super::graph::Params;
use super::kernels::saturate;
use std::fmt;

pub use super::catalogue::{Op, CATALOGUE};

/// How many arguments a primitive takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// One argument.
    Unary,
    /// Two arguments.
    Binary,
    /// Two or more arguments, at most [`MAX_ARGUMENTS`].
    Nary,
}

/// Most arguments of an n-ary primitive (`sum_n`, `prod_n`, `max_n`, `min_n`): the exact
/// derivative of `prod_n` has a product of the other arguments per argument, so its size grows
/// with the square of the count.
pub const MAX_ARGUMENTS: usize = 1024;

impl fmt::Display for Arity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Arity::Unary => "1",
            Arity::Binary => "2",
            Arity::Nary => "2+",
        })
    }
}

/// A constant parameter of a primitive (written after the arguments: `deadzone(x, 0.3)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// Name, usable in `name=value` form and in derivative templates.
    pub name: &'static str,
    /// Value when omitted.
    pub default: f32,
    /// Smallest allowed value.
    pub min: f32,
    /// Largest allowed value.
    pub max: f32,
    /// Whether the value must be an integer.
    pub integer: bool,
}

/// A parameter value outside what its [`ParamSpec`] allows.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// NaN or infinite.
    #[error("parameter `{name}` must be finite")]
    NotFinite {
        /// The parameter.
        name: &'static str,
    },
    /// Below the minimum or above the maximum.
    #[error("parameter `{name}` = {value} is outside [{min}, {max}]")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f32,
        /// Smallest allowed value.
        min: f32,
        /// Largest allowed value.
        max: f32,
    },
    /// Not a whole number where one is required.
    #[error("parameter `{name}` must be an integer")]
    NotInteger {
        /// The parameter.
        name: &'static str,
    },
}

impl ParamSpec {
    /// Checks a value against the bounds; the error says what is allowed.
    pub fn check(&self, value: f32) -> Result<(), ParamError> {
        let name = self.name;
        if !value.is_finite() {
            return Err(ParamError::NotFinite { name });
        }
        if value < self.min || value > self.max {
            return Err(ParamError::OutOfRange {
                name,
                value,
                min: self.min,
                max: self.max,
            });
        }
        if self.integer && value != value.trunc() {
            return Err(ParamError::NotInteger { name });
        }
        Ok(())
    }
}

/// Properties of a primitive that the search and the backward derivation use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Piecewise constant: the exact derivative is 0 almost everywhere.
    pub flat: bool,
    /// Has kinks or jumps where the derivative does not exist.
    pub non_differentiable: bool,
    /// Has jumps.
    pub discontinuous: bool,
    /// Periodic in its argument.
    pub periodic: bool,
    /// Output bounded for every input.
    pub bounded: bool,
    /// Guards a singularity (division by zero, log of zero) with a documented epsilon.
    pub protected: bool,
}

impl Flags {
    /// Names of the flags that are set, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.flat, "flat"),
            (self.non_differentiable, "non_differentiable"),
            (self.discontinuous, "discontinuous"),
            (self.periodic, "periodic"),
            (self.bounded, "bounded"),
            (self.protected, "protected"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// One catalogue entry.
#[derive(Clone, Copy, Debug)]
pub struct Primitive {
    /// Which primitive.
    pub op: Op,
    /// Canonical name (as in PyTorch/TensorFlow activation code).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// Number of arguments.
    pub arity: Arity,
    /// Constant parameters, written after the arguments.
    pub params: &'static [ParamSpec],
    /// The forward function in words and symbols.
    pub formula: &'static str,
    /// Exact partial derivative templates, one per argument (one for all arguments of an
    /// n-ary primitive).
    pub exact: &'static [&'static str],
    /// Surrogate partial derivative templates, used in `surrogate` mode.
    pub surrogate: Option<&'static [&'static str]>,
    /// Properties.
    pub flags: Flags,
    /// Whether the arguments can be reordered without changing the result.
    pub commutative: bool,
    /// Relative cost per element of one application, for the search's `cost` objective: 1 for
    /// arithmetic and comparisons, 4 for one transcendental function, more for compositions of
    /// them. Every row states it.
    pub cost: f64,
    /// How it is computed: its own kernel, or a binary primitive's folded over the arguments.
    pub kernel: Kernel,
}

/// How a primitive is computed.
#[derive(Clone, Copy, Debug)]
pub enum Kernel {
    /// Its own kernel: a function of [`super::kernels`] and its bodies in generated code.
    Own(Code),
    /// The kernel of this binary primitive, folded left over the arguments and saturated after
    /// every step (the n-ary primitives: `sum_n` folds `add`).
    Fold(Op),
}

/// A kernel: its name, and its body in each language radact generates code in.
///
/// Each body follows the kernel function of [`super::kernels`] operation for operation, so that
/// generated code computes what radact's evaluator computes. A body is a few lines: statements,
/// then the value (the last line). It reads the argument `x` (unary) or `a` and `b` (binary)
/// and the primitive's parameters by name; the generators wrap the value in the saturation of
/// ±inf to ±`f32::MAX` that the evaluator applies after every primitive. Bodies may call the
/// support helpers of their language (`sigmoid_of`, `softplus_of`, `reciprocal_of`,
/// `floored_mod`, ...; `_sigmoid_of`, ... in Python) and read the named constants of the
/// kernels (`LOG_EPS`, `PI`, ...; `_LOG_EPS`, ... in Python); the generators emit the helpers
/// and constants a body uses.
///
/// Points of semantics every body keeps: Rust's `f32::max`/`min` return the other operand for a
/// NaN (`fmax`/`fmin`, or a `where` on a comparison); `heaviside(0) = 1`, `sign(0) = 0`, and
/// both pass NaN through (PyTorch's `sign` maps NaN to 0, so it is not used); `round` is half
/// to even; protected primitives use the evaluator's epsilons.
#[derive(Clone, Copy, Debug)]
pub struct Code {
    /// The kernel function's name in [`super::kernels`], and the name of the helper generated
    /// code defines for it (`_`-prefixed in Python).
    pub name: &'static str,
    /// Rust over `f32`; besides std it may call `erff`, `erfcf`, `asinhf` and `bessel_scaled`,
    /// which generated Rust defines.
    pub rust: &'static str,
    /// Python over arrays, in the neutral `xp.` dialect (`xp.where`, `xp.clip`, `xp.erf`, ...)
    /// that PyTorch, NumPy and JAX each spell in their own way (`crate::export`'s
    /// `python.rs`); a binary kernel's operands are both arrays.
    pub python: &'static str,
    /// C99 over `float`: `float` arithmetic only (`f`-suffixed literals, `expf`, `log1pf`, ...),
    /// `fmaxf`/`fminf` for Rust's `max`/`min`, `rintf` (in the default rounding mode) for
    /// half-to-even rounding, `isnan` for NaN tests; besides `<math.h>` it may call `sat`,
    /// `sigmoid_of`, `softplus_of`, `reciprocal_of`, `floored_mod`, `clamp_of` (Rust's
    /// `f32::clamp`) and `bessel_scaled(x).i0e`/`.i1e` (in `double`, as the kernel computes it).
    /// Compiled without `-ffast-math` and without contraction into fused multiply-adds
    /// (`-std=c99` turns it off in GCC), it computes what the kernel computes bit for bit,
    /// except where the kernel calls the `libm` crate (`erf`, `erfc`, `arcsinh`, `gelu`) and
    /// C's libm may differ by a few ulp (`tests/primitive_c99.rs` checks both).
    pub c: &'static str,
}

/// A use of a primitive's `f32` kernel, for [`Op::dispatch`]: it is called with the kernel
/// function itself, each a type of its own, so that the caller is compiled, and the kernel
/// inlined into its loop, once per primitive.
pub(crate) trait Dispatch {
    /// What the use returns.
    type Output;
    /// Uses a unary primitive's kernel `y = f(x, params)`.
    fn unary(self, kernel: impl Fn(f32, &Params) -> f32) -> Self::Output;
    /// Uses a binary primitive's kernel `y = f(a, b, params)`, or the one an n-ary primitive
    /// folds.
    fn binary(self, kernel: impl Fn(f32, f32, &Params) -> f32) -> Self::Output;
}

impl Primitive {
    /// The parameters' default values.
    pub fn default_params(&self) -> Params {
        let mut p = [0.0; 2];
        for (slot, spec) in p.iter_mut().zip(self.params) {
            *slot = spec.default;
        }
        p
    }

    /// The derivative templates a backward mode uses: the surrogate when asked for and present.
    pub fn derivative(&self, surrogate: bool) -> &'static [&'static str] {
        match (surrogate, self.surrogate) {
            (true, Some(s)) => s,
            _ => self.exact,
        }
    }
}

impl Op {
    /// The catalogue entry.
    pub fn primitive(self) -> &'static Primitive {
        &CATALOGUE[self as usize]
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        self.primitive().name
    }

    /// The code of its kernel (for an n-ary primitive, of the binary kernel it folds).
    pub fn code(self) -> &'static Code {
        match &self.primitive().kernel {
            Kernel::Own(code) => code,
            Kernel::Fold(binary) => binary.code(),
        }
    }

    /// Evaluates the primitive at one point, saturated. `args` must fit the arity.
    pub fn eval(self, params: &Params, args: &[f32]) -> f32 {
        /// One point: a unary kernel at `args[0]`, or a binary one folded over `args`.
        struct Point<'a> {
            params: &'a Params,
            args: &'a [f32],
        }
        impl Dispatch for Point<'_> {
            type Output = f32;
            fn unary(self, kernel: impl Fn(f32, &Params) -> f32) -> f32 {
                saturate(kernel(self.args[0], self.params))
            }
            fn binary(self, kernel: impl Fn(f32, f32, &Params) -> f32) -> f32 {
                let (&first, rest) = self.args.split_first().expect("at least one argument");
                rest.iter()
                    .fold(first, |acc, &b| saturate(kernel(acc, b, self.params)))
            }
        }
        self.dispatch(Point { params, args })
    }

    /// Looks a primitive up by name or alias.
    pub(crate) fn from_name(name: &str) -> Option<Op> {
        CATALOGUE
            .iter()
            .find(|p| p.name == name || p.aliases.contains(&name))
            .map(|p| p.op)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The catalogue entry named `name` (or an alias of it).
pub(crate) fn lookup(name: &str) -> Option<&'static Primitive> {
    Op::from_name(name).map(Op::primitive)
}

/// The catalogue name closest to `name` (by edit distance), to suggest after a typo.
pub(crate) fn nearest_name(name: &str) -> Option<&'static str> {
    CATALOGUE
        .iter()
        .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
        .map(|n| (strsim::damerau_levenshtein(name, n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_rows_are_in_op_order_and_consistent() {
        assert_eq!(CATALOGUE.len(), Op::ALL.len());
        for (i, p) in CATALOGUE.iter().enumerate() {
            assert_eq!(p.op as usize, i, "{} out of order", p.name);
            let templates = if p.arity == Arity::Binary { 2 } else { 1 };
            assert_eq!(p.exact.len(), templates, "{}", p.name);
            if let Some(s) = p.surrogate {
                assert_eq!(s.len(), templates, "{}", p.name);
            }
            for spec in p.params {
                spec.check(spec.default).unwrap();
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in CATALOGUE {
            for n in std::iter::once(p.name).chain(p.aliases.iter().copied()) {
                assert!(seen.insert(n), "duplicate name {n}");
            }
        }
    }

    #[test]
    fn flat_primitives_have_surrogates() {
        for p in CATALOGUE {
            if p.flags.flat && !matches!(p.op, Op::Zero | Op::One) {
                assert!(
                    p.surrogate.is_some(),
                    "{} is flat without a surrogate",
                    p.name
                );
            }
        }
    }

    #[test]
    fn lookup_accepts_aliases_and_suggests_nearest() {
        assert_eq!(Op::from_name("silu"), Some(Op::Swish));
        assert_eq!(Op::from_name("step"), Some(Op::Heaviside));
        assert_eq!(Op::from_name("hardtanh"), Some(Op::Clamp));
        assert_eq!(nearest_name("tahn"), Some("tanh"));
        assert_eq!(nearest_name("sigmod"), Some("sigmoid"));
        assert_eq!(nearest_name("zzzzzzzzzz"), None);
    }

    #[test]
    fn eval_folds_nary_and_saturates() {
        assert_eq!(Op::SumN.eval(&[0.0; 2], &[1.0, 2.0, 3.0]), 6.0);
        assert_eq!(Op::MaxN.eval(&[0.0; 2], &[1.0, 5.0, 3.0]), 5.0);
        assert_eq!(Op::Exp.eval(&[0.0; 2], &[1000.0]), f32::MAX);
        assert_eq!(
            Op::Identity.eval(&[0.0; 2], &[f32::NEG_INFINITY]),
            -f32::MAX
        );
    }
}
