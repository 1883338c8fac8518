//! The primitive table: every primitive declared once, in one row, from which come
//!
//! - the [`Op`] variant, with the row's doc comment, and [`Op::ALL`];
//! - its [`Primitive`] in [`CATALOGUE`]: name, aliases, arity, parameters, forward formula,
//!   exact and surrogate derivative templates, flags, commutativity;
//! - its cost for the `cost` objective (`cost`, no default);
//! - the dispatch to its `f32` kernel, a function of [`super::kernels`] named by `kernel`
//!   ([`Op::dispatch`], which the scalar evaluator [`Op::eval`] and the batch evaluator
//!   [`super::Program`] use);
//! - the bodies of the kernel in generated code: Rust, Python (PyTorch, NumPy and JAX) and C99
//!   ([`Code`]).
//!
//! A row reads
//!
//! ```text
//! /// What the variant is.
//! Variant {
//!     name: "snake_name", aliases: ["other", ...], arity: Unary | Binary | Nary,
//!     params: [param("t", default, min, max), ...],
//!     formula: "the forward function in words and symbols",
//!     exact: ["template", ...], surrogate: ["template", ...],
//!     flags: [flat, non_differentiable, discontinuous, periodic, bounded, protected],
//!     commutative: true, cost: 4.0,
//!     kernel: function_in_kernels,
//!     rust: "...", python: "...", c: "...",
//! },
//! ```
//!
//! with the fields in this order; `aliases`, `params`, `surrogate` and `commutative` may be
//! left out, `flags` lists the flags that are set. An n-ary primitive says `folds: Binary`
//! instead of `kernel` and its bodies: it folds that binary primitive's kernel.
//!
//! What is checked where: a row without a cost or a body, a kernel that does not exist or does
//! not take the arity's arguments (`fn(f32, &Params)` for `Unary`, `fn(f32, f32, &Params)` for
//! `Binary`), or an n-ary primitive without `folds`, does not compile. The tests below check
//! what the compiler cannot (the costs are positive, the bodies not empty, an n-ary primitive
//! folds a binary one); `tests/expr_properties.rs` checks every kernel is total and the exact
//! derivatives of the smooth ones against finite differences; `tests/export_codegen.rs` runs the
//! Rust and Python bodies in compiled Rust, PyTorch and NumPy, and `tests/primitive_c99.rs` the
//! C bodies compiled with `cc`, against the kernels.

use super::kernels;
use super::primitive::{Arity, Code, Dispatch, Flags, Kernel, ParamSpec, Primitive};

/// Declares the table: see the module documentation for a row's fields.
macro_rules! primitives {
    (@dispatch $use:ident, Unary, kernel: $kernel:ident, $($code:tt)*) => {
        $use.unary(kernels::$kernel)
    };
    (@dispatch $use:ident, Binary, kernel: $kernel:ident, $($code:tt)*) => {
        $use.binary(kernels::$kernel)
    };
    (@dispatch $use:ident, Nary, folds: $binary:ident $(,)?) => {
        Op::$binary.dispatch($use)
    };
    (@kernel kernel: $kernel:ident, rust: $rust:literal, python: $python:literal, c: $c:literal $(,)?) => {
        Kernel::Own(Code {
            name: stringify!($kernel),
            rust: $rust,
            python: $python,
            c: $c,
        })
    };
    (@kernel folds: $binary:ident $(,)?) => {
        Kernel::Fold(Op::$binary)
    };
    (@surrogate) => {
        None
    };
    (@surrogate $($template:literal),+) => {
        Some(&[$($template),+])
    };
    (@or_false) => {
        false
    };
    (@or_false $value:literal) => {
        $value
    };
    ($(
        $(#[$doc:meta])*
        $op:ident {
            name: $name:literal,
            $(aliases: [$($alias:literal),* $(,)?],)?
            arity: $arity:ident,
            $(params: [$($param:expr),* $(,)?],)?
            formula: $formula:literal,
            exact: [$($exact:literal),+ $(,)?],
            $(surrogate: [$($surrogate:literal),+ $(,)?],)?
            flags: [$($flag:ident),* $(,)?],
            $(commutative: $commutative:literal,)?
            cost: $cost:literal,
            $($kernel:tt)+
        }
    ),+ $(,)?) => {
        /// A primitive of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $($(#[$doc])* $op,)+
        }

        impl Op {
            /// Every primitive, in catalogue order.
            pub const ALL: &'static [Op] = &[$(Op::$op),+];

            /// Calls `use_` with the primitive's kernel (for an n-ary primitive, the binary
            /// kernel it folds).
            pub(crate) fn dispatch<D: Dispatch>(self, use_: D) -> D::Output {
                match self {
                    $(Op::$op => primitives!(@dispatch use_, $arity, $($kernel)+),)+
                }
            }
        }

        /// The catalogue, in the order of [`Op::ALL`].
        pub static CATALOGUE: &[Primitive] = &[$(
            Primitive {
                op: Op::$op,
                name: $name,
                aliases: &[$($($alias),*)?],
                arity: Arity::$arity,
                params: &[$($($param),*)?],
                formula: $formula,
                exact: &[$($exact),+],
                surrogate: primitives!(@surrogate $($($surrogate),+)?),
                flags: Flags { $($flag: true,)* ..NO_FLAGS },
                commutative: primitives!(@or_false $($commutative)?),
                cost: $cost,
                kernel: primitives!(@kernel $($kernel)+),
            }
        ),+];
    };
}

