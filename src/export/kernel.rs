//! The per-primitive table of generated code: for every primitive of the catalogue, the body of
//! its kernel in Rust (on one `f32`) and in Python (on an array: one body for PyTorch, NumPy and
//! JAX, written with neutral `xp.` names that `python.rs` spells per library), written to
//! follow [`crate::expr::kernels`] operation for operation, so that the generated code computes
//! what radact's evaluator computes.
//!
//! A body is a few lines: statements, then the value. It reads the argument `x` (unary) or `a`
//! and `b` (binary) and the primitive's parameters by name. The generators wrap the value in the
//! saturation of ±inf to ±`f32::MAX` that the evaluator applies after every primitive. Bodies
//! may call the support helpers of their language (`sigmoid_of`, `floored_mod`, `erff`, ...;
//! `_sigmoid_of`, ... in Python) and read the named [`CONSTANTS`] (`PI`; `_PI` in Python); the
//! generators emit the helpers and constants a body uses.
//!
//! Points of semantics the bodies keep: Rust's `f32::max`/`min` return the other operand for a
//! NaN (`fmax`/`fmin`, or a `where` on a comparison); `heaviside(0) = 1`,
//! `sign(0) = 0`, and both pass NaN through (PyTorch's `sign` maps NaN to 0, so it is not used);
//! `round` is half to even; protected primitives use the evaluator's epsilons.

use crate::expr::kernels::{
    LEAKY_SLOPE, LOG_EPS, MOD_EPS, RECIPROCAL_EPS, SELU_ALPHA, SELU_SCALE, WAVE_PERIOD,
};
use crate::expr::primitive::ParamSpec;
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
    pub fn is_binary(&self) -> bool {
        self.args().len() == 2
    }

    /// The parameter list of the helper: the arguments, then the constant parameters.
    pub fn signature(&self) -> Vec<&'static str> {
        let params = self.params().iter().map(|p| p.name);
        self.args().iter().copied().chain(params).collect()
    }
}

/// A body's statements and its value (the last line), trimmed.
pub fn statements_and_value(body: &str) -> (Vec<&str>, &str) {
    let mut lines: Vec<&str> = body.lines().map(str::trim).collect();
    let value = lines.pop().unwrap_or("0.0");
    (lines, value)
}

/// A named constant of radact's kernels that bodies refer to.
#[derive(Clone, Copy, Debug)]
pub struct Constant {
    /// Name in Rust (`_`-prefixed in Python).
    pub name: &'static str,
    /// Its value in radact.
    pub value: f32,
    /// How Rust spells it when a literal would trip a lint (`std::f32::consts::PI`).
    pub rust: Option<&'static str>,
}

