//! C99 code generation: radact's primitives as `static float radact_NAME(...)` functions, the
//! support functions and named constants their bodies use, `float` literals, and an
//! activation's forward as one C function. The network export (`crate::model::c`) builds on it;
//! `tests/primitive_c99.rs` compiles every primitive's C against radact's kernels.
//!
//! Compiled without `-ffast-math` and without contraction into fused multiply-adds (`-std=c99`
//! turns it off in GCC), the code computes what radact's evaluator computes bit for bit, except
//! where a kernel calls the `libm` crate (`erf`, `erfc`, `arcsinh`, `gelu`), where C's libm may
//! differ by a few ulp.

use super::helper::{needed, Helper};
use super::kernel::{kernel, statements_and_value, Kernel, CONSTANTS};
use super::listing::{Expr, Listing};
use crate::expr::{Graph, Op};
use std::fmt::Write;

/// The support functions C bodies may call, each after those it calls: the C of radact's
/// `saturate`, `sigmoid_of`, `softplus_of`, `reciprocal_of`, `floored_mod`, `f32::clamp` and
/// `bessel_scaled`.
const FUNCTIONS: &[(&str, &str)] = &[
    (
        "sat",
        "/* Saturates +-inf to +-FLT_MAX, as radact does after every primitive; NaN stays NaN. */
static float sat(float y) {
    return y < -FLT_MAX ? -FLT_MAX : (y > FLT_MAX ? FLT_MAX : y);
}",
    ),
    (
        "sigmoid_of",
        "static float sigmoid_of(float x) {
    return 1.0f / (1.0f + expf(-x));
}",
    ),
    (
        "softplus_of",
        "/* ln(1 + e^x), computed stably. */
static float softplus_of(float x) {
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}",
    ),
    (
        "reciprocal_of",
        "/* Protected 1/x: x / (x^2 + RECIPROCAL_EPS), 0 at 0. */
static float reciprocal_of(float x) {
    return x / (x * x + RECIPROCAL_EPS);
}",
    ),
    (
        "floored_mod",
        "/* Floored modulus x - c floor(x / c), with |c| at least MOD_EPS. */
static float floored_mod(float x, float c) {
    if (fabsf(c) < MOD_EPS) {
        c = copysignf(MOD_EPS, c);
    }
    return x - c * floorf(x / c);
}",
    ),
    (
        "clamp_of",
        "/* Rust's f32::clamp: lo below lo, hi above hi, NaN stays NaN. */
static float clamp_of(float x, float lo, float hi) {
    if (x < lo) {
        x = lo;
    }
    if (x > hi) {
        x = hi;
    }
    return x;
}",
    ),
    (
        "bessel_scaled",
        "/* (e^-|x| I0(x), e^-|x| I1(x)) by Abramowitz and Stegun 9.8.1-9.8.4, computed in double. */
typedef struct {
    float i0e, i1e;
} bessel_pair;

static bessel_pair bessel_scaled(float xf) {
    double x = (double)xf;
    double ax = fabs(x);
    bessel_pair r;
    if (isnan(ax)) {
        r.i0e = NAN;
        r.i1e = NAN;
    } else if (ax < 3.75) {
        double y = (x / 3.75) * (x / 3.75);
        double i0 = 1.0
            + y * (3.5156229
                + y * (3.0899424
                    + y * (1.2067492 + y * (0.2659732 + y * (0.0360768 + y * 0.0045813)))));
        double i1 = x
            * (0.5
                + y * (0.87890594
                    + y * (0.51498869
                        + y * (0.15084934
                            + y * (0.02658733 + y * (0.00301532 + y * 0.00032411))))));
        double e = exp(-ax);
        r.i0e = (float)(i0 * e);
        r.i1e = (float)(i1 * e);
    } else {
        double y = 3.75 / ax;
        double s = 1.0 / sqrt(ax);
        double i0 = 0.39894228
            + y * (0.01328592
                + y * (0.00225319
                    + y * (-0.00157565
                        + y * (0.00916281
                            + y * (-0.02057706
                                + y * (0.02635537 + y * (-0.01647633 + y * 0.00392377)))))));
        double i1 = 0.39894228
            + y * (-0.03988024
                + y * (-0.00362018
                    + y * (0.00163801
                        + y * (-0.01031555
                            + y * (0.02282967
                                + y * (-0.02895312 + y * (0.01787654 - y * 0.00420059)))))));
        r.i0e = (float)(i0 * s);
        r.i1e = (float)(i1 * s * copysign(1.0, x));
    }
    return r;
}",
    ),
];

