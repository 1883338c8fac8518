//! The primitive catalogue: one table with every primitive's name, aliases, arity, constant
//! parameters, forward formula, exact derivative, surrogate derivative and flags.
//!
//! Derivatives are written as formula templates in the expression syntax, one per argument, over
//! the variables `a` (first argument), `b` (second argument), `y` (the primitive's own output),
//! the parameter names, and for `prod_n` `rest` (the product of the other arguments). The
//! gradient module ([`crate::grad`]) instantiates them into the graph, so the documented formula
//! is the implementation. The exact derivative is what autograd computes: 0 on flat regions and
//! the PyTorch sub-gradient at kinks. A surrogate, where one is given, replaces it in the
//! `surrogate` backward mode; flat or jumping primitives have one.

use super::graph::Params;
use super::kernels::{self, binary_table, saturate, unary_table};
use std::fmt;

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

const SMOOTH: Flags = Flags {
    flat: false,
    non_differentiable: false,
    discontinuous: false,
    periodic: false,
    bounded: false,
    protected: false,
};
const BOUNDED: Flags = Flags {
    bounded: true,
    ..SMOOTH
};
const KINK: Flags = Flags {
    non_differentiable: true,
    ..SMOOTH
};
const PROTECTED: Flags = Flags {
    protected: true,
    ..SMOOTH
};
const STEP: Flags = Flags {
    flat: true,
    non_differentiable: true,
    discontinuous: true,
    ..SMOOTH
};
const JUMP: Flags = Flags {
    non_differentiable: true,
    discontinuous: true,
    ..SMOOTH
};

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