/// The constants bodies may name.
pub const CONSTANTS: &[Constant] = &[
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

/// The kernel of `op`. The match is exhaustive: a new primitive does not compile until it has
/// a row here.
pub fn kernel(op: Op) -> Kernel {
    use Op::*;
    let row = |name, rust, python| Kernel {
        name,
        op,
        rust,
        python,
    };
    match op {
        Zero => row("zero", "let _ = x;\n0.0", "xp.zeros_like(x)"),
        One => row("one", "let _ = x;\n1.0", "xp.ones_like(x)"),
        Identity => row("identity", "x", "x"),
        Negative => row("negative", "-x", "-x"),
        Abs => row("abs", "x.abs()", "xp.abs(x)"),
        Reciprocal => row("reciprocal", "reciprocal_of(x)", "_reciprocal_of(x)"),
        Square => row("square", "x * x", "x * x"),
        Cube => row("cube", "x * x * x", "x * x * x"),
        Sqrt => row("sqrt", "x.abs().sqrt()", "xp.sqrt(xp.abs(x))"),
        Log => row(
            "log",
            "(x.abs() + LOG_EPS).ln()",
            "xp.log(xp.abs(x) + _LOG_EPS)",
        ),
        Exp => row("exp", "x.exp()", "xp.exp(x)"),
        Expm1 => row("expm1", "x.exp_m1()", "xp.expm1(x)"),
        Sin => row("sin", "x.sin()", "xp.sin(x)"),
        Cos => row("cos", "x.cos()", "xp.cos(x)"),
        Sinc => row(
            "sinc",
            "if x == 0.0 { 1.0 } else { x.sin() / x }",
            "xp.where(x == 0.0, 1.0, xp.sin(x) / x)",
        ),
        Sinh => row("sinh", "x.sinh()", "xp.sinh(x)"),
        Cosh => row("cosh", "x.cosh()", "xp.cosh(x)"),
        Tanh => row("tanh", "x.tanh()", "xp.tanh(x)"),
        Arcsinh => row("arcsinh", "asinhf(x)", "xp.arcsinh(x)"),
        Arctan => row("arctan", "x.atan()", "xp.arctan(x)"),
        Erf => row("erf", "erff(x)", "xp.erf(x)"),
        Erfc => row("erfc", "erfcf(x)", "xp.erfc(x)"),
        Sigmoid => row("sigmoid", "sigmoid_of(x)", "_sigmoid_of(x)"),
        LogSigmoid => row(
            "log_sigmoid",
            "x.min(0.0) - (-x.abs()).exp().ln_1p()",
            "xp.clip(x, None, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))",
        ),
        Softplus => row("softplus", "softplus_of(x)", "_softplus_of(x)"),
        Softsign => row("softsign", "x / (1.0 + x.abs())", "x / (1.0 + xp.abs(x))"),
        Relu => row(
            "relu",
            "if x <= 0.0 { 0.0 } else { x }",
            "xp.where(x <= 0.0, 0.0, x)",
        ),
        LeakyRelu => row(
            "leaky_relu",
            "if x > 0.0 { x } else { LEAKY_SLOPE * x }",
            "xp.where(x > 0.0, x, _LEAKY_SLOPE * x)",
        ),
        Elu => row(
            "elu",
            "if x > 0.0 { x } else { x.exp_m1() }",
            "xp.where(x > 0.0, x, xp.expm1(x))",
        ),
        Selu => row(
            "selu",
            "SELU_SCALE * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() }",
            "_SELU_SCALE * xp.where(x > 0.0, x, _SELU_ALPHA * xp.expm1(x))",
        ),
        Gelu => row(
            "gelu",
            "0.5 * x * (1.0 + erff(x * FRAC_1_SQRT_2))",
            "0.5 * x * (1.0 + xp.erf(x * _FRAC_1_SQRT_2))",
        ),
        Swish => row("swish", "x * sigmoid_of(x)", "x * _sigmoid_of(x)"),
        Mish => row(
            "mish",
            "x * softplus_of(x).tanh()",
            "x * xp.tanh(_softplus_of(x))",
        ),
        Elish => row(
            "elish",
            "if x >= 0.0 { x * sigmoid_of(x) } else { x.exp_m1() * sigmoid_of(x) }",
            "xp.where(x >= 0.0, x * _sigmoid_of(x), xp.expm1(x) * _sigmoid_of(x))",
        ),
        HardSigmoid => row(
            "hard_sigmoid",
            "(x + 3.0).clamp(0.0, 6.0) / 6.0",
            "xp.clip(x + 3.0, 0.0, 6.0) / 6.0",
        ),
        HardSwish => row(
            "hard_swish",
            "x * ((x + 3.0).clamp(0.0, 6.0) / 6.0)",
            "x * (xp.clip(x + 3.0, 0.0, 6.0) / 6.0)",
        ),
        Relu6 => row("relu6", "x.clamp(0.0, 6.0)", "xp.clip(x, 0.0, 6.0)"),
        Gaussian => row("gaussian", "(-(x * x)).exp()", "xp.exp(-(x * x))"),
        BesselI0e => row("bessel_i0e", "bessel_scaled(x).0", "xp.i0e(x)"),
        BesselI1e => row("bessel_i1e", "bessel_scaled(x).1", "xp.i1e(x)"),
        Min0 => row(
            "min0",
            "if x >= 0.0 { 0.0 } else { x }",
            "xp.where(x >= 0.0, 0.0, x)",
        ),
        Max0 => row(
            "max0",
            "if x <= 0.0 { 0.0 } else { x }",
            "xp.where(x <= 0.0, 0.0, x)",
        ),
        Scale => row("scale", "b * x", "b * x"),
        Shift => row("shift", "x + b", "x + b"),
        Heaviside => row(
            "heaviside",
            "if x >= 0.0 { 1.0 } else if x < 0.0 { 0.0 } else { x }",
            "xp.where(x >= 0.0, 1.0, xp.where(x < 0.0, 0.0, x))",
        ),
        Sign => row(
            "sign",
            "if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { x }",
            "xp.where(x > 0.0, 1.0, xp.where(x < 0.0, -1.0, x))",
        ),
        Floor => row("floor", "x.floor()", "xp.floor(x)"),
        Ceil => row("ceil", "x.ceil()", "xp.ceil(x)"),
        Round => row("round", "x.round_ties_even()", "xp.round(x)"),
        Frac => row("frac", "x - x.floor()", "x - xp.floor(x)"),
        Quantize => row(
            "quantize",
            "let steps = (levels.round() - 1.0).max(1.0);\n\
             let c = x.clamp(-1.0, 1.0);\n\
             ((c + 1.0) * 0.5 * steps).round_ties_even() / steps * 2.0 - 1.0",
            "steps = max(float(round(levels)) - 1.0, 1.0)\n\
             c = xp.clip(x, -1.0, 1.0)\n\
             xp.round((c + 1.0) * 0.5 * steps) / steps * 2.0 - 1.0",
        ),
        Clamp => row(
            "clamp",
            "x.max(lo).min(hi)",
            "m = xp.where(x > lo, x, lo)\nxp.where(m < hi, m, hi)",
        ),
        Deadzone => row(
            "deadzone",
            "if x.abs() <= t { 0.0 } else { x }",
            "xp.where(xp.abs(x) <= t, 0.0, x)",
        ),
        Threshold => row(
            "threshold",
            "if x > t || x.is_nan() { x } else { 0.0 }",
            "xp.where(x <= t, 0.0, x)",
        ),
        Mod => row("modulo", "floored_mod(x, c)", "_floored_mod(x, c)"),
        Sawtooth => row(
            "sawtooth",
            "floored_mod(x, WAVE_PERIOD) / PI - 1.0",
            "_floored_mod(x, _WAVE_PERIOD) / _PI - 1.0",
        ),
        SquareWave => row(
            "square_wave",
            "let t = floored_mod(x, WAVE_PERIOD);\n\
             if t < PI { 1.0 } else if t >= PI { -1.0 } else { t }",
            "t = _floored_mod(x, _WAVE_PERIOD)\n\
             xp.where(t < _PI, 1.0, xp.where(t >= _PI, -1.0, t))",
        ),
        TriangleWave => row(
            "triangle_wave",
            "let t = floored_mod(x, WAVE_PERIOD);\n\
             if t < PI { -1.0 + 2.0 * t / PI } else { 3.0 - 2.0 * t / PI }",
            "t = _floored_mod(x, _WAVE_PERIOD)\n\
             xp.where(t < _PI, -1.0 + 2.0 * t / _PI, 3.0 - 2.0 * t / _PI)",
        ),
        Bump => row(
            "bump",
            "if x.abs() <= 0.5 { 1.0 } else if x.is_nan() { x } else { 0.0 }",
            "xp.where(xp.abs(x) <= 0.5, 1.0, xp.where(xp.abs(x) > 0.5, 0.0, x))",
        ),
        Add => row("add", "a + b", "a + b"),
        Sub => row("sub", "a - b", "a - b"),
        Mul => row("mul", "a * b", "a * b"),
        Div => row("div", "a * reciprocal_of(b)", "a * _reciprocal_of(b)"),
        Pow => row(
            "pow",
            "if b == b.trunc() { a.powf(b) } else { a.abs().powf(b) }",
            "xp.where(b == xp.trunc(b), xp.power(a, b), xp.power(xp.abs(a), b))",
        ),
        Max => row("max", "a.max(b)", "xp.fmax(a, b)"),
        Min => row("min", "a.min(b)", "xp.fmin(a, b)"),
        SigmoidGate => row("sigmoid_gate", "sigmoid_of(a) * b", "_sigmoid_of(a) * b"),
        GaussDist => row(
            "gauss_dist",
            "let d = a - b;\n(-(d * d)).exp()",
            "d = a - b\nxp.exp(-(d * d))",
        ),
        LapDist => row(
            "lap_dist",
            "(-(a - b).abs()).exp()",
            "xp.exp(-xp.abs(a - b))",
        ),
        Lerp => row("lerp", "w * a + (1.0 - w) * b", "w * a + (1.0 - w) * b"),
        // n-ary primitives fold their binary kernel, as `binary_table!` in `expr::kernels` says.
        SumN => kernel(Add),
        ProdN => kernel(Mul),
        MaxN => kernel(Max),
        MinN => kernel(Min),
    }
}