const NO_FLAGS: Flags = Flags {
    flat: false,
    non_differentiable: false,
    discontinuous: false,
    periodic: false,
    bounded: false,
    protected: false,
};

/// A real parameter in `[min, max]`.
const fn param(name: &'static str, default: f32, min: f32, max: f32) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min,
        max,
        integer: false,
    }
}

/// The bound of parameters that may take any value.
const ANY: f32 = 1e6;

primitives! {
    /// `0`.
    Zero {
        name: "zero", arity: Unary,
        formula: "0",
        exact: ["0"],
        flags: [flat, bounded], cost: 1.0,
        kernel: zero,
        rust: "let _ = x;\n\
              0.0",
        python: "xp.zeros_like(x)",
        c: "(void)x;\n\
           0.0f",
    },
    /// `1`.
    One {
        name: "one", arity: Unary,
        formula: "1",
        exact: ["0"],
        flags: [flat, bounded], cost: 1.0,
        kernel: one,
        rust: "let _ = x;\n\
              1.0",
        python: "xp.ones_like(x)",
        c: "(void)x;\n\
           1.0f",
    },
    /// `x`.
    Identity {
        name: "identity", aliases: ["id", "linear"], arity: Unary,
        formula: "x",
        exact: ["1"],
        flags: [], cost: 1.0,
        kernel: identity,
        rust: "x",
        python: "x",
        c: "x",
    },
    /// `-x`.
    Negative {
        name: "negative", aliases: ["neg"], arity: Unary,
        formula: "-x",
        exact: ["-1"],
        flags: [], cost: 1.0,
        kernel: negative,
        rust: "-x",
        python: "-x",
        c: "-x",
    },
    /// `|x|`.
    Abs {
        name: "abs", arity: Unary,
        formula: "|x|",
        exact: ["sign(a)"],
        flags: [non_differentiable], cost: 1.0,
        kernel: abs,
        rust: "x.abs()",
        python: "xp.abs(x)",
        c: "fabsf(x)",
    },
    /// protected `1/x`.
    Reciprocal {
        name: "reciprocal", aliases: ["inv", "recip"], arity: Unary,
        formula: "x / (x^2 + 1e-12): 1/x protected at 0",
        exact: ["-(y^2)"],
        flags: [protected], cost: 1.0,
        kernel: reciprocal,
        rust: "reciprocal_of(x)",
        python: "_reciprocal_of(x)",
        c: "reciprocal_of(x)",
    },
    /// `x^2`.
    Square {
        name: "square", arity: Unary,
        formula: "x^2",
        exact: ["2 * a"],
        flags: [], cost: 1.0,
        kernel: square,
        rust: "x * x",
        python: "x * x",
        c: "x * x",
    },
    /// `x^3`.
    Cube {
        name: "cube", arity: Unary,
        formula: "x^3",
        exact: ["3 * a^2"],
        flags: [], cost: 1.0,
        kernel: cube,
        rust: "x * x * x",
        python: "x * x * x",
        c: "x * x * x",
    },
    /// `sqrt(|x|)`.
    Sqrt {
        name: "sqrt", arity: Unary,
        formula: "sqrt(|x|)",
        exact: ["0.5 * sign(a) * reciprocal(y)"],
        flags: [non_differentiable, protected], cost: 4.0,
        kernel: sqrt,
        rust: "x.abs().sqrt()",
        python: "xp.sqrt(xp.abs(x))",
        c: "sqrtf(fabsf(x))",
    },
    /// `ln(|x| + eps)`.
    Log {
        name: "log", aliases: ["ln"], arity: Unary,
        formula: "ln(|x| + 1e-6)",
        exact: ["sign(a) / (abs(a) + 0.000001)"],
        flags: [non_differentiable, protected], cost: 4.0,
        kernel: log,
        rust: "(x.abs() + LOG_EPS).ln()",
        python: "xp.log(xp.abs(x) + _LOG_EPS)",
        c: "logf(fabsf(x) + LOG_EPS)",
    },
    /// `e^x`.
    Exp {
        name: "exp", arity: Unary,
        formula: "e^x",
        exact: ["y"],
        flags: [], cost: 4.0,
        kernel: exp,
        rust: "x.exp()",
        python: "xp.exp(x)",
        c: "expf(x)",
    },
    /// `e^x - 1`.
    Expm1 {
        name: "expm1", arity: Unary,
        formula: "e^x - 1",
        exact: ["exp(a)"],
        flags: [], cost: 4.0,
        kernel: expm1,
        rust: "x.exp_m1()",
        python: "xp.expm1(x)",
        c: "expm1f(x)",
    },
    /// sine.
    Sin {
        name: "sin", arity: Unary,
        formula: "sin x",
        exact: ["cos(a)"],
        flags: [periodic, bounded], cost: 4.0,
        kernel: sin,
        rust: "x.sin()",
        python: "xp.sin(x)",
        c: "sinf(x)",
    },
    /// cosine.
    Cos {
        name: "cos", arity: Unary,
        formula: "cos x",
        exact: ["-sin(a)"],
        flags: [periodic, bounded], cost: 4.0,
        kernel: cos,
        rust: "x.cos()",
        python: "xp.cos(x)",
        c: "cosf(x)",
    },
    /// `sin(x)/x`.
    Sinc {
        name: "sinc", arity: Unary,
        formula: "sin(x) / x, 1 at 0",
        exact: ["(cos(a) - y) * reciprocal(a)"],
        flags: [bounded], cost: 4.0,
        kernel: sinc,
        rust: "if x == 0.0 { 1.0 } else { x.sin() / x }",
        python: "xp.where(x == 0.0, 1.0, xp.sin(x) / x)",
        c: "x == 0.0f ? 1.0f : sinf(x) / x",
    },
    /// hyperbolic sine.
    Sinh {
        name: "sinh", arity: Unary,
        formula: "sinh x",
        exact: ["cosh(a)"],
        flags: [], cost: 6.0,
        kernel: sinh,
        rust: "x.sinh()",
        python: "xp.sinh(x)",
        c: "sinhf(x)",
    },
    /// hyperbolic cosine.
    Cosh {
        name: "cosh", arity: Unary,
        formula: "cosh x",
        exact: ["sinh(a)"],
        flags: [], cost: 6.0,
        kernel: cosh,
        rust: "x.cosh()",
        python: "xp.cosh(x)",
        c: "coshf(x)",
    },
    /// hyperbolic tangent.
    Tanh {
        name: "tanh", arity: Unary,
        formula: "tanh x",
        exact: ["1 - y^2"],
        flags: [bounded], cost: 4.0,
        kernel: tanh,
        rust: "x.tanh()",
        python: "xp.tanh(x)",
        c: "tanhf(x)",
    },
    /// inverse hyperbolic sine.
    Arcsinh {
        name: "arcsinh", aliases: ["asinh"], arity: Unary,
        formula: "asinh x",
        exact: ["1 / sqrt(a^2 + 1)"],
        flags: [], cost: 6.0,
        kernel: arcsinh,
        rust: "asinhf(x)",
        python: "xp.arcsinh(x)",
        c: "asinhf(x)",
    },
    /// inverse tangent.
    Arctan {
        name: "arctan", aliases: ["atan"], arity: Unary,
        formula: "atan x",
        exact: ["1 / (1 + a^2)"],
        flags: [bounded], cost: 4.0,
        kernel: arctan,
        rust: "x.atan()",
        python: "xp.arctan(x)",
        c: "atanf(x)",
    },
    /// error function.
    Erf {
        name: "erf", arity: Unary,
        formula: "2/sqrt(pi) * integral of e^(-t^2) from 0 to x",
        exact: ["1.1283792 * gaussian(a)"],
        flags: [bounded], cost: 6.0,
        kernel: erf,
        rust: "erff(x)",
        python: "xp.erf(x)",
        c: "erff(x)",
    },
    /// complementary error function.
    Erfc {
        name: "erfc", arity: Unary,
        formula: "1 - erf(x)",
        exact: ["-1.1283792 * gaussian(a)"],
        flags: [bounded], cost: 6.0,
        kernel: erfc,
        rust: "erfcf(x)",
        python: "xp.erfc(x)",
        c: "erfcf(x)",
    },
    /// logistic sigmoid.
    Sigmoid {
        name: "sigmoid", aliases: ["logistic"], arity: Unary,
        formula: "1 / (1 + e^-x)",
        exact: ["y * (1 - y)"],
        flags: [bounded], cost: 4.0,
        kernel: sigmoid,
        rust: "sigmoid_of(x)",
        python: "_sigmoid_of(x)",
        c: "sigmoid_of(x)",
    },
    /// `ln sigmoid(x)`.
    LogSigmoid {
        name: "log_sigmoid", aliases: ["logsigmoid"], arity: Unary,
        formula: "ln(1 / (1 + e^-x))",
        exact: ["sigmoid(-a)"],
        flags: [], cost: 6.0,
        kernel: log_sigmoid,
        rust: "x.min(0.0) - (-x.abs()).exp().ln_1p()",
        python: "xp.clip(x, None, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))",
        c: "fminf(x, 0.0f) - log1pf(expf(-fabsf(x)))",
    },
    /// `ln(1 + e^x)`.
    Softplus {
        name: "softplus", arity: Unary,
        formula: "ln(1 + e^x)",
        exact: ["sigmoid(a)"],
        flags: [], cost: 6.0,
        kernel: softplus,
        rust: "softplus_of(x)",
        python: "_softplus_of(x)",
        c: "softplus_of(x)",
    },
    /// `x / (1 + |x|)`.
    Softsign {
        name: "softsign", arity: Unary,
        formula: "x / (1 + |x|)",
        exact: ["1 / (1 + abs(a))^2"],
        flags: [bounded], cost: 4.0,
        kernel: softsign,
        rust: "x / (1.0 + x.abs())",
        python: "x / (1.0 + xp.abs(x))",
        c: "x / (1.0f + fabsf(x))",
    },
    /// smooth clip to `[0, 1]`.
    Softclip {
        name: "softclip", arity: Unary,
        formula: "ln((1 + e^x) / (1 + e^(x - 1))) = softplus(x) - softplus(x - 1)",
        exact: ["sigmoid(a) - sigmoid(a - 1)"],
        flags: [bounded], cost: 12.0,
        kernel: softclip,
        rust: "let m = if x < 0.5 { x } else { 1.0 - x };\n\
              let s = m.exp().ln_1p() - (m - 1.0).exp().ln_1p();\n\
              if x < 0.5 { s } else { 1.0 - s }",
        python: "m = xp.where(x < 0.5, x, 1.0 - x)\n\
                s = xp.log1p(xp.exp(m)) - xp.log1p(xp.exp(m - 1.0))\n\
                xp.where(x < 0.5, s, 1.0 - s)",
        c: "float m = x < 0.5f ? x : 1.0f - x;\n\
           float s = log1pf(expf(m)) - log1pf(expf(m - 1.0f));\n\
           x < 0.5f ? s : 1.0f - s",
    },
    /// rectifier.
    Relu {
        name: "relu", arity: Unary,
        formula: "max(x, 0)",
        exact: ["sign(y)"],
        flags: [non_differentiable], cost: 1.0,
        kernel: relu,
        rust: "if x <= 0.0 { 0.0 } else { x }",
        python: "xp.where(x <= 0.0, 0.0, x)",
        c: "x <= 0.0f ? 0.0f : x",
    },
    /// leaky rectifier (slope 0.01).
    LeakyRelu {
        name: "leaky_relu", aliases: ["leakyrelu"], arity: Unary,
        formula: "x for x > 0, else 0.01 x",
        exact: ["1 - 0.99 * heaviside(-a)"],
        flags: [non_differentiable], cost: 1.0,
        kernel: leaky_relu,
        rust: "if x > 0.0 { x } else { LEAKY_SLOPE * x }",
        python: "xp.where(x > 0.0, x, _LEAKY_SLOPE * x)",
        c: "x > 0.0f ? x : LEAKY_SLOPE * x",
    },
    /// exponential linear unit.
    Elu {
        name: "elu", arity: Unary,
        formula: "x for x > 0, else e^x - 1",
        exact: ["exp(min0(a))"],
        flags: [], cost: 4.0,
        kernel: elu,
        rust: "if x > 0.0 { x } else { x.exp_m1() }",
        python: "xp.where(x > 0.0, x, xp.expm1(x))",
        c: "x > 0.0f ? x : expm1f(x)",
    },
    /// scaled ELU.
    Selu {
        name: "selu", arity: Unary,
        formula: "1.0507 * (x for x > 0, else 1.67326 (e^x - 1))",
        exact: ["1.050701 * (1 - heaviside(-a) + 1.6732632 * heaviside(-a) * exp(a))"],
        flags: [non_differentiable], cost: 4.0,
        kernel: selu,
        rust: "SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }",
        python: "_SELU_SCALE * xp.where(x > 0.0, x, _SELU_ALPHA * xp.expm1(x))",
        c: "SELU_SCALE * (x > 0.0f ? x : SELU_ALPHA * expm1f(x))",
    },
    /// Gaussian error linear unit (erf form).
    Gelu {
        name: "gelu", arity: Unary,
        formula: "x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))",
        exact: ["0.5 * (1 + erf(0.70710677 * a)) + 0.3989423 * a * exp(-0.5 * a^2)"],
        flags: [], cost: 6.0,
        kernel: gelu,
        rust: "0.5 * x * (1.0 + erff(x * FRAC_1_SQRT_2))",
        python: "0.5 * x * (1.0 + xp.erf(x * _FRAC_1_SQRT_2))",
        c: "0.5f * x * (1.0f + erff(x * FRAC_1_SQRT_2))",
    },
    /// `x sigmoid(x)`.
    Swish {
        name: "swish", aliases: ["silu"], arity: Unary,
        formula: "x sigmoid(x)",
        exact: ["sigmoid(a) * (1 + a * (1 - sigmoid(a)))"],
        flags: [], cost: 4.0,
        kernel: swish,
        rust: "x * sigmoid_of(x)",
        python: "x * _sigmoid_of(x)",
        c: "x * sigmoid_of(x)",
    },
    /// `x tanh(softplus(x))`.
    Mish {
        name: "mish", arity: Unary,
        formula: "x tanh(softplus(x))",
        exact: ["tanh(softplus(a)) + a * (1 - tanh(softplus(a))^2) * sigmoid(a)"],
        flags: [], cost: 10.0,
        kernel: mish,
        rust: "x * softplus_of(x).tanh()",
        python: "x * xp.tanh(_softplus_of(x))",
        c: "x * tanhf(softplus_of(x))",
    },
    /// ELiSH.
    Elish {
        name: "elish", arity: Unary,
        formula: "x sigmoid(x) for x >= 0, else (e^x - 1) sigmoid(x)",
        exact: ["heaviside(a) * sigmoid(a) * (1 + a * (1 - sigmoid(a))) + (1 - heaviside(a)) * sigmoid(a) * (exp(a) + expm1(a) * (1 - sigmoid(a)))"],
        flags: [], cost: 6.0,
        kernel: elish,
        rust: "if x >= 0.0 { x * sigmoid_of(x) } else { x.exp_m1() * sigmoid_of(x) }",
        python: "xp.where(x >= 0.0, x * _sigmoid_of(x), xp.expm1(x) * _sigmoid_of(x))",
        c: "x >= 0.0f ? x * sigmoid_of(x) : expm1f(x) * sigmoid_of(x)",
    },
    /// piecewise-linear sigmoid.
    HardSigmoid {
        name: "hard_sigmoid", aliases: ["hardsigmoid"], arity: Unary,
        formula: "clamp(x + 3, 0, 6) / 6",
        exact: ["0.16666667 * bump(a / 6)"],
        flags: [non_differentiable, bounded], cost: 1.0,
        kernel: hard_sigmoid,
        rust: "(x + 3.0).clamp(0.0, 6.0) / 6.0",
        python: "xp.clip(x + 3.0, 0.0, 6.0) / 6.0",
        c: "clamp_of(x + 3.0f, 0.0f, 6.0f) / 6.0f",
    },
    /// `x hard_sigmoid(x)`.
    HardSwish {
        name: "hard_swish", aliases: ["hardswish"], arity: Unary,
        formula: "x clamp(x + 3, 0, 6) / 6",
        exact: ["bump(a / 6) * (a / 3 + 0.5) + 1 - heaviside(3 - a)"],
        flags: [non_differentiable], cost: 4.0,
        kernel: hard_swish,
        rust: "x * ((x + 3.0).clamp(0.0, 6.0) / 6.0)",
        python: "x * (xp.clip(x + 3.0, 0.0, 6.0) / 6.0)",
        c: "x * (clamp_of(x + 3.0f, 0.0f, 6.0f) / 6.0f)",
    },
    /// `clamp(x, 0, 6)`.
    Relu6 {
        name: "relu6", arity: Unary,
        formula: "clamp(x, 0, 6)",
        exact: ["sign(y) * (1 - heaviside(a - 6))"],
        flags: [non_differentiable, bounded], cost: 1.0,
        kernel: relu6,
        rust: "x.clamp(0.0, 6.0)",
        python: "xp.clip(x, 0.0, 6.0)",
        c: "clamp_of(x, 0.0f, 6.0f)",
    },
    /// `e^(-x^2)`.
    Gaussian {
        name: "gaussian", aliases: ["gauss"], arity: Unary,
        formula: "e^(-x^2)",
        exact: ["-2 * a * y"],
        flags: [bounded], cost: 4.0,
        kernel: gaussian,
        rust: "(-(x * x)).exp()",
        python: "xp.exp(-(x * x))",
        c: "expf(-(x * x))",
    },
    /// scaled Bessel I0.
    BesselI0e {
        name: "bessel_i0e", aliases: ["i0e"], arity: Unary,
        formula: "e^-|x| I0(x)",
        exact: ["bessel_i1e(a) - sign(a) * y"],
        flags: [non_differentiable, bounded], cost: 16.0,
        kernel: bessel_i0e,
        rust: "bessel_scaled(x).0",
        python: "xp.i0e(x)",
        c: "bessel_scaled(x).i0e",
    },
    /// scaled Bessel I1.
    BesselI1e {
        name: "bessel_i1e", aliases: ["i1e"], arity: Unary,
        formula: "e^-|x| I1(x)",
        exact: ["bessel_i0e(a) - sign(a) * y - y * reciprocal(a) - 0.5 * (sign(abs(a)) - 1)"],
        flags: [bounded], cost: 16.0,
        kernel: bessel_i1e,
        rust: "bessel_scaled(x).1",
        python: "xp.i1e(x)",
        c: "bessel_scaled(x).i1e",
    },
    /// `min(x, 0)`.
    Min0 {
        name: "min0", arity: Unary,
        formula: "min(x, 0)",
        exact: ["heaviside(-a)"],
        flags: [non_differentiable], cost: 1.0,
        kernel: min0,
        rust: "if x >= 0.0 { 0.0 } else { x }",
        python: "xp.where(x >= 0.0, 0.0, x)",
        c: "x >= 0.0f ? 0.0f : x",
    },
    /// `max(x, 0)`.
    Max0 {
        name: "max0", arity: Unary,
        formula: "max(x, 0), derivative 1 at 0 (clamp_min)",
        exact: ["heaviside(a)"],
        flags: [non_differentiable], cost: 1.0,
        kernel: max0,
        rust: "if x <= 0.0 { 0.0 } else { x }",
        python: "xp.where(x <= 0.0, 0.0, x)",
        c: "x <= 0.0f ? 0.0f : x",
    },
    /// `a + b`.
    Add {
        name: "add", arity: Binary,
        formula: "a + b",
        exact: ["1", "1"],
        flags: [], commutative: true, cost: 1.0,
        kernel: add,
        rust: "a + b",
        python: "a + b",
        c: "a + b",
    },
    /// `a - b`.
    Sub {
        name: "sub", arity: Binary,
        formula: "a - b",
        exact: ["1", "-1"],
        flags: [], cost: 1.0,
        kernel: sub,
        rust: "a - b",
        python: "a - b",
        c: "a - b",
    },
    /// `a b`.
    Mul {
        name: "mul", arity: Binary,
        formula: "a b",
        exact: ["b", "a"],
        flags: [], commutative: true, cost: 1.0,
        kernel: mul,
        rust: "a * b",
        python: "a * b",
        c: "a * b",
    },
    /// protected `a / b`.
    Div {
        name: "div", arity: Binary,
        formula: "a b / (b^2 + 1e-12): a / b protected at 0",
        exact: ["reciprocal(b)", "-(y * reciprocal(b))"],
        flags: [protected], cost: 1.0,
        kernel: div,
        rust: "a * reciprocal_of(b)",
        python: "a * _reciprocal_of(b)",
        c: "a * reciprocal_of(b)",
    },
    /// protected `a^b`.
    Pow {
        name: "pow", arity: Binary,
        formula: "a^b for integer b, else |a|^b",
        exact: ["b * y * reciprocal(a)", "y * log(a)"],
        flags: [protected], cost: 10.0,
        kernel: pow,
        rust: "if b == b.trunc() { a.powf(b) } else { a.abs().powf(b) }",
        python: "xp.where(b == xp.trunc(b), xp.power(a, b), xp.power(xp.abs(a), b))",
        c: "b == truncf(b) ? powf(a, b) : powf(fabsf(a), b)",
    },
    /// `max(a, b)`.
    Max {
        name: "max", aliases: ["maximum"], arity: Binary,
        formula: "max(a, b)",
        exact: ["heaviside(a - b)", "1 - heaviside(a - b)"],
        flags: [non_differentiable], commutative: true, cost: 1.0,
        kernel: max,
        rust: "a.max(b)",
        python: "xp.fmax(a, b)",
        c: "fmaxf(a, b)",
    },
    /// `min(a, b)`.
    Min {
        name: "min", aliases: ["minimum"], arity: Binary,
        formula: "min(a, b)",
        exact: ["heaviside(b - a)", "1 - heaviside(b - a)"],
        flags: [non_differentiable], commutative: true, cost: 1.0,
        kernel: min,
        rust: "a.min(b)",
        python: "xp.fmin(a, b)",
        c: "fminf(a, b)",
    },
    /// `sigmoid(a) b`.
    SigmoidGate {
        name: "sigmoid_gate", arity: Binary,
        formula: "sigmoid(a) b",
        exact: ["b * sigmoid(a) * (1 - sigmoid(a))", "sigmoid(a)"],
        flags: [], cost: 4.0,
        kernel: sigmoid_gate,
        rust: "sigmoid_of(a) * b",
        python: "_sigmoid_of(a) * b",
        c: "sigmoid_of(a) * b",
    },
    /// `e^(-(a-b)^2)`.
    GaussDist {
        name: "gauss_dist", arity: Binary,
        formula: "e^(-(a - b)^2)",
        exact: ["-2 * (a - b) * y", "2 * (a - b) * y"],
        flags: [bounded], commutative: true, cost: 4.0,
        kernel: gauss_dist,
        rust: "let d = a - b;\n\
              (-(d * d)).exp()",
        python: "d = a - b\n\
                xp.exp(-(d * d))",
        c: "float d = a - b;\n\
           expf(-(d * d))",
    },
    /// `e^(-|a-b|)`.
    LapDist {
        name: "lap_dist", arity: Binary,
        formula: "e^(-|a - b|)",
        exact: ["-(sign(a - b) * y)", "sign(a - b) * y"],
        flags: [non_differentiable, bounded], commutative: true, cost: 4.0,
        kernel: lap_dist,
        rust: "(-(a - b).abs()).exp()",
        python: "xp.exp(-xp.abs(a - b))",
        c: "expf(-fabsf(a - b))",
    },
    /// sum of n arguments.
    SumN {
        name: "sum_n", aliases: ["sum"], arity: Nary,
        formula: "a1 + a2 + ... + an",
        exact: ["1"],
        flags: [], commutative: true, cost: 1.0,
        folds: Add,
    },
    /// product of n arguments.
    ProdN {
        name: "prod_n", aliases: ["prod"], arity: Nary,
        formula: "a1 a2 ... an",
        exact: ["rest"],
        flags: [], commutative: true, cost: 1.0,
        folds: Mul,
    },
    /// maximum of n arguments.
    MaxN {
        name: "max_n", arity: Nary,
        formula: "max(a1, ..., an)",
        exact: ["heaviside(a - y)"],
        flags: [non_differentiable], commutative: true, cost: 1.0,
        folds: Max,
    },
    /// minimum of n arguments.
    MinN {
        name: "min_n", arity: Nary,
        formula: "min(a1, ..., an)",
        exact: ["heaviside(y - a)"],
        flags: [non_differentiable], commutative: true, cost: 1.0,
        folds: Min,
    },
    /// `b x`, constant `b`.
    Scale {
        name: "scale", arity: Unary,
        params: [param("b", 1.0, -ANY, ANY)],
        formula: "b x",
        exact: ["b"],
        flags: [], cost: 1.0,
        kernel: scale,
        rust: "b * x",
        python: "b * x",
        c: "b * x",
    },
    /// `x + b`, constant `b`.
    Shift {
        name: "shift", arity: Unary,
        params: [param("b", 0.0, -ANY, ANY)],
        formula: "x + b",
        exact: ["1"],
        flags: [], cost: 1.0,
        kernel: shift,
        rust: "x + b",
        python: "x + b",
        c: "x + b",
    },
    /// `w a + (1 - w) b`, constant `w`.
    Lerp {
        name: "lerp", arity: Binary,
        params: [param("w", 0.5, -ANY, ANY)],
        formula: "w a + (1 - w) b",
        exact: ["w", "1 - w"],
        flags: [], cost: 1.0,
        kernel: lerp,
        rust: "w * a + (1.0 - w) * b",
        python: "w * a + (1.0 - w) * b",
        c: "w * a + (1.0f - w) * b",
    },
    /// unit step.
    Heaviside {
        name: "heaviside", aliases: ["step"], arity: Unary,
        formula: "1 for x >= 0, else 0",
        exact: ["0"], surrogate: ["bump(a)"],
        flags: [flat, non_differentiable, discontinuous, bounded], cost: 1.0,
        kernel: heaviside,
        rust: "if x >= 0.0 { 1.0 } else if x < 0.0 { 0.0 } else { x }",
        python: "xp.where(x >= 0.0, 1.0, xp.where(x < 0.0, 0.0, x))",
        c: "x >= 0.0f ? 1.0f : (x < 0.0f ? 0.0f : x)",
    },
    /// sign.
    Sign {
        name: "sign", aliases: ["sgn"], arity: Unary,
        formula: "-1, 0 or 1",
        exact: ["0"], surrogate: ["bump(0.5 * a)"],
        flags: [flat, non_differentiable, discontinuous, bounded], cost: 1.0,
        kernel: sign,
        rust: "if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { x }",
        python: "xp.where(x > 0.0, 1.0, xp.where(x < 0.0, -1.0, x))",
        c: "x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x)",
    },
    /// floor.
    Floor {
        name: "floor", arity: Unary,
        formula: "largest integer <= x",
        exact: ["0"], surrogate: ["1"],
        flags: [flat, non_differentiable, discontinuous], cost: 1.0,
        kernel: floor,
        rust: "x.floor()",
        python: "xp.floor(x)",
        c: "floorf(x)",
    },
    /// ceiling.
    Ceil {
        name: "ceil", arity: Unary,
        formula: "smallest integer >= x",
        exact: ["0"], surrogate: ["1"],
        flags: [flat, non_differentiable, discontinuous], cost: 1.0,
        kernel: ceil,
        rust: "x.ceil()",
        python: "xp.ceil(x)",
        c: "ceilf(x)",
    },
    /// round half to even.
    Round {
        name: "round", arity: Unary,
        formula: "nearest integer, ties to even",
        exact: ["0"], surrogate: ["1"],
        flags: [flat, non_differentiable, discontinuous], cost: 1.0,
        kernel: round,
        rust: "x.round_ties_even()",
        python: "xp.round(x)",
        c: "rintf(x)",
    },
    /// fractional part.
    Frac {
        name: "frac", arity: Unary,
        formula: "x - floor(x)",
        exact: ["1"],
        flags: [non_differentiable, discontinuous, periodic, bounded], cost: 4.0,
        kernel: frac,
        rust: "x - x.floor()",
        python: "x - xp.floor(x)",
        c: "x - floorf(x)",
    },
    /// uniform quantiser on [-1, 1].
    Quantize {
        name: "quantize", arity: Unary,
        params: [ParamSpec {
            name: "levels", default: 4.0, min: 2.0, max: 65536.0, integer: true,
        }],
        formula: "clamp(x, -1, 1) rounded to `levels` evenly spaced values",
        exact: ["0"], surrogate: ["bump(0.5 * a)"],
        flags: [flat, non_differentiable, discontinuous, bounded], cost: 1.0,
        kernel: quantize,
        rust: "let steps = (levels.round() - 1.0).max(1.0);\n\
              let c = x.clamp(-1.0, 1.0);\n\
              ((c + 1.0) * 0.5 * steps).round_ties_even() / steps * 2.0 - 1.0",
        python: "steps = max(float(round(levels)) - 1.0, 1.0)\n\
                c = xp.clip(x, -1.0, 1.0)\n\
                xp.round((c + 1.0) * 0.5 * steps) / steps * 2.0 - 1.0",
        c: "float steps = fmaxf(roundf(levels) - 1.0f, 1.0f);\n\
           float c = clamp_of(x, -1.0f, 1.0f);\n\
           rintf((c + 1.0f) * 0.5f * steps) / steps * 2.0f - 1.0f",
    },
    /// clamp to [lo, hi].
    Clamp {
        name: "clamp", aliases: ["hardtanh"], arity: Unary,
        params: [param("lo", -1.0, -ANY, ANY), param("hi", 1.0, -ANY, ANY)],
        formula: "min(max(x, lo), hi)",
        exact: ["(1 - heaviside(lo - a)) * (1 - heaviside(a - hi))"],
        flags: [non_differentiable, bounded], cost: 1.0,
        kernel: clamp,
        rust: "x.max(lo).min(hi)",
        python: "m = xp.where(x > lo, x, lo)\n\
                xp.where(m < hi, m, hi)",
        c: "fminf(fmaxf(x, lo), hi)",
    },
    /// zero on |x| <= t.
    Deadzone {
        name: "deadzone", aliases: ["hardshrink"], arity: Unary,
        params: [param("t", 0.5, 0.0, ANY)],
        formula: "0 where |x| <= t, else x",
        exact: ["1 - heaviside(t - abs(a))"], surrogate: ["1"],
        flags: [non_differentiable, discontinuous], cost: 1.0,
        kernel: deadzone,
        rust: "if x.abs() <= t { 0.0 } else { x }",
        python: "xp.where(xp.abs(x) <= t, 0.0, x)",
        c: "fabsf(x) <= t ? 0.0f : x",
    },
    /// zero below t.
    Threshold {
        name: "threshold", arity: Unary,
        params: [param("t", 0.5, -ANY, ANY)],
        formula: "x where x > t, else 0",
        exact: ["1 - heaviside(t - a)"], surrogate: ["1 - heaviside(t - a) + t * bump(a - t)"],
        flags: [non_differentiable, discontinuous], cost: 1.0,
        kernel: threshold,
        rust: "if x > t || x.is_nan() { x } else { 0.0 }",
        python: "xp.where(x <= t, 0.0, x)",
        c: "(x > t || isnan(x)) ? x : 0.0f",
    },
    /// floored modulus.
    Mod {
        name: "mod", aliases: ["modulo"], arity: Unary,
        params: [param("c", 1.0, -ANY, ANY)],
        formula: "x - c floor(x / c)",
        exact: ["1"],
        flags: [non_differentiable, discontinuous, periodic], cost: 4.0,
        kernel: modulo,
        rust: "floored_mod(x, c)",
        python: "_floored_mod(x, c)",
        c: "floored_mod(x, c)",
    },
    /// sawtooth wave.
    Sawtooth {
        name: "sawtooth", arity: Unary,
        formula: "period 2 pi, rising from -1 to 1",
        exact: ["0.31830987"],
        flags: [non_differentiable, discontinuous, periodic, bounded], cost: 4.0,
        kernel: sawtooth,
        rust: "floored_mod(x, WAVE_PERIOD) / PI - 1.0",
        python: "_floored_mod(x, _WAVE_PERIOD) / _PI - 1.0",
        c: "floored_mod(x, WAVE_PERIOD) / PI - 1.0f",
    },
    /// square wave.
    SquareWave {
        name: "square_wave", arity: Unary,
        formula: "period 2 pi: 1 on [0, pi), -1 on [pi, 2 pi)",
        exact: ["0"], surrogate: ["cos(a)"],
        flags: [flat, non_differentiable, discontinuous, periodic, bounded], cost: 4.0,
        kernel: square_wave,
        rust: "let t = floored_mod(x, WAVE_PERIOD);\n\
              if t < PI { 1.0 } else if t >= PI { -1.0 } else { t }",
        python: "t = _floored_mod(x, _WAVE_PERIOD)\n\
                xp.where(t < _PI, 1.0, xp.where(t >= _PI, -1.0, t))",
        c: "float t = floored_mod(x, WAVE_PERIOD);\n\
           t < PI ? 1.0f : (t >= PI ? -1.0f : t)",
    },
    /// triangle wave.
    TriangleWave {
        name: "triangle_wave", arity: Unary,
        formula: "period 2 pi: -1 at 0, 1 at pi",
        exact: ["0.63661977 * square_wave(a)"],
        flags: [non_differentiable, periodic, bounded], cost: 4.0,
        kernel: triangle_wave,
        rust: "let t = floored_mod(x, WAVE_PERIOD);\n\
              if t < PI { -1.0 + 2.0 * t / PI } else { 3.0 - 2.0 * t / PI }",
        python: "t = _floored_mod(x, _WAVE_PERIOD)\n\
                xp.where(t < _PI, -1.0 + 2.0 * t / _PI, 3.0 - 2.0 * t / _PI)",
        c: "float t = floored_mod(x, WAVE_PERIOD);\n\
           t < PI ? -1.0f + 2.0f * t / PI : 3.0f - 2.0f * t / PI",
    },
    /// 1 on |x| <= 0.5.
    Bump {
        name: "bump", arity: Unary,
        formula: "1 on |x| <= 0.5, else 0",
        exact: ["0"], surrogate: ["bump(a + 0.5) - bump(a - 0.5)"],
        flags: [flat, non_differentiable, discontinuous, bounded], cost: 1.0,
        kernel: bump,
        rust: "if x.abs() <= 0.5 { 1.0 } else if x.is_nan() { x } else { 0.0 }",
        python: "xp.where(xp.abs(x) <= 0.5, 1.0, xp.where(xp.abs(x) > 0.5, 0.0, x))",
        c: "fabsf(x) <= 0.5f ? 1.0f : (isnan(x) ? x : 0.0f)",
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Params;

    /// Which kind of kernel a primitive dispatches to.
    struct KindOfKernel;

    impl Dispatch for KindOfKernel {
        type Output = Arity;
        fn unary(self, _: impl Fn(f32, &Params) -> f32) -> Arity {
            Arity::Unary
        }
        fn binary(self, _: impl Fn(f32, f32, &Params) -> f32) -> Arity {
            Arity::Binary
        }
    }

    /// A body's statements and its value: statements end with `end`, the value does not.
    fn check_body(name: &str, language: &str, body: &str, end: &str) {
        let lines: Vec<&str> = body.lines().map(str::trim).collect();
        let (value, statements) = lines.split_last().expect("a body has a value");
        assert!(
            !value.is_empty() && !value.ends_with(';'),
            "{name}: the {language} body ends without a value: {body:?}"
        );
        for s in statements {
            assert!(
                !s.is_empty() && s.ends_with(end),
                "{name}: {language} statement {s:?} does not end with {end:?}"
            );
        }
    }

    #[test]
    fn every_primitive_has_every_consumer() {
        let mut kernel_names = std::collections::HashSet::new();
        for p in CATALOGUE {
            assert!(
                p.cost.is_finite() && p.cost > 0.0,
                "{}: cost {}",
                p.name,
                p.cost
            );
            let kind = if p.arity == Arity::Unary {
                Arity::Unary
            } else {
                Arity::Binary
            };
            assert_eq!(p.op.dispatch(KindOfKernel), kind, "{}'s kernel", p.name);
            match p.kernel {
                Kernel::Own(code) => {
                    assert_ne!(p.arity, Arity::Nary, "{} folds no kernel", p.name);
                    let identifier = code
                        .name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                    assert!(identifier, "{}: kernel name {:?}", p.name, code.name);
                    assert!(kernel_names.insert(code.name), "two kernels {}", code.name);
                    check_body(p.name, "Rust", code.rust, ";");
                    check_body(p.name, "C", code.c, ";");
                    check_body(p.name, "Python", code.python, "");
                    assert!(!code.python.contains(';'), "{}: {}", p.name, code.python);
                }
                Kernel::Fold(binary) => {
                    assert_eq!(p.arity, Arity::Nary, "{} folds {binary}", p.name);
                    assert_eq!(binary.primitive().arity, Arity::Binary, "{}", p.name);
                    assert_eq!(p.commutative, binary.primitive().commutative, "{}", p.name);
                }
            }
        }
    }
}