macro_rules! ops {
    ($($(#[$doc:meta])* $op:ident),* $(,)?) => {
        /// A primitive of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op { $($(#[$doc])* $op),* }
        impl Op {
            /// Every primitive, in catalogue order.
            pub const ALL: &'static [Op] = &[$(Op::$op),*];
        }
    };
}

ops! {
    /// `0`.
    Zero, /// `1`.
    One, /// `x`.
    Identity, /// `-x`.
    Negative, /// `|x|`.
    Abs, /// protected `1/x`.
    Reciprocal, /// `x^2`.
    Square, /// `x^3`.
    Cube, /// `sqrt(|x|)`.
    Sqrt, /// `ln(|x| + eps)`.
    Log, /// `e^x`.
    Exp, /// `e^x - 1`.
    Expm1, /// sine.
    Sin, /// cosine.
    Cos, /// `sin(x)/x`.
    Sinc, /// hyperbolic sine.
    Sinh, /// hyperbolic cosine.
    Cosh, /// hyperbolic tangent.
    Tanh, /// inverse hyperbolic sine.
    Arcsinh, /// inverse tangent.
    Arctan, /// error function.
    Erf, /// complementary error function.
    Erfc, /// logistic sigmoid.
    Sigmoid, /// `ln sigmoid(x)`.
    LogSigmoid, /// `ln(1 + e^x)`.
    Softplus, /// `x / (1 + |x|)`.
    Softsign, /// rectifier.
    Relu, /// leaky rectifier (slope 0.01).
    LeakyRelu, /// exponential linear unit.
    Elu, /// scaled ELU.
    Selu, /// Gaussian error linear unit (erf form).
    Gelu, /// `x sigmoid(x)`.
    Swish, /// `x tanh(softplus(x))`.
    Mish, /// ELiSH.
    Elish, /// piecewise-linear sigmoid.
    HardSigmoid, /// `x hard_sigmoid(x)`.
    HardSwish, /// `clamp(x, 0, 6)`.
    Relu6, /// `e^(-x^2)`.
    Gaussian, /// scaled Bessel I0.
    BesselI0e, /// scaled Bessel I1.
    BesselI1e, /// `min(x, 0)`.
    Min0, /// `max(x, 0)`.
    Max0, /// `a + b`.
    Add, /// `a - b`.
    Sub, /// `a b`.
    Mul, /// protected `a / b`.
    Div, /// protected `a^b`.
    Pow, /// `max(a, b)`.
    Max, /// `min(a, b)`.
    Min, /// `sigmoid(a) b`.
    SigmoidGate, /// `e^(-(a-b)^2)`.
    GaussDist, /// `e^(-|a-b|)`.
    LapDist, /// sum of n arguments.
    SumN, /// product of n arguments.
    ProdN, /// maximum of n arguments.
    MaxN, /// minimum of n arguments.
    MinN, /// `b x`, constant `b`.
    Scale, /// `x + b`, constant `b`.
    Shift, /// `w a + (1 - w) b`, constant `w`.
    Lerp, /// unit step.
    Heaviside, /// sign.
    Sign, /// floor.
    Floor, /// ceiling.
    Ceil, /// round half to even.
    Round, /// fractional part.
    Frac, /// uniform quantiser on [-1, 1].
    Quantize, /// clamp to [lo, hi].
    Clamp, /// zero on |x| <= t.
    Deadzone, /// zero below t.
    Threshold, /// floored modulus.
    Mod, /// sawtooth wave.
    Sawtooth, /// square wave.
    SquareWave, /// triangle wave.
    TriangleWave, /// 1 on |x| <= 0.5.
    Bump,
}

const fn param(name: &'static str, default: f32, min: f32, max: f32) -> ParamSpec {
    ParamSpec {
        name,
        default,
        min,
        max,
        integer: false,
    }
}

const ANY: f32 = 1e6;

macro_rules! row {
    ($op:ident, $name:literal, [$($alias:literal),*], $arity:ident, $formula:literal,
     exact [$($d:literal),+] $(, surrogate [$($s:literal),+])?; $flags:expr
     $(, params [$($param:expr),*])? $(, commutative $comm:literal)?) => {
        Primitive {
            op: Op::$op,
            name: $name,
            aliases: &[$($alias),*],
            arity: Arity::$arity,
            params: &[$($($param),*)?],
            formula: $formula,
            exact: &[$($d),+],
            surrogate: row!(@surrogate $([$($s),+])?),
            flags: $flags,
            commutative: row!(@comm $($comm)?),
        }
    };
    (@surrogate) => { None };
    (@surrogate [$($s:literal),+]) => { Some(&[$($s),+]) };
    (@comm) => { false };
    (@comm $c:literal) => { $c };
}

/// The catalogue, in the order of [`Op::ALL`].
pub static CATALOGUE: &[Primitive] = &[
    row!(Zero, "zero", [], Unary, "0", exact ["0"]; Flags { flat: true, bounded: true, ..SMOOTH }),
    row!(One, "one", [], Unary, "1", exact ["0"]; Flags { flat: true, bounded: true, ..SMOOTH }),
    row!(Identity, "identity", ["id", "linear"], Unary, "x", exact ["1"]; SMOOTH),
    row!(Negative, "negative", ["neg"], Unary, "-x", exact ["-1"]; SMOOTH),
    row!(Abs, "abs", [], Unary, "|x|", exact ["sign(a)"]; KINK),
    row!(Reciprocal, "reciprocal", ["inv", "recip"], Unary,
         "x / (x^2 + 1e-12): 1/x protected at 0", exact ["-(y^2)"]; PROTECTED),
    row!(Square, "square", [], Unary, "x^2", exact ["2 * a"]; SMOOTH),
    row!(Cube, "cube", [], Unary, "x^3", exact ["3 * a^2"]; SMOOTH),
    row!(Sqrt, "sqrt", [], Unary, "sqrt(|x|)", exact ["0.5 * sign(a) * reciprocal(y)"]; Flags { protected: true, ..KINK }),
    row!(Log, "log", ["ln"], Unary, "ln(|x| + 1e-6)", exact ["sign(a) / (abs(a) + 0.000001)"]; Flags { protected: true, ..KINK }),
    row!(Exp, "exp", [], Unary, "e^x", exact ["y"]; SMOOTH),
    row!(Expm1, "expm1", [], Unary, "e^x - 1", exact ["exp(a)"]; SMOOTH),
    row!(Sin, "sin", [], Unary, "sin x", exact ["cos(a)"]; Flags { periodic: true, bounded: true, ..SMOOTH }),
    row!(Cos, "cos", [], Unary, "cos x", exact ["-sin(a)"]; Flags { periodic: true, bounded: true, ..SMOOTH }),
    row!(Sinc, "sinc", [], Unary, "sin(x) / x, 1 at 0", exact ["(cos(a) - y) * reciprocal(a)"]; BOUNDED),
    row!(Sinh, "sinh", [], Unary, "sinh x", exact ["cosh(a)"]; SMOOTH),
    row!(Cosh, "cosh", [], Unary, "cosh x", exact ["sinh(a)"]; SMOOTH),
    row!(Tanh, "tanh", [], Unary, "tanh x", exact ["1 - y^2"]; BOUNDED),
    row!(Arcsinh, "arcsinh", ["asinh"], Unary, "asinh x", exact ["1 / sqrt(a^2 + 1)"]; SMOOTH),
    row!(Arctan, "arctan", ["atan"], Unary, "atan x", exact ["1 / (1 + a^2)"]; BOUNDED),
    row!(Erf, "erf", [], Unary, "2/sqrt(pi) * integral of e^(-t^2) from 0 to x", exact ["1.1283792 * gaussian(a)"]; BOUNDED),
    row!(Erfc, "erfc", [], Unary, "1 - erf(x)", exact ["-1.1283792 * gaussian(a)"]; BOUNDED),
    row!(Sigmoid, "sigmoid", ["logistic"], Unary, "1 / (1 + e^-x)", exact ["y * (1 - y)"]; BOUNDED),
    row!(LogSigmoid, "log_sigmoid", ["logsigmoid"], Unary, "ln(1 / (1 + e^-x))", exact ["sigmoid(-a)"]; SMOOTH),
    row!(Softplus, "softplus", [], Unary, "ln(1 + e^x)", exact ["sigmoid(a)"]; SMOOTH),
    row!(Softsign, "softsign", [], Unary, "x / (1 + |x|)", exact ["1 / (1 + abs(a))^2"]; BOUNDED),
    row!(Relu, "relu", [], Unary, "max(x, 0)", exact ["sign(y)"]; KINK),
    row!(LeakyRelu, "leaky_relu", ["leakyrelu"], Unary, "x for x > 0, else 0.01 x", exact ["1 - 0.99 * heaviside(-a)"]; KINK),
    row!(Elu, "elu", [], Unary, "x for x > 0, else e^x - 1", exact ["exp(min0(a))"]; SMOOTH),
    row!(Selu, "selu", [], Unary, "1.0507 * (x for x > 0, else 1.67326 (e^x - 1))",
         exact ["1.050701 * (1 - heaviside(-a) + 1.6732632 * heaviside(-a) * exp(a))"]; KINK),
    row!(Gelu, "gelu", [], Unary, "x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))",
         exact ["0.5 * (1 + erf(0.70710677 * a)) + 0.3989423 * a * exp(-0.5 * a^2)"]; SMOOTH),
    row!(Swish, "swish", ["silu"], Unary, "x sigmoid(x)", exact ["sigmoid(a) * (1 + a * (1 - sigmoid(a)))"]; SMOOTH),
    row!(Mish, "mish", [], Unary, "x tanh(softplus(x))",
         exact ["tanh(softplus(a)) + a * (1 - tanh(softplus(a))^2) * sigmoid(a)"]; SMOOTH),
    row!(Elish, "elish", [], Unary, "x sigmoid(x) for x >= 0, else (e^x - 1) sigmoid(x)",
         exact ["heaviside(a) * sigmoid(a) * (1 + a * (1 - sigmoid(a))) + (1 - heaviside(a)) * sigmoid(a) * (exp(a) + expm1(a) * (1 - sigmoid(a)))"]; SMOOTH),
    row!(HardSigmoid, "hard_sigmoid", ["hardsigmoid"], Unary, "clamp(x + 3, 0, 6) / 6", exact ["0.16666667 * bump(a / 6)"]; Flags { bounded: true, ..KINK }),
    row!(HardSwish, "hard_swish", ["hardswish"], Unary, "x clamp(x + 3, 0, 6) / 6",
         exact ["bump(a / 6) * (a / 3 + 0.5) + 1 - heaviside(3 - a)"]; KINK),
    row!(Relu6, "relu6", [], Unary, "clamp(x, 0, 6)", exact ["sign(y) * (1 - heaviside(a - 6))"]; Flags { bounded: true, ..KINK }),
    row!(Gaussian, "gaussian", ["gauss"], Unary, "e^(-x^2)", exact ["-2 * a * y"]; BOUNDED),
    row!(BesselI0e, "bessel_i0e", ["i0e"], Unary, "e^-|x| I0(x)", exact ["bessel_i1e(a) - sign(a) * y"]; Flags { bounded: true, ..KINK }),
    row!(BesselI1e, "bessel_i1e", ["i1e"], Unary, "e^-|x| I1(x)",
         exact ["bessel_i0e(a) - sign(a) * y - y * reciprocal(a) - 0.5 * (sign(abs(a)) - 1)"]; BOUNDED),
    row!(Min0, "min0", [], Unary, "min(x, 0)", exact ["heaviside(-a)"]; KINK),
    row!(Max0, "max0", [], Unary, "max(x, 0), derivative 1 at 0 (clamp_min)", exact ["heaviside(a)"]; KINK),
    row!(Add, "add", [], Binary, "a + b", exact ["1", "1"]; SMOOTH, commutative true),
    row!(Sub, "sub", [], Binary, "a - b", exact ["1", "-1"]; SMOOTH),
    row!(Mul, "mul", [], Binary, "a b", exact ["b", "a"]; SMOOTH, commutative true),
    row!(Div, "div", [], Binary, "a b / (b^2 + 1e-12): a / b protected at 0", exact ["reciprocal(b)", "-(y * reciprocal(b))"]; PROTECTED),
    row!(Pow, "pow", [], Binary, "a^b for integer b, else |a|^b", exact ["b * y * reciprocal(a)", "y * log(a)"]; PROTECTED),
    row!(Max, "max", ["maximum"], Binary, "max(a, b)", exact ["heaviside(a - b)", "1 - heaviside(a - b)"]; KINK, commutative true),
    row!(Min, "min", ["minimum"], Binary, "min(a, b)", exact ["heaviside(b - a)", "1 - heaviside(b - a)"]; KINK, commutative true),
    row!(SigmoidGate, "sigmoid_gate", [], Binary, "sigmoid(a) b", exact ["b * sigmoid(a) * (1 - sigmoid(a))", "sigmoid(a)"]; SMOOTH),
    row!(GaussDist, "gauss_dist", [], Binary, "e^(-(a - b)^2)", exact ["-2 * (a - b) * y", "2 * (a - b) * y"]; BOUNDED, commutative true),
    row!(LapDist, "lap_dist", [], Binary, "e^(-|a - b|)", exact ["-(sign(a - b) * y)", "sign(a - b) * y"]; Flags { bounded: true, ..KINK }, commutative true),
    row!(SumN, "sum_n", ["sum"], Nary, "a1 + a2 + ... + an", exact ["1"]; SMOOTH, commutative true),
    row!(ProdN, "prod_n", ["prod"], Nary, "a1 a2 ... an", exact ["rest"]; SMOOTH, commutative true),
    row!(MaxN, "max_n", [], Nary, "max(a1, ..., an)", exact ["heaviside(a - y)"]; KINK, commutative true),
    row!(MinN, "min_n", [], Nary, "min(a1, ..., an)", exact ["heaviside(y - a)"]; KINK, commutative true),
    row!(Scale, "scale", [], Unary, "b x", exact ["b"]; SMOOTH, params [param("b", 1.0, -ANY, ANY)]),
    row!(Shift, "shift", [], Unary, "x + b", exact ["1"]; SMOOTH, params [param("b", 0.0, -ANY, ANY)]),
    row!(Lerp, "lerp", [], Binary, "w a + (1 - w) b", exact ["w", "1 - w"]; SMOOTH, params [param("w", 0.5, -ANY, ANY)]),
    row!(Heaviside, "heaviside", ["step"], Unary, "1 for x >= 0, else 0",
         exact ["0"], surrogate ["bump(a)"]; Flags { bounded: true, ..STEP }),
    row!(Sign, "sign", ["sgn"], Unary, "-1, 0 or 1",
         exact ["0"], surrogate ["bump(0.5 * a)"]; Flags { bounded: true, ..STEP }),
    row!(Floor, "floor", [], Unary, "largest integer <= x", exact ["0"], surrogate ["1"]; STEP),
    row!(Ceil, "ceil", [], Unary, "smallest integer >= x", exact ["0"], surrogate ["1"]; STEP),
    row!(Round, "round", [], Unary, "nearest integer, ties to even", exact ["0"], surrogate ["1"]; STEP),
    row!(Frac, "frac", [], Unary, "x - floor(x)", exact ["1"]; Flags { bounded: true, periodic: true, ..JUMP }),
    row!(Quantize, "quantize", [], Unary, "clamp(x, -1, 1) rounded to `levels` evenly spaced values",
         exact ["0"], surrogate ["bump(0.5 * a)"]; Flags { bounded: true, ..STEP },
         params [ParamSpec { name: "levels", default: 4.0, min: 2.0, max: 65536.0, integer: true }]),
    row!(Clamp, "clamp", ["hardtanh"], Unary, "min(max(x, lo), hi)",
         exact ["(1 - heaviside(lo - a)) * (1 - heaviside(a - hi))"]; Flags { bounded: true, ..KINK },
         params [param("lo", -1.0, -ANY, ANY), param("hi", 1.0, -ANY, ANY)]),
    row!(Deadzone, "deadzone", ["hardshrink"], Unary, "0 where |x| <= t, else x",
         exact ["1 - heaviside(t - abs(a))"], surrogate ["1"]; JUMP, params [param("t", 0.5, 0.0, ANY)]),
    row!(Threshold, "threshold", [], Unary, "x where x > t, else 0",
         exact ["1 - heaviside(t - a)"], surrogate ["1 - heaviside(t - a) + t * bump(a - t)"]; JUMP,
         params [param("t", 0.5, -ANY, ANY)]),
    row!(Mod, "mod", ["modulo"], Unary, "x - c floor(x / c)", exact ["1"]; Flags { periodic: true, ..JUMP },
         params [param("c", 1.0, -ANY, ANY)]),
    row!(Sawtooth, "sawtooth", [], Unary, "period 2 pi, rising from -1 to 1", exact ["0.31830987"];
         Flags { periodic: true, bounded: true, ..JUMP }),
    row!(SquareWave, "square_wave", [], Unary, "period 2 pi: 1 on [0, pi), -1 on [pi, 2 pi)",
         exact ["0"], surrogate ["cos(a)"]; Flags { periodic: true, bounded: true, ..STEP }),
    row!(TriangleWave, "triangle_wave", [], Unary, "period 2 pi: -1 at 0, 1 at pi", exact ["0.63661977 * square_wave(a)"];
         Flags { periodic: true, bounded: true, ..KINK }),
    row!(Bump, "bump", [], Unary, "1 on |x| <= 0.5, else 0",
         exact ["0"], surrogate ["bump(a + 0.5) - bump(a - 0.5)"]; Flags { bounded: true, ..STEP }),
];

impl Op {
    /// The catalogue entry.
    pub fn primitive(self) -> &'static Primitive {
        &CATALOGUE[self as usize]
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        self.primitive().name
    }

    /// Evaluates the primitive at one point. `args` must fit the arity.
    pub fn eval(self, params: &Params, args: &[f32]) -> f32 {
        macro_rules! scalar_unary {
            ($op:expr, $p:expr, $x:expr; $($name:ident => $f:ident),* $(,)?) => {
                match $op { $(Op::$name => Some(kernels::$f($x, $p)),)* _ => None }
            };
        }
        macro_rules! scalar_binary {
            ($op:expr, $p:expr, $a:expr, $b:expr; $($name:ident => $f:ident),* $(,)?) => {
                match $op { $(Op::$name => kernels::$f($a, $b, $p),)* _ => unreachable!("{:?} has no binary kernel", $op) }
            };
        }
        if let [x] = args {
            if let Some(y) = unary_table!(scalar_unary; self, params, *x) {
                return saturate(y);
            }
        }
        let mut acc = args[0];
        for &b in &args[1..] {
            acc = saturate(binary_table!(scalar_binary; self, params, acc, b));
        }
        acc
    }

    /// Looks a primitive up by name or alias.
    pub fn from_name(name: &str) -> Option<Op> {
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
pub fn lookup(name: &str) -> Option<&'static Primitive> {
    Op::from_name(name).map(Op::primitive)
}

/// The catalogue name closest to `name` (by edit distance), to suggest after a typo.
pub fn nearest_name(name: &str) -> Option<&'static str> {
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