/// A C `float` expression of exactly `v`: the shortest decimal that reads back as `v` with an
/// `f` suffix, or `INFINITY`, `-INFINITY`, `NAN` (from `<math.h>`).
pub fn literal(v: f32) -> String {
    if v.is_nan() {
        "NAN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "INFINITY" } else { "-INFINITY" }.to_string()
    } else {
        format!("{v:e}f")
    }
}

/// Every helper generated C may use: radact's named constants, then the support functions.
fn helpers() -> Vec<Helper> {
    let constants = CONSTANTS.iter().map(|c| {
        Helper::new(
            c.name,
            format!("static const float {} = {};", c.name, literal(c.value)),
        )
    });
    let functions = FUNCTIONS
        .iter()
        .map(|&(name, source)| Helper::new(name, source));
    constants.chain(functions).collect()
}

/// The definitions of the named constants and support functions `code` uses, directly or
/// through each other, each before its use, separated by blank lines.
pub fn support(code: &str) -> String {
    let available = helpers();
    let used: Vec<&str> = needed(code, &available)
        .into_iter()
        .map(|h| h.source.as_str())
        .collect();
    used.join("\n\n")
}

/// `static float radact_NAME(float x, float PARAM, ...) { statements; return sat(value); }`:
/// the C function of `op`'s kernel (an n-ary primitive's is its binary kernel's).
pub fn kernel_function(op: Op) -> String {
    definition(&kernel(op))
}

fn definition(k: &Kernel) -> String {
    let prim = k.op.primitive();
    let signature: Vec<String> = k.signature().iter().map(|a| format!("float {a}")).collect();
    let (statements, value) = statements_and_value(k.c);
    let mut s = format!(
        "/* {}: {} */\nstatic float radact_{}({}) {{\n",
        prim.name,
        prim.formula,
        k.name,
        signature.join(", ")
    );
    for st in statements {
        let _ = writeln!(s, "    {st}");
    }
    let _ = writeln!(s, "    return sat({value});\n}}");
    s
}

/// C source of a forward function `static float NAME(float x, const float *c)` for `graph`
/// (`c` holds the trainable constants, `param(...)` in formula order; unused without any),
/// preceded by the kernels it calls and the support they need.
pub fn forward_function(name: &str, graph: &Graph) -> String {
    let listing = Listing::lower(graph);
    let kernels: Vec<String> = listing.kernels().iter().map(definition).collect();
    let mut body = String::new();
    for (i, b) in listing.bindings.iter().enumerate() {
        let _ = writeln!(body, "    const float v{i} = {};", render(b));
    }
    let _ = writeln!(body, "    (void)x;\n    (void)c;");
    let _ = writeln!(body, "    return {};", render(&listing.result));
    let kernels = kernels.join("\n");
    let support = support(&kernels);
    let mut s = String::new();
    for part in [support.as_str(), kernels.as_str()] {
        if !part.is_empty() {
            s.push_str(part);
            s.push_str("\n\n");
        }
    }
    let _ = write!(
        s,
        "/* f(x) = {graph} */\nstatic float {name}(float x, const float *c) {{\n{body}}}\n"
    );
    s
}

/// An expression of a listing in C: kernels are `radact_NAME(...)`, constants C literals.
fn render(e: &Expr) -> String {
    e.render_with("radact_", &literal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    #[test]
    fn literals_are_exact_floats() {
        assert_eq!(literal(1.5), "1.5e0f");
        assert_eq!(literal(-0.1), "-1e-1f");
        assert_eq!(literal(f32::INFINITY), "INFINITY");
        assert_eq!(literal(f32::NAN), "NAN");
    }

    #[test]
    fn a_forward_function_carries_its_kernels_and_support() {
        let code = forward_function("act", &parse("x * sigmoid(param(1.5) * x)").unwrap());
        assert!(
            code.contains("static float act(float x, const float *c)"),
            "{code}"
        );
        assert!(
            code.contains("radact_mul(x, radact_sigmoid(radact_mul(c[0], x)))"),
            "{code}"
        );
        assert!(code.contains("static float sigmoid_of(float x)"), "{code}");
        assert!(code.contains("static float sat(float y)"), "{code}");
        assert!(!code.contains("softplus_of"), "{code}");
    }
}
